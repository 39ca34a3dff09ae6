/// The attention sub-layer of a block: projections to q, k, v (separate with optional biases,
/// optional per-head q/k norms and RoPE for the Llama family; one fused `c_attn` for GPT-2),
/// causal GQA attention over packed sequences (optionally in a sliding window), and the output
/// projection.
struct SelfAttention {
    enum Projections {
        /// RoPE rotates by `inverseFrequencies` `[D/2]` (the layer's `RotaryEmbedding`).
        case separate(q: Linear, k: Linear, v: Linear, inverseFrequencies: [Float])
        case fused(qkv: Linear)
    }

    let projections: Projections
    let output: Linear
    let heads: Int
    let kvHeads: Int
    let headSize: Int
    /// Per-head norms of q and k (width D), before RoPE (Qwen3, Gemma 3).
    var queryNorm: Normalization?
    var keyNorm: Normalization?
    /// The sliding window every sequence of this layer attends in (nil: full causal).
    var window: Int?
    /// The score scale: 1/√D unless the architecture says otherwise.
    let scale: Float

    /// q, k, v as attention reads them, and what the per-head norms saved.
    struct Projected {
        let q: Tensor, k: Tensor, v: Tensor   // after norms and RoPE: [N, H, D], [N, G, D], [N, G, D]
        let queryNorm: Normalization.Saved?
        let keyNorm: Normalization.Saved?
    }

    /// What the backward needs from the forward. The input (the attention norm's output) is not
    /// kept: the backward is given it again.
    struct Saved {
        let projected: Projected
        let attended: Tensor                 // [N, H, D]
        let lse: Tensor                      // [N, H]
    }

    /// `sequences` with this layer's window.
    func windowed(_ sequences: [AttentionSequence]) -> [AttentionSequence] {
        guard let window else { return sequences }
        return sequences.map { $0.windowed(window) }
    }

    /// The projections of x `[N, C]` for tokens at `positions`: q `[N, H, D]`, k and v
    /// `[N, G, D]`, with the per-head norms and RoPE applied to q and k (Llama family);
    /// `rowwise` as in `Linear.forward`.
    func project(_ x: Tensor, positions: [Int32], _ p: ParameterStore,
                 rowwise: Bool = false) throws -> Projected {
        let n = x.shape[0], b = p.backend
        var q = try Tensor(uninitialized: [n, heads, headSize], on: b)
        var k = try Tensor(uninitialized: [n, kvHeads, headSize], on: b)
        let v = try Tensor(uninitialized: [n, kvHeads, headSize], on: b)
        var savedQ: Normalization.Saved?, savedK: Normalization.Saved?
        switch projections {
        case let .separate(qp, kp, vp, frequencies):
            try qp.forward(x, into: q.reshaped([n, heads * headSize]), p, rowwise: rowwise)
            try kp.forward(x, into: k.reshaped([n, kvHeads * headSize]), p, rowwise: rowwise)
            try vp.forward(x, into: v.reshaped([n, kvHeads * headSize]), p, rowwise: rowwise)
            if let queryNorm {
                let (normalized, saved) = try Self.normalize(q, queryNorm, p)
                q = normalized
                savedQ = saved
            }
            if let keyNorm {
                let (normalized, saved) = try Self.normalize(k, keyNorm, p)
                k = normalized
                savedK = saved
            }
            try q.applyRope(positions: positions, inverseFrequencies: frequencies)
            try k.applyRope(positions: positions, inverseFrequencies: frequencies)
        case let .fused(qkv):
            let c = heads * headSize
            let fused = try Tensor(uninitialized: [n, 3 * c], on: b)
            try qkv.forward(x, into: fused, p, rowwise: rowwise)
            for (i, t) in [q, k, v].enumerated() {
                try fused.columns(i * c ..< (i + 1) * c, into: t.reshaped([n, c]))
            }
        }
        return Projected(q: q, k: k, v: v, queryNorm: savedQ, keyNorm: savedK)
    }

