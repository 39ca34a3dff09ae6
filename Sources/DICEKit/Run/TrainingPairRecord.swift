// TrainingPairRecord: one row of a round's mixed training set (`train.jsonl`): a generated pair
// with the token ids that were sampled and scored, or an offline pair with its token ids.

/// Where a training pair came from.
public enum PairSource: String, Sendable, Hashable, Codable {
    /// Sampled from π_{t−1} and ranked by the implicit reward.
    case generated
    /// From D_offline (experience replay).
    case offline
}

/// One preference pair of a round's training set.
///
/// Every row the DICE loop writes carries token ids (`promptTokens`, `chosenTokens`,
/// `rejectedTokens`): for a generated pair the ids that were sampled and scored, for an offline
/// pair the ids of D_offline as given. Training uses those ids, never a re-tokenisation of the
/// text, which is `render` of the ids, for people. (The token fields are optional only so that
/// rows written by other tools, text alone, still decode; the loop refuses to train on them.)
/// Generated and offline prompts are kept disjoint by their prompt token ids, not their text.
public struct TrainingPairRecord: Sendable, Hashable, Codable {
    /// Where the pair came from.
    public var source: PairSource
    /// The prompt text (`render` of `promptTokens`).
    public var prompt: String
    /// The preferred response text.
    public var chosen: String
    /// The dispreferred response text.
    public var rejected: String
    /// The prompt's token ids (every row the DICE loop writes has them).
    public var promptTokens: [Int]?
    /// The preferred response's token ids: as sampled, with its stop token (generated pairs), or
    /// as D_offline gives them (offline pairs).
    public var chosenTokens: [Int]?
    /// The dispreferred response's token ids (as `chosenTokens`).
    public var rejectedTokens: [Int]?
    /// Σ log π_{t−1}(chosen | prompt), nats, when the score phase already computed it (a
    /// generated pair ranked by the implicit reward, whose policy π_{t−1} is also the round's
    /// DPO reference): training uses it instead of a second reference pass. Nil otherwise.
    public var chosenReferenceLogProb: Double?
    /// Σ log π_{t−1}(rejected | prompt), as `chosenReferenceLogProb`.
    public var rejectedReferenceLogProb: Double?

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

    /// A generated pair of the prompt `prompt` (text and token ids), with the policy
    /// log-probabilities its scores carry as the reference log-probabilities (see
    /// `chosenReferenceLogProb`).
    public init(generated pair: GeneratedPair, prompt: String, promptTokens: [Int]) {
        self.init(source: .generated, prompt: prompt, chosen: pair.chosen.text, rejected: pair.rejected.text,
                  promptTokens: promptTokens, chosenTokens: pair.chosen.tokens, rejectedTokens: pair.rejected.tokens)
        chosenReferenceLogProb = pair.chosen.score?.policyLogProb
        rejectedReferenceLogProb = pair.rejected.score?.policyLogProb
    }

    /// Both reference log-probabilities, when the record carries them.
    public var referenceLogProbs: (chosen: Double, rejected: Double)? {
        guard let chosenReferenceLogProb, let rejectedReferenceLogProb else { return nil }
        return (chosenReferenceLogProb, rejectedReferenceLogProb)
    }

    /// The pair as token ids, or nil when a token field is missing.
    public var preferencePair: PreferencePair? {
        guard let promptTokens, let chosenTokens, let rejectedTokens else { return nil }
        return PreferencePair(prompt: promptTokens, chosen: chosenTokens, rejected: rejectedTokens)
    }
}
