import Foundation

// Hugging Face model directories ⇄ TransformerLM.

extension TransformerSpec {
    /// The architecture a Hugging Face configuration describes (`config.spec`).
    public init(_ config: ModelConfig) {
        self = config.spec
    }
}

extension TransformerLM {
    /// Loads a model from a Hugging Face directory (config.json + safetensors, sharded or not)
    /// or a GGUF file, with the architectures of `registry`.
    /// - Throws: `FormatError` / `GGUFError` for unreadable or inconsistent files (naming the
    ///   file and the tensor), `ModelError` for an unusable architecture.
    public convenience init(directory: URL, backend: any Backend, registry: ArchitectureRegistry = .standard) throws {
        try self.init(ModelDirectory.read(from: directory, registry: registry), backend: backend)
    }

    /// A model holding the weights of an in-memory model directory.
    /// - Throws: `ModelError.missingParameter` / `.parameterShape` when weights disagree with the
    ///   configuration.
    public convenience init(_ directory: ModelDirectory, backend: any Backend) throws {
        try self.init(config: directory.config, backend: backend)
        for entry in parameters.entries {
            guard let tensor = directory.tensors[entry.name] else {
                throw ModelError.missingParameter(name: entry.name)
            }
            guard tensor.shape == entry.shape else {
                throw ModelError.parameterShape(name: entry.name, expected: entry.shape, actual: tensor.shape)
            }
            try parameters.set(entry.name, tensor.values)
        }
    }

    /// The weights as a model directory under `config` (which must describe this architecture:
    /// the same spec and weights).
    /// - Throws: `ModelError.invalidSpec` when `config` describes another architecture.
    public func modelDirectory(config: ModelConfig, generationConfig: GenerationConfig? = nil) throws -> ModelDirectory {
        guard config.spec == spec, config.layout == layout, config.head == head else {
            throw ModelError.invalidSpec("config.json describes another architecture than this model's")
        }
        var tensors: [String: HostTensor] = [:]
        for entry in parameters.entries {
            tensors[entry.name] = HostTensor(shape: entry.shape, values: try parameters.get(entry.name))
        }
        return ModelDirectory(config: config, generationConfig: generationConfig, tensors: tensors)
    }
}
