import Foundation
import Testing
@testable import DICEKit

/// Reading preference pairs: the three row layouts, and every bad-input rule (empty responses,
/// identical responses, over-long pairs under each truncation policy).
@Suite("Preference data")
struct PreferenceDataTests {
    static let idsOnly = PreferenceDataset.Encoding(tokenizer: nil, template: .none, appendEOS: false)

    static func load(_ text: String, encoding: PreferenceDataset.Encoding = idsOnly, maxLength: Int = 100,
                     truncation: TruncationPolicy = .error) throws -> PreferenceDataset {
        try PreferenceDataset(jsonl: Data(text.utf8), path: "pairs.jsonl", encoding: encoding, maxLength: maxLength,
                              truncation: truncation)
    }

    @Test func idRowsAndEOS() throws {
        let d = try Self.load(#"{"prompt_ids":[1,5],"chosen_ids":[7],"rejected_ids":[8,9]}"#,
                              encoding: .init(tokenizer: nil, template: .none, appendEOS: true, eosTokenID: 2))
        #expect(d.pairs == [PreferencePair(prompt: [1, 5], chosen: [7, 2], rejected: [8, 9, 2])])
    }

    @Test func emptyResponseIsAnErrorNamingTheLine() {
        #expect(throws: PreferenceDataError.emptyResponse(path: "pairs.jsonl", line: 3, field: "rejected")) {
            try Self.load("""
            {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[8]}

            {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[]}
            """)
        }
        #expect(throws: PreferenceDataError.emptyResponse(path: "pairs.jsonl", line: 1, field: "chosen")) {
            try Self.load(#"{"prompt_ids":[1],"chosen_ids":[],"rejected_ids":[8]}"#,
                          encoding: .init(tokenizer: nil, template: .none, appendEOS: true, eosTokenID: 2))
        }
    }

    @Test func identicalResponsesAreDroppedAndReported() throws {
        let d = try Self.load("""
        {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[7]}
        {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[8]}
        """)
        #expect(d.pairs.count == 1 && d.lines == [2])
        #expect(d.dropped.map(\.line) == [1])
        #expect(throws: PreferenceDataError.empty(path: "pairs.jsonl")) {
            try Self.load(#"{"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[7]}"#)
        }
    }

    @Test func overLongPairsFollowThePolicy() throws {
        let row = #"{"prompt_ids":[1,2,3,4,5,6],"chosen_ids":[10,11,12,13],"rejected_ids":[20,21]}"#
        #expect(throws: PreferenceDataError.tooLong(path: "pairs.jsonl", line: 1, length: 10, maxLength: 8)) {
            try Self.load(row, maxLength: 8)
        }
        // Prompt cut from the left to 4 tokens, then responses from the right to 8 − 4.
        let d = try Self.load(row, maxLength: 8, truncation: .truncate(maxPromptLength: 4))
        #expect(d.pairs == [PreferencePair(prompt: [3, 4, 5, 6], chosen: [10, 11, 12, 13], rejected: [20, 21])])
        #expect(d.truncatedCount == 1)
        let e = try Self.load(row, maxLength: 8, truncation: .truncate(maxPromptLength: 5))
        #expect(e.pairs == [PreferencePair(prompt: [2, 3, 4, 5, 6], chosen: [10, 11, 12], rejected: [20, 21])])
        // A pair that fits is left alone.
        #expect(try Self.load(row, maxLength: 10, truncation: .truncate(maxPromptLength: 2)).truncatedCount == 0)
        #expect(throws: PreferenceDataError.self) { try Self.load(row, maxLength: 8, truncation: .truncate(maxPromptLength: 8)) }
        // Truncation that makes the responses equal drops the pair.
        let same = #"{"prompt_ids":[1,2],"chosen_ids":[5,6,7],"rejected_ids":[5,6,8]}"#
        #expect(throws: PreferenceDataError.empty(path: "pairs.jsonl")) {
            try Self.load(same, maxLength: 4, truncation: .truncate(maxPromptLength: 2))
        }
    }

    @Test func malformedRowsNameTheLine() {
        #expect(throws: JSONLError.self) { try Self.load(#"{"prompt_ids":[1],"chosen_ids":"x","rejected_ids":[2]}"#) }
        #expect(throws: PreferenceDataError.invalidTokenID(path: "pairs.jsonl", line: 1, field: "chosen_ids", id: -4)) {
            try Self.load(#"{"prompt_ids":[1],"chosen_ids":[-4],"rejected_ids":[2]}"#)
        }
        #expect(throws: PreferenceDataError.self) { try Self.load(#"{"prompt":"hi","chosen":"a","rejected":"b"}"#) }
    }

    @Test func conversationalRowsSplitOffTheFinalReply() throws {
        let row = try JSONDecoder().decode(PreferenceRow.self, from: Data("""
        {"prompt": "ignored", "chosen": [{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],
         "rejected": [{"role":"user","content":"Hi"},{"role":"assistant","content":"Go away."}]}
        """.utf8))
        #expect(row == .conversation(prompt: [.user("Hi")], chosen: "Hello!", rejected: "Go away."))
        let plain = try JSONDecoder().decode(PreferenceRow.self, from: Data(#"{"prompt":"Q","chosen":"A","rejected":"B"}"#.utf8))
        #expect(plain == .conversation(prompt: [.user("Q")], chosen: "A", rejected: "B"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PreferenceRow.self, from: Data("""
            {"chosen": [{"role":"user","content":"Hi"},{"role":"assistant","content":"A"}],
             "rejected": [{"role":"user","content":"Yo"},{"role":"assistant","content":"B"}]}
            """.utf8))
        }
    }

    @Test func textRowsAreTemplateWrappedAndTokenizedSeparately() throws {
        let dir = Fixtures.root.appendingPathComponent("tokenizers/gpt2_bytelevel")
        let tokenizer = try Tokenizer(directory: dir)
        let d = try Self.load(#"{"prompt":"Hi there","chosen":" yes","rejected":" no"}"#,
                              encoding: .init(tokenizer: tokenizer, template: try ChatTemplate(parsing: "Q: {prompt}\nA:"),
                                              appendEOS: false), maxLength: 1000)
        #expect(d.pairs[0].prompt == tokenizer.encode("Q: Hi there\nA:"))
        #expect(d.pairs[0].chosen == tokenizer.encode(" yes"))
        #expect(d.pairs[0].rejected == tokenizer.encode(" no"))
    }

    @Test func fingerprintsSeeEveryInput() {
        let p = [PreferencePair(prompt: [1], chosen: [2], rejected: [3])]
        let base = PreferenceDataset.fingerprint(p, template: "chatml", appendEOS: true)
        #expect(base == PreferenceDataset.fingerprint(p, template: "chatml", appendEOS: true))
        #expect(base != PreferenceDataset.fingerprint(p, template: "zephyr", appendEOS: true))
        #expect(base != PreferenceDataset.fingerprint(p, template: "chatml", appendEOS: false))
        #expect(base != PreferenceDataset.fingerprint([PreferencePair(prompt: [1], chosen: [2, 3], rejected: [])],
                                                      template: "chatml", appendEOS: true))
    }
}
