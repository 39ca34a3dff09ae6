// NaiveKernels: the algorithmic reference for every forward kernel of `Backend`, in Double.
//
// Each function is a plain loop written from the math in `Backend.swift`'s doc comments (and
// the PyTorch / Hugging Face definitions they name), not from any backend's implementation.
// They are slow on purpose: one obvious loop per formula, Double throughout, so that a
// kernel test compares a Float kernel with the exact math, and a gradient test can take
// central finite differences of these functions with h ≈ 1e-5.
//
// Dimension legend as in Backend.swift: N tokens, C channels, V vocabulary, H query heads,
// G key/value heads, D head size, M×K · K×Nn matmul dimensions. Arrays are row-major and start
// at index 0 (a test maps them to buffer slices at whatever offset it likes).

import DICEKit
import Foundation

/// The Double reference of every kernel, one plain loop per formula (see the file header).
public enum NaiveKernels {
    // MARK: - Matrix multiply

    /// Batched GEMM, BLAS semantics: for each `b < batch`,
    /// `C_b = alpha · op(A_b) · op(B_b) + beta · C_b`; `beta == 0` overwrites `C_b` without
    /// reading it (as BLAS and torch do). Elements of `c` outside the matrices are kept.
    /// a: `[M, K]` (stored `[K, M]` when transposeA), b: `[K, Nn]` (stored `[Nn, K]` when
    /// transposeB), c: `[M, Nn]`; matrix `b` of each starts `b · stride` elements in.
    public static func matmul(_ a: [Double], transposeA: Bool, _ b: [Double], transposeB: Bool,
                       _ c: [Double], m: Int, n: Int, k: Int, alpha: Double, beta: Double,
                       batch: Int = 1, strideA: Int = 0, strideB: Int = 0,
                       strideC: Int = 0) -> [Double] {
        var c = c
        for bi in 0 ..< batch {
            let oa = bi * strideA, ob = bi * strideB, oc = bi * strideC
            for i in 0 ..< m {
                for j in 0 ..< n {
                    var acc = 0.0
                    for p in 0 ..< k {
                        let aip = transposeA ? a[oa + p * m + i] : a[oa + i * k + p]
                        let bpj = transposeB ? b[ob + j * k + p] : b[ob + p * n + j]
                        acc += aip * bpj
                    }
                    let old = beta == 0 ? 0 : beta * c[oc + i * n + j]
                    c[oc + i * n + j] = alpha * acc + old
                }
            }
        }
        return c
    }

    // MARK: - Elementwise and reductions

    /// `a + b`, elementwise.
    public static func add(_ a: [Double], _ b: [Double]) -> [Double] {
        zip(a, b).map { $0 + $1 }
    }

    /// `alpha · x`.
    public static func scale(_ x: [Double], by alpha: Double) -> [Double] {
        x.map { $0 * alpha }
    }

