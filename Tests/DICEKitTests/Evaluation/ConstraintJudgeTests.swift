// The constraints judge: each check against hand-counted answers, the verdict's order (count,
// then violation, then tie), and the JSON form of constraints in prompt files.

import DICEKit
import Foundation
import Testing

@Suite("Evaluation: constraints judge")
struct ConstraintJudgeTests {
    static func check(_ c: Constraint, _ text: String) -> ConstraintCheck { c.check(text) }

    @Test("each constraint's check and violation, counted by hand")
    func checks() {
        // Words hold a letter or digit: "-" and "," alone are not words.
        #expect(Self.check(.maxWords(limit: 2), "one two - three ,") == ConstraintCheck(satisfied: false, violation: 0.5))
        #expect(Self.check(.maxWords(limit: 2), "one, two!") == ConstraintCheck(satisfied: true, violation: 0))
        #expect(Self.check(.maxWords(limit: 1), "a b c d e") == ConstraintCheck(satisfied: false, violation: 1))
        #expect(Self.check(.bulletPoints(count: 2), "Intro\n- a\n  * b\n• c\n-d") == ConstraintCheck(satisfied: false, violation: 0.5))
        #expect(Self.check(.bulletPoints(count: 2), "- a\n- b").satisfied)
        #expect(Self.check(.noCommas, "a, b, c") == ConstraintCheck(satisfied: false, violation: 0.4))
        #expect(Self.check(.noCommas, ",,,,,,,") == ConstraintCheck(satisfied: false, violation: 1))
        #expect(Self.check(.includeKeywords(words: ["example", "simple"]), "An *Example*.")
                == ConstraintCheck(satisfied: false, violation: 0.5))
        #expect(Self.check(.includeKeywords(words: ["example"]), "examples only").violation == 1)
        #expect(Self.check(.endWith(word: "done"), "We are \"Done\"!").satisfied)
        #expect(Self.check(.endWith(word: "done"), "done, then more") == ConstraintCheck(satisfied: false, violation: 0.5))
        #expect(Self.check(.endWith(word: "done"), "nothing here") == ConstraintCheck(satisfied: false, violation: 1))
        #expect(Self.check(.lowercase, "abC") == ConstraintCheck(satisfied: false, violation: 1.0 / 3))
        #expect(Self.check(.lowercase, "123 ...") == ConstraintCheck(satisfied: true, violation: 0))
    }

    @Test("verdict: more constraints met wins; then the smaller summed violation; else a tie")
    func verdicts() throws {
        let prompt = TokenizedText(text: "p", tokens: [])
        let judge = ConstraintJudge(constraints: ["p": [.maxWords(limit: 3), .noCommas]])
        func verdict(_ a: String, _ b: String) throws -> Verdict {
            try judge.verdict(prompt: prompt, a: TokenizedText(text: a, tokens: []), b: TokenizedText(text: b, tokens: []))
        }
        #expect(try verdict("a b", "a, b") == .win)                  // 2 met against 1
        #expect(try verdict("a b c d", "a, b, c, d, e") == .win)     // 1 met against none
        #expect(try verdict("a, b", "c d e f") == .win)              // 1 met each; violations 0.2 < 1/3
        #expect(try verdict("a b", "c") == .tie)                     // both meet everything
        #expect(throws: ConstraintJudge.UnknownPrompt.self) {
            try judge.verdict(prompt: TokenizedText(text: "q", tokens: []), a: prompt, b: prompt)
        }
    }

    @Test("JSON form: every kind round-trips; unknown types and bad parameters are refused by name")
    func json() throws {
        let all: [Constraint] = [.maxWords(limit: 25), .bulletPoints(count: 3), .noCommas,
                                 .includeKeywords(words: ["example", "people"]), .endWith(word: "done"), .lowercase]
        let data = try JSONEncoder().encode(all)
        #expect(try JSONDecoder().decode([Constraint].self, from: data) == all)
        let text = #"[{"type":"max_words","limit":25},{"type":"bullet_points","count":3},{"type":"no_commas"},{"type":"include_keywords","words":["example","people"]},{"type":"end_with","word":"done"},{"type":"lowercase"}]"#
        #expect(try JSONDecoder().decode([Constraint].self, from: Data(text.utf8)) == all)
        func error(_ json: String) -> String? {
            do {
                _ = try JSONDecoder().decode(Constraint.self, from: Data(json.utf8))
                return nil
            } catch let DecodingError.dataCorrupted(context) {
                return context.debugDescription
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"{"type": "shout"}"#)?.contains("max_words, bullet_points, no_commas, include_keywords, end_with, lowercase") == true)
        #expect(error(#"{"type": "max_words", "limit": 0}"#)?.contains("≥ 1") == true)
        #expect(error(#"{"type": "include_keywords", "words": []}"#)?.contains("at least one") == true)
        #expect(error(#"{"type": "end_with", "word": "two words"}"#)?.contains("one word") == true)
        #expect(error(#"{"type": "bullet_points"}"#) != nil)
    }
}
