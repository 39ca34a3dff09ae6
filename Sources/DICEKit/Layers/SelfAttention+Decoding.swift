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
    /// `sequences` address q rows and cache rows (keyStart = slot·P, keyCount = length). The cache
    /// keeps every position; a sliding window masks the old ones.
    func decode(_ x: Tensor, positions: [Int32], writes: [CacheWrite], sequences: [AttentionSequence],
                keys: Tensor, values: Tensor, into out: Tensor, _ p: ParameterStore) throws {
        let n = x.shape[0], b = p.backend
        let projected = try project(x, positions: positions, p, rowwise: true)
        let q = projected.q, k = projected.k, v = projected.v
        for w in writes {
            let cacheRows = w.cacheRow ..< w.cacheRow + w.count
            try k.rows(w.row ..< w.row + w.count).copy(into: keys.rows(cacheRows))
            try v.rows(w.row ..< w.row + w.count).copy(into: values.rows(cacheRows))
        }
        let attended = try Tensor(zeros: [n, heads, headSize], on: b)
        let lse = try Tensor(zeros: [n, heads], on: b)
        try Tensor.attention(q: q, k: keys, v: values, into: attended, lse: lse, sequences: windowed(sequences),
                             scale: scale)
        try output.forward(attended.reshaped([n, heads * headSize]), into: out, p, rowwise: true)
    }
}
