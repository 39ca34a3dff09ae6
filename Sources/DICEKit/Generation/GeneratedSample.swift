/// Why a response ended.
public enum FinishReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// A stop token (EOS) or a stop string ended it.
    case stop
    /// It reached the new-token cap or the model's context.
    case length
}

/// One generated response: its token ids (the stop token included when one ended it), why it
/// ended, and — from a sampler that has the model's logits — its log-probability.
public struct GeneratedSample: Sendable, Hashable, Codable {
    /// The response's token ids, in order (prompt excluded).
    public var ids: [Int]
    /// `.stop` or `.length`.
    public var finishReason: FinishReason
    /// Σ log p(ids | prompt) under the model's own distribution (untempered, unpenalised, every
    /// token kept), in nats: what `SequenceScorer.logProbs` of the same pair computes, from the
    /// logits the sampler already had (equal within float rounding: Float32 per token, summed in
    /// Float64). Nil when the sampler does not know it.
    public var logProb: Double?

    /// A response of `ids` that ended for `finishReason`, with its log-probability if known.
    public init(ids: [Int], finishReason: FinishReason, logProb: Double? = nil) {
        self.ids = ids
        self.finishReason = finishReason
        self.logProb = logProb
    }

    /// The number of content tokens: `ids.count`, less the final stop token of a `.stop`
    /// response.
    public var contentTokenCount: Int {
        finishReason == .stop ? max(0, ids.count - 1) : ids.count
    }
}

/// Where a `Generator.generate` call stands, reported after every decoding step.
public struct GenerationProgress: Sendable, Hashable {
    /// Prompts whose K responses are all finished.
    public var completedPrompts: Int
    /// Prompts in the call.
    public var totalPrompts: Int
    /// Tokens generated so far, over all responses.
    public var generatedTokens: Int
}
