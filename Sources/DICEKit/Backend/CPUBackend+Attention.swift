import CKernels
import Foundation

// Causal grouped-query attention over packed sequences, on the CPU.
//
// For one sequence and one query head h (key/value head g = h / (H/G)) with Tq queries and
// T = prefix + Tk keys, the head's rows are strided views of the packed buffers (row stride
// H·D for q and out, G·D for k and v), so each product is an sgemm with a leading dimension,
// one per key part (the shared prefix, then the sequence's own keys):
//   S = scale · Q Kᵀ           [Tq, T]    (query i sees the prefix and own keys 0 ... Tk − Tq + i,
//                                          or with a window W only the last W of those columns)
//   P = softmax(S), lse = log Σ exp(S) per row
//   O = P V                    [Tq, D]
// The backward recomputes P from lse (no [Tq, T] tensor is kept between the passes):
//   dV += Pᵀ dO;  dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(dO ⊙ O));  dQ += scale · dS K;
//   dK += scale · dSᵀ Q.
// The forward parallelises over (sequence, head). The backward parallelises over (group of
// sequences whose key rows overlap, kv head), so that every dK, dV row is written by one worker.

extension CPUBackend {
    /// A contiguous block of key/value rows of one kv head, and its columns in the score matrix.
    private struct KeyPart {
        let k: UnsafeMutablePointer<Float>
        let v: UnsafeMutablePointer<Float>
        let dk: UnsafeMutablePointer<Float>?
        let dv: UnsafeMutablePointer<Float>?
        let count: Int
        let column: Int
    }

    private static func keyParts(_ s: AttentionSequence, g: Int, headSize: Int, kStride: Int,
                                 k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                                 dk: UnsafeMutablePointer<Float>? = nil,
                                 dv: UnsafeMutablePointer<Float>? = nil) -> [KeyPart] {
        var parts: [KeyPart] = []
        for (start, count, column) in [(s.prefixStart, s.prefixCount, 0), (s.keyStart, s.keyCount, s.prefixCount)]
            where count > 0 {
            let offset = start * kStride + g * headSize
            parts.append(KeyPart(k: k + offset, v: v + offset, dk: dk.map { $0 + offset },
                                 dv: dv.map { $0 + offset }, count: count, column: column))
        }
        return parts
    }

    /// Causal grouped-query attention over packed sequences (see `Backend.attention`), saving the
    /// log-sum-exp of each score row in `lse` `[N, H]`. Short query blocks (decoding) take a SIMD
    /// kernel that loads each cached key row once per pair of heads; longer ones run one sgemm per
    /// (sequence, head) and key part, in parallel over (sequence, head) with single-threaded BLAS.
    public func attention(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice,
                          lse: BufferSlice, sequences: [AttentionSequence],
                          heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        AttentionSequence.checkLayout(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(out.count == q.count, "attention output must match q")
        if sequences.allSatisfy({ $0.queryCount <= Self.smallQueryBlock }) {
            return attentionSmallQueries(q: q, k: k, v: v, into: out, lse: lse, sequences: sequences,
                                         heads: heads, kvHeads: kvHeads, headSize: headSize, scale: scale)
        }
        let pq = pointer(q), pk = pointer(k), pv = pointer(v), po = pointer(out)
        let pl = pointer(lse)
        let group = heads / kvHeads
        let qStride = heads * headSize, kStride = kvHeads * headSize
        withSingleThreadedBLAS {
            loop.forEach(sequences.count * heads) { task in
                let s = sequences[task / heads], h = task % heads
                let tq = s.queryCount, total = s.prefixCount + s.keyCount
                guard tq > 0 else { return }
                let qh = pq + s.queryStart * qStride + h * headSize
                let oh = po + s.queryStart * qStride + h * headSize
                let parts = Self.keyParts(s, g: h / group, headSize: headSize, kStride: kStride, k: pk, v: pv)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: tq * total)
                defer { scores.deallocate() }
                for part in parts {
                    Self.sgemm(transposeA: false, transposeB: true, m: tq, n: part.count, k: headSize,
                               alpha: scale, qh, lda: qStride, part.k, ldb: kStride,
                               beta: 0, scores + part.column, ldc: total)
                }
                for i in 0..<tq {
                    let row = scores + i * total
                    let visible = s.visibleColumns(query: i)
                    let l = logSumExp(row + visible.lowerBound, visible.count)
                    pl[(s.queryStart + i) * heads + h] = l
                    _ = ck_exp_shift_sum(simd, row + visible.lowerBound, Int64(visible.count), l)
                    for j in 0..<visible.lowerBound { row[j] = 0 }
                    for j in visible.upperBound..<total { row[j] = 0 }
                }
                for (n, part) in parts.enumerated() {
                    Self.sgemm(transposeA: false, transposeB: false, m: tq, n: headSize, k: part.count,
                               alpha: 1, scores + part.column, lda: total, part.v, ldb: kStride,
                               beta: n == 0 ? 0 : 1, oh, ldc: qStride)
                }
            }
        }
    }

