// DirectoryPolicyStore: a PolicyStore of transformers kept as Hugging Face model directories.

import Foundation

/// A `PolicyStore` of transformers as Hugging Face model directories: π_ref and π_0 in the
/// folders given (inputs, never written), π_t (t ≥ 1) under the run's `round-t/model`.
public final class DirectoryPolicyStore: PolicyStore {
    /// π_ref's model directory (an input).
    public let referenceModel: URL
    /// π_0's model directory (an input).
    public let initialPolicy: URL
    /// The run folder whose `round-t/model` holds π_t.
    public let layout: RunLayout
    /// Where the models compute.
    public let backend: any Backend
    /// Sampling settings of every policy handed out.
    public let generation: GenerationParameters
    /// Used for stop strings, if any.
    public let tokenizer: Tokenizer?
    /// The architectures the model folders may use.
    public let registry: ArchitectureRegistry
    /// Whether the policies handed out train with activation checkpointing
    /// (`TransformerLM.checkpointsActivations`): the same gradients for less memory.
    public var checkpointsActivations = false
    /// config.json of saved models (the architecture of π_0).
    private let config: ModelConfig

    /// A store reading and writing model directories of the architectures in `registry`
    /// (default: those DICEKit ships).
    /// - Throws: `FormatError` when π_0's config.json cannot be read.
    public init(referenceModel: URL, initialPolicy: URL, layout: RunLayout, backend: any Backend,
                generation: GenerationParameters, tokenizer: Tokenizer? = nil,
                registry: ArchitectureRegistry = .standard) throws {
        self.registry = registry
        self.referenceModel = referenceModel
        self.initialPolicy = initialPolicy
        self.layout = layout
        self.backend = backend
        self.generation = generation
        self.tokenizer = tokenizer
        self.config = try ModelConfig.load(contentsOf: initialPolicy.appendingPathComponent(ModelDirectory.configFile),
                                           registry: registry)
    }

    /// The model directory of `model`: the inputs for π_ref and π_0, `round-t/model` for π_t.
    public func directory(for model: ModelID) -> URL {
        switch model {
        case .reference: return referenceModel
        case .policy(0): return initialPolicy
        case .policy(let t): return layout.modelDirectory(round: t)
        }
    }

    /// The transformer in `directory(for: id)` (no sampling settings: it only scores), frozen
    /// (`trainable: false`: bfloat16 only on a `.bf16` `CPUBackend`).
    /// - Throws: `FormatError` / `ModelError` when the folder is not a usable model.
    public func scorer(_ id: ModelID) throws -> any SequenceScorer {
        try TransformerLM(directory: directory(for: id), backend: backend, registry: registry, trainable: false)
    }

    /// The transformer in `directory(for: id)` with `generation` and `tokenizer`.
    /// - Throws: as `scorer(_:)`.
    public func policy(_ id: ModelID) throws -> any BootstrapPolicy {
        let model = try TransformerLM(directory: directory(for: id), backend: backend, registry: registry)
        model.checkpointsActivations = checkpointsActivations
        return TransformerPolicy(model: model, generation: generation, tokenizer: tokenizer)
    }

    /// The transformer in `directory(for: id)` with `generation` and `tokenizer`, frozen
    /// (`trainable: false`: bfloat16 only on a `.bf16` `CPUBackend`): it only samples.
    /// - Throws: as `scorer(_:)`.
    public func sampler(_ id: ModelID) throws -> any Policy {
        let model = try TransformerLM(directory: directory(for: id), backend: backend, registry: registry, trainable: false)
        return TransformerPolicy(model: model, generation: generation, tokenizer: tokenizer)
    }

    /// Writes `policy` (a `TransformerPolicy`) as a model directory, with π_0's config.json,
    /// one tensor at a time, after freeing the model's gradient buffer (the next backward
    /// allocates it again) and the backend's cached memory (`Backend.releaseCachedMemory()`).
    /// - Throws: `DICEError.invalidParameter` for π_ref or π_0 (inputs are never written);
    ///   `DICEError.policyContract` for another policy type; `FormatError.io`.
    public func save(_ policy: any BootstrapPolicy, as id: ModelID) throws {
        guard id.index >= 1 else {
            throw DICEError.invalidParameter(name: "model", value: "\(id)", expected: "π_t with t ≥ 1 (π_ref and π_0 are inputs, never written)")
        }
        guard let transformer = policy as? TransformerPolicy else {
            throw DICEError.policyContract(reason: "DirectoryPolicyStore saves TransformerPolicy models, got \(type(of: policy))")
        }
        // The gradient buffer is scratch between updates (allocated again, zeroed, by the next
        // backward): it is freed first, and with it whatever the backend's allocator keeps
        // cached (the finished trainer's AdamW moments, the last step's activations), so that
        // writing — one tensor's host copy at a time — stays below the training peak.
        transformer.model.parameters.releaseGradients()
        transformer.model.backend.releaseCachedMemory()
        try transformer.model.write(to: directory(for: id), config: config)
    }

    /// Whether `directory(for: id)` has a config.json and weights (one file or an index).
    public func holds(_ id: ModelID) -> Bool {
        let folder = directory(for: id), fm = FileManager.default
        func has(_ name: String) -> Bool { fm.fileExists(atPath: folder.appendingPathComponent(name).path) }
        return has(ModelDirectory.configFile) && (has(ModelDirectory.weightsFile) || has(ModelDirectory.indexFile))
    }

    /// True: models are folders on disk.
    public var isPersistent: Bool { true }
}
