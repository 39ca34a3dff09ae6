/// The architecture of a decoder-only transformer, as the layers need it — independent of
/// any file format. `ModelConfig` (Hugging Face `config.json`) maps onto it.
///
/// Two families are described: the Llama family (RMSNorm, RoPE, GQA, SwiGLU, optional q/k/v
/// biases as in Qwen2) and GPT-2 (learned positions, LayerNorm with biases, tanh-GELU, fused
/// `c_attn` with the Conv1D `[in, out]` weight layout).
public struct TransformerSpec: Sendable, Hashable, Codable {
    /// Which block design.
    public enum Family: String, Sendable, Hashable, Codable {
        case llama
        case gpt2
    }

    public var family: Family
    /// V, the vocabulary size.
    public var vocabularySize: Int
    /// C, the residual stream width.
    public var hiddenSize: Int
    /// I, the MLP's inner width.
    public var intermediateSize: Int
    public var layers: Int
    /// H, query heads.
    public var heads: Int
    /// G, key/value heads (H % G == 0).
    public var kvHeads: Int
    /// D, the head size (usually C / H).
    public var headSize: Int
    /// Normalisation epsilon (RMSNorm or LayerNorm).
    public var normEpsilon: Float
    /// RoPE base θ (Llama family).
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

    public init(family: Family, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int,
                layers: Int, heads: Int, kvHeads: Int, headSize: Int? = nil,
                normEpsilon: Float = 1e-5, ropeTheta: Float = 10000, maxPositions: Int = 2048,
                tiedEmbeddings: Bool = false, attentionBias: Bool = false,
                outputBias: Bool = false, mlpBias: Bool = false) {
        self.family = family
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
        family: .llama, vocabularySize: 8192, hiddenSize: 512, intermediateSize: 1536, layers: 8,
        heads: 8, kvHeads: 4, normEpsilon: 1e-5, ropeTheta: 10000, maxPositions: 2048)

    /// Checks the dimensions are usable.
    /// - Throws: `ModelError.invalidSpec` naming the first problem.
    public func validate() throws {
        func fail(_ reason: String) throws -> Never { throw ModelError.invalidSpec(reason) }
        if vocabularySize < 1 || hiddenSize < 1 || layers < 0 || heads < 1 || kvHeads < 1
            || headSize < 1 || intermediateSize < 1 {
            try fail("dimensions must be positive: \(self)")
        }
        if heads % kvHeads != 0 { try fail("\(heads) attention heads are not a multiple of \(kvHeads) key/value heads") }
        if family == .llama && headSize % 2 != 0 { try fail("RoPE needs an even head size, got \(headSize)") }
        if family == .gpt2 && (heads * headSize != hiddenSize || kvHeads != heads) {
            try fail("GPT-2 needs heads × head size = hidden size and no key/value grouping")
        }
    }

    /// The parameters in Hugging Face naming, with shapes, in storage order: the contract
    /// between checkpoints on disk and the model code.
    ///
    /// Llama family (Linear weights `[out, in]`): `model.embed_tokens.weight` [V, C]; per layer
    /// under `model.layers.{i}.`: `input_layernorm.weight` [C], `self_attn.{q,k,v,o}_proj.weight`
    /// ([H·D, C], [G·D, C], [G·D, C], [C, H·D]) with biases as the flags say,
    /// `post_attention_layernorm.weight` [C], `mlp.{gate,up}_proj.weight` [I, C],
    /// `mlp.down_proj.weight` [C, I]; `model.norm.weight` [C]; `lm_head.weight` [V, C] unless tied.
    ///
    /// GPT-2 (Conv1D weights `[in, out]`, P = `maxPositions`): `transformer.wte.weight` [V, C],
    /// `transformer.wpe.weight` [P, C]; per layer under `transformer.h.{i}.`: `ln_1`, `ln_2`
    /// (weight, bias [C]), `attn.c_attn` ([C, 3C], [3C]), `attn.c_proj` ([C, C], [C]),
    /// `mlp.c_fc` ([C, I], [I]), `mlp.c_proj` ([I, C], [C]); `transformer.ln_f` [C]. The head is
    /// tied to `wte`.
    public var parameterShapes: [(name: String, shape: [Int])] {
        let c = hiddenSize, v = vocabularySize, i = intermediateSize
        let q = heads * headSize, kv = kvHeads * headSize
        var out: [(String, [Int])] = []
        switch family {
        case .llama:
            out.append(("model.embed_tokens.weight", [v, c]))
            for l in 0..<layers {
                let p = "model.layers.\(l)."
                out.append((p + "input_layernorm.weight", [c]))
                out.append((p + "self_attn.q_proj.weight", [q, c]))
                if attentionBias { out.append((p + "self_attn.q_proj.bias", [q])) }
                out.append((p + "self_attn.k_proj.weight", [kv, c]))
                if attentionBias { out.append((p + "self_attn.k_proj.bias", [kv])) }
                out.append((p + "self_attn.v_proj.weight", [kv, c]))
                if attentionBias { out.append((p + "self_attn.v_proj.bias", [kv])) }
                out.append((p + "self_attn.o_proj.weight", [c, q]))
                if outputBias { out.append((p + "self_attn.o_proj.bias", [c])) }
                out.append((p + "post_attention_layernorm.weight", [c]))
                out.append((p + "mlp.gate_proj.weight", [i, c]))
                if mlpBias { out.append((p + "mlp.gate_proj.bias", [i])) }
                out.append((p + "mlp.up_proj.weight", [i, c]))
                if mlpBias { out.append((p + "mlp.up_proj.bias", [i])) }
                out.append((p + "mlp.down_proj.weight", [c, i]))
                if mlpBias { out.append((p + "mlp.down_proj.bias", [c])) }
            }
            out.append(("model.norm.weight", [c]))
            if !tiedEmbeddings { out.append(("lm_head.weight", [v, c])) }
        case .gpt2:
            out.append(("transformer.wte.weight", [v, c]))
            out.append(("transformer.wpe.weight", [maxPositions, c]))
            for l in 0..<layers {
                let p = "transformer.h.\(l)."
                out.append((p + "ln_1.weight", [c]))
                out.append((p + "ln_1.bias", [c]))
                out.append((p + "attn.c_attn.weight", [c, 3 * c]))
                out.append((p + "attn.c_attn.bias", [3 * c]))
                out.append((p + "attn.c_proj.weight", [c, c]))
                out.append((p + "attn.c_proj.bias", [c]))
                out.append((p + "ln_2.weight", [c]))
                out.append((p + "ln_2.bias", [c]))
                out.append((p + "mlp.c_fc.weight", [c, i]))
                out.append((p + "mlp.c_fc.bias", [i]))
                out.append((p + "mlp.c_proj.weight", [i, c]))
                out.append((p + "mlp.c_proj.bias", [c]))
            }
            out.append(("transformer.ln_f.weight", [c]))
            out.append(("transformer.ln_f.bias", [c]))
        }
        return out
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

    public var description: String {
        switch self {
        case .invalidSpec(let reason): return "invalid model architecture: \(reason)"
        case .missingParameter(let name): return "missing weight '\(name)'"
        case let .parameterShape(name, expected, actual):
            return "weight '\(name)': expected shape \(expected), got \(actual)"
        case let .invalidInput(sequence, reason): return "sequence \(sequence): \(reason)"
        }
    }
}
