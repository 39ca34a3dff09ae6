// Incremental decoding: the network run on a few new tokens per sequence, with the keys and
// values of earlier positions read from a KVCache instead of recomputed.
//
// A pass takes segments (slot, start, tokens); their tokens are packed as N rows, each at its
// absolute position start + i (RoPE angle; GPT-2's wpe row). Every layer writes the rows' keys
// and values into the slot's cache rows and attends with
//   AttentionSequence(queryStart: row, queryCount: n, keyStart: slot·P, keyCount: start + n),
// so query i of a segment sees cached positions 0 ... start + i. A slot whose first positions
// were copied from another slot (`KVCache.copyPrefix`: the K samples of a prompt) reads them
// from that slot instead, as the sequence's shared prefix, so one copy of the prompt's keys
// serves all K samples (same results: see ck_attend). Logits are computed only for the last
// row of the segments that want them.

extension TransformerLM {
    /// An empty cache for `slots` sequences of up to `capacity` positions on this model.
    /// - Throws: `GenerationError.invalidCache` for `slots < 1` or a capacity outside
    ///   `1...spec.maxPositions`; `BackendError.allocationFailed`.
    public func makeCache(slots: Int, capacity: Int) throws -> KVCache {
        parameters.refreshBF16()
        return try KVCache(spec: spec, backend: backend, slots: slots, capacity: capacity)
    }

    /// Runs `segments` through the model, appending their keys and values to `cache`, and
    /// returns the logits of the last token of every segment with `wantsLogits`, as rows of
    /// `V` values in segment order (`[R × V]`, row-major). Afterwards
    /// `cache.lengths[slot] == start + tokens.count` for every segment.
    ///
    /// - Throws: `GenerationError.invalidSegment` (naming the segment) for an empty segment, a
    ///   slot out of range or used twice, a `start` beyond the slot's cached length, a segment
    ///   running past the cache's capacity or a token id outside the vocabulary;
    ///   `GenerationError.invalidCache` for a cache made for another architecture;
    ///   `ModelError.invalidSpec` for a score head. Nothing is computed when it throws.
    public func decode(_ segments: [DecodeSegment], cache: KVCache) throws -> [Float] {
        try requireLanguageModelHead()
        guard cache.spec == spec else {
            throw GenerationError.invalidCache(reason: "the cache was made for another model architecture")
        }
        let b = backend, p = parameters, c = spec.hiddenSize, cap = cache.capacity
        var tokens: [Int32] = [], positions: [Int32] = [], outputRows: [Int] = []
        var writes: [SelfAttention.CacheWrite] = [], sequences: [AttentionSequence] = []
        var used = Set<Int>()
        for (i, s) in segments.enumerated() {
            func fail(_ reason: String) -> GenerationError { .invalidSegment(index: i, reason: reason) }
            guard !s.tokens.isEmpty else { throw fail("no tokens") }
            guard (0..<cache.slots).contains(s.slot) else { throw fail("slot \(s.slot) outside 0..<\(cache.slots)") }
            guard used.insert(s.slot).inserted else { throw fail("slot \(s.slot) appears in two segments of one pass") }
            guard s.start >= 0, s.start <= cache.lengths[s.slot] else {
                throw fail("start \(s.start) but slot \(s.slot) holds \(cache.lengths[s.slot]) positions")
            }
            guard s.start + s.tokens.count <= cap else {
                throw fail("positions \(s.start)..<\(s.start + s.tokens.count) exceed the cache's \(cap) positions")
            }
            if let bad = s.tokens.first(where: { $0 < 0 || $0 >= spec.vocabularySize }) {
                throw fail("token id \(bad) is outside the vocabulary 0..<\(spec.vocabularySize)")
            }
            let row = tokens.count, n = s.tokens.count
            tokens += s.tokens.map { Int32($0) }
            positions += (s.start..<(s.start + n)).map { Int32($0) }
            writes.append(.init(row: row, count: n, cacheRow: s.slot * cap + s.start))
            if s.wantsLogits { outputRows.append(row + n - 1) }
        }
        // Every write first, then the layouts: a prefix shared with a slot written in this pass
        // ends where that write starts.
        for s in segments { cache.willWrite(slot: s.slot, from: s.start) }
        for (s, w) in zip(segments, writes) {
            let n = s.tokens.count
            if let shared = cache.sharedPrefix[s.slot], shared.count > 0 {
                sequences.append(AttentionSequence(queryStart: w.row, queryCount: n, keyStart: s.slot * cap + shared.count,
                                                   keyCount: s.start + n - shared.count,
                                                   prefixStart: shared.slot * cap, prefixCount: shared.count))
            } else {
                sequences.append(AttentionSequence(queryStart: w.row, queryCount: n, keyStart: s.slot * cap,
                                                   keyCount: s.start + n))
            }
        }
        guard !tokens.isEmpty else { return [] }
        let n = tokens.count
        let x = try Tensor(zeros: [n, c], on: b)
        try Tensor.embedding(ids: tokens, table: p.value(tokenEmbedding), into: x)
        if let scale = layout.embeddingScale { x.scale(by: scale) }
        if let positionEmbedding {
            let pos = try Tensor(zeros: [n, c], on: b)
            try Tensor.embedding(ids: positions, table: p.value(positionEmbedding), into: pos)
            try x.add(pos, into: x)
        }
        for (l, block) in blocks.enumerated() {
            try block.decode(x, positions: positions, writes: writes, sequences: sequences,
                             keys: cache.keys[l], values: cache.values[l], p)
        }
        for s in segments { cache.lengths[s.slot] = s.start + s.tokens.count }
        let r = outputRows.count
        guard r > 0 else { return [] }
        let selected = try Tensor(zeros: [r, c], on: b)
        for (i, row) in outputRows.enumerated() {
            b.copy(x.storage.slice(row * c, c), to: selected.storage.slice(i * c, c))
        }
        let normalized = try Tensor(zeros: [r, c], on: b)
        _ = try finalNorm.forward(selected, into: normalized, p)
        let logits = try Tensor(uninitialized: [r, spec.vocabularySize], on: b)
        try normalized.rowwiseMatmul(weight: p.value(outputProjection), into: logits)
        return logits.toArray()
    }
}
