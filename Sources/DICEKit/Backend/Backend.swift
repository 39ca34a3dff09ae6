// Backend: backend-owned buffers and the kernel set that the transformer and DPO need.
//
// Dimension legend used in every shape comment (as in llm.c):
//   N  tokens in a packed batch (sequences laid end to end, no padding)
//   C  channels (hidden size)         V  vocabulary size
//   H  query heads                    G  key/value heads (GQA groups), H % G == 0
//   D  head size                      I  MLP intermediate size
//   M, K, Nn  the matmul dimensions: C[M×Nn] = op(A)[M×K] · op(B)[K×Nn]
//
// Conventions:
// - Every buffer holds Float32 values; a `BufferSlice` names a range of one buffer.
// - Forward kernels overwrite their outputs. Backward kernels *accumulate* (`+=`) into the
//   gradients of their inputs, so callers zero gradient buffers once per step (llm.c style).
// - Kernels at this level trust their dimensions (checked with `precondition`, a programmer
//   error); the throwing, shape-checked entry points are on `Tensor` (see Tensor/Tensor+Kernels.swift).
// - Integer inputs (token ids, positions, sequence layouts) are small and passed as host arrays.

/// Memory owned by a backend: `count` Float32 values. Create one with `Backend.allocate(_:)`.
public protocol DeviceBuffer: AnyObject {
    /// Number of Float32 elements.
    var count: Int { get }
}

/// A contiguous range `[offset, offset + count)` of a `DeviceBuffer`.
public struct BufferSlice {
    /// The backing buffer.
    public let buffer: any DeviceBuffer
    /// First element of the range, in elements.
    public let offset: Int
    /// Number of elements in the range.
    public let count: Int

    /// A slice of `buffer`; `precondition`s that the range lies inside it.
    public init(_ buffer: any DeviceBuffer, offset: Int = 0, count: Int? = nil) {
        let n = count ?? (buffer.count - offset)
        precondition(offset >= 0 && n >= 0 && offset + n <= buffer.count,
                     "slice [\(offset), \(offset + n)) outside a buffer of \(buffer.count) elements")
        self.buffer = buffer
        self.offset = offset
        self.count = n
    }

    /// A sub-range of this slice, relative to its start.
    public func slice(_ start: Int, _ length: Int) -> BufferSlice {
        precondition(start >= 0 && length >= 0 && start + length <= count,
                     "sub-slice [\(start), \(start + length)) outside a slice of \(count) elements")
        return BufferSlice(buffer, offset: offset + start, count: length)
    }
}

/// One sequence of a packed attention batch.
///
/// Queries `[queryStart, queryStart + queryCount)` of the query buffer attend causally to keys
/// `[keyStart, keyStart + keyCount)` of the key/value buffers: query `i` (0-based within the
/// sequence) sees keys `0 ... keyCount - queryCount + i`. Training uses `queryCount == keyCount`;
/// incremental decoding uses a short query block at the end of a longer cached key range.
///
/// A sequence may also see a shared *prefix*: keys `[prefixStart, prefixStart + prefixCount)`,
/// visible to all of its queries and logically placed before its own keys. Prefix sharing uses
/// it: a prompt is computed once and the chosen and rejected responses both attend to it.
///
/// With a sliding `window` W, number the sequence's keys by score column (the prefix's, then its
/// own, from 0; the column of a key is its position): the query in column c sees only the
/// columns c' with c − W < c' ≤ c, as transformers' sliding-window mask (Mistral, Gemma's local
/// layers).
public struct AttentionSequence: Sendable, Hashable {
    /// The first query row of the sequence in the query buffer.
    public var queryStart: Int
    /// How many query rows the sequence has (≤ `keyCount`).
    public var queryCount: Int
    /// The first key/value row of the sequence's own keys.
    public var keyStart: Int
    /// How many own key/value rows the sequence has; its last `queryCount` keys align with its queries.
    public var keyCount: Int
    /// The first row of the shared key prefix (ignored when `prefixCount` is 0).
    public var prefixStart: Int
    /// How many shared prefix key/value rows every query of the sequence also sees (0: none).
    public var prefixCount: Int
    /// The sliding window W (> 0): each query sees at most its last W key columns; nil: all
    /// earlier ones.
    public var window: Int?

