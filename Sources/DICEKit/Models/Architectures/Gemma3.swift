// Gemma3: the text decoder of Gemma 3 — model_type gemma3_text, and the `text_config` of gemma3
// (multimodal) checkpoints, whose language-model weights are read from under their prefix —
// declared once: config.json keys, weights, and blocks (scaled embeddings, (1 + w) RMSNorms
// before and after attention and MLP, per-head q/k norms, GeGLU, sliding-window local layers
// interleaved with global ones, each with its own RoPE). Its GGUF mapping is in Gemma3+GGUF.swift.

import Foundation

/// Configuration of a Gemma 3 text decoder, Hugging Face key names.
///
/// Architecture: token embedding × √C → L × [RMSNorm → attention (q/k RMSNorm per head, RoPE,
/// GQA, scores × `query_pre_attn_scalar`^−½, a sliding window on local layers) → RMSNorm →
/// residual, RMSNorm → GeGLU MLP (tanh GELU) → RMSNorm → residual] → RMSNorm → LM head (the
/// embedding when tied). Every RMSNorm scales by 1 + weight. Local layers (`sliding_attention`)
/// use RoPE base `rope_local_base_freq` unscaled; global ones (`full_attention`) `rope_theta`
/// with the scaling of `rope_scaling` / `rope_parameters`.
///
/// Weights (Linear `[out, in]`; D = `head_dim`): `model.embed_tokens.weight` [V, C]; per layer
/// under `model.layers.{i}.`: `input_layernorm`, `post_attention_layernorm`,
/// `pre_feedforward_layernorm`, `post_feedforward_layernorm` [C], `self_attn.{q,k,v,o}_proj`
/// ([H·D, C], [G·D, C], [G·D, C], [C, H·D], biases with `attention_bias`),
/// `self_attn.{q,k}_norm` [D], `mlp.{gate,up}_proj` [I, C], `mlp.down_proj` [C, I];
/// `model.norm.weight` [C]; `lm_head.weight` [V, C] unless tied. A gemma3 checkpoint's
/// `language_model.model.*` / `model.language_model.*` names are read as `model.*`.
///
/// Decoding throws `FormatError.invalidConfig` naming the key for: a `hidden_activation` other
/// than gelu_pytorch_tanh, non-null `final_logit_softcapping` or `attn_logit_softcapping`
/// (soft-capping is not implemented), `use_bidirectional_attention`, a `layer_types` entry other
/// than sliding_attention / full_attention or of another length than the layer count, an
/// unsupported RoPE type, and sizes as Llama's.
public struct Gemma3TextConfig: Codable, Sendable, Hashable {
    /// The kind of attention of one layer (`layer_types`).
    public enum LayerType: String, Codable, Sendable, Hashable {
        /// Local: a sliding window of `sliding_window` positions, RoPE base `rope_local_base_freq`.
        case slidingAttention = "sliding_attention"
        /// Global: full causal attention, RoPE base `rope_theta` (+ scaling).
        case fullAttention = "full_attention"
    }

    /// `vocab_size` (V).
    public var vocabSize: Int
    /// `hidden_size` (C).
    public var hiddenSize: Int
    /// `intermediate_size` (I).
    public var intermediateSize: Int
    /// `num_hidden_layers` (L).
    public var numHiddenLayers: Int
    /// `num_attention_heads` (H).
    public var numAttentionHeads: Int
    /// `num_key_value_heads` (G).
    public var numKeyValueHeads: Int
    /// `head_dim` (D; default 256).
    public var headDim: Int
    /// `rms_norm_eps` (default 1e-6).
    public var rmsNormEps: Double
    /// RoPE base of global layers (`rope_theta`; default 1 000 000).
    public var ropeTheta: Double
    /// RoPE scaling of global layers.
    public var ropeScaling: RotaryEmbedding.Scaling
    /// RoPE base of local layers (`rope_local_base_freq`; default 10 000).
    public var ropeLocalBaseFreq: Double
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// `query_pre_attn_scalar`: scores are scaled by its −½ power (default 256).
    public var queryPreAttnScalar: Double
    /// `sliding_window` of local layers (default 4096).
    public var slidingWindow: Int
    /// `layer_types`, one per layer (derived from `sliding_window_pattern`, default 6, when
    /// absent: layer i is global when (i + 1) is a multiple of the pattern).
    public var layerTypes: [LayerType]
    /// `attention_bias`: biases on q/k/v/o.
    public var attentionBias: Bool
    /// `tie_word_embeddings` (default true).
    public var tieWordEmbeddings: Bool
    /// `bos_token_id`.
    public var bosTokenId: TokenIDs?
    /// `eos_token_id`.
    public var eosTokenId: TokenIDs?
    /// `pad_token_id`.
    public var padTokenId: Int?
    /// `torch_dtype` / `dtype`.
    public var torchDtype: String

