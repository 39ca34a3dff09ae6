// ModelLayout: an architecture's weights and blocks as data — which shared layer each part is
// (linear, RMSNorm/LayerNorm, attention with separate or fused projections, optional q/k norms,
// sliding window and score scale, SwiGLU/GeGLU/GELU MLP, optional post-norms),
// under which Hugging Face module name and with which sizes. The weight list and the layers of
// `TransformerLM` are both derived from it, so a name is written once.

/// The parts of a pre-norm decoder-only transformer, named as its checkpoints name them:
/// token embedding (+ learned positions) → blocks → final norm → LM head.
///
/// Every part is named by its module path; its parameters are `{module}.weight` and, where it
/// has one, `{module}.bias`. C is the residual width (`tokenEmbedding.width`).
public struct ModelLayout: Sendable, Hashable {
    /// A matrix read by rows: an embedding table `{module}.weight` `[rows, width]`.
    public struct Table: Sendable, Hashable {
        /// Module path, e.g. `model.embed_tokens`.
        public var module: String
        /// Rows (V for tokens, P for positions).
        public var rows: Int
        /// Columns (C).
        public var width: Int

        /// A table `[rows, width]` at `module`.
        public init(module: String, rows: Int, width: Int) {
            self.module = module
            self.rows = rows
            self.width = width
        }
    }

    /// A dense projection from `inputs` to `outputs` features.
    public struct Linear: Sendable, Hashable {
        /// How the weight is stored.
        public enum Orientation: Sendable, Hashable {
            /// `torch.nn.Linear`: `[outputs, inputs]`.
            case outIn
            /// GPT-2's `Conv1D`: `[inputs, outputs]`.
            case inOut
        }

        /// Module path, e.g. `model.layers.0.self_attn.q_proj`.
        public var module: String
        /// Input features.
        public var inputs: Int
        /// Output features.
        public var outputs: Int
        /// Whether `{module}.bias` `[outputs]` exists.
        public var hasBias: Bool
        /// The weight's storage layout.
        public var orientation: Orientation

        /// A projection `inputs → outputs` at `module`.
        public init(module: String, inputs: Int, outputs: Int, hasBias: Bool, orientation: Orientation = .outIn) {
            self.module = module
            self.inputs = inputs
            self.outputs = outputs
            self.hasBias = hasBias
            self.orientation = orientation
        }
    }

    /// A per-row normalisation over `width` features.
    public struct Norm: Sendable, Hashable {
        /// Which normalisation.
        public enum Kind: Sendable, Hashable {
            /// RMSNorm: `x / rms(x) · weight` (Llama), or `· (1 + weight)` with `unitOffset`.
            case rms
            /// LayerNorm: `(x − mean) / std · weight + bias` (GPT-2; needs a bias).
            case layer
        }

        /// RMSNorm or LayerNorm.
        public var kind: Kind
        /// Module path, e.g. `model.layers.0.input_layernorm`.
        public var module: String
        /// Features normalised (C, or D for a per-head q/k norm).
        public var width: Int
        /// Whether `{module}.bias` `[width]` exists (LayerNorm).
        public var hasBias: Bool
        /// ε added to the variance.
        public var epsilon: Float
        /// Whether the scale is `1 + weight` (Gemma's RMSNorm, whose weights start at 0).
        public var unitOffset: Bool

        /// A norm at `module`; LayerNorm has a bias.
        public init(_ kind: Kind, module: String, width: Int, epsilon: Float, unitOffset: Bool = false) {
            self.kind = kind
            self.module = module
            self.width = width
            self.hasBias = kind == .layer
            self.epsilon = epsilon
            self.unitOffset = unitOffset
        }
    }

    /// How attention gets its queries, keys and values.
    public enum Projections: Sendable, Hashable {
        /// Three projections `[H·D]`, `[G·D]`, `[G·D]`, with `rope` on q and k (Llama).
        case separate(q: Linear, k: Linear, v: Linear, rope: RotaryEmbedding)
        /// One projection to `[3·H·D]` split into q, k, v; no RoPE (GPT-2's `c_attn`).
        case fused(qkv: Linear)
    }

    /// Causal self-attention: projections, H query heads over G key/value heads of size D,
    /// and the output projection `[H·D] → [C]`; optionally per-head RMSNorms on q and k (before
    /// RoPE: Qwen3, Gemma 3), a sliding window and a score scale other than 1/√D.
    public struct Attention: Sendable, Hashable {
        /// Where q, k and v come from.
        public var projections: Projections
        /// `[H·D] → [C]`.
        public var output: Linear
        /// H, query heads.
        public var heads: Int
        /// G, key/value heads (H % G == 0).
        public var kvHeads: Int
        /// D, the head size.
        public var headSize: Int
        /// A norm over each query head's D features (width D), applied before RoPE; nil: none.
        public var queryNorm: Norm?
        /// A norm over each key head's D features (width D), applied before RoPE; nil: none.
        public var keyNorm: Norm?
        /// The sliding window W: a query at position i sees keys at i − W < j ≤ i; nil: all j ≤ i.
        public var window: Int?
        /// The factor scores are multiplied by; nil: 1/√D (Gemma: `query_pre_attn_scalar`^−½).
        public var scale: Float?