    /// A sequence with its query rows, its own key rows, an optional shared key prefix (rows of
    /// the packed buffers) and an optional sliding window (see the type's description for what
    /// each query sees).
    public init(queryStart: Int, queryCount: Int, keyStart: Int, keyCount: Int,
                prefixStart: Int = 0, prefixCount: Int = 0, window: Int? = nil) {
        self.queryStart = queryStart
        self.queryCount = queryCount
        self.keyStart = keyStart
        self.keyCount = keyCount
        self.prefixStart = prefixStart
        self.prefixCount = prefixCount
        self.window = window
    }

    /// This sequence with the sliding window `window` (nil: none).
    public func windowed(_ window: Int?) -> AttentionSequence {
        var s = self
        s.window = window
        return s
    }

    /// The score columns query `i` (0-based within the sequence) sees: `first ..< end`, where
    /// `end = prefixCount + keyCount − queryCount + i + 1` and `first` is 0, or `end − window`
    /// with a window.
    public func visibleColumns(query i: Int) -> Range<Int> {
        let end = prefixCount + keyCount - queryCount + i + 1
        guard let window else { return 0..<end }
        return max(0, end - window)..<end
    }

    /// A self-attention sequence: `count` tokens at `start` in both the query and key buffers,
    /// optionally after a shared prefix of keys.
    public init(start: Int, count: Int, prefixStart: Int = 0, prefixCount: Int = 0) {
        self.init(queryStart: start, queryCount: count, keyStart: start, keyCount: count,
                  prefixStart: prefixStart, prefixCount: prefixCount)
    }

    /// Preconditions every backend's attention kernels share (programmer errors: the Tensor
    /// layer validates user-facing layouts before calling): H a multiple of G, k and v of one
    /// size, lse large enough, and every sequence's rows inside the buffers.
    public static func checkLayout(q: BufferSlice, k: BufferSlice, v: BufferSlice, lse: BufferSlice,
                                   sequences: [AttentionSequence], heads: Int, kvHeads: Int, headSize: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                     "\(heads) query heads cannot share \(kvHeads) key/value heads")
        let queries = q.count / (heads * headSize), keys = k.count / (kvHeads * headSize)
        precondition(k.count == v.count && lse.count >= queries * heads, "attention shapes")
        for s in sequences {
            precondition(s.queryCount >= 0 && s.queryCount <= s.keyCount
                         && s.queryStart >= 0 && s.queryStart + s.queryCount <= queries
                         && s.keyStart >= 0 && s.keyStart + s.keyCount <= keys
                         && s.prefixCount >= 0 && s.prefixStart >= 0
                         && s.prefixStart + s.prefixCount <= keys && (s.window ?? 1) > 0,
                         "attention sequence \(s) outside \(queries) queries / \(keys) keys")
        }
    }

    /// The key rows this sequence reads (its prefix, then its own keys).
    var keyRanges: [Range<Int>] {
        [prefixStart..<(prefixStart + prefixCount), keyStart..<(keyStart + keyCount)].filter { !$0.isEmpty }
    }
}

/// Hyper-parameters of one AdamW step (PyTorch's `torch.optim.AdamW` semantics: decoupled
/// weight decay `θ ← θ − lr·λ·θ`, bias-corrected moments).
public struct AdamWStep: Sendable, Hashable {
    /// The learning rate lr of this step (already scheduled).
    public var learningRate: Float
    /// The first moment's decay β₁ (PyTorch's default 0.9).
    public var beta1: Float
    /// The second moment's decay β₂ (PyTorch's default 0.999).
    public var beta2: Float
    /// ε added to the square root of the second moment (PyTorch's default 1e-8).
    public var epsilon: Float
    /// The decoupled weight decay λ (`θ ← θ − lr·λ·θ` before the Adam update; 0: none).
    public var weightDecay: Float
    /// 1-based step number used for bias correction.
    public var step: Int

    /// The hyper-parameters of step `step` (1-based), PyTorch's defaults for the rest.
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, step: Int) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.step = step
    }
}

/// A compute backend: it owns buffers and runs the kernel set on them.
///
/// The CPU backend (`CPUBackend`) is the reference every other backend is tested against.
/// A backend's kernels are issued from one thread at a time; a backend parallelises inside
/// each kernel.
public protocol Backend: AnyObject, Sendable {
    /// A short name for reports, e.g. `"cpu"`.
    var name: String { get }

    // MARK: - Buffers

