// The Hugging Face weight names and shapes a configuration implies — the contract between
// checkpoints on disk and the DICEKit model code.

extension ModelConfig {
    /// Every weight the model needs, with its Hugging Face name and shape, in a stable order
    /// (embeddings, then layer by layer, then the final norm and head).
    ///
    /// Llama family (C hidden, V vocab, I intermediate, H heads, G KV heads, D head size; Linear
    /// weights are [out, in]):
    /// `model.embed_tokens.weight` [V, C]; per layer i, under `model.layers.{i}.`:
    /// `input_layernorm.weight` [C], `self_attn.q_proj.weight` [H·D, C],
    /// `self_attn.k_proj.weight` / `v_proj.weight` [G·D, C], `self_attn.o_proj.weight` [C, H·D]
    /// (+ `q_proj.bias` [H·D], `k_proj.bias` / `v_proj.bias` [G·D] when `hasQKVBias`;
    /// `o_proj.bias` [C] when `hasOutputBias`), `post_attention_layernorm.weight` [C],
    /// `mlp.gate_proj.weight` / `up_proj.weight` [I, C], `mlp.down_proj.weight` [C, I]
    /// (+ biases when `hasMLPBias`); `model.norm.weight` [C]; `lm_head.weight` [V, C] unless
    /// `tieWordEmbeddings`.
    ///
    /// GPT-2 (Conv1D weights are [in, out]; P positions, F = `innerSize`):
    /// `transformer.wte.weight` [V, C], `transformer.wpe.weight` [P, C]; per layer under
    /// `transformer.h.{i}.`: `ln_1.weight`/`.bias` [C], `attn.c_attn.weight` [C, 3C],
    /// `attn.c_attn.bias` [3C], `attn.c_proj.weight` [C, C], `attn.c_proj.bias` [C],
    /// `ln_2.weight`/`.bias` [C], `mlp.c_fc.weight` [C, F], `mlp.c_fc.bias` [F],
    /// `mlp.c_proj.weight` [F, C], `mlp.c_proj.bias` [C]; `transformer.ln_f.weight`/`.bias` [C].
    /// No `lm_head.weight`: the head is tied to `wte`.
    public func expectedWeights() -> [(name: String, shape: [Int])] {
        switch self {
        case .llama(let config): return Self.llamaWeights(config)
        case .gpt2(let config): return Self.gpt2Weights(config)
        }
    }

    private static func llamaWeights(_ c: LlamaConfig) -> [(name: String, shape: [Int])] {
        let C = c.hiddenSize, V = c.vocabSize, I = c.intermediateSize
        let q = c.numAttentionHeads * c.headSize, kv = c.numKeyValueHeads * c.headSize
        var out: [(name: String, shape: [Int])] = [("model.embed_tokens.weight", [V, C])]
        for i in 0 ..< c.numHiddenLayers {
            let p = "model.layers.\(i)."
            out.append((p + "input_layernorm.weight", [C]))
            out.append((p + "self_attn.q_proj.weight", [q, C]))
            if c.hasQKVBias { out.append((p + "self_attn.q_proj.bias", [q])) }
            out.append((p + "self_attn.k_proj.weight", [kv, C]))
            if c.hasQKVBias { out.append((p + "self_attn.k_proj.bias", [kv])) }
            out.append((p + "self_attn.v_proj.weight", [kv, C]))
            if c.hasQKVBias { out.append((p + "self_attn.v_proj.bias", [kv])) }
            out.append((p + "self_attn.o_proj.weight", [C, q]))
            if c.hasOutputBias { out.append((p + "self_attn.o_proj.bias", [C])) }
            out.append((p + "post_attention_layernorm.weight", [C]))
            out.append((p + "mlp.gate_proj.weight", [I, C]))
            if c.hasMLPBias { out.append((p + "mlp.gate_proj.bias", [I])) }
            out.append((p + "mlp.up_proj.weight", [I, C]))
            if c.hasMLPBias { out.append((p + "mlp.up_proj.bias", [I])) }
            out.append((p + "mlp.down_proj.weight", [C, I]))
            if c.hasMLPBias { out.append((p + "mlp.down_proj.bias", [C])) }
        }
        out.append(("model.norm.weight", [C]))
        if !c.tieWordEmbeddings { out.append(("lm_head.weight", [V, C])) }
        return out
    }

    private static func gpt2Weights(_ c: GPT2Config) -> [(name: String, shape: [Int])] {
        let C = c.nEmbd, F = c.innerSize
        var out: [(name: String, shape: [Int])] = [
            ("transformer.wte.weight", [c.vocabSize, C]),
            ("transformer.wpe.weight", [c.nPositions, C]),
        ]
        for i in 0 ..< c.nLayer {
            let p = "transformer.h.\(i)."
            out += [
                (p + "ln_1.weight", [C]), (p + "ln_1.bias", [C]),
                (p + "attn.c_attn.weight", [C, 3 * C]), (p + "attn.c_attn.bias", [3 * C]),
                (p + "attn.c_proj.weight", [C, C]), (p + "attn.c_proj.bias", [C]),
                (p + "ln_2.weight", [C]), (p + "ln_2.bias", [C]),
                (p + "mlp.c_fc.weight", [C, F]), (p + "mlp.c_fc.bias", [F]),
                (p + "mlp.c_proj.weight", [F, C]), (p + "mlp.c_proj.bias", [C]),
            ]
        }
        out += [("transformer.ln_f.weight", [C]), ("transformer.ln_f.bias", [C])]
        return out
    }
}
