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

    public init(model: TransformerLM, generation: GenerationParameters, tokenizer: Tokenizer? = nil) {
        self.model = model
        self.generation = generation
        self.tokenizer = tokenizer
    }

    public func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        var parameters = generation
        parameters.samplesPerPrompt = count
        parameters.seed = seed
        return try Generator(model: model, parameters: parameters, tokenizer: tokenizer).generate(prompts: prompts)
    }

    public func logProbs(_ batch: [TokenPair]) throws -> [Double] { try model.logProbs(batch) }

    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        try model.logProbsWithPullback(batch)
    }

    public var trainableParameters: any TrainableParameters { model.parameters }
}

/// A `PolicyStore` of transformers as Hugging Face model directories: π_ref and π_0 where the
/// run's layout says, π_t under `round-t/model`.
public final class DirectoryPolicyStore: PolicyStore {
    public let layout: RunLayout
    public let backend: any Backend
    public let generation: GenerationParameters
    public let tokenizer: Tokenizer?
    /// config.json of saved models (the architecture of π_0).
    private let config: ModelConfig

    /// - Throws: `FormatError` when π_0's config.json cannot be read.
    public init(layout: RunLayout, backend: any Backend, generation: GenerationParameters,
                tokenizer: Tokenizer? = nil) throws {
        self.layout = layout
        self.backend = backend
        self.generation = generation
        self.tokenizer = tokenizer
        self.config = try ModelConfig.load(contentsOf: layout.initialPolicy.appendingPathComponent(ModelDirectory.configFile))
    }

    public func load(_ id: ModelID) throws -> any BootstrapPolicy {
        let model = try TransformerLM(directory: layout.modelDirectory(id), backend: backend)
        return TransformerPolicy(model: model, generation: generation, tokenizer: tokenizer)
    }

    public func save(_ policy: any BootstrapPolicy, as id: ModelID) throws {
        guard let transformer = policy as? TransformerPolicy else {
            throw DICEError.policyContract(reason: "DirectoryPolicyStore saves TransformerPolicy models, got \(type(of: policy))")
        }
        try transformer.model.modelDirectory(config: config).write(to: layout.modelDirectory(id))
    }
}