    /// `norm` over every head of x `[N, heads, D]`: a new `[N, heads, D]` and what it saved.
    private static func normalize(_ x: Tensor, _ norm: Normalization,
                                  _ p: ParameterStore) throws -> (Tensor, Normalization.Saved) {
        let rows = x.shape[0] * x.shape[1], d = x.shape[2]
        let out = try Tensor(uninitialized: x.shape, on: p.backend)
        let saved = try norm.forward(x.reshaped([rows, d]), into: out.reshaped([rows, d]), p)
        return (out, saved)
    }

    /// The gradient of `normalize` at its input, from dout `[N, heads, D]`; the norm's weight
    /// gradient accumulates.
    private static func normalizeBackward(_ dout: Tensor, _ norm: Normalization, _ saved: Normalization.Saved,
                                          _ p: ParameterStore) throws -> Tensor {
        let rows = dout.shape[0] * dout.shape[1], d = dout.shape[2]
        let dx = try Tensor(zeros: dout.shape, on: p.backend)
        try norm.backward(saved, dout: dout.reshaped([rows, d]), dx: dx.reshaped([rows, d]), p)
        return dx
    }

    /// out `[N, C]` = attention(x `[N, C]`) for tokens at `positions` laid out as `sequences`.
    func forward(_ x: Tensor, positions: [Int32], sequences: [AttentionSequence], into out: Tensor,
                 _ p: ParameterStore) throws -> Saved {
        let n = x.shape[0], b = p.backend
        let projected = try project(x, positions: positions, p)
        let attended = try Tensor(uninitialized: [n, heads, headSize], on: b)
        let lse = try Tensor(uninitialized: [n, heads], on: b)
        try Tensor.attention(q: projected.q, k: projected.k, v: projected.v, into: attended, lse: lse,
                             sequences: windowed(sequences), scale: scale)
        try output.forward(attended.reshaped([n, heads * headSize]), into: out, p)
        return Saved(projected: projected, attended: attended, lse: lse)
    }

    /// dx = ∂out/∂x · dout (overwritten: dx may start uninitialised) for the forward's input x
    /// `[N, C]` (given again: `Saved` does not keep it); the projections' gradients accumulate.
    func backward(_ s: Saved, input x: Tensor, dout: Tensor, positions: [Int32], sequences: [AttentionSequence],
                  dx: Tensor, _ p: ParameterStore) throws {
        let n = x.shape[0], b = p.backend
        let dAttended = try Tensor(uninitialized: s.attended.shape, on: b)
        try output.backward(x: s.attended.reshaped([n, heads * headSize]), dy: dout,
                            dx: dAttended.reshaped([n, heads * headSize]), p, overwrite: true)
        let projected = s.projected
        var dq = try Tensor(zeros: projected.q.shape, on: b)
        var dk = try Tensor(zeros: projected.k.shape, on: b), dv = try Tensor(zeros: projected.v.shape, on: b)
        try Tensor.attentionBackward(dout: dAttended, q: projected.q, k: projected.k, v: projected.v,
                                     out: s.attended, lse: s.lse, dq: dq, dk: dk, dv: dv,
                                     sequences: windowed(sequences), scale: scale)
        switch projections {
        case let .separate(qp, kp, vp, frequencies):
            try dq.applyRope(positions: positions, inverseFrequencies: frequencies, inverse: true)
            try dk.applyRope(positions: positions, inverseFrequencies: frequencies, inverse: true)
            if let queryNorm, let saved = projected.queryNorm { dq = try Self.normalizeBackward(dq, queryNorm, saved, p) }
            if let keyNorm, let saved = projected.keyNorm { dk = try Self.normalizeBackward(dk, keyNorm, saved, p) }
            try qp.backward(x: x, dy: dq.reshaped([n, heads * headSize]), dx: dx, p, overwrite: true)
            try kp.backward(x: x, dy: dk.reshaped([n, kvHeads * headSize]), dx: dx, p)
            try vp.backward(x: x, dy: dv.reshaped([n, kvHeads * headSize]), dx: dx, p)
        case let .fused(qkv):
            let c = heads * headSize
            let dFused = try Tensor(zeros: [n, 3 * c], on: b)
            for (i, t) in [dq, dk, dv].enumerated() {
                try dFused.addColumns(i * c ..< (i + 1) * c, from: t.reshaped([n, c]))
            }
            try qkv.backward(x: x, dy: dFused, dx: dx, p, overwrite: true)
        }
    }
}
