// Qwen3: the Qwen3 architecture — model_type qwen3 — declared once: config.json with the
// Hugging Face keys, and Llama's block design (`LlamaBlockDesign`) with per-head RMSNorms on
// queries and keys, `head_dim` decoupled from hidden / heads, and biases only with
// `attention_bias`.

import Foundation

/// Configuration of a Qwen3 decoder, Hugging Face key names.
///
/// The blocks are Llama's (see `LlamaConfig`), with RMSNorms over each query and key head
/// (`self_attn.q_norm.weight`, `self_attn.k_norm.weight` [D], applied before RoPE), D = `head_dim`
/// (default 128, independent of C / H), and biases on q/k/v/o only with `attention_bias`; the
/// other weights carry Llama's names.
///
/// Decoding throws `FormatError.invalidConfig` naming the key for what `LlamaConfig` refuses
/// and for `use_sliding_window: true` (Qwen3's per-layer sliding windows are not implemented);
/// a `sliding_window` that is not in use is ignored.
public struct Qwen3Config: Codable, Sendable, Hashable {
    /// The transformers class (`architectures[0]`).
    public static let architecture = "Qwen3ForCausalLM"

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
    /// `num_key_value_heads` (G); defaults to `num_attention_heads`. H % G == 0.
    public var numKeyValueHeads: Int
    /// `head_dim` as written; nil means transformers' default 128 (see `headSize`).
    public var headDim: Int?
    /// `attention_bias`: biases on q/k/v/o (default false).
    public var attentionBias: Bool = false
    /// `rms_norm_eps` (default 1e-6).
    public var rmsNormEps: Double
    /// RoPE base θ (`rope_theta` or `rope_parameters.rope_theta`); default 10000.
    public var ropeTheta: Double
    /// RoPE scaling (`rope_parameters` / `rope_scaling`: none, linear or llama3).
    public var ropeScaling: RotaryEmbedding.Scaling = .unscaled
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// `tie_word_embeddings` (default false).
    public var tieWordEmbeddings: Bool
    /// `hidden_act`; always "silu" (validated).
    public var hiddenAct: String
    /// `bos_token_id`.
    public var bosTokenId: TokenIDs?
    /// `eos_token_id`: one or several ids.
    public var eosTokenId: TokenIDs?
    /// `pad_token_id`.
    public var padTokenId: Int?
    /// `torch_dtype` / `dtype` (default "float32").
    public var torchDtype: String

    /// The per-head size D: `head_dim` if given, else 128 (transformers' `Qwen3Config`).
    public var headSize: Int { headDim ?? 128 }

    /// A configuration; defaults follow `LlamaConfig`'s. `precondition`s the rules that
    /// decoding throws for.
    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int? = nil, headDim: Int? = nil,
                rmsNormEps: Double = 1e-6, ropeTheta: Double = 10000, maxPositionEmbeddings: Int = 2048,
                tieWordEmbeddings: Bool = false, bosTokenId: TokenIDs? = nil, eosTokenId: TokenIDs? = nil,
                padTokenId: Int? = nil, torchDtype: String = "float32") {
        self.init(unchecked: vocabSize, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
                  numHiddenLayers: numHiddenLayers, numAttentionHeads: numAttentionHeads,
                  numKeyValueHeads: numKeyValueHeads ?? numAttentionHeads, headDim: headDim,
                  rmsNormEps: rmsNormEps, ropeTheta: ropeTheta, maxPositionEmbeddings: maxPositionEmbeddings,
                  tieWordEmbeddings: tieWordEmbeddings, bosTokenId: bosTokenId, eosTokenId: eosTokenId,
                  padTokenId: padTokenId, torchDtype: torchDtype)
        do {
            try validateBlockDesign()
        } catch {
            preconditionFailure("invalid Qwen3Config: \(error)")
        }
    }

    /// Every field as given, not validated.
    private init(unchecked vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                 numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int?, rmsNormEps: Double,
                 ropeTheta: Double, maxPositionEmbeddings: Int, tieWordEmbeddings: Bool, bosTokenId: TokenIDs?,
                 eosTokenId: TokenIDs?, padTokenId: Int?, torchDtype: String) {
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
        self.hiddenAct = "silu"
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
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
        case attentionBias = "attention_bias"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings"
        case hiddenAct = "hidden_act"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case useSlidingWindow = "use_sliding_window"
        case torchDtype = "torch_dtype"
        case dtype
    }

    /// Decodes a Hugging Face config.json of model_type qwen3.
    ///
    /// - Throws: `FormatError.invalidConfig` / `.unsupportedModelType` /
    ///   `.unsupportedArchitecture` (path filled in by the caller), or a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let registry = ArchitectureRegistry.of(decoder)
        let typeName = try c.decode(String.self, forKey: .modelType)
        guard Self.modelTypes.contains(typeName) else {
            throw FormatError.unsupportedModelType(path: "", modelType: typeName, supported: registry.modelTypes)
        }
        if let architectures = try c.decodeIfPresent([String].self, forKey: .architectures) {
            for architecture in architectures where architecture != Self.architecture {
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
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
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
        if try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) == true {
            throw ConfigJSON.invalid("use_sliding_window", "sliding-window attention is not supported (expected false)")
        }
        try validateBlockDesign()
    }

    /// Writes config.json keys that transformers 4 and 5 both read (as `LlamaConfig` does,
    /// plus `use_sliding_window: false`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([Self.architecture], forKey: .architectures)
        try c.encode("qwen3", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headSize, forKey: .headDim)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(RopeParameters(rope), forKey: .ropeParameters)
        if ropeScaling != .unscaled { try c.encode(RopeParameters(rope), forKey: .ropeScaling) }
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(false, forKey: .useSlidingWindow)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode(torchDtype, forKey: .torchDtype)
        try c.encode(torchDtype, forKey: .dtype)
    }
}