    /// A configuration; defaults follow transformers' `Gemma3TextConfig`. `precondition`s a
    /// `layerTypes` of `numHiddenLayers` entries when given (nil: the pattern of 6).
    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int = 256, rmsNormEps: Double = 1e-6,
                ropeTheta: Double = 1_000_000, ropeScaling: RotaryEmbedding.Scaling = .unscaled,
                ropeLocalBaseFreq: Double = 10000, maxPositionEmbeddings: Int = 131_072,
                queryPreAttnScalar: Double = 256, slidingWindow: Int = 4096, layerTypes: [LayerType]? = nil,
                attentionBias: Bool = false, tieWordEmbeddings: Bool = true, bosTokenId: TokenIDs? = nil,
                eosTokenId: TokenIDs? = nil, padTokenId: Int? = nil, torchDtype: String = "float32") {
        precondition(layerTypes.map { $0.count == numHiddenLayers } ?? true, "one layer type per layer")
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.ropeLocalBaseFreq = ropeLocalBaseFreq
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.queryPreAttnScalar = queryPreAttnScalar
        self.slidingWindow = slidingWindow
        self.layerTypes = layerTypes ?? Self.layerTypes(pattern: 6, layers: numHiddenLayers)
        self.attentionBias = attentionBias
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.padTokenId = padTokenId
        self.torchDtype = torchDtype
    }

    /// transformers' default layer types: layer i is global when (i + 1) % pattern == 0.
    static func layerTypes(pattern: Int, layers: Int) -> [LayerType] {
        (0..<max(0, layers)).map { i in (i + 1) % max(1, pattern) == 0 ? .fullAttention : .slidingAttention }
    }

    // MARK: - Codable

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case textConfig = "text_config"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case ropeLocalBaseFreq = "rope_local_base_freq"
        case maxPositionEmbeddings = "max_position_embeddings"
        case queryPreAttnScalar = "query_pre_attn_scalar"
        case slidingWindow = "sliding_window"
        case slidingWindowPattern = "sliding_window_pattern"
        case layerTypes = "layer_types"
        case attentionBias = "attention_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
        case hiddenActivation = "hidden_activation"
        case hiddenAct = "hidden_act"
        case finalLogitSoftcapping = "final_logit_softcapping"
        case attnLogitSoftcapping = "attn_logit_softcapping"
        case useBidirectionalAttention = "use_bidirectional_attention"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case torchDtype = "torch_dtype"
        case dtype
    }

    /// The transformers classes: gemma3_text → Gemma3ForCausalLM, gemma3 →
    /// Gemma3ForConditionalGeneration.
    static let classes = ["gemma3_text": "Gemma3ForCausalLM", "gemma3": "Gemma3ForConditionalGeneration"]

    /// Decodes a config.json of model_type gemma3_text, or the `text_config` of a gemma3 one
    /// (errors then name `text_config.<key>`).
    ///
    /// - Throws: `FormatError.invalidConfig` / `.unsupportedModelType` /
    ///   `.unsupportedArchitecture` (path filled in by the caller), or a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let top = try decoder.container(keyedBy: CodingKeys.self)
        let registry = ArchitectureRegistry.of(decoder)
        let typeName = try top.decode(String.self, forKey: .modelType)
        guard let expectedClass = Self.classes[typeName] else {
            throw FormatError.unsupportedModelType(path: "", modelType: typeName, supported: registry.modelTypes)
        }
        if let architectures = try top.decodeIfPresent([String].self, forKey: .architectures) {
            for architecture in architectures where architecture != expectedClass {
                throw FormatError.unsupportedArchitecture(path: "", architecture: architecture,
                                                          supported: registry.transformersClasses)
            }
        }
        let nested = typeName == "gemma3"
        let c = nested ? try top.nestedContainer(keyedBy: CodingKeys.self, forKey: .textConfig) : top
        let prefix = nested ? "text_config." : ""
        func invalid(_ key: CodingKeys, _ reason: String) -> FormatError {
            ConfigJSON.invalid(prefix + key.rawValue, reason)
        }
        if nested, let inner = try c.decodeIfPresent(String.self, forKey: .modelType), inner != "gemma3_text" {
            throw invalid(.modelType, "expected \"gemma3_text\", found \"\(inner)\"")
        }
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 262_208
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 2304
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 9216
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 26
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 8
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? 4
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? 256
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 131_072
        queryPreAttnScalar = try c.decodeIfPresent(Double.self, forKey: .queryPreAttnScalar) ?? 256
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow) ?? 4096
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        // A gemma3 checkpoint may say tie_word_embeddings at either level.
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
            ?? top.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        bosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .bosTokenId)
        eosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .eosTokenId)
            ?? top.decodeIfPresent(TokenIDs.self, forKey: .eosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        torchDtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype)
            ?? top.decodeIfPresent(String.self, forKey: .dtype)
            ?? top.decodeIfPresent(String.self, forKey: .torchDtype) ?? "float32"

        let activation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation)
            ?? c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu_pytorch_tanh"
        guard activation == "gelu_pytorch_tanh" else {
            throw invalid(.hiddenActivation, "activation \"\(activation)\" is not supported (expected \"gelu_pytorch_tanh\")")
        }
        for key in [CodingKeys.finalLogitSoftcapping, .attnLogitSoftcapping] {
            if let cap = try c.decodeIfPresent(Double.self, forKey: key) {
                throw invalid(key, "logit soft-capping (\(cap)) is not supported (expected null)")
            }
        }
        if try c.decodeIfPresent(Bool.self, forKey: .useBidirectionalAttention) == true {
            throw invalid(.useBidirectionalAttention, "bidirectional attention is not supported (expected false)")
        }

        if let names = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            layerTypes = try names.map { name in
                guard let type = LayerType(rawValue: name) else {
                    throw invalid(.layerTypes, "\"\(name)\" is not supported (expected sliding_attention or full_attention)")
                }
                return type
            }
            guard layerTypes.count == numHiddenLayers else {
                throw invalid(.layerTypes, "\(layerTypes.count) entries for \(numHiddenLayers) layers")
            }
        } else {
            let pattern = try c.decodeIfPresent(Int.self, forKey: .slidingWindowPattern) ?? 6
            guard pattern > 0 else { throw invalid(.slidingWindowPattern, "expected a positive integer, found \(pattern)") }
            layerTypes = Self.layerTypes(pattern: pattern, layers: numHiddenLayers)
        }

        // RoPE: transformers 5 writes rope_parameters per layer type; transformers 4 rope_theta,
        // rope_scaling (global layers) and rope_local_base_freq.
        let perType = try? c.decodeIfPresent([String: RopeParameters].self, forKey: .ropeParameters)
        let global = try RopeParameters.rope(
            parameters: perType?[LayerType.fullAttention.rawValue],
            topLevel: c.decodeIfPresent(Double.self, forKey: .ropeTheta),
            scaling: c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling), defaultTheta: 1_000_000)
        ropeTheta = global.theta
        ropeScaling = global.scaling
        let local = perType?[LayerType.slidingAttention.rawValue]
        if let local, try local.scaling(key: "rope_parameters.sliding_attention") != .unscaled {
            throw invalid(.ropeParameters, "a scaled RoPE on sliding-attention layers is not supported")
        }
        ropeLocalBaseFreq = try local?.ropeTheta ?? c.decodeIfPresent(Double.self, forKey: .ropeLocalBaseFreq) ?? 10000
        do {
            try validate()
        } catch let FormatError.invalidConfig(path, key, reason) {
            throw FormatError.invalidConfig(path: path, key: prefix + key, reason: reason)
        }
    }

    /// Sizes positive and bounded, H % G == 0, an even head size, positive ε, θs, scalar and
    /// window.
    /// - Throws: `FormatError.invalidConfig` naming the config key.
    func validate() throws {
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_hidden_layers", numHiddenLayers), ("num_attention_heads", numAttentionHeads),
            ("num_key_value_heads", numKeyValueHeads), ("max_position_embeddings", maxPositionEmbeddings),
            ("head_dim", headDim), ("sliding_window", slidingWindow),
        ]
        for (key, value) in positive where value <= 0 {
            throw ConfigJSON.invalid(key, "expected a positive integer, found \(value)")
        }
        for (key, value) in positive where value > 1 << 24 {
            throw ConfigJSON.invalid(key, "\(value) is implausibly large (limit \(1 << 24))")
        }
        guard numAttentionHeads % numKeyValueHeads == 0 else {
            throw ConfigJSON.invalid("num_key_value_heads",
                                     "\(numAttentionHeads) attention heads are not a multiple of \(numKeyValueHeads) key/value heads")
        }
        guard headDim % 2 == 0 else { throw ConfigJSON.invalid("head_dim", "RoPE needs an even head size, found \(headDim)") }
        let numbers: [(String, Double)] = [
            ("rms_norm_eps", rmsNormEps), ("rope_theta", ropeTheta), ("rope_local_base_freq", ropeLocalBaseFreq),
            ("query_pre_attn_scalar", queryPreAttnScalar),
        ]
        for (key, value) in numbers where !(value > 0 && value.isFinite) {
            throw ConfigJSON.invalid(key, "expected a positive number, found \(value)")
        }
    }

    /// Writes a gemma3_text config.json that transformers 4 and 5 read: the sizes,
    /// `layer_types`, `rope_theta`, `rope_local_base_freq` and `rope_scaling`, and
    /// `rope_parameters` per layer type.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["Gemma3ForCausalLM"], forKey: .architectures)
        try c.encode("gemma3_text", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(ropeLocalBaseFreq, forKey: .ropeLocalBaseFreq)
        let global = RotaryEmbedding(theta: ropeTheta, scaling: ropeScaling)
        if ropeScaling != .unscaled { try c.encode(RopeParameters(global), forKey: .ropeScaling) }
        try c.encode([LayerType.fullAttention.rawValue: RopeParameters(global),
                      LayerType.slidingAttention.rawValue: RopeParameters(RotaryEmbedding(theta: ropeLocalBaseFreq))],
                     forKey: .ropeParameters)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(queryPreAttnScalar, forKey: .queryPreAttnScalar)
        try c.encode(slidingWindow, forKey: .slidingWindow)
        try c.encode(layerTypes, forKey: .layerTypes)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode("gelu_pytorch_tanh", forKey: .hiddenActivation)
        try c.encodeNil(forKey: .finalLogitSoftcapping)
        try c.encodeNil(forKey: .attnLogitSoftcapping)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try c.encode(torchDtype, forKey: .torchDtype)
        try c.encode(torchDtype, forKey: .dtype)
    }
}

