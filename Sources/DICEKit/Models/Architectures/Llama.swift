// Llama: the Llama architecture — model_type llama and mistral — declared once: config.json with
// the Hugging Face keys (decoding validates what the DICEKit layers implement and throws
// `FormatError.invalidConfig` naming the key otherwise), the weights, and the blocks (RMSNorm,
// RoPE attention with GQA, SwiGLU). The block design is shared with Qwen2 (`LlamaBlockDesign`).
// Its GGUF mapping is in Llama+GGUF.swift.

import Foundation

/// Configuration of a Llama decoder (Llama, Mistral), Hugging Face key names.
///
/// Architecture: token embedding → L × [RMSNorm → attention (RoPE, GQA) → residual, RMSNorm →
/// SwiGLU MLP → residual] → RMSNorm → LM head (the embedding when `tieWordEmbeddings`).
/// Llama has q/k/v/o biases when `attention_bias` is true and MLP biases when `mlp_bias` is
/// true; Mistral has none.
///
/// Weights (Linear weights `[out, in]`; C hidden, V vocab, I intermediate, H heads, G KV heads,
/// D head size): `model.embed_tokens.weight` [V, C]; per layer under `model.layers.{i}.`:
/// `input_layernorm.weight` [C], `self_attn.{q,k,v,o}_proj.weight` ([H·D, C], [G·D, C],
/// [G·D, C], [C, H·D]) with biases as the flags say, `post_attention_layernorm.weight` [C],
/// `mlp.{gate,up}_proj.weight` [I, C], `mlp.down_proj.weight` [C, I]; `model.norm.weight` [C];
/// `lm_head.weight` [V, C] unless tied.
///
/// Decoding accepts both `rope_theta` / `rope_scaling` at the top level (transformers 4) and
/// `rope_parameters` (transformers 5); RoPE types "default", "linear" and "llama3" (Llama 3.1/3.2:
/// factor, low/high frequency factors, original context). It throws `FormatError.invalidConfig`
/// (key and reason; the file path is filled in by `ModelConfig.load`) for: `hidden_act` other
/// than silu, another RoPE type (listing the supported ones) or a missing scaling field, sizes
/// that are not positive, heads not divisible by KV heads, `hidden_size` ≠ heads × head size
/// without an explicit `head_dim`, and an odd head size. Mistral's `sliding_window` is enforced:
/// a query at position i attends to keys i − W < j ≤ i, in training, scoring and decoding.
public struct LlamaConfig: Codable, Sendable, Hashable {
    /// The `model_type` values of the architecture.
    public enum ModelType: String, Codable, Sendable, Hashable, CaseIterable {
        /// Llama 1/2/3 and derivatives (SmolLM, TinyLlama, …).
        case llama
        /// Mistral (no biases; optional sliding window).
        case mistral

        /// The transformers class that loads it (`architectures[0]`).
        public var architecture: String {
            switch self {
            case .llama: return "LlamaForCausalLM"
            case .mistral: return "MistralForCausalLM"
            }
        }
    }

    /// `model_type`.
    public var modelType: ModelType
    /// `vocab_size` (V).
    public var vocabSize: Int
    /// `hidden_size` (C).
    public var hiddenSize: Int
    /// `intermediate_size` (I): the SwiGLU width.
    public var intermediateSize: Int
    /// `num_hidden_layers` (L).
    public var numHiddenLayers: Int
    /// `num_attention_heads` (H).
    public var numAttentionHeads: Int
    /// `num_key_value_heads` (G); defaults to `num_attention_heads` (no GQA). H % G == 0.
    public var numKeyValueHeads: Int
    /// `head_dim` as written; nil means `hiddenSize / numAttentionHeads` (see `headSize`).
    public var headDim: Int?
    /// `rms_norm_eps`.
    public var rmsNormEps: Double
    /// RoPE base θ (`rope_theta` or `rope_parameters.rope_theta`); default 10000.
    public var ropeTheta: Double
    /// RoPE scaling (`rope_parameters` / `rope_scaling`: none, linear or llama3).
    public var ropeScaling: RotaryEmbedding.Scaling = .unscaled
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// `tie_word_embeddings`: the LM head is the embedding matrix (default false).
    public var tieWordEmbeddings: Bool
    /// `attention_bias` (Llama: biases on q/k/v/o). Ignored for Mistral (never); see
    /// `hasQKVBias`, `hasOutputBias`.
    public var attentionBias: Bool
    /// `mlp_bias` (Llama only): biases on gate/up/down.
    public var mlpBias: Bool
    /// `hidden_act`; always "silu" (validated).
    public var hiddenAct: String
    /// `bos_token_id`.
    public var bosTokenId: TokenIDs?
    /// `eos_token_id`: one or several ids.
    public var eosTokenId: TokenIDs?
    /// `pad_token_id`.
    public var padTokenId: Int?
    /// `sliding_window` (Mistral): each query attends to at most this many latest positions.
    public var slidingWindow: Int?
    /// `torch_dtype` / `dtype`: the dtype weights are stored in ("float32", "bfloat16", …).
    public var torchDtype: String

