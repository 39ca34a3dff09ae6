/// One pre-norm transformer block: `x + post1(attn(norm1(x)))`, then
/// `h + post2(mlp(norm2(h)))`; the post-norms (Gemma) are optional.
struct TransformerBlock {
    let attentionNorm: Normalization
    let attention: SelfAttention
    var postAttentionNorm: Normalization?
    let feedForwardNorm: Normalization
    let feedForward: FeedForward
    var postFeedForwardNorm: Normalization?

    /// What the backward needs, per token: the block's input and the residual after attention
    /// (the two norms' inputs, with their statistics), q, k, v, the attention output and its
    /// row log-sum-exps, the MLP's gate (GPT-2: fc) output, and the post-norms' inputs. The
    /// norms' outputs and the MLP's activation are not kept: the backward recomputes them
    /// (elementwise work, the same bits as the forward's); the MLP's up projection is kept only
    /// when the forward is asked to (`keepsUp`; else the backward projects it again, the same
    /// bits: see `FeedForward.Saved`).
    struct Saved {
        let attentionNorm: Normalization.Saved
        let attention: SelfAttention.Saved
        let postAttentionNorm: Normalization.Saved?
        let feedForwardNorm: Normalization.Saved
        let feedForward: FeedForward.Saved
        let postFeedForwardNorm: Normalization.Saved?
        /// The rows the output kept (nil: all), and the input's row count.
        let outputRows: [Range<Int>]?
        let inputRows: Int
    }

    /// The block's output for input x `[N, C]`: `[N, C]`, or with `outputRows` only those rows,
    /// in order (`[R, C]`, R = Σ counts). Attention needs every row, but the feed-forward half
    /// works row by row, so in a last block the rows that produce no logits (prompt positions)
    /// skip it. `keepsUp`: keep the MLP's up projection for the backward (`FeedForward.forward`).
    func forward(_ x: Tensor, positions: [Int32], sequences: [AttentionSequence],
                 outputRows: [Range<Int>]? = nil, keepsUp: Bool, _ p: ParameterStore) throws -> (Tensor, Saved) {
        let b = p.backend
        let h1 = try Tensor(uninitialized: x.shape, on: b)
        let s1 = try attentionNorm.forward(x, into: h1, p)
        var a = try Tensor(uninitialized: x.shape, on: b)
        let sa = try attention.forward(h1, positions: positions, sequences: sequences, into: a, p)
        let sp1 = try postAttentionNorm.map { norm in try Self.postNorm(norm, &a, p) }
        var mid = try Tensor(uninitialized: x.shape, on: b)
        try x.add(a, into: mid)
        if let outputRows { mid = try Self.gather(mid, outputRows) }
        let h2 = try Tensor(uninitialized: mid.shape, on: b)
        let s2 = try feedForwardNorm.forward(mid, into: h2, p)
        var m = try Tensor(uninitialized: mid.shape, on: b)
        let sm = try feedForward.forward(h2, into: m, p, keepsUp: keepsUp)
        let sp2 = try postFeedForwardNorm.map { norm in try Self.postNorm(norm, &m, p) }
        let out = try Tensor(uninitialized: mid.shape, on: b)
        try mid.add(m, into: out)
        return (out, Saved(attentionNorm: s1, attention: sa, postAttentionNorm: sp1, feedForwardNorm: s2,
                           feedForward: sm, postFeedForwardNorm: sp2, outputRows: outputRows, inputRows: x.shape[0]))
    }

    /// Replaces the branch output `branch` by `norm(branch)`, returning what the norm saved.
    static func postNorm(_ norm: Normalization, _ branch: inout Tensor, _ p: ParameterStore) throws -> Normalization.Saved {
        let normalized = try Tensor(uninitialized: branch.shape, on: p.backend)
        let saved = try norm.forward(branch, into: normalized, p)
        branch = normalized
        return saved
    }

    /// The gradient at a post-norm's input from `dout` at its output (a new tensor); the norm's
    /// weight gradient accumulates. Without a post-norm, `dout` itself.
    static func postNormBackward(_ norm: Normalization?, _ saved: Normalization.Saved?, dout: Tensor,
                                 _ p: ParameterStore) throws -> Tensor {
        guard let norm, let saved else { return dout }
        let dx = try Tensor(zeros: dout.shape, on: p.backend)
        try norm.backward(saved, dout: dout, dx: dx, p)
        return dx
    }

    /// Back-propagates through the block: `dout` holds ∂L/∂out (the forward's output shape) and
    /// is overwritten; returns ∂L/∂x `[N, C]` (`dout` itself when the forward kept every row:
    /// the residual path passes through, the branches add to it).
    func backward(_ s: Saved, dout: Tensor, positions: [Int32], sequences: [AttentionSequence],
                  _ p: ParameterStore) throws -> Tensor {
        let b = p.backend
        let dh2 = try Tensor(uninitialized: dout.shape, on: b)
        let dm = try Self.postNormBackward(postFeedForwardNorm, s.postFeedForwardNorm, dout: dout, p)
        try feedForward.backward(s.feedForward, input: feedForwardNorm.output(s.feedForwardNorm, p), dout: dm, dx: dh2, p)
        try feedForwardNorm.backward(s.feedForwardNorm, dout: dh2, dx: dout, p)
        var dresidual = dout
        if let rows = s.outputRows {
            dresidual = try Tensor(zeros: [s.inputRows, dout.shape[1]], on: b)
            Self.scatter(dout, rows, into: dresidual)
        }
        let dh1 = try Tensor(uninitialized: dresidual.shape, on: b)
        let da = try Self.postNormBackward(postAttentionNorm, s.postAttentionNorm, dout: dresidual, p)
        try attention.backward(s.attention, input: attentionNorm.output(s.attentionNorm, p), dout: da,
                               positions: positions, sequences: sequences, dx: dh1, p)
        try attentionNorm.backward(s.attentionNorm, dout: dh1, dx: dresidual, p)
        return dresidual
    }

    /// Rows `ranges` of x `[N, C]`, in order: `[R, C]`.
    static func gather(_ x: Tensor, _ ranges: [Range<Int>]) throws -> Tensor {
        let out = try Tensor(uninitialized: [ranges.reduce(0) { $0 + $1.count }, x.shape[1]], on: x.backend)
        var row = 0
        for range in ranges {
            try x.rows(range).copy(into: out.rows(row ..< row + range.count))
            row += range.count
        }
        return out
    }

    /// The inverse of `gather`: rows of `source` `[R, C]` written to rows `ranges` of `out`.
    static func scatter(_ source: Tensor, _ ranges: [Range<Int>], into out: Tensor) {
        let c = source.shape[1], b = source.backend
        var row = 0
        for range in ranges {
            b.copy(source.storage.slice(row * c, range.count * c), to: out.storage.slice(range.lowerBound * c, range.count * c))
            row += range.count
        }
    }
}