    /// Allocates `count` Float32 elements, zero-filled when `zeroed` (otherwise the contents are
    /// unspecified and every element must be written before it is read).
    /// - Throws: `BackendError.allocationFailed` when the memory cannot be had.
    func allocate(_ count: Int, zeroed: Bool) throws -> any DeviceBuffer
    /// Gives the memory that the backend's allocator keeps cached for reuse (blocks of freed
    /// buffers) back to the system, as `torch.cuda.empty_cache()` does; live buffers are
    /// untouched. Call it between phases, before a step that needs host memory (saving a
    /// model). The default does nothing (a backend without a cache).
    func releaseCachedMemory()
    /// Copies `values` into `destination` (`values.count == destination.count`).
    func upload(_ values: [Float], to destination: BufferSlice)
    /// Copies `source` out to the host.
    func download(_ source: BufferSlice) -> [Float]
    /// Sets every element of `destination` to `value`.
    func fill(_ destination: BufferSlice, with value: Float)
    /// Copies `source` into `destination` (same count; the ranges must not overlap).
    func copy(_ source: BufferSlice, to destination: BufferSlice)

    /// Copies a `rows × columns` block between row-strided layouts:
    /// `destination[r·destinationStride + c] (= or +=) source[r·sourceStride + c]`.
    /// Splits fused projections (GPT-2's `c_attn`) and gathers/scatters row blocks.
    func copy2D(_ source: BufferSlice, sourceStride: Int, to destination: BufferSlice,
                destinationStride: Int, rows: Int, columns: Int, accumulate: Bool)

    // MARK: - Matrix multiply

    /// Batched row-major GEMM: for each `b < batch`,
    /// `C_b[M×Nn] = alpha · op(A_b) · op(B_b) + beta · C_b`, where `op(A_b)` is `M×K`
    /// (stored `K×M` when `transposeA`) and `op(B_b)` is `K×Nn` (stored `Nn×K` when
    /// `transposeB`). Matrix `b` starts `b·stride` elements after its slice's start.
    func matmul(_ a: BufferSlice, transposeA: Bool, _ b: BufferSlice, transposeB: Bool,
                _ c: BufferSlice, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                batch: Int, strideA: Int, strideB: Int, strideC: Int)

    /// Decoding's projections: `y [R×out] = x [R×in] · Wᵀ` for a weight `W [out×in]` (the
    /// `torch.nn.Linear` layout), where every row of y is computed from its own row of x by
    /// the same instructions whatever R is, so that a token decodes to the same bits in any
    /// batch. (The default implementation, in an extension, is `matmul`, whose GEMM then has
    /// to have that property itself.)
    func rowwiseMatmul(_ x: BufferSlice, weight: BufferSlice, into y: BufferSlice,
                       rows: Int, inputs: Int, outputs: Int)

    /// Decoding's projections for a weight stored `[in×out]` (GPT-2's Conv1D layout):
    /// `y [R×out] = x [R×in] · W`, with every row of y computed from its own row of x by the
    /// same instructions whatever R is, as `rowwiseMatmul` does for `[out×in]` weights. (The
    /// default implementation, in an extension, is `matmul`.)
    func rowwiseMatmul(_ x: BufferSlice, inOutWeight weight: BufferSlice, into y: BufferSlice,
                       rows: Int, inputs: Int, outputs: Int)

    // MARK: - Elementwise and reductions

    /// `out = a + b` (all of one count; `out` may alias `a` or `b`).
    func add(_ a: BufferSlice, _ b: BufferSlice, into out: BufferSlice)
    /// `x *= alpha` in place.
    func scale(_ x: BufferSlice, by alpha: Float)
    /// `y += alpha · x`.
    func axpy(_ alpha: Float, _ x: BufferSlice, _ y: BufferSlice)
    /// Σ x, accumulated in Double.
    func sum(_ x: BufferSlice) -> Double
    /// Σ x², accumulated in Double.
    func sumOfSquares(_ x: BufferSlice) -> Double
    /// x[r, :] += bias for every row: x `[R, C]`, bias `[C]`.
    func addBias(_ x: BufferSlice, _ bias: BufferSlice, rows: Int, columns: Int)
    /// dbias += Σ_r dy[r, :]: dy `[R, C]`, dbias `[C]` (the bias backward).
    func sumRows(_ dy: BufferSlice, into dbias: BufferSlice, rows: Int, columns: Int)

    // MARK: - Embedding