    /// The per-head size D: `head_dim` if given, else C / H.
    public var headSize: Int { headDim ?? hiddenSize / numAttentionHeads }
    /// Whether q/k/v projections have biases (Llama with `attention_bias`).
    public var hasQKVBias: Bool { modelType == .llama && attentionBias }
    /// Whether o_proj has a bias (Llama with `attention_bias`).
    public var hasOutputBias: Bool { modelType == .llama && attentionBias }
    /// Whether gate/up/down projections have biases (Llama with `mlp_bias`).
    public var hasMLPBias: Bool { modelType == .llama && mlpBias }
    /// The RoPE of every layer: θ and the scaling.
    public var rope: RotaryEmbedding { RotaryEmbedding(theta: ropeTheta, scaling: ropeScaling) }
    /// The sliding window of every layer (Mistral's `sliding_window`).
    var attentionWindow: Int? { slidingWindow }

    /// A configuration; defaults follow transformers' `LlamaConfig` (except `rmsNormEps`, 1e-6).
    /// `precondition`s the structural rules that decoding throws for (programmer error here).
    public init(modelType: ModelType = .llama, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
                numHiddenLayers: Int, numAttentionHeads: Int, numKeyValueHeads: Int? = nil,
                headDim: Int? = nil, rmsNormEps: Double = 1e-6, ropeTheta: Double = 10000,
                maxPositionEmbeddings: Int = 2048, tieWordEmbeddings: Bool = false,
                attentionBias: Bool = false, mlpBias: Bool = false,
                bosTokenId: TokenIDs? = nil, eosTokenId: TokenIDs? = nil, padTokenId: Int? = nil,
                slidingWindow: Int? = nil, torchDtype: String = "float32") {
        self.init(unchecked: modelType, vocabSize: vocabSize, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
                  numHiddenLayers: numHiddenLayers, numAttentionHeads: numAttentionHeads,
                  numKeyValueHeads: numKeyValueHeads ?? numAttentionHeads, headDim: headDim, rmsNormEps: rmsNormEps,
                  ropeTheta: ropeTheta, maxPositionEmbeddings: maxPositionEmbeddings,
                  tieWordEmbeddings: tieWordEmbeddings, attentionBias: attentionBias, mlpBias: mlpBias,
                  bosTokenId: bosTokenId, eosTokenId: eosTokenId, padTokenId: padTokenId,
                  slidingWindow: slidingWindow, torchDtype: torchDtype)
        do {
            try validate()
        } catch {
            preconditionFailure("invalid LlamaConfig: \(error)")
        }
    }