    /// Query blocks up to this size (incremental decoding) take the direct path below.
    static let smallQueryBlock = 4

    /// Attention for sequences of a few queries each (decoding from a KV cache): each query
    /// row's GQA group is one `ck_attend_heads` call (dot products, softmax and weighted sum
    /// in SIMD, the shared keys read once per pair of heads), one task
    /// per (sequence, kv head), where an sgemm call per head would cost more than its
    /// arithmetic.
    private func attentionSmallQueries(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice,
                                       lse: BufferSlice, sequences: [AttentionSequence],
                                       heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        let pq = pointer(q), pk = pointer(k), pv = pointer(v), po = pointer(out)
        let pl = pointer(lse), level = simd
        let group = heads / kvHeads
        let qStride = heads * headSize, kStride = kvHeads * headSize
        loop.forEach(sequences.count * kvHeads, grain: 4) { task in
            let s = sequences[task / kvHeads], g = task % kvHeads
            let tq = s.queryCount, total = s.prefixCount + s.keyCount
            guard tq > 0 else { return }
            let keyOffset = g * headSize
            let prefixK = pk + s.prefixStart * kStride + keyOffset, prefixV = pv + s.prefixStart * kStride + keyOffset
            let ownK = pk + s.keyStart * kStride + keyOffset, ownV = pv + s.keyStart * kStride + keyOffset
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * total)
            defer { scores.deallocate() }
            for i in 0..<tq {
                // The group's heads are adjacent in the row: one call reads the keys once.
                let row = (s.queryStart + i) * qStride + g * group * headSize
                let visible = s.visibleColumns(query: i)
                // The visible columns split into prefix rows first ..< prefixEnd and own rows
                // ownFirst ..< ownEnd (a window may start inside either part).
                let first = visible.lowerBound, prefixEnd = min(s.prefixCount, visible.upperBound)
                let fromPrefix = max(0, prefixEnd - first)
                let ownFirst = max(0, first - s.prefixCount), ownEnd = visible.upperBound - s.prefixCount
                let prefixOffset = min(first, s.prefixCount) * kStride, ownOffset = ownFirst * kStride
                ck_attend_heads(level, Int32(group), pq + row, Int64(headSize), scale,
                                prefixK + prefixOffset, prefixV + prefixOffset, Int64(fromPrefix),
                                ownK + ownOffset, ownV + ownOffset, Int64(max(0, ownEnd - ownFirst)),
                                Int64(kStride), scores, po + row, pl + (s.queryStart + i) * heads + g * group)
            }
        }
    }

    /// The attention backward: recomputes the probabilities from `lse` and adds into `dq`, `dk`,
    /// `dv`. Parallel over (group of sequences sharing key rows, key/value head), so every dk and
    /// dv row is written by one worker.
    public func attentionBackward(dout: BufferSlice, q: BufferSlice, k: BufferSlice,
                                  v: BufferSlice, out: BufferSlice, lse: BufferSlice,
                                  dq: BufferSlice, dk: BufferSlice, dv: BufferSlice,
                                  sequences: [AttentionSequence],
                                  heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        AttentionSequence.checkLayout(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(dout.count == q.count && out.count == q.count && dq.count == q.count
                     && dk.count == k.count && dv.count == v.count, "attention gradient shapes")
        let pq = pointer(q), pk = pointer(k), pv = pointer(v), po = pointer(out)
        let pl = pointer(lse), pdo = pointer(dout)
        let pdq = pointer(dq), pdk = pointer(dk), pdv = pointer(dv)
        let group = heads / kvHeads
        let qStride = heads * headSize, kStride = kvHeads * headSize
        let groups = Self.keySharingGroups(sequences)
        withSingleThreadedBLAS {
            loop.forEach(groups.count * kvHeads) { task in
                let g = task % kvHeads
                for index in groups[task / kvHeads] {
                    let s = sequences[index]
                    let tq = s.queryCount, total = s.prefixCount + s.keyCount
                    guard tq > 0 else { continue }
                    let parts = Self.keyParts(s, g: g, headSize: headSize, kStride: kStride,
                                              k: pk, v: pv, dk: pdk, dv: pdv)
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: tq * total)
                    let dp = UnsafeMutablePointer<Float>.allocate(capacity: tq * total)
                    defer { p.deallocate(); dp.deallocate() }
                    for h in (g * group)..<((g + 1) * group) {
                        let rowOffset = s.queryStart * qStride + h * headSize
                        let qh = pq + rowOffset, oh = po + rowOffset
                        let doh = pdo + rowOffset, dqh = pdq + rowOffset
                        // Recompute P from the saved log-sum-exp; dP = dO Vᵀ.
                        for part in parts {
                            Self.sgemm(transposeA: false, transposeB: true, m: tq, n: part.count, k: headSize,
                                       alpha: scale, qh, lda: qStride, part.k, ldb: kStride,
                                       beta: 0, p + part.column, ldc: total)
                            Self.sgemm(transposeA: false, transposeB: true, m: tq, n: part.count, k: headSize,
                                       alpha: 1, doh, lda: qStride, part.v, ldb: kStride,
                                       beta: 0, dp + part.column, ldc: total)
                        }
                        // dS = P ⊙ (dP − Σ_d dO·O), written over dP.
                        for i in 0..<tq {
                            let row = p + i * total, drow = dp + i * total
                            let visible = s.visibleColumns(query: i)
                            let l = pl[(s.queryStart + i) * heads + h]
                            _ = ck_exp_shift_sum(simd, row + visible.lowerBound, Int64(visible.count), l)
                            for j in 0..<visible.lowerBound { row[j] = 0 }
                            for j in visible.upperBound..<total { row[j] = 0 }
                            var delta: Float = 0
                            let o = oh + i * qStride, d = doh + i * qStride
                            for c in 0..<headSize { delta += o[c] * d[c] }
                            for j in 0..<total { drow[j] = row[j] * (drow[j] - delta) }
                        }
                        for part in parts {
                            guard let dkPart = part.dk, let dvPart = part.dv else { continue }
                            // dV += Pᵀ dO;  dQ += scale · dS K;  dK += scale · dSᵀ Q.
                            Self.sgemm(transposeA: true, transposeB: false, m: part.count, n: headSize, k: tq,
                                       alpha: 1, p + part.column, lda: total, doh, ldb: qStride,
                                       beta: 1, dvPart, ldc: kStride)
                            Self.sgemm(transposeA: false, transposeB: false, m: tq, n: headSize, k: part.count,
                                       alpha: scale, dp + part.column, lda: total, part.k, ldb: kStride,
                                       beta: 1, dqh, ldc: qStride)
                            Self.sgemm(transposeA: true, transposeB: false, m: part.count, n: headSize, k: tq,
                                       alpha: scale, dp + part.column, lda: total, qh, ldb: qStride,
                                       beta: 1, dkPart, ldc: kStride)
                        }
                    }
                }
            }
        }
    }

    /// Partitions the sequences into groups whose key rows (prefix or own) overlap, so that
    /// one worker owns all writes to a group's dK and dV rows. Groups keep sequence order.
    static func keySharingGroups(_ sequences: [AttentionSequence]) -> [[Int]] {
        var parent = Array(sequences.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        let intervals = sequences.indices.flatMap { i in sequences[i].keyRanges.map { ($0, i) } }
            .sorted { $0.0.lowerBound < $1.0.lowerBound }
        var reach = Int.min, owner = -1
        for (range, i) in intervals {
            if range.lowerBound < reach {
                parent[root(i)] = root(owner)
            }
            if range.upperBound > reach { reach = range.upperBound; owner = i }
        }
        var groups: [Int: [Int]] = [:], order: [Int] = []
        for i in sequences.indices {
            let r = root(i)
            if groups[r] == nil { order.append(r) }
            groups[r, default: []].append(i)
        }
        return order.map { groups[$0]! }
    }
}
