/// Everything `Generator` needs besides the model and the prompts.
public struct GenerationParameters: Sendable, Hashable, Codable {
    /// K, responses sampled per prompt (≥ 1). The K samples share the prompt's prefill.
    public var samplesPerPrompt: Int
    /// Cap on generated tokens per response (≥ 1); a response that reaches it, or the model's
    /// context, finishes with `.length`.
    public var maxNewTokens: Int
    /// Temperature, top-k, top-p, min-p, repetition penalty.
    public var sampling: SamplingParameters
    /// Token ids that end a response (EOS; see `defaultStopTokenIDs`); the stop token is
    /// kept as the response's last id.
    public var stopTokenIDs: [Int]
    /// Strings that end a response as soon as its decoded text contains one (needs a
    /// tokenizer); the tokens that complete the string are kept.
    public var stopStrings: [String]
    /// Seed of every random stream: sample `j` of prompt row `i` draws from
    /// `SplitMix64(seed: seed, stream: i << 32 | j)`, whatever the batch it is decoded in.
    public var seed: UInt64
    /// Sequences decoded together (≥ 1), rounded down to whole prompts of K samples (at
    /// least one prompt): more uses the matrix units better and the memory of a larger cache.
    public var batchSize: Int

    /// Parameters with HF-like defaults: one sample, 256 new tokens, the model's distribution
    /// unchanged, no stop tokens, seed 0, 64 sequences per batch.
    public init(samplesPerPrompt: Int = 1, maxNewTokens: Int = 256,
                sampling: SamplingParameters = SamplingParameters(), stopTokenIDs: [Int] = [],
                stopStrings: [String] = [], seed: UInt64 = 0, batchSize: Int = 64) {
        self.samplesPerPrompt = samplesPerPrompt
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
        self.stopStrings = stopStrings
        self.seed = seed
        self.batchSize = batchSize
    }

    /// Checks every parameter is in its domain.
    /// - Throws: `GenerationError.invalidParameter` naming the first one that is not.
    public func validate() throws {
        func fail(_ name: String, _ value: CustomStringConvertible, _ expected: String) throws -> Never {
            throw GenerationError.invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        if samplesPerPrompt < 1 { try fail("samples", samplesPerPrompt, "an integer ≥ 1") }
        if maxNewTokens < 1 { try fail("max-new-tokens", maxNewTokens, "an integer ≥ 1") }
        if batchSize < 1 { try fail("batch-size", batchSize, "an integer ≥ 1") }
        if let bad = stopStrings.first(where: \.isEmpty) { try fail("stop string", "\"\(bad)\"", "a non-empty string") }
        try sampling.validate()
    }

    /// The ids that end a response by default: `eos_token_id` of generation_config.json (one
    /// or several) together with the tokenizer's EOS token, in that order, without repeats.
    public static func defaultStopTokenIDs(generationConfig: GenerationConfig?, tokenizer: Tokenizer?) -> [Int] {
        var ids = generationConfig?.eosTokenId?.ids ?? []
        if let eos = tokenizer?.eosTokenID, !ids.contains(eos) { ids.append(eos) }
        return ids
    }
}