    /// Every field as given, not validated.
    private init(unchecked modelType: ModelType, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
                 numHiddenLayers: Int, numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int?,
                 rmsNormEps: Double, ropeTheta: Double, maxPositionEmbeddings: Int, tieWordEmbeddings: Bool,
                 attentionBias: Bool, mlpBias: Bool, bosTokenId: TokenIDs?, eosTokenId: TokenIDs?,
                 padTokenId: Int?, slidingWindow: Int?, torchDtype: String) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.hiddenAct = "silu"
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.slidingWindow = slidingWindow
        self.torchDtype = torchDtype
    }

    // MARK: - Codable

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case hiddenAct = "hidden_act"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case slidingWindow = "sliding_window"
        case torchDtype = "torch_dtype"
        case dtype
    }

    /// Decodes a Hugging Face config.json of model_type llama or mistral.
    ///
    /// - Throws: `FormatError.invalidConfig` / `.unsupportedModelType` /
    ///   `.unsupportedArchitecture` (path filled in by the caller), or a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let registry = ArchitectureRegistry.of(decoder)
        let typeName = try c.decode(String.self, forKey: .modelType)
        guard let modelType = ModelType(rawValue: typeName) else {
            throw FormatError.unsupportedModelType(path: "", modelType: typeName, supported: registry.modelTypes)
        }
        self.modelType = modelType
        if let architectures = try c.decodeIfPresent([String].self, forKey: .architectures) {
            for architecture in architectures where architecture != modelType.architecture {
                throw FormatError.unsupportedArchitecture(path: "", architecture: architecture,
                                                          supported: registry.transformersClasses)
            }
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        bosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .bosTokenId)
        eosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .eosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        torchDtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype) ?? "float32"
        let rope = try RopeParameters.rope(
            parameters: c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters),
            topLevel: c.decodeIfPresent(Double.self, forKey: .ropeTheta),
            scaling: c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling))
        ropeTheta = rope.theta
        ropeScaling = rope.scaling
        let window = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        slidingWindow = modelType == .mistral ? window : nil
        try validate()
    }

    /// Checks the structural rules listed on the type.
    func validate() throws {
        try validateBlockDesign()
        if let slidingWindow, slidingWindow <= 0 {
            throw ConfigJSON.invalid("sliding_window", "expected a positive integer, found \(slidingWindow)")
        }
    }

    /// Writes config.json keys that transformers 4 and 5 both read: `architectures`,
    /// `model_type`, the sizes, `rope_theta` and `rope_parameters` (and `rope_scaling` when
    /// scaled), `torch_dtype` and `dtype`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([modelType.architecture], forKey: .architectures)
        try c.encode(modelType.rawValue, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encodeIfPresent(headDim, forKey: .headDim)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(RopeParameters(rope), forKey: .ropeParameters)
        if ropeScaling != .unscaled { try c.encode(RopeParameters(rope), forKey: .ropeScaling) }
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType == .llama {
            try c.encode(attentionBias, forKey: .attentionBias)
            try c.encode(mlpBias, forKey: .mlpBias)
        }
        if modelType == .mistral { try c.encode(slidingWindow, forKey: .slidingWindow) }
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode(torchDtype, forKey: .torchDtype)
        try c.encode(torchDtype, forKey: .dtype)
    }
}

// MARK: - Architecture

extension LlamaConfig: Architecture, LlamaBlockDesign {
    /// llama, mistral.
    public static var modelTypes: [String] { ModelType.allCases.map(\.rawValue) }
    /// LlamaForCausalLM, MistralForCausalLM.
    public static var transformersClasses: [String] { ModelType.allCases.map(\.architecture) }
    /// `num_hidden_layers`.
    public static var layerCountKey: String { CodingKeys.numHiddenLayers.rawValue }

    /// The configuration of `spec` (model type llama or mistral). `head_dim` is written only
    /// when D ≠ C / H.
    /// - Throws: `ModelError.invalidSpec` for another model type, biases Mistral does not have,
    ///   q/k/v biases without the o bias (Llama's `attention_bias` gives all four; q/k/v alone is
    ///   Qwen2), or sizes the configuration refuses (naming the config key).
    public init(spec: TransformerSpec) throws {
        guard let modelType = ModelType(rawValue: spec.modelType) else {
            throw ModelError.invalidSpec("model type \(spec.modelType) is not one of \(Self.modelTypes)")
        }
        if modelType == .mistral && (spec.attentionBias || spec.outputBias || spec.mlpBias) {
            throw ModelError.invalidSpec("mistral has no biases")
        }
        if spec.attentionBias != spec.outputBias {
            throw ModelError.invalidSpec("llama's attention_bias puts biases on q, k, v and o together (q, k, v alone is qwen2)")
        }
        let derivedHeadSize = spec.heads > 0 ? spec.hiddenSize / spec.heads : 0
        self.init(unchecked: modelType, vocabSize: spec.vocabularySize, hiddenSize: spec.hiddenSize,
                  intermediateSize: spec.intermediateSize, numHiddenLayers: spec.layers,
                  numAttentionHeads: spec.heads, numKeyValueHeads: spec.kvHeads,
                  headDim: spec.headSize == derivedHeadSize ? nil : spec.headSize,
                  rmsNormEps: Double(spec.normEpsilon), ropeTheta: Double(spec.ropeTheta),
                  maxPositionEmbeddings: spec.maxPositions, tieWordEmbeddings: spec.tiedEmbeddings,
                  attentionBias: spec.attentionBias, mlpBias: spec.mlpBias, bosTokenId: nil, eosTokenId: nil,
                  padTokenId: nil, slidingWindow: nil, torchDtype: "float32")
        try ModelError.specChecked { try validate() }
    }

