// MemoryPlan: the peak memory of a DPO update, of DICE's scoring and of K-sample generation,
// predicted by component from a model's configuration alone (nothing is allocated). Each term
// counts the buffers the code holds at that phase's peak (TransformerLM+Forward,
// TransformerBlock, SelfAttention, FeedForward, KVCache, Generator, AdamW); Documentation/Memory.md
// derives them and compares them with measured peaks.
//
// Legend: B batch, L tokens per sequence (P prompt + R response), K samples per prompt,
// C width, I MLP width, Q = H·D query width, KV = G·D key/value width, V vocabulary,
// n layers, W weight elements, A adapter elements. Activations are Float32 (4 bytes).

/// Predicted peak memory, in bytes, of DPO training, scoring and sampling with one model
/// configuration, by component.
///
/// The phases, as the DICE loop runs them:
/// - **dpo**: one DPO update of `batchSize` pairs, each prompt P + chosen R and prompt + rejected
///   R (P + R = `maxLength`; the prompt computed once per pair), reference log-probs
///   precomputed, AdamW;
/// - **scoring**: the implicit reward — log-probs of `batchSize` sequences of `maxLength`
///   tokens under two models held at once (π_{t−1} and π_{t−2}; with LoRA one base and two
///   adapter sets), one inference pass at a time, logits in chunks;
/// - **sampling**: `samples` responses of R new tokens to each of `batchSize` prompts of P tokens,
///   in one generation batch (a KV cache of B·K slots × (L − 1) positions).
///
/// LoRA (`loraRank`) adds r·(in + out) adapter elements on every attention and MLP projection,
/// held, differentiated and optimised in fp32; the base is frozen (no gradients, no optimizer
/// state). bf16 holds weights in 2 bytes; full fine-tuning in bf16 keeps fp32 master weights
/// (counted under `optimizer`). Activations, KV cache and logits stay Float32 either way.
/// `runtime` is the process's own memory (Swift runtime, OpenBLAS, code), a measured constant.
public struct MemoryPlan: Sendable, Codable, Hashable {
    /// How weights are stored.
    public enum WeightType: String, Sendable, Codable, Hashable, CaseIterable {
        /// 4 bytes per weight.
        case fp32
        /// 2 bytes per weight (fp32 masters when the weights are trained).
        case bf16
    }

    /// The settings a plan is made for.
    public struct Settings: Sendable, Codable, Hashable {
        /// B: pairs per DPO pass, sequences per scoring pass, prompts per sampling batch (≥ 1).
        public var batchSize: Int
        /// L: tokens of each sequence, prompt + response (≥ 2).
        public var maxLength: Int
        /// P: the prompt's tokens (1 ..< L); the response has L − P.
        public var promptLength: Int
        /// K: samples per prompt when sampling (≥ 1).
        public var samples: Int
        /// The LoRA rank (nil: full fine-tuning).
        public var loraRank: Int?
        /// How weights are stored.
        public var weightType: WeightType
        /// Whether DPO keeps only each block's input (`TransformerLM.checkpointsActivations`).
        public var checkpointActivations: Bool

        /// Settings for B sequences of L tokens, the prompt half of them (P = L/2) unless told.
        public init(batchSize: Int, maxLength: Int, promptLength: Int? = nil, samples: Int = 1, loraRank: Int? = nil,
                    weightType: WeightType = .fp32, checkpointActivations: Bool = false) {
            self.batchSize = batchSize
            self.maxLength = maxLength
            self.promptLength = promptLength ?? max(1, maxLength / 2)
            self.samples = samples
            self.loraRank = loraRank
            self.weightType = weightType
            self.checkpointActivations = checkpointActivations
        }
    }

    /// A setting outside its domain.
    public struct InvalidSetting: Error, Equatable, CustomStringConvertible {
        /// The setting's name (`Settings`' property).
        public let name: String
        /// Its value.
        public let value: String
        /// What was expected.
        public let expected: String
        /// "NAME VALUE: expected …".
        public var description: String { "\(name) \(value): expected \(expected)" }
    }

