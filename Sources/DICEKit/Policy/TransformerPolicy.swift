// TransformerPolicy: a TransformerLM with its sampling settings — the `Policy` DICE samples
// from, scores with and trains.

import Foundation

/// A transformer as a DICE policy: `sample` runs the batched, seeded `Generator` with
/// `generation` (its `samplesPerPrompt` and `seed` are replaced by each call's); scoring and
/// training go to the model.
public final class TransformerPolicy: Policy, TrainablePolicy {
    /// The network.
    public let model: TransformerLM
    /// Sampling settings: temperature, top-p, length cap, stop tokens, batch size.
    public var generation: GenerationParameters
    /// Used for stop strings, if any.
    public let tokenizer: Tokenizer?
    /// The LoRA adapter set this policy is (nil: the base model alone). Every call attaches it
    /// to `model` for its duration, so several policies (π_{t−1}, π_{t−2}, the reference) can
    /// share one loaded base.
    public let adapter: LoRAAdapter?

    /// `model` sampling with `generation` (and `tokenizer` for stop strings), with `adapter`
    /// over the model's weights (nil: the weights alone).
    public init(model: TransformerLM, generation: GenerationParameters, tokenizer: Tokenizer? = nil,
                adapter: LoRAAdapter? = nil) {
        self.model = model
        self.generation = generation
        self.tokenizer = tokenizer
        self.adapter = adapter
    }

    /// `count` responses per prompt from the `Generator` with `generation`, seeded by `seed`.
    /// - Throws: `GenerationError` / `ModelError` for unusable prompts or settings.
    public func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        var parameters = generation
        parameters.samplesPerPrompt = count
        parameters.seed = seed
        return try model.withAdapter(adapter) {
            try Generator(model: model, parameters: parameters, tokenizer: tokenizer).generate(prompts: prompts)
        }
    }

    /// The groups of `rows` alone, generated with their rows' random streams (`Generator`'s
    /// `firstRow`).
    /// - Throws: as `sample(_:count:seed:)`; `GenerationError.invalidParameter` for rows outside
    ///   `prompts`.
    public func sample(_ prompts: [[Int]], rows: Range<Int>, count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        guard rows.lowerBound >= 0, rows.upperBound <= prompts.count else {
            throw GenerationError.invalidParameter(name: "rows", value: "\(rows)", expected: "a range within 0..<\(prompts.count)")
        }
        var parameters = generation
        parameters.samplesPerPrompt = count
        parameters.seed = seed
        return try model.withAdapter(adapter) {
            try Generator(model: model, parameters: parameters, tokenizer: tokenizer)
                .generate(prompts: Array(prompts[rows]), firstRow: rows.lowerBound)
        }
    }

    /// The prompts of one generation batch: `generation.batchSize / count` (at least 1).
    public func promptsPerSamplingBatch(count: Int) -> Int { max(1, generation.batchSize / max(1, count)) }

    /// The model's summed response log-probabilities (nats), the prompt masked, with `adapter`.
    /// - Throws: as `TransformerLM.logProbs(_:)`; `LoRAError.baseMismatch` when the adapter
    ///   does not fit the model.
    public func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        try model.withAdapter(adapter) { try model.logProbs(batch) }
    }

    /// The model's log-probabilities with a pullback that adds ∂L/∂θ into the trainable
    /// parameters: the adapter's with one, else the model's.
    /// - Throws: as `logProbs(_:)`.
    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        try model.withAdapter(adapter) { try model.logProbsWithPullback(batch) }
    }

    /// What training updates: the adapter when there is one (the base is frozen), else the
    /// model's `ParameterStore`.
    public var trainableParameters: any TrainableParameters { adapter ?? model.parameters }
}
