/// One pre-norm transformer block: `x + attn(norm1(x))`, then `h + mlp(norm2(h))`.
struct TransformerBlock {
    let attentionNorm: Normalization
    let attention: SelfAttention
    let feedForwardNorm: Normalization
    let feedForward: FeedForward

    struct Saved {
        let attentionNorm: Normalization.Saved
        let attention: SelfAttention.Saved
        let feedForwardNorm: Normalization.Saved
        let feedForward: FeedForward.Saved
    }

    /// The block's output `[N, C]` for input x `[N, C]`.
    func forward(_ x: Tensor, positions: [Int32], sequences: [AttentionSequence],
                 _ p: ParameterStore) throws -> (Tensor, Saved) {
        let b = p.backend
        let h1 = try Tensor(uninitialized: x.shape, on: b)
        let s1 = try attentionNorm.forward(x, into: h1, p)
        let a = try Tensor(uninitialized: x.shape, on: b)
        let sa = try attention.forward(h1, positions: positions, sequences: sequences, into: a, p)
        let mid = try Tensor(uninitialized: x.shape, on: b)
        try x.add(a, into: mid)
        let h2 = try Tensor(uninitialized: x.shape, on: b)
        let s2 = try feedForwardNorm.forward(mid, into: h2, p)
        let m = try Tensor(uninitialized: x.shape, on: b)
        let sm = try feedForward.forward(h2, into: m, p)
        let out = try Tensor(uninitialized: x.shape, on: b)
        try mid.add(m, into: out)
        return (out, Saved(attentionNorm: s1, attention: sa, feedForwardNorm: s2, feedForward: sm))
    }

    /// Back-propagates through the block in place: on entry `dresidual` holds ∂L/∂out, on exit
    /// ∂L/∂x (the residual path passes through, the branches add to it).
    func backward(_ s: Saved, dresidual: Tensor, positions: [Int32], sequences: [AttentionSequence],
                  _ p: ParameterStore) throws {
        let b = p.backend
        let dh2 = try Tensor(uninitialized: dresidual.shape, on: b)
        try feedForward.backward(s.feedForward, dout: dresidual, dx: dh2, p)
        try feedForwardNorm.backward(s.feedForwardNorm, dout: dh2, dx: dresidual, p)
        let dh1 = try Tensor(uninitialized: dresidual.shape, on: b)
        try attention.backward(s.attention, dout: dresidual, positions: positions,
                               sequences: sequences, dx: dh1, p)
        try attentionNorm.backward(s.attentionNorm, dout: dh1, dx: dresidual, p)
    }
}
