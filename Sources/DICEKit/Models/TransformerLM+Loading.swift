import Foundation

// Hugging Face model directories ⇄ TransformerLM.

extension TransformerSpec {
    /// The architecture a Hugging Face configuration describes.
    public init(_ config: ModelConfig) {
        switch config {
        case .llama(let c):
            self.init(family: .llama, vocabularySize: c.vocabSize, hiddenSize: c.hiddenSize,
                      intermediateSize: c.intermediateSize, layers: c.numHiddenLayers,
                      heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, headSize: c.headSize,
                      normEpsilon: Float(c.rmsNormEps), ropeTheta: Float(c.ropeTheta),
                      maxPositions: c.maxPositionEmbeddings, tiedEmbeddings: c.tieWordEmbeddings,
                      attentionBias: c.hasQKVBias, outputBias: c.hasOutputBias, mlpBias: c.hasMLPBias)
        case .gpt2(let c):
            self.init(family: .gpt2, vocabularySize: c.vocabSize, hiddenSize: c.nEmbd,
                      intermediateSize: c.innerSize, layers: c.nLayer, heads: c.nHead, kvHeads: c.nHead,
                      headSize: c.headSize, normEpsilon: Float(c.layerNormEpsilon),
                      maxPositions: c.nPositions, tiedEmbeddings: true)
        }
    }
}

extension ModelConfig {
    /// The Hugging Face configuration of an architecture (Llama, or Qwen2 when only q/k/v have
    /// biases; GPT-2), for writing a model that was built from a spec.
    public init(_ spec: TransformerSpec) {
        switch spec.family {
        case .llama:
            let qwen = spec.attentionBias && !spec.outputBias && !spec.mlpBias
            self = .llama(LlamaConfig(
                modelType: qwen ? .qwen2 : .llama, vocabSize: spec.vocabularySize, hiddenSize: spec.hiddenSize,
                intermediateSize: spec.intermediateSize, numHiddenLayers: spec.layers,
                numAttentionHeads: spec.heads, numKeyValueHeads: spec.kvHeads,
                headDim: spec.headSize == spec.hiddenSize / spec.heads ? nil : spec.headSize,
                rmsNormEps: Double(spec.normEpsilon), ropeTheta: Double(spec.ropeTheta),
                maxPositionEmbeddings: spec.maxPositions, tieWordEmbeddings: spec.tiedEmbeddings,
                attentionBias: qwen ? false : spec.attentionBias, mlpBias: spec.mlpBias))
        case .gpt2:
            self = .gpt2(GPT2Config(vocabSize: spec.vocabularySize, nEmbd: spec.hiddenSize, nLayer: spec.layers,
                                    nHead: spec.heads, nPositions: spec.maxPositions,
                                    nInner: spec.intermediateSize, layerNormEpsilon: Double(spec.normEpsilon)))
        }
    }
}

extension TransformerLM {
    /// Loads a model from a Hugging Face directory (config.json + safetensors, sharded or not).
    /// - Throws: `FormatError` for unreadable or inconsistent files (naming the file and the
    ///   tensor), `ModelError` for an unusable architecture.
    public convenience init(directory: URL, backend: any Backend) throws {
        try self.init(ModelDirectory.read(from: directory), backend: backend)
    }

    /// A model holding the weights of an in-memory model directory.
    /// - Throws: `ModelError.missingParameter` / `.parameterShape` when weights disagree with the
    ///   configuration.
    public convenience init(_ directory: ModelDirectory, backend: any Backend) throws {
        try self.init(spec: TransformerSpec(directory.config), backend: backend)
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

    /// The weights as a model directory under `config` (which must describe this architecture).
    /// - Throws: `ModelError.invalidSpec` when `config` describes another architecture.
    public func modelDirectory(config: ModelConfig, generationConfig: GenerationConfig? = nil) throws -> ModelDirectory {
        guard TransformerSpec(config) == spec else {
            throw ModelError.invalidSpec("config.json describes another architecture than this model's")
        }
        var tensors: [String: HostTensor] = [:]
        for entry in parameters.entries {
            tensors[entry.name] = HostTensor(shape: entry.shape, values: try parameters.get(entry.name))
        }
        return ModelDirectory(config: config, generationConfig: generationConfig, tensors: tensors)
    }
}
