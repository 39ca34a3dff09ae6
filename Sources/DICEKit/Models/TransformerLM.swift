/// A decoder-only transformer language model (Llama family or GPT-2) on a `Backend`, with an
/// explicit forward and backward (no autograd graph).
///
/// Parameters live in one `ParameterStore` under their Hugging Face names; gradients mirror it.
/// Batches are packed: sequences of different lengths are laid end to end, with no padding.
public final class TransformerLM {
    /// The architecture.
    public let spec: TransformerSpec
    /// Weights and gradients.
    public let parameters: ParameterStore
    /// Where the model runs.
    public var backend: any Backend { parameters.backend }
    /// Whether pairs of one batch with identical prompts compute the prompt once (prefix
    /// sharing: DPO's chosen and rejected responses). Results are the same either way.
    public var sharesPrompts = true

    let tokenEmbedding: ParameterStore.Entry
    let positionEmbedding: ParameterStore.Entry?
    let blocks: [TransformerBlock]
    let finalNorm: Normalization
    /// `[V, C]`: `lm_head.weight`, or the token embedding when tied.
    let outputProjection: ParameterStore.Entry

    /// A model of `spec` with all weights zero (load or initialise them next).
    /// - Throws: `ModelError.invalidSpec`; `BackendError.allocationFailed`.
    public init(spec: TransformerSpec, backend: any Backend) throws {
        try spec.validate()
        self.spec = spec
        let p = try ParameterStore(shapes: spec.parameterShapes, on: backend)
        self.parameters = p
        func e(_ name: String) throws -> ParameterStore.Entry { try p.entry(name) }
        func linear(_ name: String, bias: Bool, _ layout: Linear.Layout) throws -> Linear {
            Linear(weight: try e(name + ".weight"), bias: bias ? try e(name + ".bias") : nil, layout: layout)
        }
        var blocks: [TransformerBlock] = []
        switch spec.family {
        case .llama:
            tokenEmbedding = try e("model.embed_tokens.weight")
            positionEmbedding = nil
            for l in 0..<spec.layers {
                let pre = "model.layers.\(l)."
                let attention = SelfAttention(
                    projections: .separate(
                        q: try linear(pre + "self_attn.q_proj", bias: spec.attentionBias, .outIn),
                        k: try linear(pre + "self_attn.k_proj", bias: spec.attentionBias, .outIn),
                        v: try linear(pre + "self_attn.v_proj", bias: spec.attentionBias, .outIn),
                        ropeTheta: spec.ropeTheta),
                    output: try linear(pre + "self_attn.o_proj", bias: spec.outputBias, .outIn),
                    heads: spec.heads, kvHeads: spec.kvHeads, headSize: spec.headSize)
                let mlp = FeedForward(kind: .swiglu(
                    gate: try linear(pre + "mlp.gate_proj", bias: spec.mlpBias, .outIn),
                    up: try linear(pre + "mlp.up_proj", bias: spec.mlpBias, .outIn),
                    down: try linear(pre + "mlp.down_proj", bias: spec.mlpBias, .outIn)))
                blocks.append(TransformerBlock(
                    attentionNorm: Normalization(kind: .rms, weight: try e(pre + "input_layernorm.weight"),
                                                 bias: nil, epsilon: spec.normEpsilon),
                    attention: attention,
                    feedForwardNorm: Normalization(kind: .rms, weight: try e(pre + "post_attention_layernorm.weight"),
                                                   bias: nil, epsilon: spec.normEpsilon),
                    feedForward: mlp))
            }
            finalNorm = Normalization(kind: .rms, weight: try e("model.norm.weight"), bias: nil,
                                      epsilon: spec.normEpsilon)
            outputProjection = spec.tiedEmbeddings ? tokenEmbedding : try e("lm_head.weight")
        case .gpt2:
            tokenEmbedding = try e("transformer.wte.weight")
            positionEmbedding = try e("transformer.wpe.weight")
            for l in 0..<spec.layers {
                let pre = "transformer.h.\(l)."
                func norm(_ name: String) throws -> Normalization {
                    Normalization(kind: .layer, weight: try e(pre + name + ".weight"),
                                  bias: try e(pre + name + ".bias"), epsilon: spec.normEpsilon)
                }
                let attention = SelfAttention(
                    projections: .fused(qkv: try linear(pre + "attn.c_attn", bias: true, .inOut)),
                    output: try linear(pre + "attn.c_proj", bias: true, .inOut),
                    heads: spec.heads, kvHeads: spec.kvHeads, headSize: spec.headSize)
                let mlp = FeedForward(kind: .gelu(fc: try linear(pre + "mlp.c_fc", bias: true, .inOut),
                                                  proj: try linear(pre + "mlp.c_proj", bias: true, .inOut)))
                blocks.append(TransformerBlock(attentionNorm: try norm("ln_1"), attention: attention,
                                               feedForwardNorm: try norm("ln_2"), feedForward: mlp))
            }
            finalNorm = Normalization(kind: .layer, weight: try e("transformer.ln_f.weight"),
                                      bias: try e("transformer.ln_f.bias"), epsilon: spec.normEpsilon)
            outputProjection = tokenEmbedding
        }
        self.blocks = blocks
    }

    /// Fills the weights with seeded random values: matrices N(0, std²), norm weights 1,
    /// biases 0 (the usual transformer initialisation).
    public func initializeRandomly(seed: UInt64, standardDeviation: Float = 0.02) throws {
        var rng = SplitMix64(seed: seed)
        for entry in parameters.entries {
            let values: [Float]
            if entry.shape.count == 1 {
                let isNormWeight = entry.name.hasSuffix("norm.weight") || entry.name.hasSuffix("layernorm.weight")
                    || (entry.name.contains(".ln_") && entry.name.hasSuffix(".weight"))
                values = [Float](repeating: isNormWeight ? 1 : 0, count: entry.count)
            } else {
                values = (0..<entry.count).map { _ in rng.nextGaussian() * standardDeviation }
            }
            try parameters.set(entry.name, values)
        }
    }
}
