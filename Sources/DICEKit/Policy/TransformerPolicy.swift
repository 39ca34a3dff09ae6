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

    /// `model` sampling with `generation` (and `tokenizer` for stop strings).
    public init(model: TransformerLM, generation: GenerationParameters, tokenizer: Tokenizer? = nil) {
        self.model = model
        self.generation = generation
        self.tokenizer = tokenizer
    }

    /// `count` responses per prompt from the `Generator` with `generation`, seeded by `seed`.
    /// - Throws: `GenerationError` / `ModelError` for unusable prompts or settings.
    public func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        var parameters = generation
        parameters.samplesPerPrompt = count
        parameters.seed = seed
        return try Generator(model: model, parameters: parameters, tokenizer: tokenizer).generate(prompts: prompts)
    }

    /// The model's summed response log-probabilities (nats), the prompt masked.
    public func logProbs(_ batch: [TokenPair]) throws -> [Double] { try model.logProbs(batch) }

    /// The model's log-probabilities with a pullback that adds ∂L/∂θ into its gradients.
    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        try model.logProbsWithPullback(batch)
    }

    /// The model's `ParameterStore`.
    public var trainableParameters: any TrainableParameters { model.parameters }
}