// MARK: - Architecture

extension Qwen3Config: Architecture, LlamaBlockDesign {
    /// qwen3.
    public static var modelTypes: [String] { ["qwen3"] }
    /// Qwen3ForCausalLM.
    public static var transformersClasses: [String] { [architecture] }
    /// `num_hidden_layers`.
    public static var layerCountKey: String { CodingKeys.numHiddenLayers.rawValue }

    /// With `attention_bias`.
    var hasQKVBias: Bool { attentionBias }
    /// Always: RMSNorm over each query and key head.
    var hasQKNorm: Bool { true }
    /// Without `head_dim`, transformers' `Qwen3Config` default of 128, not C / H.
    var derivesHeadSize: Bool { false }
    /// The RoPE of every layer: θ and the scaling.
    public var rope: RotaryEmbedding { RotaryEmbedding(theta: ropeTheta, scaling: ropeScaling) }
    /// None: `use_sliding_window` is refused.
    var attentionWindow: Int? { nil }
    /// With `attention_bias`.
    var hasOutputBias: Bool { attentionBias }
    /// Never: no MLP biases.
    var hasMLPBias: Bool { false }

    /// The configuration of `spec` (model type qwen3).
    /// - Throws: `ModelError.invalidSpec` for another model type, MLP biases, q/k/v biases
    ///   without the o bias (or the reverse), or sizes the configuration refuses (naming the
    ///   config key).
    public init(spec: TransformerSpec) throws {
        guard Self.modelTypes.contains(spec.modelType) else {
            throw ModelError.invalidSpec("model type \(spec.modelType) is not qwen3")
        }
        guard spec.attentionBias == spec.outputBias && !spec.mlpBias else {
            throw ModelError.invalidSpec("qwen3's attention_bias puts biases on q, k, v and o together, and its MLP has none")
        }
        self.init(unchecked: spec.vocabularySize, hiddenSize: spec.hiddenSize, intermediateSize: spec.intermediateSize,
                  numHiddenLayers: spec.layers, numAttentionHeads: spec.heads, numKeyValueHeads: spec.kvHeads,
                  headDim: spec.headSize,
                  rmsNormEps: Double(spec.normEpsilon), ropeTheta: Double(spec.ropeTheta),
                  maxPositionEmbeddings: spec.maxPositions, tieWordEmbeddings: spec.tiedEmbeddings,
                  bosTokenId: nil, eosTokenId: nil, padTokenId: nil, torchDtype: "float32")
        attentionBias = spec.attentionBias
        try ModelError.specChecked { try validateBlockDesign() }
    }

    /// The spec of this configuration.
    public var spec: TransformerSpec { blockDesignSpec(modelType: "qwen3") }

    /// Llama's weights and blocks with q/k norms.
    public var layout: ModelLayout { blockDesignLayout() }
}
