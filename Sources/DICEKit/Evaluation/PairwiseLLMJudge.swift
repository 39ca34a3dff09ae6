// PairwiseLLMJudge: a local chat model as an AlpacaEval-style pairwise judge. It is shown the
// instruction and both answers, asked which is better, and its preference is read from the
// probabilities of the two answer tokens ("1", "2") at the first position of its reply — never
// from sampled text. Each comparison is asked in both orders and averaged, which cancels the
// judge's position bias.

import Foundation

/// The next-token distribution of a language model after a prompt: what a pairwise LLM judge
/// reads. `TransformerLM` provides it; tests and other runtimes can bring their own.
public protocol NextTokenScorer {
    /// The logits `[V]` of the token that follows `prompt` (token ids).
    /// - Throws: when the prompt cannot be scored (empty, out of vocabulary, too long).
    func nextTokenLogits(_ prompt: [Int]) throws -> [Float]
}

extension TransformerLM: NextTokenScorer {
    /// The logits of the token after `prompt`, from one cached pass over it (logits only for
    /// the last position).
    /// - Throws: `GenerationError` for an empty prompt, ids outside the vocabulary or a prompt
    ///   longer than the context; `BackendError.allocationFailed`.
    public func nextTokenLogits(_ prompt: [Int]) throws -> [Float] {
        let cache = try makeCache(slots: 1, capacity: max(1, min(prompt.count, spec.maxPositions)))
        return try decode([DecodeSegment(slot: 0, start: 0, tokens: prompt)], cache: cache)
    }
}

/// A chat model judging two answers to an instruction, AlpacaEval-style.
///
/// For each order (A as answer 1, then B as answer 1) the judge renders one user message
/// (`request`) with its chat template and the generation prompt, and reads p₁, p₂ — the
/// probabilities of the tokens "1" and "2" as the reply's first token, renormalised over the
/// two. P(A better) is the mean of p₁ in the first order and p₂ in the second. The verdict is a
/// win when it exceeds ½ + `tieMargin`, a loss below ½ − `tieMargin`, else a tie. A judge that
/// always answers "1" (pure position bias) therefore ties every comparison.
public struct PairwiseLLMJudge: Judge {
    /// The judge model.
    public let scorer: any NextTokenScorer
    /// Its tokenizer (renders and encodes the request).
    public let tokenizer: Tokenizer
    /// The template the request is rendered with (the judge model's own).
    public let template: ChatTemplate
    /// The ids of the answer tokens "1" and "2".
    public let answerTokens: (first: Int, second: Int)
    /// Half-width of the band around ½ that counts as a tie, in [0, ½).
    public var tieMargin: Double

    /// A judge.
    /// - Parameters:
    ///   - scorer: the judge model.
    ///   - tokenizer: its tokenizer; "1" and "2" must each encode to one token.
    ///   - template: the chat template (default: the tokenizer's own).
    ///   - tieMargin: in [0, ½).
    /// - Throws: `TokenizerError.missingChatTemplate` (naming the tokenizer's config file) when no
    ///   template is given and the model has none; `JinjaError` for a template that does not
    ///   parse; `DICEError.invalidParameter` when "1" or "2" is not a single token or the margin
    ///   is out of range.
    public init(scorer: any NextTokenScorer, tokenizer: Tokenizer, template: ChatTemplate? = nil,
                tieMargin: Double = 0) throws {
        self.scorer = scorer
        self.tokenizer = tokenizer
        self.template = try template ?? tokenizer.chatTemplate
        let one = tokenizer.encode("1"), two = tokenizer.encode("2")
        guard one.count == 1, two.count == 1, one != two else {
            throw DICEError.invalidParameter(name: "judge tokenizer", value: "\"1\" → \(one), \"2\" → \(two)",
                                             expected: "\"1\" and \"2\" each one token")
        }
        answerTokens = (one[0], two[0])
        guard tieMargin >= 0, tieMargin < 0.5 else {
            throw DICEError.invalidParameter(name: "tieMargin", value: "\(tieMargin)", expected: "a number in [0, 0.5)")
        }
        self.tieMargin = tieMargin
    }

    /// The user message asking which of two answers to `instruction` is better.
    public static func request(instruction: String, first: String, second: String) -> String {
        """
        Compare two answers to the same instruction and decide which one is better: more helpful, \
        more accurate and better at following the instruction. Length alone does not make an answer better.

        ## Instruction

        \(instruction)

        ## Answer 1

        \(first)

        ## Answer 2

        \(second)

        Which answer is better? Reply with only the number 1 or 2.
        """
    }

    /// p₁ / (p₁ + p₂) for answers in this order: the judge's probability that the first is better.
    /// - Throws: what rendering, encoding and scoring throw.
    public func firstIsBetter(instruction: String, first: String, second: String) throws -> Double {
        let text = try tokenizer.applyChatTemplate([.user(Self.request(instruction: instruction, first: first, second: second))],
                                                   addGenerationPrompt: true, template: template)
        let logits = try scorer.nextTokenLogits(tokenizer.encode(text, addSpecialTokens: false))
        let l1 = Double(logits[answerTokens.first]), l2 = Double(logits[answerTokens.second])
        return LengthControlledWinRate.sigmoid(l1 - l2)
    }

    /// P(A better than B), averaged over both orders.
    /// - Throws: what `firstIsBetter` throws.
    public func preference(instruction: String, a: String, b: String) throws -> Double {
        let forward = try firstIsBetter(instruction: instruction, first: a, second: b)
        let swapped = try firstIsBetter(instruction: instruction, first: b, second: a)
        return 0.5 + (forward - swapped) / 2  // (p₁ + (1 − p₁′)) / 2, exactly ½ when both orders agree
    }

    /// The verdict from `preference` (the prompt's text is the instruction).
    /// - Throws: what `firstIsBetter` throws.
    public func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        Verdict(preference: try preference(instruction: prompt.text, a: a.text, b: b.text), tieMargin: tieMargin)
    }
}
