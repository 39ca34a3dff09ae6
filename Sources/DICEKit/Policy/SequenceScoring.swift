// SequenceScoring: the one interface every loss and reward sits on — summed response
// log-probabilities of (prompt, response) token pairs, with a pullback where training needs it.

/// A prompt and a response as token ids: the unit that log-probabilities are taken over.
public struct TokenPair: Sendable, Hashable, Codable {
    /// Context tokens (including any BOS and chat-template tokens); at least one.
    public var prompt: [Int]
    /// Scored tokens (including a final EOS when it is part of the response).
    public var response: [Int]

    /// The pair of `prompt` and `response`.
    public init(prompt: [Int], response: [Int]) {
        self.prompt = prompt
        self.response = response
    }
}

/// Anything that scores responses: Σ log p(response token | everything before it) per pair,
/// the prompt masked. A frozen reference model needs only this.
public protocol SequenceScorer: AnyObject {
    /// The summed response log-probability of each pair, in nats.
    /// - Throws: when a pair is unusable (empty prompt, ids out of range, too long).
    func logProbs(_ batch: [TokenPair]) throws -> [Double]
}

/// A scorer whose log-probabilities can be differentiated: the interface DPO, IPO, SFT and
/// every other scalar-per-sequence loss sit on. A transformer implements it; so can any
/// user type (a tabular toy policy, a model on another runtime).
public protocol DifferentiableSequenceScorer: SequenceScorer {
    /// The log-probabilities of `batch` and a pullback: calling it with ∂L/∂logp (one value per
    /// pair) *adds* ∂L/∂θ into the scorer's gradients. Call the pullback at most once.
    func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void)
}
