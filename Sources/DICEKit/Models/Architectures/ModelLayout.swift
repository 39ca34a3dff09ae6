// ModelLayout: an architecture's weights and blocks as data — which shared layer each part is
// (linear, RMSNorm/LayerNorm, attention with separate or fused projections, SwiGLU/GELU MLP),
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
            /// RMSNorm: `x / rms(x) · weight` (Llama).
            case rms
            /// LayerNorm: `(x − mean) / std · weight + bias` (GPT-2; needs a bias).
            case layer
        }

        /// RMSNorm or LayerNorm.
        public var kind: Kind
        /// Module path, e.g. `model.layers.0.input_layernorm`.
        public var module: String
        /// Features normalised (C).
        public var width: Int
        /// Whether `{module}.bias` `[width]` exists (LayerNorm).
        public var hasBias: Bool
        /// ε added to the variance.
        public var epsilon: Float

        /// A norm at `module`; LayerNorm has a bias.
        public init(_ kind: Kind, module: String, width: Int, epsilon: Float) {
            self.kind = kind
            self.module = module
            self.width = width
            self.hasBias = kind == .layer
            self.epsilon = epsilon
        }
    }

    /// How attention gets its queries, keys and values.
    public enum Projections: Sendable, Hashable {
        /// Three projections `[H·D]`, `[G·D]`, `[G·D]`, with RoPE (base θ) on q and k (Llama).
        case separate(q: Linear, k: Linear, v: Linear, ropeTheta: Float)
        /// One projection to `[3·H·D]` split into q, k, v; no RoPE (GPT-2's `c_attn`).
        case fused(qkv: Linear)
    }

    /// Causal self-attention: projections, H query heads over G key/value heads of size D,
    /// and the output projection `[H·D] → [C]`.
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

        /// An attention sub-layer.
        public init(projections: Projections, output: Linear, heads: Int, kvHeads: Int, headSize: Int) {
            self.projections = projections
            self.output = output
            self.heads = heads
            self.kvHeads = kvHeads
            self.headSize = headSize
        }
    }

    /// The MLP of a block.
    public enum FeedForward: Sendable, Hashable {
        /// `down(silu(gate(x)) · up(x))` (Llama).
        case swiglu(gate: Linear, up: Linear, down: Linear)
        /// `proj(gelu_tanh(fc(x)))` (GPT-2).
        case gelu(fc: Linear, proj: Linear)
    }

    /// One pre-norm block: `h = x + attention(attentionNorm(x))`, then
    /// `h + feedForward(feedForwardNorm(h))`.
    public struct Block: Sendable, Hashable {
        /// The norm before attention.
        public var attentionNorm: Norm
        /// The attention sub-layer.
        public var attention: Attention
        /// The norm before the MLP.
        public var feedForwardNorm: Norm
        /// The MLP.
        public var feedForward: FeedForward

        /// A block of these parts.
        public init(attentionNorm: Norm, attention: Attention, feedForwardNorm: Norm, feedForward: FeedForward) {
            self.attentionNorm = attentionNorm
            self.attention = attention
            self.feedForwardNorm = feedForwardNorm
            self.feedForward = feedForward
        }
    }

    /// `[V, C]` token embedding.
    public var tokenEmbedding: Table
    /// `[P, C]` learned position embedding, added to the token embedding (GPT-2); nil with RoPE.
    public var positionEmbedding: Table?
    /// The blocks, in order.
    public var blocks: [Block]
    /// The norm before the LM head.
    public var finalNorm: Norm
    /// `[V, C]` LM head; nil when it is tied to the token embedding.
    public var outputProjection: Table?

    /// A layout of these parts.
    public init(tokenEmbedding: Table, positionEmbedding: Table? = nil, blocks: [Block], finalNorm: Norm,
                outputProjection: Table?) {
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputProjection = outputProjection
    }

    /// Every parameter with its Hugging Face name and shape, in storage order: token
    /// embedding, position embedding, per block (attention norm, q/k/v or fused projection,
    /// output projection, MLP norm, MLP projections; each weight before its bias), final norm,
    /// LM head.
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
            linear(block.attention.output)
            norm(block.feedForwardNorm)
            switch block.feedForward {
            case let .swiglu(gate, up, down): linear(gate); linear(up); linear(down)
            case let .gelu(fc, proj): linear(fc); linear(proj)
            }
        }
        norm(finalNorm)
        if let outputProjection { table(outputProjection) }
        return out
    }

    /// The names of the norms' scale weights (initialised to 1; every other vector to 0).
    public var normWeightNames: Set<String> {
        Set((blocks.flatMap { [$0.attentionNorm, $0.feedForwardNorm] } + [finalNorm]).map { $0.module + ".weight" })
    }
}
