import CKernels
import Foundation

// The sequence log-prob kernel on the CPU: log-softmax of each logits row, gathered at the
// target token, and its backward.

extension CPUBackend {
    /// `logp[n] = logits[n, targets[n]] − lse[n]` with `lse[n] = log Σ_v exp(logits[n, v])`
    /// (overflow-safe): logits `[N, V]`, logp and lse `[N]`.
    public func logSoftmaxGather(logits: BufferSlice, targets: [Int32], into logp: BufferSlice,
                                 lse: BufferSlice, vocabulary: Int) {
        let rows = targets.count
        precondition(logits.count >= rows * vocabulary && logp.count >= rows && lse.count >= rows,
                     "logSoftmaxGather shapes")
        let pl = pointer(logits), po = pointer(logp), ps = pointer(lse)
        targets.withUnsafeBufferPointer { t in
            loop.forEachChunk(rows, grain: 4) { r in
                for n in r {
                    let row = pl + n * vocabulary
                    let target = Int(t[n])
                    precondition(target >= 0 && target < vocabulary,
                                 "target \(target) outside 0..<\(vocabulary)")
                    let l = logSumExp(row, vocabulary)
                    ps[n] = l
                    po[n] = row[target] - l
                }
            }
        }
    }

    /// `dlogits[n, :] += dlogp[n] · (onehot(targets[n]) − softmax(logits[n, :]))`, the softmax
    /// rebuilt from `lse`; rows with `dlogp[n] == 0` are skipped.
    public func logSoftmaxGatherBackward(logits: BufferSlice, targets: [Int32], lse: BufferSlice,
                                         dlogp: BufferSlice, dlogits: BufferSlice,
                                         vocabulary: Int) {
        let rows = targets.count
        precondition(logits.count >= rows * vocabulary && dlogits.count >= rows * vocabulary
                     && dlogp.count >= rows && lse.count >= rows, "logSoftmaxGather backward shapes")
        let pl = pointer(logits), ps = pointer(lse), pg = pointer(dlogp), pd = pointer(dlogits)
        let level = simd
        targets.withUnsafeBufferPointer { t in
            loop.forEachChunk(rows, grain: 4) { r in
                for n in r {
                    let g = pg[n]
                    if g == 0 { continue }
                    let row = pl + n * vocabulary, drow = pd + n * vocabulary
                    let l = ps[n]
                    ck_add_scaled_exp(level, drow, row, Int64(vocabulary), l, -g)
                    drow[Int(t[n])] += g
                }
            }
        }
    }

    /// log Σ exp(row[i]), overflow-safe (the maximum is subtracted first).
    @inline(__always)
    func logSumExp(_ row: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        ck_log_sum_exp(simd, row, Int64(count))
    }
}
