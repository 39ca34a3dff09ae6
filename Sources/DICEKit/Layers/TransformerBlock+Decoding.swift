// One block on a KV cache (no state kept for a backward pass).

extension TransformerBlock {
    /// Updates the residual stream x `[N, C]` in place: `x += post1(attn(norm1(x)))`, then
    /// `x += post2(mlp(norm2(x)))` (post-norms where the block has them), with attention over
    /// this layer's cache (see `SelfAttention.decode`).
    func decode(_ x: Tensor, positions: [Int32], writes: [SelfAttention.CacheWrite],
                sequences: [AttentionSequence], keys: Tensor, values: Tensor,
                _ p: ParameterStore) throws {
        let b = p.backend
        let h = try Tensor(zeros: x.shape, on: b)
        var branch = try Tensor(zeros: x.shape, on: b)
        _ = try attentionNorm.forward(x, into: h, p)
        try attention.decode(h, positions: positions, writes: writes, sequences: sequences,
                             keys: keys, values: values, into: branch, p)
        if let postAttentionNorm { _ = try Self.postNorm(postAttentionNorm, &branch, p) }
        try x.add(branch, into: x)
        _ = try feedForwardNorm.forward(x, into: h, p)
        _ = try feedForward.forward(h, into: branch, p, rowwise: true)
        if let postFeedForwardNorm { _ = try Self.postNorm(postFeedForwardNorm, &branch, p) }
        try x.add(branch, into: x)
    }
}
