// GPT2: the GPT-2 architecture — model_type gpt2 — declared once: config.json with the Hugging
// Face keys (validated against what the DICEKit layers implement), the weights (Conv1D layout)
// and the blocks (LayerNorm, fused c_attn, tanh-GELU MLP, learned positions, tied head).

import Foundation

/// Configuration of GPT-2, Hugging Face key names.
///
/// Architecture: token + learned position embeddings → L × [LayerNorm → attention (fused c_attn,
/// Conv1D layout [in, out]) → residual, LayerNorm → MLP (gelu tanh approximation) → residual] →
/// LayerNorm → LM head tied to the token embedding (always).
///
/// Weights (Conv1D weights `[in, out]`; P = `nPositions`, F = `innerSize`):
/// `transformer.wte.weight` [V, C], `transformer.wpe.weight` [P, C]; per layer under
/// `transformer.h.{i}.`: `ln_1`, `ln_2` (weight, bias [C]), `attn.c_attn` ([C, 3C], [3C]),
/// `attn.c_proj` ([C, C], [C]), `mlp.c_fc` ([C, F], [F]), `mlp.c_proj` ([F, C], [C]);
/// `transformer.ln_f` (weight, bias [C]). No `lm_head.weight`: the head is tied to `wte`.
///
/// Decoding throws `FormatError.invalidConfig` (path filled in by `ModelConfig.load`) for an
/// `activation_function` other than gelu_new / gelu_pytorch_tanh (the same function),
/// `scale_attn_weights: false`, `scale_attn_by_inverse_layer_idx: true`,
/// `tie_word_embeddings: false`, and sizes that are not positive or heads that do not divide
/// `n_embd`.
public struct GPT2Config: Codable, Sendable, Hashable {
    /// `vocab_size` (V).
    public var vocabSize: Int
    /// `n_embd` (C).
    public var nEmbd: Int
    /// `n_layer` (L).
    public var nLayer: Int
    /// `n_head` (H).
    public var nHead: Int
    /// `n_positions`: rows of the position embedding, the longest sequence.
    public var nPositions: Int
    /// `n_inner`: MLP width; nil means 4 × C (see `innerSize`).
    public var nInner: Int?
    /// `layer_norm_epsilon` (default 1e-5).
    public var layerNormEpsilon: Double
    /// `activation_function`: "gelu_new" or "gelu_pytorch_tanh".
    public var activationFunction: String
    /// `bos_token_id`.
    public var bosTokenId: TokenIDs?
    /// `eos_token_id`.
    public var eosTokenId: TokenIDs?
    /// `torch_dtype` / `dtype` (default "float32").
    public var torchDtype: String

    /// The MLP width: `n_inner` or 4 × C.
    public var innerSize: Int { nInner ?? 4 * nEmbd }
    /// The per-head size C / H.
    public var headSize: Int { nEmbd / nHead }

    /// The transformers class (`architectures[0]`).
    public static let architecture = "GPT2LMHeadModel"

    /// A configuration; defaults follow transformers' `GPT2Config`. `precondition`s the rules
    /// that decoding throws for.
    public init(vocabSize: Int, nEmbd: Int, nLayer: Int, nHead: Int, nPositions: Int = 1024,
                nInner: Int? = nil, layerNormEpsilon: Double = 1e-5,
                activationFunction: String = "gelu_new", bosTokenId: TokenIDs? = nil,
                eosTokenId: TokenIDs? = nil, torchDtype: String = "float32") {
        self.vocabSize = vocabSize
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
        self.nPositions = nPositions
        self.nInner = nInner
        self.layerNormEpsilon = layerNormEpsilon
        self.activationFunction = activationFunction
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.torchDtype = torchDtype
        do {
            try validate()
        } catch {
            preconditionFailure("invalid GPT2Config: \(error)")
        }
    }

    // MARK: - Codable

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case nEmbd = "n_embd"
        case nLayer = "n_layer"
        case nHead = "n_head"
        case nPositions = "n_positions"
        case nInner = "n_inner"
        case layerNormEpsilon = "layer_norm_epsilon"
        case activationFunction = "activation_function"
        case scaleAttnWeights = "scale_attn_weights"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case torchDtype = "torch_dtype"
        case dtype
    }

    /// Decodes a Hugging Face config.json of model_type gpt2.
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
            for architecture in architectures where architecture != GPT2Config.architecture {
                throw FormatError.unsupportedArchitecture(path: "", architecture: architecture,
                                                          supported: registry.transformersClasses)
            }
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        nEmbd = try c.decode(Int.self, forKey: .nEmbd)
        nLayer = try c.decode(Int.self, forKey: .nLayer)
        nHead = try c.decode(Int.self, forKey: .nHead)
        nPositions = try c.decodeIfPresent(Int.self, forKey: .nPositions) ?? 1024
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        layerNormEpsilon = try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new"
        bosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .bosTokenId)
        eosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .eosTokenId)
        torchDtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? c.decodeIfPresent(String.self, forKey: .torchDtype) ?? "float32"
        if try c.decodeIfPresent(Bool.self, forKey: .scaleAttnWeights) == false {
            throw ConfigJSON.invalid("scale_attn_weights", "unscaled attention is not supported (expected true)")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .scaleAttnByInverseLayerIdx) == true {
            throw ConfigJSON.invalid("scale_attn_by_inverse_layer_idx", "not supported (expected false)")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) == false {
            throw ConfigJSON.invalid("tie_word_embeddings", "GPT-2's LM head is always tied (expected true)")
        }
        try validate()
    }

    /// Checks the rules listed on the type.
    func validate() throws {
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("n_embd", nEmbd), ("n_layer", nLayer), ("n_head", nHead),
            ("n_positions", nPositions), ("n_inner", nInner ?? 1),
        ]
        for (key, value) in positive where value <= 0 || value > 1 << 24 {
            throw ConfigJSON.invalid(key, "expected a positive integer up to \(1 << 24), found \(value)")
        }
        guard nEmbd % nHead == 0 else {
            throw ConfigJSON.invalid("n_embd", "\(nEmbd) is not a multiple of \(nHead) heads")
        }
        guard ["gelu_new", "gelu_pytorch_tanh"].contains(activationFunction) else {
            throw ConfigJSON.invalid("activation_function",
                                     "\"\(activationFunction)\" is not supported (expected gelu_new or gelu_pytorch_tanh)")
        }
        guard layerNormEpsilon > 0, layerNormEpsilon.isFinite else {
            throw ConfigJSON.invalid("layer_norm_epsilon", "expected a positive number, found \(layerNormEpsilon)")
        }
    }

    /// Writes config.json keys transformers reads (`architectures`, `model_type`, sizes,
    /// `torch_dtype` and `dtype`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([GPT2Config.architecture], forKey: .architectures)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encode(nPositions, forKey: .nPositions)
        try c.encode(nInner, forKey: .nInner)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(activationFunction, forKey: .activationFunction)
        try c.encode(true, forKey: .scaleAttnWeights)
        try c.encode(false, forKey: .scaleAttnByInverseLayerIdx)
        try c.encode(true, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encode(torchDtype, forKey: .torchDtype)
        try c.encode(torchDtype, forKey: .dtype)
    }
}