// MARK: - Architecture

extension Gemma3TextConfig: Architecture {
    /// gemma3_text, gemma3 (the text part).
    public static var modelTypes: [String] { ["gemma3_text", "gemma3"] }
    /// Gemma3ForCausalLM, Gemma3ForConditionalGeneration.
    public static var transformersClasses: [String] { ["Gemma3ForCausalLM", "Gemma3ForConditionalGeneration"] }
    /// `num_hidden_layers`.
    public static var layerCountKey: String { CodingKeys.numHiddenLayers.rawValue }

    /// The configuration of `spec` (model type gemma3_text) with transformers' defaults for
    /// what a spec does not say: `query_pre_attn_scalar` = D, `sliding_window` 4096, every sixth
    /// layer global, local RoPE base 10 000 (global: `spec.ropeTheta`).
    /// - Throws: `ModelError.invalidSpec` for another model type, MLP biases, q/k/v biases
    ///   without the output bias (or the reverse), or sizes the configuration refuses (naming
    ///   the key).
    public init(spec: TransformerSpec) throws {
        guard spec.modelType == "gemma3_text" else {
            throw ModelError.invalidSpec("model type \(spec.modelType) is not gemma3_text")
        }
        if spec.mlpBias { throw ModelError.invalidSpec("gemma3_text has no MLP biases") }
        if spec.attentionBias != spec.outputBias {
            throw ModelError.invalidSpec("gemma3_text's attention_bias puts biases on q, k, v and o together")
        }
        self.init(vocabSize: spec.vocabularySize, hiddenSize: spec.hiddenSize, intermediateSize: spec.intermediateSize,
                  numHiddenLayers: max(0, spec.layers), numAttentionHeads: spec.heads, numKeyValueHeads: spec.kvHeads,
                  headDim: spec.headSize, rmsNormEps: Double(spec.normEpsilon), ropeTheta: Double(spec.ropeTheta),
                  maxPositionEmbeddings: spec.maxPositions, queryPreAttnScalar: Double(spec.headSize),
                  attentionBias: spec.attentionBias, tieWordEmbeddings: spec.tiedEmbeddings)
        try ModelError.specChecked { try validate() }
    }

