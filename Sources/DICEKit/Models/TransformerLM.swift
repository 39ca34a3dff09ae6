/// A decoder-only transformer language model on a `Backend`, with an explicit forward and
/// backward (no autograd graph), built from its architecture's `ModelLayout`.
///
/// Parameters live in one `ParameterStore` under their Hugging Face names; gradients mirror it.
/// Batches are packed: sequences of different lengths are laid end to end, with no padding.
public final class TransformerLM {
    /// The configuration the model was built from.
    public let config: ModelConfig
    /// The architecture's shape (`config.spec`).
    public let spec: TransformerSpec
    /// Weights and gradients.
    public let parameters: ParameterStore
    /// Where the model runs.
    public var backend: any Backend { parameters.backend }
    /// Whether pairs of one batch with identical prompts compute the prompt once (prefix
    /// sharing: DPO's chosen and rejected responses). Results are the same either way.
    public var sharesPrompts = true
    /// Whether a training forward pass keeps only each block's input and recomputes the
    /// block's forward during the backward pass (activation checkpointing), instead of keeping
    /// every block's activations. It trades about one more forward pass of the blocks for
    /// memory: the saved activations shrink from every block's (≈ 8C + 3I + … floats per token
    /// and layer) to one `[N, C]` input per block plus one block's activations at a time.
    /// Gradients are bit-identical either way on the CPU (the recomputed forward is the same
    /// computation on the same input). Inference passes keep nothing either way.
    public var checkpointsActivations = false
    /// The most logits a pass holds at once, in Float32 elements (`logitsChunkElements` unless a
    /// test lowers it to exercise the chunked paths).
    var logitsChunkLimit = TransformerLM.logitsChunkElements

    /// The parts, as the architecture declares them.
    let layout: ModelLayout
    let tokenEmbedding: ParameterStore.Entry
    let positionEmbedding: ParameterStore.Entry?
    let blocks: [TransformerBlock]
    let finalNorm: Normalization
    /// `[V, C]`: `lm_head.weight`, or the token embedding when tied; `[labels, C]`
    /// `score.weight` under a score head.
    let outputProjection: ParameterStore.Entry

    /// What the final hidden state is projected to (`config.head`).
    public var head: OutputHead { config.head }

    /// A model of `config`'s architecture with all weights zero (load or initialise them next).
    /// `trainable: false` freezes the weights (no gradients; a `.bf16` `CPUBackend` then holds
    /// the matrices only in bfloat16, see `ParameterStore`): for a model that only samples or
    /// scores, or the base under a LoRA adapter.
    /// - Throws: `ModelError.invalidSpec` (duplicate weight names in the layout);
    ///   `BackendError.allocationFailed`.
    public init(config: ModelConfig, backend: any Backend, trainable: Bool = true) throws {
        let layout = config.layout
        let p = try ParameterStore(shapes: config.expectedWeights(), on: backend, trainable: trainable)
        func entry(_ name: String) throws -> ParameterStore.Entry { try p.entry(name) }
        func table(_ t: ModelLayout.Table) throws -> ParameterStore.Entry { try entry(t.module + ".weight") }
        func linear(_ l: ModelLayout.Linear) throws -> Linear {
            Linear(weight: try entry(l.module + ".weight"), bias: l.hasBias ? try entry(l.module + ".bias") : nil,
                   layout: l.orientation == .outIn ? .outIn : .inOut, module: l.module)
        }
        func norm(_ n: ModelLayout.Norm) throws -> Normalization {
            Normalization(kind: n.kind == .rms ? .rms : .layer, weight: try entry(n.module + ".weight"),
                          bias: n.hasBias ? try entry(n.module + ".bias") : nil, epsilon: n.epsilon,
                          unitOffset: n.unitOffset)
        }
        func block(_ b: ModelLayout.Block) throws -> TransformerBlock {
            let a = b.attention
            let projections: SelfAttention.Projections = switch a.projections {
            case let .separate(q, k, v, rope):
                .separate(q: try linear(q), k: try linear(k), v: try linear(v),
                          inverseFrequencies: rope.inverseFrequencies(headSize: a.headSize))
            case let .fused(qkv): .fused(qkv: try linear(qkv))
            }
            let feedForward: FeedForward.Kind = switch b.feedForward {
            case let .swiglu(gate, up, down): .swiglu(gate: try linear(gate), up: try linear(up), down: try linear(down))
            case let .geglu(gate, up, down): .geglu(gate: try linear(gate), up: try linear(up), down: try linear(down))
            case let .gelu(fc, proj): .gelu(fc: try linear(fc), proj: try linear(proj))
            }
            return TransformerBlock(
                attentionNorm: try norm(b.attentionNorm),
                attention: SelfAttention(projections: projections, output: try linear(a.output),
                                         heads: a.heads, kvHeads: a.kvHeads, headSize: a.headSize,
                                         queryNorm: try a.queryNorm.map(norm), keyNorm: try a.keyNorm.map(norm),
                                         window: a.window, scale: a.scale ?? 1 / Float(a.headSize).squareRoot()),
                postAttentionNorm: try b.postAttentionNorm.map(norm),
                feedForwardNorm: try norm(b.feedForwardNorm), feedForward: FeedForward(kind: feedForward),
                postFeedForwardNorm: try b.postFeedForwardNorm.map(norm))
        }
        self.config = config
        self.spec = config.spec
        self.layout = layout
        self.parameters = p
        tokenEmbedding = try table(layout.tokenEmbedding)
        positionEmbedding = try layout.positionEmbedding.map(table)
        blocks = try layout.blocks.map(block)
        finalNorm = try norm(layout.finalNorm)
        if case .score = config.head {
            outputProjection = try entry(OutputHead.scoreWeightName)
        } else {
            outputProjection = try layout.outputProjection.map(table) ?? tokenEmbedding
        }
    }

    /// Throws unless the model predicts next tokens (a sequence classifier has no
    /// next-token distribution to score, sample or decode from).
    /// - Throws: `ModelError.invalidSpec` for a score head.
    func requireLanguageModelHead() throws {
        guard case let .score(labels) = head else { return }
        throw ModelError.invalidSpec("this model is a sequence classifier (a score head with \(labels) label(s)), not a causal language model: load it as a RewardModel")
    }

    /// A model of `spec` (its architecture found by `spec.modelType` in `registry`) with all
    /// weights zero.
    /// - Throws: `ModelError.invalidSpec`; `BackendError.allocationFailed`.
    public convenience init(spec: TransformerSpec, backend: any Backend,
                            registry: ArchitectureRegistry = .standard) throws {
        try self.init(config: ModelConfig(spec, registry: registry), backend: backend)
    }

    /// Fills the weights with seeded random values: matrices N(0, std²), norm weights 1,
    /// biases 0 (the usual transformer initialisation).
    public func initializeRandomly(seed: UInt64, standardDeviation: Float = 0.02) throws {
        var rng = SplitMix64(seed: seed)
        let normWeights = layout.normWeightNames
        for entry in parameters.entries {
            let values: [Float]
            if entry.shape.count == 1 {
                values = [Float](repeating: normWeights.contains(entry.name) ? 1 : 0, count: entry.count)
            } else {
                values = (0..<entry.count).map { _ in rng.nextGaussian() * standardDeviation }
            }
            try parameters.set(entry.name, values)
        }
    }
}
