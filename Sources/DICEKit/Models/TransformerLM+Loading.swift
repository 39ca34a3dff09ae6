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
    ///
    /// `trainable: false` loads a frozen model (see `init(config:backend:trainable:)`) from
    /// safetensors one tensor at a time, with no Float32 copy of the whole model on the host
    /// (and each tensor's file pages released once copied);
    /// on a `.bf16` `CPUBackend` its matrices are stored as bfloat16 straight from the file
    /// (BF16 tensors copied bit for bit, others rounded once to nearest even). Either way one
    /// `debug` message "model folder read" goes to `dicekit.formats`.
    /// - Throws: `FormatError` / `GGUFError` for unreadable or inconsistent files (naming the
    ///   file and the tensor), `ModelError` for an unusable architecture.
    public convenience init(directory: URL, backend: any Backend, registry: ArchitectureRegistry = .standard,
                            trainable: Bool = true) throws {
        if trainable || GGUFFile.isGGUF(directory) {
            try self.init(ModelDirectory.read(from: directory, registry: registry), backend: backend, trainable: trainable)
            return
        }
        let located = try ModelDirectory.locate(directory, registry: registry)
        try self.init(config: located.config, backend: backend, trainable: false)
        let compact = parameters.isCompact
        for entry in parameters.entries {
            guard let (file, tensor) = located.weights[entry.name] else {
                throw ModelError.missingParameter(name: entry.name)
            }
            if compact && entry.shape.count >= 2 {
                try parameters.setBFloat16(entry.name, file.bfloat16(tensor.name))
            } else {
                try parameters.set(entry.name, file.tensor(tensor.name).values)
            }
            file.releasePages(tensor.name)
        }
        LogSubsystem.formats.logger.debug("model folder read", metadata: [
            "path": "\(directory.path)", "modelType": "\(located.config.spec.modelType)", "weightsFiles": "\(located.files)",
            "tensors": "\(parameters.entries.count)", "ignoredTensors": "\(located.ignored.count)", "frozen": "true"])
    }

    /// A model holding the weights of an in-memory model directory (`trainable` as in
    /// `init(config:backend:trainable:)`).
    /// - Throws: `ModelError.missingParameter` / `.parameterShape` when weights disagree with the
    ///   configuration.
    public convenience init(_ directory: ModelDirectory, backend: any Backend, trainable: Bool = true) throws {
        try self.init(config: directory.config, backend: backend, trainable: trainable)
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

    /// Writes the weights as a model directory under `config` to the folder `url`, one tensor
    /// at a time (see `ModelDirectory.write(config:generationConfig:shapes:values:to:dtype:maxShardBytes:)`):
    /// the same files as `modelDirectory(config:generationConfig:)` then `write(to:)`, without a
    /// host copy of every weight at once (the largest extra is one tensor, e.g. the embedding).
    /// - Parameters:
    ///   - url: the folder (created if needed).
    ///   - config: must describe this architecture (the same spec and weights).
    ///   - generationConfig: written as generation_config.json when set.
    ///   - dtype: `.f32` (default), `.bf16` or `.f16`, as in `ModelDirectory.write(to:dtype:maxShardBytes:)`.
    ///   - maxShardBytes: shard size limit in bytes; nil writes one file.
    /// - Throws: `ModelError.invalidSpec` when `config` describes another architecture;
    ///   `FormatError` as `ModelDirectory.write(to:dtype:maxShardBytes:)`.
    public func write(to url: URL, config: ModelConfig, generationConfig: GenerationConfig? = nil,
                      dtype: SafeTensorsDType = .f32, maxShardBytes: Int? = nil) throws {
        guard config.spec == spec, config.layout == layout, config.head == head else {
            throw ModelError.invalidSpec("config.json describes another architecture than this model's")
        }
        var shapes: [String: [Int]] = [:]
        for entry in parameters.entries { shapes[entry.name] = entry.shape }
        try ModelDirectory.write(config: config, generationConfig: generationConfig, shapes: shapes,
                                 values: { try parameters.get($0) }, to: url, dtype: dtype, maxShardBytes: maxShardBytes)
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
