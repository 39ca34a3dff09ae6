// RewardModelJudge: a scalar reward model as a judge — Bradley–Terry on its scores,
// P(A beats B) = σ(r(x, A) − r(x, B)).

/// Judges with a `RewardModel`, encoding the texts as `dice rm` encodes its pairs: the
/// instruction as one user message rendered with `template` and the generation prompt, each
/// response's text encoded without special tokens (then `eosTokenID`, when given, as
/// `--append-eos` trains it).
///
/// P(A better) = σ(r_A − r_B); the verdict is a win above ½ + `tieMargin`, a loss below
/// ½ − `tieMargin`, else a tie.
public struct RewardModelJudge: Judge {
    /// The reward model.
    public let model: RewardModel
    /// Its tokenizer.
    public let tokenizer: Tokenizer
    /// The template the instruction is rendered with.
    public let template: ChatTemplate
    /// Appended to every response (nil: nothing).
    public let eosTokenID: Int?
    /// Half-width of the band around ½ that counts as a tie, in [0, ½).
    public let tieMargin: Double

    /// A judge.
    /// - Throws: `DICEError.invalidParameter` for a margin outside [0, ½).
    public init(model: RewardModel, tokenizer: Tokenizer, template: ChatTemplate, eosTokenID: Int? = nil,
                tieMargin: Double = 0) throws {
        guard tieMargin >= 0, tieMargin < 0.5 else {
            throw DICEError.invalidParameter(name: "tieMargin", value: "\(tieMargin)", expected: "a number in [0, 0.5)")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.eosTokenID = eosTokenID
        self.tieMargin = tieMargin
    }

    /// P(A better than B) = σ(r_A − r_B) for `instruction`.
    /// - Throws: what rendering, encoding and the model throw (e.g. a text longer than its context).
    public func preference(instruction: String, a: String, b: String) throws -> Double {
        let rendered = try tokenizer.applyChatTemplate([.user(instruction)], addGenerationPrompt: true, template: template)
        let prompt = tokenizer.encode(rendered, addSpecialTokens: false)
        let responses = [a, b].map { text in
            tokenizer.encode(text, addSpecialTokens: false) + (eosTokenID.map { [$0] } ?? [])
        }
        let r = try model.rewards(responses.map { TokenPair(prompt: prompt, response: $0) })
        return LengthControlledWinRate.sigmoid(r[0] - r[1])
    }

    /// The verdict from `preference` (the prompt's text is the instruction).
    /// - Throws: what `preference` throws.
    public func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        Verdict(preference: try preference(instruction: prompt.text, a: a.text, b: b.text), tieMargin: tieMargin)
    }
}