    /// out[n, :] = table[ids[n], :]. table `[V, C]`, out `[N, C]`, ids in `0..<V`.
    func embedding(ids: [Int32], table: BufferSlice, into out: BufferSlice, channels: Int)
    /// dtable[ids[n], :] += dout[n, :] (scatter-add; repeated ids accumulate).
    func embeddingBackward(ids: [Int32], dout: BufferSlice, dtable: BufferSlice, channels: Int)

    // MARK: - Normalisation

    /// RMSNorm (Llama): out = x · rstd · weight, rstd = 1/sqrt(mean(x²) + eps).
    /// x, out `[N, C]`; weight `[C]`; saves rstd `[N]` for the backward.
    func rmsNorm(_ x: BufferSlice, weight: BufferSlice, epsilon: Float,
                 into out: BufferSlice, rstd: BufferSlice, rows: Int, channels: Int)
    /// Accumulates dx `[N, C]` and dweight `[C]` from dout, x, weight and the saved rstd.
    func rmsNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice, rstd: BufferSlice,
                         dx: BufferSlice, dweight: BufferSlice, rows: Int, channels: Int)
    /// LayerNorm (GPT-2): out = (x − mean) · rstd · weight + bias; saves mean, rstd `[N]`.
    func layerNorm(_ x: BufferSlice, weight: BufferSlice, bias: BufferSlice, epsilon: Float,
                   into out: BufferSlice, mean: BufferSlice, rstd: BufferSlice,
                   rows: Int, channels: Int)
    /// Accumulates dx `[N, C]`, dweight and dbias `[C]`.
    func layerNormBackward(dout: BufferSlice, x: BufferSlice, weight: BufferSlice,
                           mean: BufferSlice, rstd: BufferSlice,
                           dx: BufferSlice, dweight: BufferSlice, dbias: BufferSlice,
                           rows: Int, channels: Int)

    // MARK: - Activations

    /// GELU, tanh approximation (`gelu_new` / `gelu_pytorch_tanh`): out = gelu(x).
    func gelu(_ x: BufferSlice, into out: BufferSlice)
    /// dx += gelu'(x) · dout.
    func geluBackward(_ x: BufferSlice, dout: BufferSlice, dx: BufferSlice)
    /// SwiGLU: out = silu(gate) · up, all `[N, I]`.
    func swiglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice)
    /// dgate += dout · up · silu'(gate); dup += dout · silu(gate).
    func swigluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                        dgate: BufferSlice, dup: BufferSlice)
    /// GeGLU (Gemma): out = gelu(gate) · up with the tanh form of `gelu`, all `[N, I]`.
    func geglu(gate: BufferSlice, up: BufferSlice, into out: BufferSlice)
    /// dgate += dout · up · gelu'(gate); dup += dout · gelu(gate).
    func gegluBackward(gate: BufferSlice, up: BufferSlice, dout: BufferSlice,
                       dgate: BufferSlice, dup: BufferSlice)

    // MARK: - Positions

    /// Rotary position embedding in place, Hugging Face's "rotate half" layout: for each token
    /// `n`, head and `i < D/2`, the pair `(x[i], x[i + D/2])` is rotated by the angle
    /// `Float(positions[n]) · inverseFrequencies[i]` (cos and sin in Float32, as transformers).
    /// x `[N, heads, D]`; `inverseFrequencies` `[D/2]` (`RotaryEmbedding.inverseFrequencies`:
    /// θ^(−2i/D), or scaled). `inverse` rotates by the negative angle, which is the backward
    /// (the rotation's transpose) applied to a gradient.
    func rope(_ x: BufferSlice, positions: [Int32], heads: Int, headSize: Int,
              inverseFrequencies: [Float], inverse: Bool)

    // MARK: - Attention

    /// Causal grouped-query attention over packed sequences, each with its optional sliding
    /// window (`AttentionSequence.window`).
    /// q `[Nq, H, D]`, k and v `[Nk, G, D]`, out `[Nq, H, D]`; query head `h` reads key/value
    /// head `h / (H / G)`; scores are scaled by `scale` (usually 1/sqrt(D)). Saves the
    /// log-sum-exp of every score row in lse `[Nq, H]` for the backward.
    func attention(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice,
                   lse: BufferSlice, sequences: [AttentionSequence],
                   heads: Int, kvHeads: Int, headSize: Int, scale: Float)
    /// Accumulates dq, dk and dv (shapes as q, k, v) from dout and the forward's out and lse.
    /// Sequences may share key rows (prefixes); their contributions to dk, dv add up.
    func attentionBackward(dout: BufferSlice, q: BufferSlice, k: BufferSlice, v: BufferSlice,
                           out: BufferSlice, lse: BufferSlice,
                           dq: BufferSlice, dk: BufferSlice, dv: BufferSlice,
                           sequences: [AttentionSequence],
                           heads: Int, kvHeads: Int, headSize: Int, scale: Float)

    // MARK: - Log-probabilities

    /// The sequence log-prob kernel: logp[n] = log_softmax(logits[n, :])[targets[n]].
    /// logits `[N, V]`, logp `[N]`; saves the row log-sum-exp in lse `[N]`.
    func logSoftmaxGather(logits: BufferSlice, targets: [Int32], into logp: BufferSlice,
                          lse: BufferSlice, vocabulary: Int)
    /// dlogits[n, v] += dlogp[n] · (𝟙[v = targets[n]] − softmax(logits[n])[v]).
    func logSoftmaxGatherBackward(logits: BufferSlice, targets: [Int32], lse: BufferSlice,
                                  dlogp: BufferSlice, dlogits: BufferSlice, vocabulary: Int)

    // MARK: - Optimisation

    /// One AdamW update of params from grads, with first and second moments m and v
    /// (all of one count).
    func adamW(params: BufferSlice, grads: BufferSlice, m: BufferSlice, v: BufferSlice,
               _ step: AdamWStep)
    /// One SGD update: with momentum μ > 0, buf = μ·buf + g and θ −= lr·buf
    /// (PyTorch's convention); with μ = 0, θ −= lr·g and `momentumBuffer` is untouched.
    func sgd(params: BufferSlice, grads: BufferSlice, momentumBuffer: BufferSlice,
             learningRate: Float, momentum: Float, weightDecay: Float)
}

