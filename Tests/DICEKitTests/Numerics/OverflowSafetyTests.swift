// Overflow safety: every log-sum-exp, softmax, log-softmax, sigmoid and log σ in DICEKit, fed
// inputs of ±1e4 (where a naive exp overflows Float and Double alike), just past the overflow
// of exp (100 in Float, 800 in Double) and ±∞ where they mean something, against closed forms.
// With |x| ≈ 1e4 a Float holds about 3 decimals after the point (ulp 1e-3), so the kernels'
// tolerances are absolute at that level.

import Foundation
import BackendConformance
import Testing
@testable import DICEKit

@Suite("Overflow safety at extreme inputs")
struct OverflowSafetyTests {
    /// e⁻¹, the weight ratio of two scores 1 apart.
    static let e1 = exp(-1.0)
    /// σ(1) = 1 / (1 + e⁻¹): the softmax weight of the larger of two scores 1 apart.
    static let a = 1 / (1 + e1)

    // MARK: - Kernels

    @Test("logSoftmaxGather and its backward: ±1e4, 100 and −∞ logits against closed forms")
    func logSoftmaxGather() throws {
        let backend = CPUBackend(threads: 2)
        let inf = Float.infinity
        // (row, target, log p, softmax of the row); expf(100) overflows Float.
        let cases: [([Float], Int32, Double, [Double])] = [
            ([1e4, 9999, 0, -1e4], 1, -1 - log1p(Self.e1), [Self.a, 1 - Self.a, 0, 0]),
            ([1e4, 9999, 0, -1e4], 3, -2e4 - log1p(Self.e1), [Self.a, 1 - Self.a, 0, 0]),
            ([-1e4, -1e4, -1e4, -1e4], 2, -log(4), [0.25, 0.25, 0.25, 0.25]),
            ([-inf, 0, -inf, 5], 3, -log1p(exp(-5)), [0, exp(-5) / (1 + exp(-5)), 0, 1 / (1 + exp(-5))]),
            ([-inf, 0, -inf, 5], 0, -.infinity, [0, exp(-5) / (1 + exp(-5)), 0, 1 / (1 + exp(-5))]),
            ([100, 100, 0, -100], 0, -log(2), [0.5, 0.5, 0, 0]),
        ]
        let v = 4
        let logits = try makeSlice(backend, cases.flatMap(\.0))
        let logp = try makeSlice(backend, count: cases.count), lse = try makeSlice(backend, count: cases.count)
        backend.logSoftmaxGather(logits: logits, targets: cases.map(\.1), into: logp, lse: lse, vocabulary: v)
        let got = backend.download(logp)
        for (n, c) in cases.enumerated() {
            if c.2 == -.infinity {
                #expect(got[n] == -.infinity, "row \(n)")
            } else {
                expectClose(Double(got[n]), c.2, rtol: 1e-6, atol: 2e-3, "log p of row \(n)")
            }
        }
        // dlogits = dlogp · (onehot(target) − softmax), dlogp = 1: finite everywhere.
        let dlogits = try makeSlice(backend, count: cases.count * v)
        backend.logSoftmaxGatherBackward(logits: logits, targets: cases.map(\.1), lse: lse,
                                         dlogp: try makeSlice(backend, count: cases.count, value: 1),
                                         dlogits: dlogits, vocabulary: v)
        let expected = cases.flatMap { c in (0..<v).map { (Int32($0) == c.1 ? 1 : 0) - c.3[$0] } }
        expectClose(backend.download(dlogits), expected, rtol: 0, atol: 2e-3, "dlogits")
    }

