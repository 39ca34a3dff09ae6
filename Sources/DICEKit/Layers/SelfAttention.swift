/// The attention sub-layer of a block: projections to q, k, v (separate with optional biases
/// and RoPE for the Llama family; one fused `c_attn` for GPT-2), causal GQA attention over
/// packed sequences, and the output projection.
struct SelfAttention {
    enum Projections {
        case separate(q: Linear, k: Linear, v: Linear, ropeTheta: Float)
        case fused(qkv: Linear)
    }

    let projections: Projections
    let output: Linear
    let heads: Int
    let kvHeads: Int
    let headSize: Int

    struct Saved {
        let input: Tensor
        let q: Tensor, k: Tensor, v: Tensor  // after RoPE: [N, H, D], [N, G, D], [N, G, D]
        let attended: Tensor                 // [N, H, D]
        let lse: Tensor                      // [N, H]
    }

    var scale: Float { 1 / Float(headSize).squareRoot() }

    /// The projections of x `[N, C]` for tokens at `positions`: q `[N, H, D]`, k and v
    /// `[N, G, D]`, with RoPE applied to q and k (Llama family); `rowwise` as in
    /// `Linear.forward`.
    func project(_ x: Tensor, positions: [Int32], _ p: ParameterStore,
                 rowwise: Bool = false) throws -> (q: Tensor, k: Tensor, v: Tensor) {
        let n = x.shape[0], b = p.backend
        let q = try Tensor(uninitialized: [n, heads, headSize], on: b)
        let k = try Tensor(uninitialized: [n, kvHeads, headSize], on: b)
        let v = try Tensor(uninitialized: [n, kvHeads, headSize], on: b)
        switch projections {
        case let .separate(qp, kp, vp, theta):
            try qp.forward(x, into: q.reshaped([n, heads * headSize]), p, rowwise: rowwise)
            try kp.forward(x, into: k.reshaped([n, kvHeads * headSize]), p, rowwise: rowwise)
            try vp.forward(x, into: v.reshaped([n, kvHeads * headSize]), p, rowwise: rowwise)
            try q.applyRope(positions: positions, theta: theta)
            try k.applyRope(positions: positions, theta: theta)
        case let .fused(qkv):
            let c = heads * headSize
            let fused = try Tensor(uninitialized: [n, 3 * c], on: b)
            try qkv.forward(x, into: fused, p, rowwise: rowwise)
            for (i, t) in [q, k, v].enumerated() {
                try fused.columns(i * c ..< (i + 1) * c, into: t.reshaped([n, c]))
            }
        }
        return (q, k, v)
    }

    /// out `[N, C]` = attention(x `[N, C]`) for tokens at `positions` laid out as `sequences`.
    func forward(_ x: Tensor, positions: [Int32], sequences: [AttentionSequence], into out: Tensor,
                 _ p: ParameterStore) throws -> Saved {
        let n = x.shape[0], b = p.backend
        let (q, k, v) = try project(x, positions: positions, p)
        let attended = try Tensor(uninitialized: [n, heads, headSize], on: b)
        let lse = try Tensor(uninitialized: [n, heads], on: b)
        try Tensor.attention(q: q, k: k, v: v, into: attended, lse: lse, sequences: sequences, scale: scale)
        try output.forward(attended.reshaped([n, heads * headSize]), into: out, p)
        return Saved(input: x, q: q, k: k, v: v, attended: attended, lse: lse)
    }

    /// dx = ∂out/∂x · dout (overwritten: dx may start uninitialised); the projections'
    /// gradients accumulate.
    func backward(_ s: Saved, dout: Tensor, positions: [Int32], sequences: [AttentionSequence],
                  dx: Tensor, _ p: ParameterStore) throws {
        let n = s.input.shape[0], b = p.backend
        let dAttended = try Tensor(uninitialized: s.attended.shape, on: b)
        try output.backward(x: s.attended.reshaped([n, heads * headSize]), dy: dout,
                            dx: dAttended.reshaped([n, heads * headSize]), p, overwrite: true)
        let dq = try Tensor(zeros: s.q.shape, on: b)
        let dk = try Tensor(zeros: s.k.shape, on: b), dv = try Tensor(zeros: s.v.shape, on: b)
        try Tensor.attentionBackward(dout: dAttended, q: s.q, k: s.k, v: s.v, out: s.attended, lse: s.lse,
                                     dq: dq, dk: dk, dv: dv, sequences: sequences, scale: scale)
        switch projections {
        case let .separate(qp, kp, vp, theta):
            try dq.applyRope(positions: positions, theta: theta, inverse: true)
            try dk.applyRope(positions: positions, theta: theta, inverse: true)
            try qp.backward(x: s.input, dy: dq.reshaped([n, heads * headSize]), dx: dx, p, overwrite: true)
            try kp.backward(x: s.input, dy: dk.reshaped([n, kvHeads * headSize]), dx: dx, p)
            try vp.backward(x: s.input, dy: dv.reshaped([n, kvHeads * headSize]), dx: dx, p)
        case let .fused(qkv):
            let c = heads * headSize
            let dFused = try Tensor(zeros: [n, 3 * c], on: b)
            for (i, t) in [dq, dk, dv].enumerated() {
                try dFused.addColumns(i * c ..< (i + 1) * c, from: t.reshaped([n, c]))
            }
            try qkv.backward(x: s.input, dy: dFused, dx: dx, p, overwrite: true)
        }
    }
}