/// Failures of a backend that are not programmer errors.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    /// Memory for `count` elements could not be allocated.
    case allocationFailed(count: Int)

    /// One readable sentence: how many elements (and bytes) could not be allocated.
    public var description: String {
        switch self {
        case .allocationFailed(let count):
            let bytes = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
            return "could not allocate \(count) Float32 elements ("
                + (bytes.overflow ? "more bytes than fit in Int" : "\(bytes.partialValue) bytes") + ")"
        }
    }
}

extension Backend {
    /// Nothing cached, nothing to release.
    public func releaseCachedMemory() {}

    /// `matmul` (x · W, W `[inputs×outputs]`): row-wise only where the GEMM itself is.
    public func rowwiseMatmul(_ x: BufferSlice, inOutWeight weight: BufferSlice, into y: BufferSlice,
                              rows: Int, inputs: Int, outputs: Int) {
        matmul(x, transposeA: false, weight, transposeB: false, y, m: rows, n: outputs, k: inputs,
               alpha: 1, beta: 0, batch: 1, strideA: 0, strideB: 0, strideC: 0)
    }

    /// `matmul(x, transposeA: false, weight, transposeB: true, y, …)`.
    public func rowwiseMatmul(_ x: BufferSlice, weight: BufferSlice, into y: BufferSlice,
                              rows: Int, inputs: Int, outputs: Int) {
        matmul(x, transposeA: false, weight, transposeB: true, y, m: rows, n: outputs, k: inputs,
               alpha: 1, beta: 0, batch: 1, strideA: 0, strideB: 0, strideC: 0)
    }

    /// Allocates `count` zero-filled Float32 elements.
    /// - Throws: `BackendError.allocationFailed` when the memory cannot be had.
    public func allocate(_ count: Int) throws -> any DeviceBuffer {
        try allocate(count, zeroed: true)
    }

    /// The global L2 norm of several gradient slices: sqrt(Σ_i Σ g_i²).
    public func globalNorm(_ slices: [BufferSlice]) -> Double {
        slices.reduce(0.0) { $0 + sumOfSquares($1) }.squareRoot()
    }

    /// Scales the slices so that their global norm is at most `maxNorm` (PyTorch's
    /// `clip_grad_norm_`: factor `maxNorm / (norm + 1e-6)` applied when it is below 1).
    /// - Returns: the norm before clipping.
    @discardableResult
    public func clipGlobalNorm(_ slices: [BufferSlice], maxNorm: Double) -> Double {
        let norm = globalNorm(slices)
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 {
            for s in slices { scale(s, by: Float(factor)) }
        }
        return norm
    }
}
