import CKernels
import Foundation

// AdamW and SGD parameter updates on the CPU (PyTorch's update rules).

extension CPUBackend {
    /// One AdamW update in place over `[P]` slices (PyTorch's rule: decay θ by `1 − lr·λ`, update
    /// the moments m and v, step by the bias-corrected m̂/(√v̂ + ε)), by the SIMD kernel `ck_adamw`
    /// in parallel chunks; `step.step` starts at 1.
    public func adamW(params: BufferSlice, grads: BufferSlice, m: BufferSlice, v: BufferSlice,
                      _ step: AdamWStep) {
        precondition(params.count == grads.count && params.count == m.count
                     && params.count == v.count, "adamW counts")
        precondition(step.step >= 1, "AdamW step numbers start at 1")
        let pp = pointer(params), pg = pointer(grads), pm = pointer(m), pv = pointer(v)
        let b1 = step.beta1, b2 = step.beta2, eps = step.epsilon
        let decay = 1 - step.learningRate * step.weightDecay
        let correction1 = 1 - pow(Double(b1), Double(step.step))
        let correction2 = 1 - pow(Double(b2), Double(step.step))
        let stepSize = Float(Double(step.learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let level = simd
        loop.forEachChunk(params.count, grain: 1 << 14) { r in
            let i = r.lowerBound
            ck_adamw(level, pp + i, pg + i, pm + i, pv + i, Int64(r.count), b1, b2, eps, decay,
                     stepSize, rootCorrection2)
        }
    }

    /// One SGD update in place over `[P]` slices (PyTorch's rule: `g + λ·θ`, then with μ > 0
    /// `buf = μ·buf + g` and `θ −= lr·buf`, else `θ −= lr·g`); `momentumBuffer` is read only when μ ≠ 0.
    public func sgd(params: BufferSlice, grads: BufferSlice, momentumBuffer: BufferSlice,
                    learningRate: Float, momentum: Float, weightDecay: Float) {
        precondition(params.count == grads.count, "sgd counts")
        precondition(momentum == 0 || momentumBuffer.count == params.count, "sgd momentum buffer")
        let pp = pointer(params), pg = pointer(grads)
        let pb = momentum != 0 ? pointer(momentumBuffer) : nil
        loop.forEachChunk(params.count, grain: 1 << 14) { r in
            for i in r {
                let g = pg[i] + weightDecay * pp[i]
                if let pb {
                    pb[i] = momentum * pb[i] + g
                    pp[i] -= learningRate * pb[i]
                } else {
                    pp[i] -= learningRate * g
                }
            }
        }
    }
}