    /// One phase's peak, in bytes, by component.
    public struct Phase: Sendable, Codable, Hashable {
        /// The model weights held (bf16: 2 bytes each).
        public var weights: Double
        /// LoRA adapter values (fp32).
        public var adapters: Double
        /// Gradients of what is trained (fp32).
        public var gradients: Double
        /// Optimizer state: AdamW's two moments of what is trained; fp32 masters of bf16 weights.
        public var optimizer: Double
        /// Activations held for the backward pass, plus one block's working buffers (DPO: what
        /// they need beyond the logits chunk, whose memory they reuse).
        public var activations: Double
        /// The generation KV cache.
        public var kvCache: Double
        /// Logits and their gradient (or host copies, when sampling).
        public var logits: Double
        /// The process's own memory (runtime, libraries).
        public var runtime: Double
        /// The sum of the components.
        public var total: Double {
            weights + adapters + gradients + optimizer + activations + kvCache + logits + runtime
        }
    }

    /// The settings planned for.
    public let settings: Settings
    /// One DPO update.
    public let dpo: Phase
    /// Scoring with the implicit reward (two models).
    public let scoring: Phase
    /// Generating K samples per prompt.
    public let sampling: Phase

    /// The process's own resident memory besides the buffers counted (Swift runtime, Foundation,
    /// OpenBLAS's buffers, the binary): 64 MiB, measured on Linux x86-64.
    public static let runtimeBytes = 64.0 * 1_048_576