    /// One head of size 1, queries M, keys [1, 1 − 1/M, −1, …]: scores M, M − 1, −M, … (exact in
    /// Float for M a power of 2; expf overflows past 88.7), so every query past the first puts
    /// weight a = σ(1) on key 0 and 1 − a on key 1 (e^{−2M} on the rest). With dout = 1 and
    /// s = a(1−a)(v₀ − v₁): dv = [1 + (n−1)a, (n−1)(1−a), 0…], dq_i = s/M,
    /// dk = [M(n−1)s, −M(n−1)s, 0…]. The saved lse is a Float near M, rounded by up to
    /// ulp(M)/2 ≈ 6e-8·M, and P is recomputed from it: the tolerances scale with M.
    @Test("attention forward and backward with scores of ±128 and ±8192 (small-query and sgemm paths)",
          arguments: [2, 6], [128.0, 8192.0])
    func attention(_ n: Int, _ magnitude: Double) throws {
        let backend = CPUBackend(threads: 2)
        let keys: [Float] = [1, Float(1 - 1 / magnitude)] + [Float](repeating: -1, count: n - 2)
        let values: [Float] = (0..<n).map { Float($0 * $0) - 3 }
        let q = try makeSlice(backend, count: n, value: Float(magnitude)), k = try makeSlice(backend, keys)
        let vv = try makeSlice(backend, values)
        let out = try makeSlice(backend, count: n), lse = try makeSlice(backend, count: n)
        let sequences = [AttentionSequence(start: 0, count: n)]
        backend.attention(q: q, k: k, v: vv, into: out, lse: lse, sequences: sequences, heads: 1, kvHeads: 1,
                          headSize: 1, scale: 1)
        let a = Self.a, v0 = Double(values[0]), v1 = Double(values[1])
        let mixed = a * v0 + (1 - a) * v1
        let atol = 1e-5 + 6e-7 * magnitude
        expectClose(backend.download(out), [v0] + [Double](repeating: mixed, count: n - 1), rtol: 0, atol: atol, "out")
        expectClose(backend.download(lse), [magnitude] + [Double](repeating: magnitude + log1p(Self.e1), count: n - 1),
                    rtol: 0, atol: atol, "lse")

        let dq = try makeSlice(backend, count: n), dk = try makeSlice(backend, count: n), dv = try makeSlice(backend, count: n)
        backend.attentionBackward(dout: try makeSlice(backend, count: n, value: 1), q: q, k: k, v: vv, out: out, lse: lse,
                                  dq: dq, dk: dk, dv: dv, sequences: sequences, heads: 1, kvHeads: 1, headSize: 1, scale: 1)
        let m = Double(n - 1), s = a * (1 - a) * (v0 - v1)
        expectClose(backend.download(dv), [1 + m * a, m * (1 - a)] + [Double](repeating: 0, count: n - 2),
                    rtol: 0, atol: atol, "dv")
        expectClose(backend.download(dq), [0] + [Double](repeating: s / magnitude, count: n - 1), rtol: 0.01, atol: atol,
                    "dq")
        expectClose(backend.download(dk), [magnitude * m * s, -magnitude * m * s] + [Double](repeating: 0, count: n - 2),
                    rtol: 5e-3, atol: 1e-3, "dk")
    }

    @Test("GELU and SwiGLU forward and backward at ±1e4")
    func activations() throws {
        let backend = CPUBackend(threads: 2)
        let x: [Float] = [1e4, -1e4]
        let sx = try makeSlice(backend, x), out = try makeSlice(backend, count: 2)
        backend.gelu(sx, into: out)
        expectClose(backend.download(out), [1e4, 0], rtol: 1e-7, atol: 0, "gelu")
        let dx = try makeSlice(backend, count: 2)
        backend.geluBackward(sx, dout: try makeSlice(backend, count: 2, value: 1), dx: dx)
        expectClose(backend.download(dx), [1, 0], rtol: 0, atol: 1e-7, "gelu′")

        // silu(g)·up with up = 2: silu(1e4) = 1e4, silu(−1e4) = −1e4·e^{−1e4} = 0; silu′ = 1, 0.
        let up = try makeSlice(backend, count: 2, value: 2)
        backend.swiglu(gate: sx, up: up, into: out)
        expectClose(backend.download(out), [2e4, 0], rtol: 1e-7, atol: 0, "swiglu")
        let dgate = try makeSlice(backend, count: 2), dup = try makeSlice(backend, count: 2)
        backend.swigluBackward(gate: sx, up: up, dout: try makeSlice(backend, count: 2, value: 1), dgate: dgate, dup: dup)
        expectClose(backend.download(dgate), [2, 0], rtol: 0, atol: 1e-7, "∂/∂gate")
        expectClose(backend.download(dup), [1e4, 0], rtol: 1e-7, atol: 0, "∂/∂up")
    }

    // MARK: - Losses and host-side math

