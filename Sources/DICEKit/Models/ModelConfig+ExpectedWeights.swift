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
        TransformerSpec(self).parameterShapes
    }
}