    /// `y + alpha · x`.
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: [Double]) -> [Double] {
        zip(x, y).map { $1 + alpha * $0 }
    }

    /// Σ x.
    public static func sum(_ x: [Double]) -> Double {
        var s = 0.0
        for v in x { s += v }
        return s
    }

    /// Σ x².
    public static func sumOfSquares(_ x: [Double]) -> Double {
        var s = 0.0
        for v in x { s += v * v }
        return s
    }

    /// x `[R, C]` with bias `[C]` added to every row.
    public static func addBias(_ x: [Double], _ bias: [Double], rows: Int, columns: Int) -> [Double] {
        var out = x
        for r in 0 ..< rows {
            for j in 0 ..< columns { out[r * columns + j] += bias[j] }
        }
        return out
    }

    /// `dbias + Σ_r dy[r, :]`: dy `[R, C]`, dbias `[C]`.
    public static func sumRows(_ dy: [Double], into dbias: [Double], rows: Int,
                        columns: Int) -> [Double] {
        var out = dbias
        for r in 0 ..< rows {
            for j in 0 ..< columns { out[j] += dy[r * columns + j] }
        }
        return out
    }

    /// `destination` with a `rows × columns` block of `source` written over (or, when
    /// `accumulate`, added to) it: `destination[r·ds + c] (= or +=) source[r·ss + c]`.
    public static func copy2D(_ source: [Double], sourceStride: Int, to destination: [Double],
                              destinationStride: Int, rows: Int, columns: Int,
                              accumulate: Bool) -> [Double] {
        var out = destination
        for r in 0 ..< rows {
            for c in 0 ..< columns {
                let value = source[r * sourceStride + c]
                out[r * destinationStride + c] = accumulate
                    ? out[r * destinationStride + c] + value : value
            }
        }
        return out
    }

    // MARK: - Embedding

    /// out[n, :] = table[ids[n], :]; table `[V, C]`, out `[N, C]`.
    public static func embedding(ids: [Int32], table: [Double], channels: Int) -> [Double] {
        var out = [Double](repeating: 0, count: ids.count * channels)
        for (n, id) in ids.enumerated() {
            for j in 0 ..< channels { out[n * channels + j] = table[Int(id) * channels + j] }
        }
        return out
    }

    // MARK: - Normalisation

    /// Llama RMSNorm: out = x · rstd · w, rstd = 1 / sqrt(mean(x²) + eps). x `[N, C]`.
    public static func rmsNorm(_ x: [Double], weight: [Double], epsilon: Double, rows: Int,
                        channels: Int) -> (out: [Double], rstd: [Double]) {
        var out = [Double](repeating: 0, count: rows * channels)
        var rstd = [Double](repeating: 0, count: rows)
        for r in 0 ..< rows {
            var ms = 0.0
            for j in 0 ..< channels { ms += x[r * channels + j] * x[r * channels + j] }
            ms /= Double(channels)
            let s = 1 / (ms + epsilon).squareRoot()
            rstd[r] = s
            for j in 0 ..< channels { out[r * channels + j] = x[r * channels + j] * s * weight[j] }
        }
        return (out, rstd)
    }

    /// LayerNorm as torch.nn.LayerNorm: biased variance, out = (x − μ) · rstd · w + b.
    public static func layerNorm(_ x: [Double], weight: [Double], bias: [Double], epsilon: Double,
                          rows: Int, channels: Int)
        -> (out: [Double], mean: [Double], rstd: [Double]) {
        var out = [Double](repeating: 0, count: rows * channels)
        var means = [Double](repeating: 0, count: rows)
        var rstds = [Double](repeating: 0, count: rows)
        for r in 0 ..< rows {
            var mu = 0.0
            for j in 0 ..< channels { mu += x[r * channels + j] }
            mu /= Double(channels)
            var variance = 0.0
            for j in 0 ..< channels {
                let d = x[r * channels + j] - mu
                variance += d * d
            }
            variance /= Double(channels)  // biased, as PyTorch
            let s = 1 / (variance + epsilon).squareRoot()
            means[r] = mu
            rstds[r] = s
            for j in 0 ..< channels {
                out[r * channels + j] = (x[r * channels + j] - mu) * s * weight[j] + bias[j]
            }
        }
        return (out, means, rstds)
    }

    // MARK: - Activations

    /// GELU, tanh form: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    public static func gelu(_ x: [Double]) -> [Double] {
        let c = (2.0 / Double.pi).squareRoot()
        return x.map { v in 0.5 * v * (1 + tanh(c * (v + 0.044715 * v * v * v))) }
    }

    /// SwiGLU: silu(gate) · up, silu(g) = g / (1 + e^(−g)).
    public static func swiglu(gate: [Double], up: [Double]) -> [Double] {
        zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
    }

    // MARK: - Positions

    /// Hugging Face rotate-half RoPE: for token n, head h, i < D/2, the pair
    /// (x[i], x[i + D/2]) is rotated by pos[n] · θ^(−2i/D) (the negative angle when inverse):
    /// x1' = x1 cos − x2 sin, x2' = x2 cos + x1 sin. x `[N, heads, D]`.
    public static func rope(_ x: [Double], positions: [Int32], heads: Int, headSize: Int,
                     theta: Double, inverse: Bool = false) -> [Double] {
        var out = x
        let half = headSize / 2
        for (n, pos) in positions.enumerated() {
            for h in 0 ..< heads {
                let base = (n * heads + h) * headSize
                for i in 0 ..< half {
                    var angle = Double(pos) * pow(theta, -2 * Double(i) / Double(headSize))
                    if inverse { angle = -angle }
                    let x1 = x[base + i], x2 = x[base + i + half]
                    out[base + i] = x1 * cos(angle) - x2 * sin(angle)
                    out[base + i + half] = x2 * cos(angle) + x1 * sin(angle)
                }
            }
        }
        return out
    }

    // MARK: - Attention

    /// Causal grouped-query attention over packed sequences, straight from the definition:
    /// for query i of a sequence and head h, s_j = scale · q·k_j over keys
    /// j = 0 ... keyCount − queryCount + i of that sequence (kv head h / (H/G)); with a window W
    /// only the last W of those j,
    /// out = Σ_j softmax(s)_j v_j, lse = log Σ_j e^(s_j).
    /// q `[Nq, H, D]`, k, v `[Nk, G, D]`; out `[Nq, H, D]`, lse `[Nq, H]` (rows no sequence
    /// covers stay 0).
    public static func attention(q: [Double], k: [Double], v: [Double], sequences: [AttentionSequence],
                          queryRows: Int, heads: Int, kvHeads: Int, headSize: Int,
                          scale: Double) -> (out: [Double], lse: [Double]) {
        let D = headSize
        var out = [Double](repeating: 0, count: queryRows * heads * D)
        var lse = [Double](repeating: 0, count: queryRows * heads)
        let groupSize = heads / kvHeads
        for s in sequences {
            for i in 0 ..< s.queryCount {
                let row = s.queryStart + i
                let visible = s.keyCount - s.queryCount + i + 1  // keys 0 ..< visible
                let first = s.window.map { max(0, visible - $0) } ?? 0  // a window hides the older ones
                for h in 0 ..< heads {
                    let g = h / groupSize
                    var scores = [Double](repeating: -Double.infinity, count: visible)
                    for j in first ..< visible {
                        let key = s.keyStart + j
                        var dot = 0.0
                        for d in 0 ..< D {
                            dot += q[(row * heads + h) * D + d] * k[(key * kvHeads + g) * D + d]
                        }
                        scores[j] = scale * dot
                    }
                    let mx = scores.max() ?? 0
                    var z = 0.0
                    for j in first ..< visible { z += exp(scores[j] - mx) }
                    lse[row * heads + h] = mx + log(z)
                    for j in first ..< visible {
                        let p = exp(scores[j] - mx) / z
                        let key = s.keyStart + j
                        for d in 0 ..< D {
                            out[(row * heads + h) * D + d] += p * v[(key * kvHeads + g) * D + d]
                        }
                    }
                }
            }
        }
        return (out, lse)
    }

    // MARK: - Log-probabilities

    /// logp[n] = logits[n, t_n] − log Σ_v e^(logits[n, v]); lse[n] = that log-sum-exp.
    public static func logSoftmaxGather(logits: [Double], targets: [Int32],
                                 vocabulary: Int) -> (logp: [Double], lse: [Double]) {
        var logp = [Double](repeating: 0, count: targets.count)
        var lse = [Double](repeating: 0, count: targets.count)
        for (n, t) in targets.enumerated() {
            let row = Array(logits[n * vocabulary ..< (n + 1) * vocabulary])
            let mx = row.max() ?? 0
            var z = 0.0
            for x in row { z += exp(x - mx) }
            lse[n] = mx + log(z)
            logp[n] = row[Int(t)] - lse[n]
        }
        return (logp, lse)
    }

    // MARK: - Optimisation

    /// torch.optim.AdamW, one step (amsgrad off): θ −= lr·λ·θ; m = β1 m + (1−β1) g;
    /// v = β2 v + (1−β2) g²; m̂ = m / (1 − β1^t); v̂ = v / (1 − β2^t); θ −= lr · m̂ / (√v̂ + ε).
    public static func adamW(params: inout [Double], grads: [Double], m: inout [Double],
                      v: inout [Double], _ s: AdamWStep) {
        let lr = Double(s.learningRate), b1 = Double(s.beta1), b2 = Double(s.beta2)
        let eps = Double(s.epsilon), wd = Double(s.weightDecay)
        let t = Double(s.step)
        for i in params.indices {
            params[i] -= lr * wd * params[i]
            m[i] = b1 * m[i] + (1 - b1) * grads[i]
            v[i] = b2 * v[i] + (1 - b2) * grads[i] * grads[i]
            let mHat = m[i] / (1 - pow(b1, t))
            let vHat = v[i] / (1 - pow(b2, t))
            params[i] -= lr * mHat / (vHat.squareRoot() + eps)
        }
    }

    /// torch.optim.SGD, one step (dampening 0, no Nesterov): d = g + λ·θ; with μ > 0,
    /// buf = μ·buf + d and θ −= lr·buf (a zero buffer makes the first step buf = d, as torch);
    /// with μ = 0, θ −= lr·d and the buffer is untouched.
    public static func sgd(params: inout [Double], grads: [Double], momentumBuffer: inout [Double],
                    learningRate: Double, momentum: Double, weightDecay: Double) {
        for i in params.indices {
            let d = grads[i] + weightDecay * params[i]
            if momentum != 0 {
                momentumBuffer[i] = momentum * momentumBuffer[i] + d
                params[i] -= learningRate * momentumBuffer[i]
            } else {
                params[i] -= learningRate * d
            }
        }
    }
}