        /// An attention sub-layer.
        public init(projections: Projections, output: Linear, heads: Int, kvHeads: Int, headSize: Int,
                    queryNorm: Norm? = nil, keyNorm: Norm? = nil, window: Int? = nil, scale: Float? = nil) {
            self.projections = projections
            self.output = output
            self.heads = heads
            self.kvHeads = kvHeads
            self.headSize = headSize
            self.queryNorm = queryNorm
            self.keyNorm = keyNorm
            self.window = window
            self.scale = scale
        }
    }

    /// The MLP of a block.
    public enum FeedForward: Sendable, Hashable {
        /// `down(silu(gate(x)) · up(x))` (Llama).
        case swiglu(gate: Linear, up: Linear, down: Linear)
        /// `down(gelu_tanh(gate(x)) · up(x))` (Gemma).
        case geglu(gate: Linear, up: Linear, down: Linear)
        /// `proj(gelu_tanh(fc(x)))` (GPT-2).
        case gelu(fc: Linear, proj: Linear)
    }

    /// One pre-norm block: `h = x + post₁(attention(attentionNorm(x)))`, then
    /// `h + post₂(feedForward(feedForwardNorm(h)))`, where the post-norms (Gemma) are optional.
    public struct Block: Sendable, Hashable {
        /// The norm before attention.
        public var attentionNorm: Norm
        /// The attention sub-layer.
        public var attention: Attention
        /// A norm of the attention branch before the residual add (Gemma); nil: none.
        public var postAttentionNorm: Norm?
        /// The norm before the MLP.
        public var feedForwardNorm: Norm
        /// The MLP.
        public var feedForward: FeedForward
        /// A norm of the MLP branch before the residual add (Gemma); nil: none.
        public var postFeedForwardNorm: Norm?

        /// A block of these parts.
        public init(attentionNorm: Norm, attention: Attention, postAttentionNorm: Norm? = nil,
                    feedForwardNorm: Norm, feedForward: FeedForward, postFeedForwardNorm: Norm? = nil) {
            self.attentionNorm = attentionNorm
            self.attention = attention
            self.postAttentionNorm = postAttentionNorm
            self.feedForwardNorm = feedForwardNorm
            self.feedForward = feedForward
            self.postFeedForwardNorm = postFeedForwardNorm
        }

        /// Every norm of the block, in storage order.
        var norms: [Norm] {
            [attentionNorm] + [attention.queryNorm, attention.keyNorm, postAttentionNorm].compactMap { $0 }
                + [feedForwardNorm] + [postFeedForwardNorm].compactMap { $0 }
        }
    }

    /// `[V, C]` token embedding.
    public var tokenEmbedding: Table
    /// A factor the token embeddings are multiplied by (Gemma: √C in the weights' dtype); nil: 1.
    public var embeddingScale: Float?
    /// `[P, C]` learned position embedding, added to the token embedding (GPT-2); nil with RoPE.
    public var positionEmbedding: Table?
    /// The blocks, in order.
    public var blocks: [Block]
    /// The norm before the LM head.
    public var finalNorm: Norm
    /// `[V, C]` LM head; nil when it is tied to the token embedding.
    public var outputProjection: Table?

    /// A layout of these parts.
    public init(tokenEmbedding: Table, embeddingScale: Float? = nil, positionEmbedding: Table? = nil,
                blocks: [Block], finalNorm: Norm, outputProjection: Table?) {
        self.tokenEmbedding = tokenEmbedding
        self.embeddingScale = embeddingScale
        self.positionEmbedding = positionEmbedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputProjection = outputProjection
    }

    /// Every parameter with its Hugging Face name and shape, in storage order: token
    /// embedding, position embedding, per block (attention norm, q/k/v or fused projection,
    /// q and k norms, output projection, post-attention norm, MLP norm, MLP projections,
    /// post-MLP norm; each weight before its bias), final norm, LM head.
    public var weights: [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        func table(_ t: Table) { out.append((t.module + ".weight", [t.rows, t.width])) }
        func norm(_ n: Norm) {
            out.append((n.module + ".weight", [n.width]))
            if n.hasBias { out.append((n.module + ".bias", [n.width])) }
        }
        func linear(_ l: Linear) {
            out.append((l.module + ".weight", l.orientation == .outIn ? [l.outputs, l.inputs] : [l.inputs, l.outputs]))
            if l.hasBias { out.append((l.module + ".bias", [l.outputs])) }
        }
        table(tokenEmbedding)
        if let positionEmbedding { table(positionEmbedding) }
        for block in blocks {
            norm(block.attentionNorm)
            switch block.attention.projections {
            case let .separate(q, k, v, _): linear(q); linear(k); linear(v)
            case let .fused(qkv): linear(qkv)
            }
            if let n = block.attention.queryNorm { norm(n) }
            if let n = block.attention.keyNorm { norm(n) }
            linear(block.attention.output)
            if let n = block.postAttentionNorm { norm(n) }
            norm(block.feedForwardNorm)
            switch block.feedForward {
            case let .swiglu(gate, up, down), let .geglu(gate, up, down): linear(gate); linear(up); linear(down)
            case let .gelu(fc, proj): linear(fc); linear(proj)
            }
            if let n = block.postFeedForwardNorm { norm(n) }
        }
        norm(finalNorm)
        if let outputProjection { table(outputProjection) }
        return out
    }

    /// The names of the norms' scale weights that start at 1 (every other vector, the
    /// `unitOffset` norms' included, starts at 0).
    public var normWeightNames: Set<String> {
        Set((blocks.flatMap(\.norms) + [finalNorm]).filter { !$0.unitOffset }.map { $0.module + ".weight" })
    }
}
