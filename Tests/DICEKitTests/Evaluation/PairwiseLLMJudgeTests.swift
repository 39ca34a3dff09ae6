// The pairwise LLM judge: preferences read from the answer tokens' probabilities, both orders
// averaged. A scorer whose logits are set by hand gives closed-form preferences; a judge that
// only has position bias ties everything; a model without a chat template is refused by file.

import DICEKit
import Foundation
import Testing

@Suite("Evaluation: pairwise LLM judge")
struct PairwiseLLMJudgeTests {
    /// Logits set by hand: the answer token of a section that contains "correct" gets `quality`,
    /// and "1" always gets `bias` more (position bias). Every other token gets −10.
    struct HandScorer: NextTokenScorer {
        let tokenizer: Tokenizer
        let ones: Int, twos: Int, vocabulary: Int
        let quality: Float, bias: Float

        func nextTokenLogits(_ prompt: [Int]) throws -> [Float] {
            let text = tokenizer.decode(prompt, skipSpecialTokens: false)
            guard let first = text.range(of: "## Answer 1"), let second = text.range(of: "## Answer 2"),
                  let end = text.range(of: "Which answer is better?") else {
                throw DICEError.invalidParameter(name: "prompt", value: text, expected: "the judge's request")
            }
            let answer1 = text[first.upperBound..<second.lowerBound], answer2 = text[second.upperBound..<end.lowerBound]
            var logits = [Float](repeating: -10, count: vocabulary)
            logits[ones] = bias + (answer1.contains("correct") ? quality : 0)
            logits[twos] = answer2.contains("correct") ? quality : 0
            return logits
        }
    }

    static func judge(quality: Float, bias: Float) throws -> PairwiseLLMJudge {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2_bytelevel")
        let scorer = HandScorer(tokenizer: tokenizer, ones: tokenizer.encode("1")[0], twos: tokenizer.encode("2")[0],
                                vocabulary: tokenizer.vocabularySize, quality: quality, bias: bias)
        return try PairwiseLLMJudge(scorer: scorer, tokenizer: tokenizer)
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    @Test("preference in closed form: ½ + (σ(q + b) − σ(b − q)) / 2, and the verdicts it implies")
    func closedForm() throws {
        let judge = try Self.judge(quality: 3, bias: 1)
        let p = try judge.preference(instruction: "Add 2 and 2.", a: "4, the correct sum", b: "5")
        #expect(abs(p - (0.5 + (Self.sigmoid(4) - Self.sigmoid(-2)) / 2)) < 1e-6)
        let prompt = TokenizedText(text: "Add 2 and 2.", tokens: [])
        func verdict(_ a: String, _ b: String) throws -> Verdict {
            try judge.verdict(prompt: prompt, a: TokenizedText(text: a, tokens: []), b: TokenizedText(text: b, tokens: []))
        }
        #expect(try verdict("4, the correct sum", "5") == .win)
        #expect(try verdict("5", "4, the correct sum") == .loss)
        // Neither (or both) correct: only position bias is left, and it cancels exactly.
        #expect(try verdict("5", "6") == .tie)
        #expect(try judge.preference(instruction: "x", a: "5", b: "6") == 0.5)
    }

    @Test("a judge with pure position bias (always \"1\") ties every comparison")
    func positionBias() throws {
        let judge = try Self.judge(quality: 0, bias: 5)
        #expect(try judge.firstIsBetter(instruction: "x", first: "correct", second: "no") > 0.99)
        #expect(try judge.preference(instruction: "x", a: "correct", b: "no") == 0.5)
    }

    @Test("a judge model without a chat template is refused, naming its tokenizer_config.json")
    func missingTemplate() throws {
        let folder = try ScratchFolder("llm-judge-template")
        defer { folder.remove() }
        let source = TokenizerFixtures.directory("gpt2_bytelevel")
        try FileManager.default.copyItem(at: source.appendingPathComponent("tokenizer.json"), to: folder.file("tokenizer.json"))
        var config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
        config["chat_template"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: folder.file("tokenizer_config.json"))
        let tokenizer = try Tokenizer(directory: folder.url)
        let scorer = HandScorer(tokenizer: tokenizer, ones: 0, twos: 1, vocabulary: tokenizer.vocabularySize, quality: 0, bias: 0)
        do {
            _ = try PairwiseLLMJudge(scorer: scorer, tokenizer: tokenizer)
            Issue.record("a tokenizer without a chat template must be refused")
        } catch let TokenizerError.missingChatTemplate(path) {
            #expect(path.hasSuffix("tokenizer_config.json"))
        }
    }
}
