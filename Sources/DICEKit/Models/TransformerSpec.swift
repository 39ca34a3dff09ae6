/// The shape of a decoder-only transformer as the engine needs it (KV cache, batching,
/// generation), independent of any file format. Each architecture translates its configuration
/// to and from it (`Architecture.spec`, `Architecture.init(spec:)`); `ModelConfig(spec)` finds the
/// architecture by `modelType`.
///
/// The bias flags and `ropeTheta` describe the Llama block design's options; an architecture
/// that has no such option refuses a spec that sets it, or ignores it where its design fixes it
/// (GPT-2: biases everywhere, no RoPE).
public struct TransformerSpec: Sendable, Hashable, Codable {
    /// config.json's `model_type` of the architecture that builds the blocks ("llama",
    /// "mistral", "qwen2", "gpt2", or a registered one).
    public var modelType: String
    /// V, the vocabulary size.
    public var vocabularySize: Int
    /// C, the residual stream width.
    public var hiddenSize: Int
    /// I, the MLP's inner width.
    public var intermediateSize: Int
    /// L, the number of blocks.
    public var layers: Int
    /// H, query heads.
    public var heads: Int
    /// G, key/value heads (H % G == 0).
    public var kvHeads: Int
    /// D, the head size (usually C / H).
    public var headSize: Int
    /// Normalisation epsilon (RMSNorm or LayerNorm).
    public var normEpsilon: Float
    /// RoPE base θ (Llama design).
    public var ropeTheta: Float
    /// The longest sequence the positions support (GPT-2's position table size).
    public var maxPositions: Int
    /// Whether the output projection reuses the token embedding matrix.
    public var tiedEmbeddings: Bool
    /// Biases on the q, k and v projections (Qwen2; Llama with `attention_bias`).
    public var attentionBias: Bool
    /// A bias on the attention output projection (Llama with `attention_bias`).
    public var outputBias: Bool
    /// Biases on the MLP projections (Llama with `mlp_bias`).
    public var mlpBias: Bool

    /// A spec; `headSize` defaults to C / H.
    public init(modelType: String, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int,
                layers: Int, heads: Int, kvHeads: Int, headSize: Int? = nil,
                normEpsilon: Float = 1e-5, ropeTheta: Float = 10000, maxPositions: Int = 2048,
                tiedEmbeddings: Bool = false, attentionBias: Bool = false,
                outputBias: Bool = false, mlpBias: Bool = false) {
        self.modelType = modelType
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headSize = headSize ?? (heads > 0 ? hiddenSize / heads : 0)
        self.normEpsilon = normEpsilon
        self.ropeTheta = ropeTheta
        self.maxPositions = maxPositions
        self.tiedEmbeddings = tiedEmbeddings
        self.attentionBias = attentionBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
    }

    /// The benchmark model of DESIGN.md: Llama, V 8192, C 512, I 1536, 8 layers, 8 heads,
    /// 4 KV heads, θ 10000, untied (≈33.6 M parameters).
    public static let small = TransformerSpec(
        modelType: "llama", vocabularySize: 8192, hiddenSize: 512, intermediateSize: 1536, layers: 8,
        heads: 8, kvHeads: 4, normEpsilon: 1e-5, ropeTheta: 10000, maxPositions: 2048)

    /// Checks the dimensions every architecture needs (the architecture checks its own rules
    /// in `init(spec:)`).
    /// - Throws: `ModelError.invalidSpec` naming the first problem.
    public func validate() throws {
        func fail(_ reason: String) throws -> Never { throw ModelError.invalidSpec(reason) }
        if vocabularySize < 1 || hiddenSize < 1 || layers < 0 || heads < 1 || kvHeads < 1
            || headSize < 1 || intermediateSize < 1 {
            try fail("dimensions must be positive: \(self)")
        }
        if heads % kvHeads != 0 { try fail("\(heads) attention heads are not a multiple of \(kvHeads) key/value heads") }
    }
}

/// Errors from building, loading or running a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The architecture description is unusable.
    case invalidSpec(String)
    /// A weight is absent from what was loaded.
    case missingParameter(name: String)
    /// A weight has the wrong shape.
    case parameterShape(name: String, expected: [Int], actual: [Int])
    /// An input sequence is unusable (empty prompt, too long, token id out of range).
    case invalidInput(sequence: Int, reason: String)
    /// `ArchitectureRegistry.register` was given a `model_type` (or GGUF architecture) that
    /// the registry maps already, to the type named `by`.
    case modelTypeTaken(modelType: String, by: String)
    /// Gradients were asked of a frozen parameter store (`ParameterStore.trainable` false: a
    /// model loaded only to sample or score, or the base under a LoRA adapter).
    case frozenParameters
    /// A training pass was back-propagated a second time (a pullback called twice): its first
    /// backward released the activations.
    case backwardRepeated

    /// One line for the terminal: what is wrong and, where it applies, the file and line or
    /// the setting, and what was expected.
    public var description: String {
        switch self {
        case .invalidSpec(let reason): return "invalid model architecture: \(reason)"
        case .missingParameter(let name): return "missing weight '\(name)'"
        case let .parameterShape(name, expected, actual):
            return "weight '\(name)': expected shape \(expected), got \(actual)"
        case let .invalidInput(sequence, reason): return "sequence \(sequence): \(reason)"
        case let .modelTypeTaken(modelType, by): return "model type \(modelType) is registered already (by \(by))"
        case .frozenParameters: return "the model's weights are frozen (loaded with trainable: false): they have no gradients to train"
        case .backwardRepeated: return "a training pass's pullback was called twice: its activations were released by the first call"
        }
    }
}

extension ModelError {
    /// Runs a configuration check for a spec, turning `FormatError.invalidConfig` into
    /// `invalidSpec` naming the config key.
    static func specChecked(_ check: () throws -> Void) throws {
        do {
            try check()
        } catch let FormatError.invalidConfig(_, key, reason) {
            throw ModelError.invalidSpec("\(key): \(reason)")
        }
    }
}