    /// z = β(ρ_w − ρ_l) = ±1e4 with β = 0.1 (policy chosen log-prob ±1e5, the rest 0).
    @Test("every DPO loss and its derivative at margins of ±1e4 and +∞", arguments: [1.0, -1.0])
    func dpoLosses(_ sign: Double) throws {
        let beta = 0.1
        let pair = PairLogProbs(policyChosen: sign * 1e5, policyRejected: 0, referenceChosen: 0, referenceRejected: 0,
                                chosenLength: 1, rejectedLength: 1)
        let up = sign > 0
        // (loss, ∂loss/∂ policy chosen log-prob), closed forms with e^{−1e4} = 0.
        let cases: [(DPOLoss, Double, Double)] = [
            (try DPOLoss(kind: .sigmoid, beta: beta), up ? 0 : 1e4, up ? 0 : -beta),
            (try DPOLoss(kind: .sigmoid, beta: beta, labelSmoothing: 0.1), up ? 1e3 : 9e3, up ? 0.1 * beta : -0.9 * beta),
            (try DPOLoss(kind: .robust, beta: beta, labelSmoothing: 0.1), up ? -1e3 / 0.8 : 9e3 / 0.8,
             up ? -0.1 * beta / 0.8 : -0.9 * beta / 0.8),
            (try DPOLoss(kind: .hinge, beta: beta), up ? 0 : 1 + 1e4, up ? 0 : -beta),
            (try DPOLoss(kind: .ipo, beta: beta), pow(sign * 1e5 - 5, 2), 2 * (sign * 1e5 - 5)),
        ]
        for (loss, value, derivative) in cases {
            let t = loss.pairTerm(pair)
            expectClose(t.loss, value, rtol: 1e-12, atol: 1e-12, "\(loss.kind) loss")
            expectClose(t.dChosen, derivative, rtol: 1e-12, atol: 1e-12, "\(loss.kind) ∂/∂chosen")
            #expect(t.dRejected.isFinite)
        }
        // A rejected response impossible under the policy (log-prob −∞): margin +∞, loss 0,
        // no gradient — not NaN.
        let certain = PairLogProbs(policyChosen: 0, policyRejected: -.infinity, referenceChosen: 0, referenceRejected: 0,
                                   chosenLength: 1, rejectedLength: 1)
        let t = try DPOLoss(kind: .sigmoid, beta: beta).pairTerm(certain)
        #expect(t.loss == 0 && t.dChosen == 0 && t.dRejected == 0)
    }

    @Test("σ and softplus of the length-controlled win rate at ±1e4, ±1e300 and ±∞")
    func sigmoidAndSoftplus() {
        for (z, s, sp) in [(1e4, 1.0, 1e4), (-1e4, 0.0, 0.0), (1e300, 1.0, 1e300), (-1e300, 0.0, 0.0),
                           (Double.infinity, 1.0, Double.infinity), (-Double.infinity, 0.0, 0.0), (0, 0.5, log(2.0))] {
            #expect(LengthControlledWinRate.sigmoid(z) == s, "σ(\(z))")
            #expect(LengthControlledWinRate.softplus(z) == sp, "softplus(\(z))")
        }
    }

    @Test("the tabular policy's log-softmax at ±1e4 and ±800")
    func tabularLogSoftmax() {
        let l = TabularPolicy.logSoftmax([1e4, 9999, -1e4])
        expectClose(l, [-log1p(Self.e1), -1 - log1p(Self.e1), -2e4 - log1p(Self.e1)], rtol: 1e-12, atol: 1e-9, "θ ±1e4")
        // exp(800) overflows Double, exp(−800) underflows to 0.
        expectClose(TabularPolicy.logSoftmax([800, 800]), [-log(2.0), -log(2.0)], rtol: 1e-12, atol: 0, "θ 800")
        expectClose(TabularPolicy.logSoftmax([-800, -800, -800]), [Double](repeating: -log(3.0), count: 3),
                    rtol: 1e-12, atol: 0, "θ −800")
    }

    @Test("the sampler's softmax at ±1e4, −∞ and a tiny temperature")
    func sampler() throws {
        let logits: [Float] = [1e4, 9999, -1e4, -.infinity]
        let p = try Sampler(SamplingParameters(temperature: 1)).probabilities(logits)
        expectClose(p, [Self.a, 1 - Self.a, 0, 0], rtol: 0, atol: 1e-6, "T = 1")
        // T = 1e-3: scores 1e7 and 9.999e6, 1000 apart: all mass on the first.
        let cold = try Sampler(SamplingParameters(temperature: 1e-3)).probabilities(logits)
        #expect(cold == [1, 0, 0, 0])
        var rng = SplitMix64(seed: 1)
        #expect(try Sampler(SamplingParameters(temperature: 1e-3)).sample(logits, using: &rng) == 0)
    }
}