    /// The spec of this configuration (model type gemma3_text).
    public var spec: TransformerSpec {
        TransformerSpec(modelType: "gemma3_text", vocabularySize: vocabSize, hiddenSize: hiddenSize,
                        intermediateSize: intermediateSize, layers: numHiddenLayers, heads: numAttentionHeads,
                        kvHeads: numKeyValueHeads, headSize: headDim, normEpsilon: Float(rmsNormEps),
                        ropeTheta: Float(ropeTheta), maxPositions: maxPositionEmbeddings,
                        tiedEmbeddings: tieWordEmbeddings, attentionBias: attentionBias, outputBias: attentionBias)
    }

    /// The weights listed on the type, built as Gemma 3 blocks.
    public var layout: ModelLayout {
        let c = hiddenSize, i = intermediateSize, d = headDim
        let q = numAttentionHeads * d, kv = numKeyValueHeads * d
        let epsilon = Float(rmsNormEps)
        let scale = Float(pow(queryPreAttnScalar, -0.5))
        let blocks = (0..<numHiddenLayers).map { l in
            let prefix = "model.layers.\(l)."
            let local = layerTypes[l] == .slidingAttention
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) -> ModelLayout.Linear {
                ModelLayout.Linear(module: prefix + name, inputs: inputs, outputs: outputs, hasBias: bias)
            }
            func norm(_ name: String, _ width: Int) -> ModelLayout.Norm {
                ModelLayout.Norm(.rms, module: prefix + name, width: width, epsilon: epsilon, unitOffset: true)
            }
            let rope = local ? RotaryEmbedding(theta: ropeLocalBaseFreq)
                             : RotaryEmbedding(theta: ropeTheta, scaling: ropeScaling)
            let attention = ModelLayout.Attention(
                projections: .separate(q: linear("self_attn.q_proj", c, q, bias: attentionBias),
                                       k: linear("self_attn.k_proj", c, kv, bias: attentionBias),
                                       v: linear("self_attn.v_proj", c, kv, bias: attentionBias), rope: rope),
                output: linear("self_attn.o_proj", q, c, bias: attentionBias),
                heads: numAttentionHeads, kvHeads: numKeyValueHeads, headSize: d,
                queryNorm: norm("self_attn.q_norm", d), keyNorm: norm("self_attn.k_norm", d),
                window: local ? slidingWindow : nil, scale: scale)
            return ModelLayout.Block(
                attentionNorm: norm("input_layernorm", c), attention: attention,
                postAttentionNorm: norm("post_attention_layernorm", c),
                feedForwardNorm: norm("pre_feedforward_layernorm", c),
                feedForward: .geglu(gate: linear("mlp.gate_proj", c, i, bias: false),
                                    up: linear("mlp.up_proj", c, i, bias: false),
                                    down: linear("mlp.down_proj", i, c, bias: false)),
                postFeedForwardNorm: norm("post_feedforward_layernorm", c))
        }
        return ModelLayout(
            tokenEmbedding: ModelLayout.Table(module: "model.embed_tokens", rows: vocabSize, width: c),
            embeddingScale: Float(Double(c).squareRoot()),
            blocks: blocks,
            finalNorm: ModelLayout.Norm(.rms, module: "model.norm", width: c, epsilon: epsilon, unitOffset: true),
            outputProjection: tieWordEmbeddings ? nil : ModelLayout.Table(module: "lm_head", rows: vocabSize, width: c))
    }

    /// A gemma3 checkpoint's language-model names (`language_model.model.*` as Google's files
    /// name them, `model.language_model.*` as transformers 5 saves them, and
    /// `language_model.lm_head.*`) as gemma3_text's; every other name unchanged.
    public static func canonicalTensorName(_ name: String, among names: Set<String>) -> String {
        for (prefix, replacement) in [("language_model.model.", "model."), ("model.language_model.", "model."),
                                      ("language_model.lm_head.", "lm_head.")] where name.hasPrefix(prefix) {
            return replacement + name.dropFirst(prefix.count)
        }
        return name
    }
}
