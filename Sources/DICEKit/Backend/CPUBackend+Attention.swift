import Foundation

// Causal grouped-query attention over packed sequences, on the CPU.
//
// For one sequence and one query head h (key/value head g = h / (H/G)) with Tq queries and
// Tk keys, the head's rows are strided views of the packed buffers (row stride H·D for q and
// out, G·D for k and v), so each product is one sgemm with a leading dimension:
//   S = scale · Q Kᵀ           [Tq, Tk]   (query i sees keys 0 ... Tk − Tq + i)
//   P = softmax(S), lse = log Σ exp(S) per row
//   O = P V                    [Tq, D]
// The backward recomputes P from lse (no [Tq, Tk] tensor is kept between the passes):
//   dV += Pᵀ dO;  dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(dO ⊙ O));  dQ += scale · dS K;
//   dK += scale · dSᵀ Q.
// The forward parallelises over (sequence, head), the backward over (sequence, kv head) so that
// the heads sharing a key/value head accumulate into dK, dV from one worker.

extension CPUBackend {
    public func attention(q: BufferSlice, k: BufferSlice, v: BufferSlice, into out: BufferSlice,
                          lse: BufferSlice, sequences: [AttentionSequence],
                          heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        Self.checkAttention(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(out.count == q.count, "attention output must match q")
        let pq = pointer(q), pk = pointer(k), pv = pointer(v), po = pointer(out)
        let pl = pointer(lse)
        let group = heads / kvHeads
        let qStride = heads * headSize, kStride = kvHeads * headSize
        let tasks = sequences.count * heads
        withSingleThreadedBLAS {
            loop.forEach(tasks) { task in
                let s = sequences[task / heads], h = task % heads, g = h / group
                let tq = s.queryCount, tk = s.keyCount
                guard tq > 0 else { return }
                let qh = pq + s.queryStart * qStride + h * headSize
                let kh = pk + s.keyStart * kStride + g * headSize
                let vh = pv + s.keyStart * kStride + g * headSize
                let oh = po + s.queryStart * qStride + h * headSize
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                defer { scores.deallocate() }
                Self.sgemm(transposeA: false, transposeB: true, m: tq, n: tk, k: headSize,
                           alpha: scale, qh, lda: qStride, kh, ldb: kStride,
                           beta: 0, scores, ldc: tk)
                for i in 0..<tq {
                    let row = scores + i * tk
                    let visible = tk - tq + i + 1
                    let l = Self.logSumExp(row, visible)
                    pl[(s.queryStart + i) * heads + h] = l
                    for j in 0..<visible { row[j] = expf(row[j] - l) }
                    for j in visible..<tk { row[j] = 0 }
                }
                Self.sgemm(transposeA: false, transposeB: false, m: tq, n: headSize, k: tk,
                           alpha: 1, scores, lda: tk, vh, ldb: kStride,
                           beta: 0, oh, ldc: qStride)
            }
        }
    }

    public func attentionBackward(dout: BufferSlice, q: BufferSlice, k: BufferSlice,
                                  v: BufferSlice, out: BufferSlice, lse: BufferSlice,
                                  dq: BufferSlice, dk: BufferSlice, dv: BufferSlice,
                                  sequences: [AttentionSequence],
                                  heads: Int, kvHeads: Int, headSize: Int, scale: Float) {
        Self.checkAttention(q: q, k: k, v: v, lse: lse, sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize)
        precondition(dout.count == q.count && out.count == q.count && dq.count == q.count
                     && dk.count == k.count && dv.count == v.count, "attention gradient shapes")
        let keyRanges = sequences.filter { $0.keyCount > 0 }
            .map { $0.keyStart..<($0.keyStart + $0.keyCount) }.sorted { $0.lowerBound < $1.lowerBound }
        precondition(zip(keyRanges, keyRanges.dropFirst()).allSatisfy { $0.upperBound <= $1.lowerBound },
                     "attention backward needs sequences with disjoint key ranges")
        let pq = pointer(q), pk = pointer(k), pv = pointer(v), po = pointer(out)
        let pl = pointer(lse), pdo = pointer(dout)
        let pdq = pointer(dq), pdk = pointer(dk), pdv = pointer(dv)
        let group = heads / kvHeads
        let qStride = heads * headSize, kStride = kvHeads * headSize
        let tasks = sequences.count * kvHeads
        withSingleThreadedBLAS {
            loop.forEach(tasks) { task in
                let s = sequences[task / kvHeads], g = task % kvHeads
                let tq = s.queryCount, tk = s.keyCount
                guard tq > 0 else { return }
                let kh = pk + s.keyStart * kStride + g * headSize
                let vh = pv + s.keyStart * kStride + g * headSize
                let dkh = pdk + s.keyStart * kStride + g * headSize
                let dvh = pdv + s.keyStart * kStride + g * headSize
                let p = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                let dp = UnsafeMutablePointer<Float>.allocate(capacity: tq * tk)
                defer { p.deallocate(); dp.deallocate() }
                for h in (g * group)..<((g + 1) * group) {
                    let rowOffset = s.queryStart * qStride + h * headSize
                    let qh = pq + rowOffset, oh = po + rowOffset
                    let doh = pdo + rowOffset, dqh = pdq + rowOffset
                    // Recompute P from the saved log-sum-exp.
                    Self.sgemm(transposeA: false, transposeB: true, m: tq, n: tk, k: headSize,
                               alpha: scale, qh, lda: qStride, kh, ldb: kStride,
                               beta: 0, p, ldc: tk)
                    for i in 0..<tq {
                        let row = p + i * tk
                        let visible = tk - tq + i + 1
                        let l = pl[(s.queryStart + i) * heads + h]
                        for j in 0..<visible { row[j] = expf(row[j] - l) }
                        for j in visible..<tk { row[j] = 0 }
                    }
                    // dV += Pᵀ dO.
                    Self.sgemm(transposeA: true, transposeB: false, m: tk, n: headSize, k: tq,
                               alpha: 1, p, lda: tk, doh, ldb: qStride, beta: 1, dvh, ldc: kStride)
                    // dP = dO Vᵀ.
                    Self.sgemm(transposeA: false, transposeB: true, m: tq, n: tk, k: headSize,
                               alpha: 1, doh, lda: qStride, vh, ldb: kStride, beta: 0, dp, ldc: tk)
                    // dS = P ⊙ (dP − Σ_d dO·O), written over dP.
                    for i in 0..<tq {
                        var delta: Float = 0
                        let o = oh + i * qStride, d = doh + i * qStride
                        for c in 0..<headSize { delta += o[c] * d[c] }
                        let prow = p + i * tk, drow = dp + i * tk
                        for j in 0..<tk { drow[j] = prow[j] * (drow[j] - delta) }
                    }
                    // dQ += scale · dS K;  dK += scale · dSᵀ Q.
                    Self.sgemm(transposeA: false, transposeB: false, m: tq, n: headSize, k: tk,
                               alpha: scale, dp, lda: tk, kh, ldb: kStride, beta: 1, dqh, ldc: qStride)
                    Self.sgemm(transposeA: true, transposeB: false, m: tk, n: headSize, k: tq,
                               alpha: scale, dp, lda: tk, qh, ldb: qStride, beta: 1, dkh, ldc: kStride)
                }
            }
        }
    }

    /// Preconditions shared by the attention kernels (programmer errors: the Tensor layer
    /// validates user-facing layouts before calling).
    static func checkAttention(q: BufferSlice, k: BufferSlice, v: BufferSlice, lse: BufferSlice,
                               sequences: [AttentionSequence], heads: Int, kvHeads: Int,
                               headSize: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                     "\(heads) query heads cannot share \(kvHeads) key/value heads")
        let queries = q.count / (heads * headSize), keys = k.count / (kvHeads * headSize)
        precondition(k.count == v.count && lse.count >= queries * heads, "attention shapes")
        for s in sequences {
            precondition(s.queryCount >= 0 && s.queryCount <= s.keyCount
                         && s.queryStart >= 0 && s.queryStart + s.queryCount <= queries
                         && s.keyStart >= 0 && s.keyStart + s.keyCount <= keys,
                         "attention sequence \(s) outside \(queries) queries / \(keys) keys")
        }
    }
}
