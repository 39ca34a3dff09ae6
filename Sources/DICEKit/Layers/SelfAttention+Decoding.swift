// The attention sub-layer on a KV cache: project the new tokens, store their keys and values
// in the cache, and attend over everything cached for their sequence.

extension SelfAttention {
    /// Where a run of new tokens goes in a layer's cache: rows `row ..< row + count` of the
    /// pass's k/v become cache rows `cacheRow ..< cacheRow + count`.
    struct CacheWrite {
        let row: Int
        let count: Int
        let cacheRow: Int
    }

    /// out `[N, C]` = attention(x `[N, C]`) for new tokens at absolute `positions`, whose
    /// keys and values are first written into `keys`/`values` `[S·P, G, D]` at `writes`;
    /// `sequences` address q rows and cache rows (keyStart = slot·P, keyCount = length).
    func decode(_ x: Tensor, positions: [Int32], writes: [CacheWrite], sequences: [AttentionSequence],
                keys: Tensor, values: Tensor, into out: Tensor, _ p: ParameterStore) throws {
        let n = x.shape[0], b = p.backend
        let q = try Tensor(zeros: [n, heads, headSize], on: b)
        let k = try Tensor(zeros: [n, kvHeads, headSize], on: b)
        let v = try Tensor(zeros: [n, kvHeads, headSize], on: b)
        switch projections {
        case let .separate(qp, kp, vp, theta):
            try qp.forward(x, into: q.reshaped([n, heads * headSize]), p)
            try kp.forward(x, into: k.reshaped([n, kvHeads * headSize]), p)
            try vp.forward(x, into: v.reshaped([n, kvHeads * headSize]), p)
            try q.applyRope(positions: positions, theta: theta)
            try k.applyRope(positions: positions, theta: theta)
        case let .fused(qkv):
            let c = heads * headSize
            let fused = try Tensor(zeros: [n, 3 * c], on: b)
            try qkv.forward(x, into: fused, p)
            for (i, t) in [q, k, v].enumerated() {
                b.copy2D(fused.storage.slice(i * c, fused.count - i * c), sourceStride: 3 * c,
                         to: t.storage, destinationStride: c, rows: n, columns: c, accumulate: false)
            }
        }
        let row = kvHeads * headSize
        for w in writes {
            b.copy(k.storage.slice(w.row * row, w.count * row), to: keys.storage.slice(w.cacheRow * row, w.count * row))
            b.copy(v.storage.slice(w.row * row, w.count * row), to: values.storage.slice(w.cacheRow * row, w.count * row))
        }
        let attended = try Tensor(zeros: [n, heads, headSize], on: b)
        let lse = try Tensor(zeros: [n, heads], on: b)
        try Tensor.attention(q: q, k: keys, v: values, into: attended, lse: lse, sequences: sequences, scale: scale)
        try output.forward(attended.reshaped([n, heads * headSize]), into: out, p)
    }
}