    /// The spec of this configuration.
    public var spec: TransformerSpec { blockDesignSpec(modelType: modelType.rawValue) }

    /// The weights listed on the type, built as Llama blocks.
    public var layout: ModelLayout { blockDesignLayout() }
}

// MARK: - The block design, shared with Qwen2

/// The sizes and flags of Llama's block design (RMSNorm, RoPE attention with GQA, SwiGLU), for
/// the architectures that reuse it with their own config.json keys (Llama, Qwen2): their
/// validation, weights and blocks are written here once.
protocol LlamaBlockDesign {
    var vocabSize: Int { get }
    var hiddenSize: Int { get }
    var intermediateSize: Int { get }
    var numHiddenLayers: Int { get }
    var numAttentionHeads: Int { get }
    var numKeyValueHeads: Int { get }
    var headDim: Int? { get }
    var headSize: Int { get }
    var rmsNormEps: Double { get }
    var rope: RotaryEmbedding { get }
    var maxPositionEmbeddings: Int { get }
    var tieWordEmbeddings: Bool { get }
    var hiddenAct: String { get }
    var hasQKVBias: Bool { get }
    var hasOutputBias: Bool { get }
    var hasMLPBias: Bool { get }
    /// The sliding window every layer attends in (Mistral's `sliding_window`); nil: none.
    var attentionWindow: Int? { get }
    /// Whether each query and key head is RMS-normalised before RoPE (Qwen3's q_norm, k_norm).
    var hasQKNorm: Bool { get }
    /// Whether a config without `head_dim` means C / H (Llama, Mistral, Qwen2); false when the
    /// architecture has a fixed default instead (Qwen3's 128), so C need not divide into H heads.
    var derivesHeadSize: Bool { get }
}

extension LlamaBlockDesign {
    /// No q/k norms, unless the architecture says so.
    var hasQKNorm: Bool { false }
    /// The head size is C / H without `head_dim`, unless the architecture says otherwise.
    var derivesHeadSize: Bool { true }

