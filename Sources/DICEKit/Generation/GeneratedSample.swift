/// Why a response ended.
public enum FinishReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// A stop token (EOS) or a stop string ended it.
    case stop
    /// It reached the new-token cap or the model's context.
    case length
}

/// One generated response: its token ids (the stop token included when one ended it) and why
/// it ended.
public struct GeneratedSample: Sendable, Hashable, Codable {
    /// The response's token ids, in order (prompt excluded).
    public var ids: [Int]
    /// `.stop` or `.length`.
    public var finishReason: FinishReason

    /// A response of `ids` that ended for `finishReason`.
    public init(ids: [Int], finishReason: FinishReason) {
        self.ids = ids
        self.finishReason = finishReason
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
