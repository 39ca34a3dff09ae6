// DirectoryPolicyStore: a PolicyStore of transformers kept as Hugging Face model directories.

import Foundation

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