    /// Sizes positive and at most 2^24, silu, H % G == 0, C % H == 0 without `head_dim` (where
    /// the head size is derived from them), an even
    /// head size, positive finite ε and θ.
    /// - Throws: `FormatError.invalidConfig` naming the config key (path filled in later).
    func validateBlockDesign() throws {
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
            ("num_key_value_heads", numKeyValueHeads), ("max_position_embeddings", maxPositionEmbeddings),
        ]
        for (key, value) in positive where value <= 0 {
            throw ConfigJSON.invalid(key, "expected a positive integer, found \(value)")
        }
        // Bound every size so that weight shapes and their products cannot overflow.
        for (key, value) in positive where value > 1 << 24 {
            throw ConfigJSON.invalid(key, "\(value) is implausibly large (limit \(1 << 24))")
        }
        guard hiddenAct == "silu" else {
            throw ConfigJSON.invalid("hidden_act", "activation \"\(hiddenAct)\" is not supported (expected \"silu\")")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw ConfigJSON.invalid("num_key_value_heads",
                                     "\(numAttentionHeads) attention heads are not a multiple of \(numKeyValueHeads) key/value heads")
        }
        if let headDim {
            guard headDim > 0, headDim <= 1 << 16 else {
                throw ConfigJSON.invalid("head_dim", "expected a positive integer, found \(headDim)")
            }
        } else if derivesHeadSize && hiddenSize % numAttentionHeads != 0 {
            throw ConfigJSON.invalid("hidden_size", "\(hiddenSize) is not a multiple of \(numAttentionHeads) heads (and no head_dim is given)")
        }
        guard headSize % 2 == 0 else {
            throw ConfigJSON.invalid("head_dim", "RoPE needs an even head size, found \(headSize)")
        }
        guard rmsNormEps > 0, rmsNormEps.isFinite else {
            throw ConfigJSON.invalid("rms_norm_eps", "expected a positive number, found \(rmsNormEps)")
        }
        guard rope.theta > 0, rope.theta.isFinite else {
            throw ConfigJSON.invalid("rope_theta", "expected a positive number, found \(rope.theta)")
        }
    }

    /// The spec of the block design under `modelType`.
    func blockDesignSpec(modelType: String) -> TransformerSpec {
        TransformerSpec(modelType: modelType, vocabularySize: vocabSize, hiddenSize: hiddenSize,
                        intermediateSize: intermediateSize, layers: numHiddenLayers, heads: numAttentionHeads,
                        kvHeads: numKeyValueHeads, headSize: headSize, normEpsilon: Float(rmsNormEps),
                        ropeTheta: Float(rope.theta), maxPositions: maxPositionEmbeddings,
                        tiedEmbeddings: tieWordEmbeddings, attentionBias: hasQKVBias, outputBias: hasOutputBias,
                        mlpBias: hasMLPBias)
    }

    /// The weights and blocks under the transformers names (see `LlamaConfig`).
    func blockDesignLayout() -> ModelLayout {
        let c = hiddenSize, i = intermediateSize
        let q = numAttentionHeads * headSize, kv = numKeyValueHeads * headSize
        let epsilon = Float(rmsNormEps)
        let blocks = (0..<numHiddenLayers).map { l in
            let prefix = "model.layers.\(l)."
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) -> ModelLayout.Linear {
                ModelLayout.Linear(module: prefix + name, inputs: inputs, outputs: outputs, hasBias: bias)
            }
            let attention = ModelLayout.Attention(
                projections: .separate(q: linear("self_attn.q_proj", c, q, bias: hasQKVBias),
                                       k: linear("self_attn.k_proj", c, kv, bias: hasQKVBias),
                                       v: linear("self_attn.v_proj", c, kv, bias: hasQKVBias),
                                       rope: rope),
                output: linear("self_attn.o_proj", q, c, bias: hasOutputBias),
                heads: numAttentionHeads, kvHeads: numKeyValueHeads, headSize: headSize,
                queryNorm: hasQKNorm ? ModelLayout.Norm(.rms, module: prefix + "self_attn.q_norm", width: headSize,
                                                        epsilon: epsilon) : nil,
                keyNorm: hasQKNorm ? ModelLayout.Norm(.rms, module: prefix + "self_attn.k_norm", width: headSize,
                                                      epsilon: epsilon) : nil,
                window: attentionWindow)
            return ModelLayout.Block(
                attentionNorm: ModelLayout.Norm(.rms, module: prefix + "input_layernorm", width: c, epsilon: epsilon),
                attention: attention,
                feedForwardNorm: ModelLayout.Norm(.rms, module: prefix + "post_attention_layernorm", width: c, epsilon: epsilon),
                feedForward: .swiglu(gate: linear("mlp.gate_proj", c, i, bias: hasMLPBias),
                                     up: linear("mlp.up_proj", c, i, bias: hasMLPBias),
                                     down: linear("mlp.down_proj", i, c, bias: hasMLPBias)))
        }
        return ModelLayout(
            tokenEmbedding: ModelLayout.Table(module: "model.embed_tokens", rows: vocabSize, width: c),
            blocks: blocks,
            finalNorm: ModelLayout.Norm(.rms, module: "model.norm", width: c, epsilon: epsilon),
            outputProjection: tieWordEmbeddings ? nil : ModelLayout.Table(module: "lm_head", rows: vocabSize, width: c))
    }
}