// MARK: - Architecture

extension GPT2Config: Architecture {
    /// gpt2.
    public static var modelTypes: [String] { ["gpt2"] }
    /// GPT2LMHeadModel.
    public static var transformersClasses: [String] { [architecture] }
    /// `n_layer`.
    public static var layerCountKey: String { CodingKeys.nLayer.rawValue }

    /// The configuration of `spec` (model type gpt2). RoPE θ and the bias flags (which describe
    /// Llama's optional biases) are not part of GPT-2 and are not read.
    /// - Throws: `ModelError.invalidSpec` for another model type, an untied head, key/value
    ///   grouping, heads × head size ≠ hidden size, or sizes the configuration refuses.
    public init(spec: TransformerSpec) throws {
        guard Self.modelTypes.contains(spec.modelType) else {
            throw ModelError.invalidSpec("model type \(spec.modelType) is not gpt2")
        }
        guard spec.heads * spec.headSize == spec.hiddenSize, spec.kvHeads == spec.heads, spec.tiedEmbeddings else {
            throw ModelError.invalidSpec("GPT-2 needs heads × head size = hidden size, no key/value grouping and a tied head")
        }
        self.vocabSize = spec.vocabularySize
        self.nEmbd = spec.hiddenSize
        self.nLayer = spec.layers
        self.nHead = spec.heads
        self.nPositions = spec.maxPositions
        self.nInner = spec.intermediateSize
        self.layerNormEpsilon = Double(spec.normEpsilon)
        self.activationFunction = "gelu_new"
        self.torchDtype = "float32"
        try ModelError.specChecked { try validate() }
    }

    /// The spec of this configuration (tied, no key/value grouping).
    public var spec: TransformerSpec {
        TransformerSpec(modelType: "gpt2", vocabularySize: vocabSize, hiddenSize: nEmbd, intermediateSize: innerSize,
                        layers: nLayer, heads: nHead, kvHeads: nHead, headSize: headSize,
                        normEpsilon: Float(layerNormEpsilon), maxPositions: nPositions, tiedEmbeddings: true)
    }

    /// The weights listed on the type, built as GPT-2 blocks.
    public var layout: ModelLayout {
        let c = nEmbd, f = innerSize, epsilon = Float(layerNormEpsilon)
        let blocks = (0..<nLayer).map { l in
            let prefix = "transformer.h.\(l)."
            func conv1D(_ name: String, _ inputs: Int, _ outputs: Int) -> ModelLayout.Linear {
                ModelLayout.Linear(module: prefix + name, inputs: inputs, outputs: outputs, hasBias: true, orientation: .inOut)
            }
            return ModelLayout.Block(
                attentionNorm: ModelLayout.Norm(.layer, module: prefix + "ln_1", width: c, epsilon: epsilon),
                attention: ModelLayout.Attention(projections: .fused(qkv: conv1D("attn.c_attn", c, 3 * c)),
                                                 output: conv1D("attn.c_proj", c, c),
                                                 heads: nHead, kvHeads: nHead, headSize: headSize),
                feedForwardNorm: ModelLayout.Norm(.layer, module: prefix + "ln_2", width: c, epsilon: epsilon),
                feedForward: .gelu(fc: conv1D("mlp.c_fc", c, f), proj: conv1D("mlp.c_proj", f, c)))
        }
        return ModelLayout(
            tokenEmbedding: ModelLayout.Table(module: "transformer.wte", rows: vocabSize, width: c),
            positionEmbedding: ModelLayout.Table(module: "transformer.wpe", rows: nPositions, width: c),
            blocks: blocks,
            finalNorm: ModelLayout.Norm(.layer, module: "transformer.ln_f", width: c, epsilon: epsilon),
            outputProjection: nil)
    }

    /// Checkpoints saved from `GPT2Model` (as the original openai-community/gpt2 files) name the
    /// weights without the `transformer.` prefix: when `wte.weight` is there and
    /// `transformer.wte.weight` is not, every name but `lm_head.*` gains the prefix.
    public static func canonicalTensorName(_ name: String, among names: Set<String>) -> String {
        guard !names.contains("transformer.wte.weight"), names.contains("wte.weight"),
              !name.hasPrefix("transformer."), !name.hasPrefix("lm_head.") else { return name }
        return "transformer." + name
    }
}