    /// The plan for a model of `config` under `settings`.
    /// - Throws: `InvalidSetting` for a batch < 1, a length < 2 or beyond the model's context,
    ///   a prompt outside 1 ..< L, samples < 1 or a LoRA rank < 1.
    public init(config: ModelConfig, settings s: Settings) throws {
        func require(_ ok: Bool, _ name: String, _ value: Int, _ expected: String) throws {
            if !ok { throw InvalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        let spec = config.spec
        try require(s.batchSize >= 1, "batchSize", s.batchSize, "≥ 1")
        try require(s.maxLength >= 2 && s.maxLength <= spec.maxPositions, "maxLength", s.maxLength,
                    "2 ... \(spec.maxPositions) (the model's context)")
        try require(s.promptLength >= 1 && s.promptLength < s.maxLength, "promptLength", s.promptLength,
                    "1 ..< maxLength (\(s.maxLength))")
        try require(s.samples >= 1, "samples", s.samples, "≥ 1")
        if let r = s.loraRank { try require(r >= 1, "loraRank", r, "≥ 1") }
        settings = s
        let shape = Shape(config)
        let f = 4.0   // bytes per Float32
        let weightBytes = s.weightType == .bf16 ? 2.0 : 4.0
        let w = shape.weights, a = Double(s.loraRank ?? 0) * shape.adapterWidth
        let lora = s.loraRank != nil
        let (b, l, p) = (Double(s.batchSize), Double(s.maxLength), Double(s.promptLength))
        let r = l - p, k = Double(s.samples)
        let runtime = Self.runtimeBytes

        // DPO: N packed tokens (prompt once per pair), 2·B·R rows with logits.
        let n = b * (p + 2 * r), rows = 2 * b * r
        // An adapter keeps nothing between its forward and backward (x·Aᵀ is recomputed), and
        // a pass through one does not keep the MLP's up projections (TransformerLM.trunk).
        let keepsUp = !lora
        let kept: Double
        if s.checkpointActivations {
            // Each block before the last keeps its input; the last keeps everything, released
            // after its backward (TransformerLM.BlockMemories), before the first recomputed
            // block's saved state (with its up projection) is made.
            kept = Double(shape.layers - 1) * n * shape.c
                + max(shape.lastBlockSaved(n: n, rows: rows, keepsUp: keepsUp), n * shape.savedPerToken(keepsUp: true))
        } else {
            kept = Double(shape.layers - 1) * n * shape.savedPerToken(keepsUp: keepsUp)
                + shape.lastBlockSaved(n: n, rows: rows, keepsUp: keepsUp)
        }
        // Logits and their gradient, for one chunk of rows at a time when they do not fit one.
        let dpoLogitRows = min(rows, max(1, Double(TransformerLM.logitsChunkElements / max(1, spec.vocabularySize))))
        let dpoLogits = f * 2 * dpoLogitRows * shape.v
        // The final norm's input and output rows, and one block's backward buffers: those are
        // made after the last logits chunk and its gradient are released (the buffer pool hands
        // their blocks back), so only what they need beyond the logits adds to the peak.
        let dpoActivations = f * (kept + 2 * rows * shape.c) + max(0, f * n * shape.backwardPerToken - dpoLogits)
        dpo = Phase(weights: weightBytes * w, adapters: f * a, gradients: f * (lora ? a : w),
                    optimizer: f * 2 * (lora ? a : w) + (s.weightType == .bf16 && !lora ? f * w : 0),
                    activations: dpoActivations, kvCache: 0, logits: dpoLogits, runtime: runtime)

        // Scoring: two models; one inference pass of B·L tokens at a time; logits in chunks.
        let scoredRows = b * r
        let chunk = min(scoredRows, max(1, Double(TransformerLM.logitsChunkElements / max(1, spec.vocabularySize))))
        scoring = Phase(weights: weightBytes * w * (lora ? 1 : 2), adapters: f * a * 2, gradients: 0, optimizer: 0,
                        activations: f * (b * l * shape.inferencePerToken + chunk * shape.c),
                        kvCache: 0, logits: f * chunk * shape.v, runtime: runtime)

        // Sampling: B·K slots of L − 1 positions; the prefill of B·P tokens or a decoding step
        // of B·K rows; the decoding step's logits on the backend and twice on the host.
        let slots = b * k
        let capacity = min(Double(spec.maxPositions), l - 1)
        sampling = Phase(weights: weightBytes * w, adapters: f * a, gradients: 0, optimizer: 0,
                         activations: f * max(b * p, slots) * shape.decodePerToken,
                         kvCache: f * 2 * Double(shape.layers) * slots * capacity * shape.kv,
                         logits: f * 3 * max(b, slots) * shape.v, runtime: runtime)
    }
}

extension MemoryPlan {
    /// The sizes the plan reads from an architecture's layout, in Float32 elements.
    struct Shape {
        let layers: Int
        let c: Double, q: Double, kv: Double, heads: Double, mlp: Double, v: Double
        /// Weight elements, and Σ (in + out) over the projections LoRA adapts.
        let weights: Double, adapterWidth: Double
        /// MLP-width tensors a block's forward makes (gate, up, activation; fc and activation for
        /// GELU); the activation is never kept for the backward, the up projection not always.
        let mlpTensors: Double
        /// Extra per-token values of q/k norms and post-norms (their inputs and statistics).
        let extraSaved: Double
        /// Per-token statistics the attention norm and the MLP norm keep (RMSNorm: rstd; LayerNorm:
        /// mean and rstd).
        let attentionNormStatistics: Double, feedForwardNormStatistics: Double

        init(_ config: ModelConfig) {
            let spec = config.spec, layout = config.layout
            layers = spec.layers
            c = Double(spec.hiddenSize)
            heads = Double(spec.heads)
            q = Double(spec.heads * spec.headSize)
            kv = Double(spec.kvHeads * spec.headSize)
            mlp = Double(spec.intermediateSize)
            v = Double(spec.vocabularySize)
            weights = config.expectedWeights().reduce(0.0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
            var width = 0.0, extra = 0.0, attentionStatistics = 0.0, feedForwardStatistics = 0.0
            func statistics(_ norm: ModelLayout.Norm) -> Double { norm.kind == .layer ? 2 : 1 }
            func add(_ linear: ModelLayout.Linear) { width += Double(linear.inputs + linear.outputs) }
            for block in layout.blocks {
                switch block.attention.projections {
                case let .separate(qp, kp, vp, _): add(qp); add(kp); add(vp)
                case let .fused(qkv): add(qkv)
                }
                add(block.attention.output)
                switch block.feedForward {
                case let .swiglu(gate, up, down), let .geglu(gate, up, down): add(gate); add(up); add(down)
                case let .gelu(fc, proj): add(fc); add(proj)
                }
                // q/k norms run per head: one row (and its statistics) per head and token.
                if let norm = block.attention.queryNorm { extra += Double(spec.heads) * (Double(spec.headSize) + statistics(norm)) }
                if let norm = block.attention.keyNorm { extra += Double(spec.kvHeads) * (Double(spec.headSize) + statistics(norm)) }
                if let norm = block.postAttentionNorm { extra += Double(spec.hiddenSize) + statistics(norm) }
                if let norm = block.postFeedForwardNorm { extra += Double(spec.hiddenSize) + statistics(norm) }
                attentionStatistics += statistics(block.attentionNorm)
                feedForwardStatistics += statistics(block.feedForwardNorm)
            }
            let blocks = Double(max(1, layout.blocks.count))
            adapterWidth = width
            extraSaved = extra / blocks
            attentionNormStatistics = layout.blocks.isEmpty ? 1 : attentionStatistics / blocks
            feedForwardNormStatistics = layout.blocks.isEmpty ? 1 : feedForwardStatistics / blocks
            if case .gelu = layout.blocks.first?.feedForward { mlpTensors = 2 } else { mlpTensors = 3 }
        }

        /// What one block keeps per token for its backward (`TransformerBlock.Saved`): its input
        /// and the attention norm's statistic, q, k, v, the attention output and its row
        /// statistics; then the residual after attention, the MLP norm's statistic, and the MLP's
        /// gate (GELU: fc), and its up projection when the block `keepsUp`. The norms' outputs
        /// and the MLP's activation are recomputed (and the up projection when not kept).
        var attentionSavedPerToken: Double { c + 2 * q + 2 * kv + heads + attentionNormStatistics }
        /// The part of a block's saved state that only output rows keep in the last block.
        func feedForwardSavedPerToken(keepsUp: Bool) -> Double {
            c + (keepsUp ? mlpTensors - 1 : 1) * mlp + feedForwardNormStatistics
        }
        /// `attentionSavedPerToken + feedForwardSavedPerToken` and the extra norms' inputs.
        func savedPerToken(keepsUp: Bool) -> Double {
            attentionSavedPerToken + feedForwardSavedPerToken(keepsUp: keepsUp) + extraSaved
        }

        /// The last block's saved state: attention over all N tokens, the MLP over the rows
        /// with logits.
        func lastBlockSaved(n: Double, rows: Double, keepsUp: Bool) -> Double {
            n * (attentionSavedPerToken + extraSaved) + rows * feedForwardSavedPerToken(keepsUp: keepsUp)
        }

        /// One block's backward buffers per token: the gradients at the MLP's inner tensors and
        /// its input, at q, k, v and the attention output, and the residual's; the recomputed
        /// norm output, up projection and MLP activation (whose buffer then holds the gate's
        /// gradient).
        var backwardPerToken: Double { 4 * c + 4 * mlp + 2 * q + 2 * kv }

        /// An inference block's buffers per token, all alive at its end: input, norms' outputs,
        /// q, k, v, attention output, the branches, the MLP's inner tensors, the output.
        var inferencePerToken: Double { 7 * c + 2 * q + 2 * kv + heads + mlpTensors * mlp + extraSaved }

        /// A decoding pass's buffers per row: the residual, the norm output and the branch,
        /// q, k, v, attention output, the MLP's inner tensors.
        var decodePerToken: Double { 3 * c + 2 * q + 2 * kv + heads + mlpTensors * mlp + extraSaved }
    }
}
