// TrainingPairRecord: one row of a round's mixed training set (`train.jsonl`): a generated pair
// with the token ids that were sampled and scored, or an offline pair as text.

/// Where a training pair came from.
public enum PairSource: String, Sendable, Hashable, Codable {
    /// Sampled from π_{t−1} and ranked by the implicit reward.
    case generated
    /// From D_offline (experience replay).
    case offline
}

/// One preference pair of a round's training set.
///
/// Generated pairs carry their token ids (`promptTokens`, `chosenTokens`, `rejectedTokens`):
/// train on those, never on a re-tokenisation of the text. Offline pairs carry text only (nil
/// token fields) and are tokenised the way D_offline is.
public struct TrainingPairRecord: Sendable, Hashable, Codable {
    /// Where the pair came from.
    public var source: PairSource
    /// The prompt text (the key that keeps generated and offline prompts disjoint).
    public var prompt: String
    /// The preferred response text.
    public var chosen: String
    /// The dispreferred response text.
    public var rejected: String
    /// The prompt's token ids (always for generated pairs; for offline pairs when they come tokenized, as the toy task's do).
    public var promptTokens: [Int]?
    /// The preferred response's token ids as sampled, with its stop token (generated pairs).
    public var chosenTokens: [Int]?
    /// The dispreferred response's token ids as sampled, with its stop token (generated pairs).
    public var rejectedTokens: [Int]?

    /// Creates the value from its fields.
    public init(source: PairSource, prompt: String, chosen: String, rejected: String,
                promptTokens: [Int]? = nil, chosenTokens: [Int]? = nil, rejectedTokens: [Int]? = nil) {
        self.source = source
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.promptTokens = promptTokens
        self.chosenTokens = chosenTokens
        self.rejectedTokens = rejectedTokens
    }

    /// A generated pair of the prompt `prompt` (text and token ids).
    public init(generated pair: GeneratedPair, prompt: String, promptTokens: [Int]) {
        self.init(source: .generated, prompt: prompt, chosen: pair.chosen.text, rejected: pair.rejected.text,
                  promptTokens: promptTokens, chosenTokens: pair.chosen.tokens, rejectedTokens: pair.rejected.tokens)
    }
}
