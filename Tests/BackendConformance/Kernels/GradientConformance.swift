// Backward kernels of a backend against central finite differences of the Double oracle.
//
// Each test picks a random projection L = Σ w ⊙ out (w random, passed to the backward as
// dout), prefills every gradient buffer with a known random value, runs the backward (which
// must ACCUMULATE), subtracts the prefill, and compares what was added with
// (L(x + h e_j) − L(x − h e_j)) / 2h over every input element, h = 1e-5, all in Double
// (for elementwise kernels all elements are perturbed at once, which is the same thing).
// Acceptance (CPU; other backends scale it, see `KernelTolerance`): norm-wise relative error
// < 1e-3 and every element within 1e-3·|g| plus a floor of 1e-4·max|g| (see `expectGradient`).

import DICEKit
import Foundation
import Testing

enum GradientConformance {
    /// The cases of this file, in order.
    static let cases: [ConformanceCase] = {
        let group = "gradient"
        var all: [ConformanceCase] = []
        all += ConformanceCase.each(group, "matmul backward composed of matmuls with transposes", matmulGradCases) {
            try matmulBackward($0, $1)
        }
        all += ConformanceCase.each(group, "sumRows is the gradient of addBias", [(1, 1), (4, 3), (9, 17)]) {
            try addBiasBackward(rows: $0.0, columns: $0.1, $1)
        }
        all += ConformanceCase.each(group, "embeddingBackward scatter-adds (repeated ids accumulate, unused rows stay)",
                                    [(vocabulary: 7, channels: 3), (1, 4), (10, 1), (5, 70)]) {
            try embeddingBackward(vocabulary: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "rmsNormBackward: dx and dweight", normShapes) {
            try rmsNormBackward(rows: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "layerNormBackward: dx, dweight and dbias", normShapes) {
            try layerNormBackward(rows: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "geluBackward", [1, 9, 101, 50_001]) {
            try geluBackward(count: $0, $1)
        }
        all += ConformanceCase.each(group, "swigluBackward: dgate and dup", [1, 9, 101, 50_001]) {
            try swigluBackward(count: $0, $1)
        }
        all += ConformanceCase.each(group, "rope(inverse: true) applied to dout is the gradient of rope",
                                    [(tokens: 1, heads: 1, headSize: 2), (4, 3, 8), (3, 2, 6), (40, 1, 4)]) {
            try ropeBackward(tokens: $0.0, heads: $0.1, headSize: $0.2, $1)
        }
        all += ConformanceCase.each(group, "attentionBackward: dq, dk, dv", attentionGradCases) {
            try attentionBackward($0, $1)
        }
        all += ConformanceCase.each(
            group, "attentionBackward on longer sequences: directional derivative and sampled coordinates",
            attentionLargeCases) {
            try attentionBackwardLarge($0, $1)
        }
        all += ConformanceCase.each(group, "logSoftmaxGatherBackward",
                                    [(rows: 1, vocabulary: 1), (5, 11), (3, 64), (13, 9)]) {
            try logSoftmaxGatherBackward(rows: $0.0, vocabulary: $0.1, $1)
        }
        all += ConformanceCase.each(group, "copy2D(accumulate: true) is the gradient of copy2D",
                                    copy2DGradCases) {
            try copy2DBackward(rows: $0.0, columns: $0.1, sourceGap: $0.2, destinationGap: $0.3, $1)
        }
        all += ConformanceCase.each(group, "rmsNormBackward and layerNormBackward on larger shapes: directional derivative",
                                    largeNormShapes) {
            try normBackwardLarge(rows: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "logSoftmaxGatherBackward on a large vocabulary: directional derivative",
                                    [(rows: 9, vocabulary: 8192), (3, 49152)]) {
            try logSoftmaxGatherBackwardLarge(rows: $0.0, vocabulary: $0.1, $1)
        }
        return all
    }()

    // MARK: - Matrix multiply

    struct MatmulGradCase: Sendable, CustomTestStringConvertible {
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
        var batch = 1
        var gap = 0
        var testDescription: String {
            "\(m)×\(n)×\(k) tA=\(transposeA) tB=\(transposeB) batch=\(batch) gap=\(gap)"
        }
    }

    static let matmulGradCases: [MatmulGradCase] = {
        var cases: [MatmulGradCase] = []
        for tA in [false, true] {
            for tB in [false, true] {
                cases.append(MatmulGradCase(m: 3, n: 4, k: 5, transposeA: tA, transposeB: tB))
                cases.append(MatmulGradCase(m: 2, n: 3, k: 1, transposeA: tA, transposeB: tB,
                                            batch: 3, gap: 2))
            }
        }
        return cases
    }()

    /// C = op(A)·op(B). The backward is the matmul composition
    /// dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, written for each storage layout with beta 1
    /// so that it accumulates:
    ///   A stored M×K: dA += dC · op(B)ᵀ          A stored K×M: dA += op(B) · dCᵀ
    ///   B stored K×N: dB += op(A)ᵀ · dC          B stored N×K: dB += dCᵀ · op(A)
    static func matmulBackward(_ c: MatmulGradCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.m * 100 + c.n * 10 + c.k + c.batch * 1000))
        let backend = try t.makeBackend()
        let (m, n, k) = (c.m, c.n, c.k)
        let strideA = m * k + c.gap, strideB = k * n + c.gap, strideC = m * n + c.gap
        let countA = (c.batch - 1) * strideA + m * k
        let countB = (c.batch - 1) * strideB + k * n
        let countC = (c.batch - 1) * strideC + m * n
        let a = rng.floats(countA), b = rng.floats(countB)
        var w = rng.floats(countC)
        // Gap elements of C are not outputs: give them no weight.
        for bi in 0 ..< c.batch - 1 {
            for g in 0 ..< c.gap { w[bi * strideC + m * n + g] = 0 }
        }
        let sa = try makeSlice(backend, a), sb = try makeSlice(backend, b)
        let dC = try makeSlice(backend, w)
        let dA = try AccumulatingGradient(backend, count: countA, rng: &rng)
        let dB = try AccumulatingGradient(backend, count: countB, rng: &rng)
        let (tA, tB) = (c.transposeA, c.transposeB)
        if !tA {
            backend.matmul(dC, transposeA: false, sb, transposeB: !tB, dA.slice, m: m, n: k,
                           k: n, alpha: 1, beta: 1, batch: c.batch,
                           strideA: strideC, strideB: strideB, strideC: strideA)
        } else {
            backend.matmul(sb, transposeA: tB, dC, transposeB: true, dA.slice, m: k, n: m,
                           k: n, alpha: 1, beta: 1, batch: c.batch,
                           strideA: strideB, strideB: strideC, strideC: strideA)
        }
        if !tB {
            backend.matmul(sa, transposeA: !tA, dC, transposeB: false, dB.slice, m: k, n: n,
                           k: m, alpha: 1, beta: 1, batch: c.batch,
                           strideA: strideA, strideB: strideC, strideC: strideB)
        } else {
            backend.matmul(dC, transposeA: true, sa, transposeB: tA, dB.slice, m: n, n: k,
                           k: m, alpha: 1, beta: 1, batch: c.batch,
                           strideA: strideC, strideB: strideA, strideC: strideB)
        }
        let wd = w.doubles, ad = a.doubles, bd = b.doubles
        let zeroC = [Double](repeating: 0, count: countC)
        func forward(_ a: [Double], _ b: [Double]) -> [Double] {
            NaiveKernels.matmul(a, transposeA: tA, b, transposeB: tB, zeroC, m: m, n: n, k: k,
                                alpha: 1, beta: 0, batch: c.batch, strideA: strideA,
                                strideB: strideB, strideC: strideC)
        }
        t.expectGradient(dA.accumulated(backend),
                       finiteDifferences(of: { dot(wd, forward($0, bd)) }, at: ad), "dA")
        t.expectGradient(dB.accumulated(backend),
                       finiteDifferences(of: { dot(wd, forward(ad, $0)) }, at: bd), "dB")
        expectGuardsIntact(backend, dA.slice, "dA")
        expectGuardsIntact(backend, dB.slice, "dB")
    }

    // MARK: - Bias

    static func addBiasBackward(rows: Int, columns: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 100 + columns))
        let backend = try t.makeBackend()
        let x = rng.floats(rows * columns), bias = rng.floats(columns)
        let w = rng.floats(rows * columns)
        let dout = try makeSlice(backend, w)
        let dbias = try AccumulatingGradient(backend, count: columns, rng: &rng)
        backend.sumRows(dout, into: dbias.slice, rows: rows, columns: columns)
        let numeric = finiteDifferences(of: {
            dot(w.doubles, NaiveKernels.addBias(x.doubles, $0, rows: rows, columns: columns))
        }, at: bias.doubles)
        t.expectGradient(dbias.accumulated(backend), numeric, "dbias")
    }

    // MARK: - Copies

    /// (rows, columns, extra source stride, extra destination stride).
    static let copy2DGradCases: [(Int, Int, Int, Int)] = [(1, 1, 0, 0), (3, 4, 2, 0), (5, 3, 0, 6), (4, 7, 3, 1)]

    /// out = copy2D(x) (a block of a row-strided layout written over another): with the block's
    /// gradient w, dx = copy2D(w, accumulate: true) with the strides swapped, and the source
    /// elements outside the block get nothing. (The fused QKV projection's backward.)
    static func copy2DBackward(rows: Int, columns: Int, sourceGap: Int, destinationGap: Int,
                               _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 1000 + columns * 100 + sourceGap * 10 + destinationGap))
        let backend = try t.makeBackend()
        let (ss, ds) = (columns + sourceGap, columns + destinationGap)
        let x = rng.floats(rows * ss), destination = rng.floats(rows * ds)
        var w = rng.floats(rows * ds)
        // Destination elements outside the block are not outputs of x: give them no weight.
        for r in 0 ..< rows { for c in columns ..< ds { w[r * ds + c] = 0 } }
        let dout = try makeSlice(backend, w)
        let dx = try AccumulatingGradient(backend, count: x.count, rng: &rng)
        backend.copy2D(dout, sourceStride: ds, to: dx.slice, destinationStride: ss, rows: rows,
                       columns: columns, accumulate: true)
        let numeric = finiteDifferences(of: {
            dot(w.doubles, NaiveKernels.copy2D($0, sourceStride: ss, to: destination.doubles,
                                               destinationStride: ds, rows: rows, columns: columns,
                                               accumulate: false))
        }, at: x.doubles)
        t.expectGradient(dx.accumulated(backend), numeric, "dx")
        expectGuardsIntact(backend, dx.slice, "dx")
    }

    // MARK: - Embedding

    static func embeddingBackward(vocabulary: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(vocabulary * 10 + channels))
        let backend = try t.makeBackend()
        let table = rng.floats(vocabulary * channels)
        // Repeats (0 four times, the last id twice) and, when V > 2, unused rows.
        let ids: [Int32] = [0, 0, Int32(vocabulary - 1), 0, Int32(vocabulary / 2),
                            Int32(vocabulary - 1), 0]
        let w = rng.floats(ids.count * channels)
        let dout = try makeSlice(backend, w)
        let dtable = try AccumulatingGradient(backend, count: table.count, rng: &rng)
        backend.embeddingBackward(ids: ids, dout: dout, dtable: dtable.slice, channels: channels)
        let numeric = finiteDifferences(of: {
            dot(w.doubles, NaiveKernels.embedding(ids: ids, table: $0, channels: channels))
        }, at: table.doubles)
        t.expectGradient(dtable.accumulated(backend), numeric, "dtable")
        expectGuardsIntact(backend, dtable.slice, "dtable")
    }

    // MARK: - Normalisation

    /// (25, 5) engages the threaded path: per-worker partial dweight/dbias, then a reduction.
    static let normShapes: [(rows: Int, channels: Int)] = [(1, 1), (3, 7), (2, 33), (25, 5)]

    static func rmsNormBackward(rows: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 100 + channels))
        let backend = try t.makeBackend()
        let x = rng.floats(rows * channels, in: -2 ... 2)
        let weight = rng.floats(channels, in: 0.5 ... 1.5), w = rng.floats(rows * channels)
        let eps: Float = 1e-5
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, weight)
        let out = try makeSlice(backend, count: x.count)
        let rstd = try makeSlice(backend, count: rows)
        backend.rmsNorm(sx, weight: sw, epsilon: eps, into: out, rstd: rstd, rows: rows,
                        channels: channels)
        let dout = try makeSlice(backend, w)
        let dx = try AccumulatingGradient(backend, count: x.count, rng: &rng)
        let dweight = try AccumulatingGradient(backend, count: channels, rng: &rng)
        backend.rmsNormBackward(dout: dout, x: sx, weight: sw, rstd: rstd, dx: dx.slice,
                                dweight: dweight.slice, rows: rows, channels: channels)
        func loss(_ x: [Double], _ weight: [Double]) -> Double {
            dot(w.doubles, NaiveKernels.rmsNorm(x, weight: weight, epsilon: Double(eps),
                                                rows: rows, channels: channels).out)
        }
        let numericDx = finiteDifferences(of: { loss($0, weight.doubles) }, at: x.doubles)
        if channels == 1 {
            // x·rstd = x/√(x² + ε) is flat but for ε: dx ≈ ε·w/|x|³ ~ 1e-5, the difference of two
            // O(1) terms in Float. Only an absolute check is meaningful.
            t.expectClose(dx.accumulated(backend), numericDx, rtol: 1e-3, atol: 1e-6,
                        "dx (one channel)")
        } else {
            t.expectGradient(dx.accumulated(backend), numericDx, "dx")
        }
        t.expectGradient(dweight.accumulated(backend),
                       finiteDifferences(of: { loss(x.doubles, $0) }, at: weight.doubles),
                       "dweight")
    }

    static func layerNormBackward(rows: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 1000 + channels))
        let backend = try t.makeBackend()
        let x = rng.floats(rows * channels, in: -2 ... 2).map { $0 + 0.5 }
        let weight = rng.floats(channels, in: 0.5 ... 1.5), bias = rng.floats(channels)
        let w = rng.floats(rows * channels)
        let eps: Float = 1e-5
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, weight)
        let sb = try makeSlice(backend, bias)
        let out = try makeSlice(backend, count: x.count)
        let mean = try makeSlice(backend, count: rows), rstd = try makeSlice(backend, count: rows)
        backend.layerNorm(sx, weight: sw, bias: sb, epsilon: eps, into: out, mean: mean,
                          rstd: rstd, rows: rows, channels: channels)
        let dout = try makeSlice(backend, w)
        let dx = try AccumulatingGradient(backend, count: x.count, rng: &rng)
        let dweight = try AccumulatingGradient(backend, count: channels, rng: &rng)
        let dbias = try AccumulatingGradient(backend, count: channels, rng: &rng)
        backend.layerNormBackward(dout: dout, x: sx, weight: sw, mean: mean, rstd: rstd,
                                  dx: dx.slice, dweight: dweight.slice, dbias: dbias.slice,
                                  rows: rows, channels: channels)
        func loss(_ x: [Double], _ weight: [Double], _ bias: [Double]) -> Double {
            dot(w.doubles, NaiveKernels.layerNorm(x, weight: weight, bias: bias,
                                                  epsilon: Double(eps), rows: rows,
                                                  channels: channels).out)
        }
        let (xd, wd, bd) = (x.doubles, weight.doubles, bias.doubles)
        // With one channel, LayerNorm's output is the bias whatever x is: dx is exactly zero.
        if channels == 1 {
            t.expectClose(dx.accumulated(backend), [Double](repeating: 0, count: x.count),
                        atol: 1e-6, "dx (one channel)")
        } else {
            t.expectGradient(dx.accumulated(backend),
                           finiteDifferences(of: { loss($0, wd, bd) }, at: xd), "dx")
        }
        if channels > 1 {
            t.expectGradient(dweight.accumulated(backend),
                           finiteDifferences(of: { loss(xd, $0, bd) }, at: wd), "dweight")
        }
        t.expectGradient(dbias.accumulated(backend),
                       finiteDifferences(of: { loss(xd, wd, $0) }, at: bd), "dbias")
    }

    // MARK: - Activations

    static func geluBackward(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(count))
        let backend = try t.makeBackend()
        var x = rng.floats(count, in: -5 ... 5)
        for (i, e) in ([0, 12, -12, 1e-3] as [Float]).enumerated() where i < count { x[i] = e }
        let w = rng.floats(count)
        let sx = try makeSlice(backend, x), dout = try makeSlice(backend, w)
        let dx = try AccumulatingGradient(backend, count: count, rng: &rng)
        backend.geluBackward(sx, dout: dout, dx: dx.slice)
        let numeric = elementwiseFiniteDifferences(of: NaiveKernels.gelu, at: x.doubles,
                                                   weights: w.doubles)
        t.expectGradient(dx.accumulated(backend), numeric, "dx")
    }

    static func swigluBackward(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 50 + UInt64(count))
        let backend = try t.makeBackend()
        var gate = rng.floats(count, in: -6 ... 6)
        for (i, e) in ([20, -20, 0] as [Float]).enumerated() where i < count { gate[i] = e }
        let up = rng.floats(count, in: -2 ... 2), w = rng.floats(count)
        let sg = try makeSlice(backend, gate), su = try makeSlice(backend, up)
        let dout = try makeSlice(backend, w)
        let dgate = try AccumulatingGradient(backend, count: count, rng: &rng)
        let dup = try AccumulatingGradient(backend, count: count, rng: &rng)
        backend.swigluBackward(gate: sg, up: su, dout: dout, dgate: dgate.slice, dup: dup.slice)
        let (gd, ud, wd) = (gate.doubles, up.doubles, w.doubles)
        t.expectGradient(dgate.accumulated(backend),
                       elementwiseFiniteDifferences(of: { NaiveKernels.swiglu(gate: $0, up: ud) },
                                                    at: gd, weights: wd), "dgate")
        t.expectGradient(dup.accumulated(backend),
                       elementwiseFiniteDifferences(of: { NaiveKernels.swiglu(gate: gd, up: $0) },
                                                    at: ud, weights: wd), "dup")
    }

    // MARK: - Positions

    static func ropeBackward(tokens: Int, heads: Int, headSize: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(tokens * 100 + heads * 10 + headSize))
        let backend = try t.makeBackend()
        let x = rng.floats(tokens * heads * headSize), w = rng.floats(x.count)
        let positions = (0 ..< tokens).map { _ in Int32(rng.index(50)) }
        let theta: Float = 10_000
        let grad = try makeSlice(backend, w)
        backend.rope(grad, positions: positions, heads: heads, headSize: headSize,
                     inverseFrequencies: RotaryEmbedding(theta: Double(theta)).inverseFrequencies(headSize: headSize),
                     inverse: true)
        let numeric = finiteDifferences(of: {
            dot(w.doubles, NaiveKernels.rope($0, positions: positions, heads: heads,
                                             headSize: headSize, theta: Double(theta)))
        }, at: x.doubles)
        t.expectGradient(backend.download(grad).doubles, numeric, "dx")
    }

    // MARK: - Attention

    typealias AttentionCase = ForwardConformance.AttentionCase

    static let attentionGradCases: [AttentionCase] = [
        .packed("MHA, lengths 1 3 7 13", lengths: [1, 3, 7, 13], heads: 2, kvHeads: 2,
                headSize: 4, seed: 21),
        .packed("GQA 2, lengths 13 7 3 1", lengths: [13, 7, 3, 1], heads: 4, kvHeads: 2,
                headSize: 3, seed: 22),
        .packed("GQA 4, lengths 3 1 13 7", lengths: [3, 1, 13, 7], heads: 4, kvHeads: 1,
                headSize: 4, scale: 0.8, seed: 23),
        .decode("decode GQA 2", heads: 4, kvHeads: 2, headSize: 3, seed: 24),
        .packed("GQA 2, window 4, lengths 13 7 3 1", lengths: [13, 7, 3, 1], heads: 4, kvHeads: 2,
                headSize: 3, window: 4, seed: 25),
        .decode("decode GQA 2, window 3", heads: 4, kvHeads: 2, headSize: 3, window: 3, seed: 26),
    ]

    /// dq, dk and dv against finite differences; the backward runs on one thread and on three
    /// (query heads that share a kv head must not race on dk and dv).
    static func attentionBackward(_ c: AttentionCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: c.seed)
        let D = c.headSize
        let q = rng.floats(c.queryRows * c.heads * D, in: -2 ... 2)
        let k = rng.floats(c.keyRows * c.kvHeads * D, in: -2 ... 2)
        let v = rng.floats(c.keyRows * c.kvHeads * D)
        let w = rng.floats(q.count)
        let scale = c.effectiveScale
        let (qd, kd, vd, wd) = (q.doubles, k.doubles, v.doubles, w.doubles)
        func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            dot(wd, NaiveKernels.attention(q: q, k: k, v: v, sequences: c.sequences,
                                           queryRows: c.queryRows, heads: c.heads,
                                           kvHeads: c.kvHeads, headSize: D,
                                           scale: Double(scale)).out)
        }
        let numeric = (
            dq: finiteDifferences(of: { loss($0, kd, vd) }, at: qd),
            dk: finiteDifferences(of: { loss(qd, $0, vd) }, at: kd),
            dv: finiteDifferences(of: { loss(qd, kd, $0) }, at: vd))
        for threads in [1, 3] {
            let backend = try t.makeBackend(threads: threads)
            let sq = try makeSlice(backend, q), sk = try makeSlice(backend, k)
            let sv = try makeSlice(backend, v)
            let out = try makeSlice(backend, count: q.count)
            let lse = try makeSlice(backend, count: c.queryRows * c.heads)
            backend.attention(q: sq, k: sk, v: sv, into: out, lse: lse, sequences: c.sequences,
                              heads: c.heads, kvHeads: c.kvHeads, headSize: D, scale: scale)
            let dout = try makeSlice(backend, w)
            let dq = try AccumulatingGradient(backend, count: q.count, rng: &rng)
            let dk = try AccumulatingGradient(backend, count: k.count, rng: &rng)
            let dv = try AccumulatingGradient(backend, count: v.count, rng: &rng)
            backend.attentionBackward(dout: dout, q: sq, k: sk, v: sv, out: out, lse: lse,
                                      dq: dq.slice, dk: dk.slice, dv: dv.slice,
                                      sequences: c.sequences, heads: c.heads,
                                      kvHeads: c.kvHeads, headSize: D, scale: scale)
            t.expectGradient(dq.accumulated(backend), numeric.dq, "dq (\(threads) threads)")
            t.expectGradient(dk.accumulated(backend), numeric.dk, "dk (\(threads) threads)")
            t.expectGradient(dv.accumulated(backend), numeric.dv, "dv (\(threads) threads)")
            expectGuardsIntact(backend, dk.slice, "dk")
        }
    }

    /// Shapes too large for a full finite-difference sweep: the directional derivative along a
    /// random direction u, (L(x + h u) − L(x − h u)) / 2h = ⟨∇L, u⟩, for q, k and v at once,
    /// plus 24 sampled coordinates. Catches work-partitioning and race bugs that tiny shapes
    /// never reach (several tiles of keys, many heads sharing a kv head, 3 threads).
    static let attentionLargeCases: [AttentionCase] = [
        .packed("GQA 4, lengths 70 37 1", lengths: [70, 37, 1], heads: 8, kvHeads: 2, headSize: 16,
                seed: 31),
        .packed("MHA, lengths 65 33", lengths: [65, 33], heads: 3, kvHeads: 3, headSize: 9,
                scale: 0.2, seed: 32),
    ]

    static func attentionBackwardLarge(_ c: AttentionCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: c.seed)
        let backend = try t.makeBackend(threads: 3)
        let D = c.headSize
        let q = rng.floats(c.queryRows * c.heads * D, in: -1 ... 1)
        let k = rng.floats(c.keyRows * c.kvHeads * D, in: -1 ... 1)
        let v = rng.floats(c.keyRows * c.kvHeads * D)
        let w = rng.floats(q.count)
        let scale = c.effectiveScale
        let sq = try makeSlice(backend, q), sk = try makeSlice(backend, k)
        let sv = try makeSlice(backend, v)
        let out = try makeSlice(backend, count: q.count)
        let lse = try makeSlice(backend, count: c.queryRows * c.heads)
        backend.attention(q: sq, k: sk, v: sv, into: out, lse: lse, sequences: c.sequences,
                          heads: c.heads, kvHeads: c.kvHeads, headSize: D, scale: scale)
        let dout = try makeSlice(backend, w)
        let dq = try AccumulatingGradient(backend, count: q.count, rng: &rng)
        let dk = try AccumulatingGradient(backend, count: k.count, rng: &rng)
        let dv = try AccumulatingGradient(backend, count: v.count, rng: &rng)
        backend.attentionBackward(dout: dout, q: sq, k: sk, v: sv, out: out, lse: lse,
                                  dq: dq.slice, dk: dk.slice, dv: dv.slice,
                                  sequences: c.sequences, heads: c.heads, kvHeads: c.kvHeads,
                                  headSize: D, scale: scale)
        let grad = dq.accumulated(backend) + dk.accumulated(backend) + dv.accumulated(backend)
        let x = q.doubles + k.doubles + v.doubles
        let (nq, nk) = (q.count, k.count)
        func loss(_ x: [Double]) -> Double {
            dot(w.doubles, NaiveKernels.attention(
                q: Array(x[0 ..< nq]), k: Array(x[nq ..< nq + nk]),
                v: Array(x[(nq + nk)...]), sequences: c.sequences, queryRows: c.queryRows,
                heads: c.heads, kvHeads: c.kvHeads, headSize: D, scale: Double(scale)).out)
        }
        t.expectDirectionalGradient(grad, of: loss, at: x, parts: [0 ..< nq, nq ..< nq + nk, nq + nk ..< x.count],
                                    rng: &rng, "dq, dk, dv")
    }

    // MARK: - Log-probabilities

    static func logSoftmaxGatherBackward(rows: Int, vocabulary: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 100 + vocabulary))
        let backend = try t.makeBackend()
        let logits = rng.floats(rows * vocabulary, in: -4 ... 4)
        var targets = rng.ids(rows, below: vocabulary)
        if rows > 2 { targets[2] = targets[1] }  // a repeated target
        let w = rng.floats(rows)
        let sl = try makeSlice(backend, logits)
        let logp = try makeSlice(backend, count: rows), lse = try makeSlice(backend, count: rows)
        backend.logSoftmaxGather(logits: sl, targets: targets, into: logp, lse: lse,
                                 vocabulary: vocabulary)
        let dlogp = try makeSlice(backend, w)
        let dlogits = try AccumulatingGradient(backend, count: logits.count, rng: &rng)
        backend.logSoftmaxGatherBackward(logits: sl, targets: targets, lse: lse, dlogp: dlogp,
                                         dlogits: dlogits.slice, vocabulary: vocabulary)
        let numeric = finiteDifferences(of: {
            dot(w.doubles, NaiveKernels.logSoftmaxGather(logits: $0, targets: targets,
                                                         vocabulary: vocabulary).logp)
        }, at: logits.doubles)
        if vocabulary == 1 {
            // log_softmax over one class is identically 0: the gradient is exactly zero.
            t.expectClose(dlogits.accumulated(backend), numeric, atol: 1e-6, "dlogits (V = 1)")
        } else {
            t.expectGradient(dlogits.accumulated(backend), numeric, "dlogits")
        }
    }

    // MARK: - Larger shapes

    /// Rows beyond a GPU's 64-row column-sum chunks, channels beyond one thread block.
    static let largeNormShapes: [(rows: Int, channels: Int)] = [(130, 512), (17, 1100), (3, 2048)]

    /// dx, dweight (and dbias) of both norms at once, by `expectDirectionalGradient`.
    static func normBackwardLarge(rows: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 10_000 + channels))
        let backend = try t.makeBackend()
        let n = rows * channels
        let x = rng.floats(n, in: -2 ... 2).map { $0 + 0.5 }
        let weight = rng.floats(channels, in: 0.5 ... 1.5), bias = rng.floats(channels)
        let w = rng.floats(n)
        let eps: Float = 1e-5
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, weight)
        let sb = try makeSlice(backend, bias), dout = try makeSlice(backend, w)
        let out = try makeSlice(backend, count: n)
        let mean = try makeSlice(backend, count: rows), rstd = try makeSlice(backend, count: rows)
        let parts = [0 ..< n, n ..< n + channels, n + channels ..< n + 2 * channels]

        backend.rmsNorm(sx, weight: sw, epsilon: eps, into: out, rstd: rstd, rows: rows, channels: channels)
        var dx = try AccumulatingGradient(backend, count: n, rng: &rng)
        var dweight = try AccumulatingGradient(backend, count: channels, rng: &rng)
        backend.rmsNormBackward(dout: dout, x: sx, weight: sw, rstd: rstd, dx: dx.slice,
                                dweight: dweight.slice, rows: rows, channels: channels)
        t.expectDirectionalGradient(dx.accumulated(backend) + dweight.accumulated(backend), of: { p in
            dot(w.doubles, NaiveKernels.rmsNorm(Array(p[parts[0]]), weight: Array(p[parts[1]]),
                                                epsilon: Double(eps), rows: rows, channels: channels).out)
        }, at: x.doubles + weight.doubles, parts: Array(parts[0 ..< 2]), rng: &rng, "rmsNorm dx, dweight")

        backend.layerNorm(sx, weight: sw, bias: sb, epsilon: eps, into: out, mean: mean, rstd: rstd,
                          rows: rows, channels: channels)
        dx = try AccumulatingGradient(backend, count: n, rng: &rng)
        dweight = try AccumulatingGradient(backend, count: channels, rng: &rng)
        let dbias = try AccumulatingGradient(backend, count: channels, rng: &rng)
        backend.layerNormBackward(dout: dout, x: sx, weight: sw, mean: mean, rstd: rstd, dx: dx.slice,
                                  dweight: dweight.slice, dbias: dbias.slice, rows: rows, channels: channels)
        t.expectDirectionalGradient(
            dx.accumulated(backend) + dweight.accumulated(backend) + dbias.accumulated(backend), of: { p in
                dot(w.doubles, NaiveKernels.layerNorm(Array(p[parts[0]]), weight: Array(p[parts[1]]),
                                                      bias: Array(p[parts[2]]), epsilon: Double(eps),
                                                      rows: rows, channels: channels).out)
            }, at: x.doubles + weight.doubles + bias.doubles, parts: parts, rng: &rng,
            "layerNorm dx, dweight, dbias")
    }

    /// dlogits over a vocabulary of a real model's size, by `expectDirectionalGradient`.
    static func logSoftmaxGatherBackwardLarge(rows: Int, vocabulary: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(rows * 100_000 + vocabulary))
        let backend = try t.makeBackend()
        let logits = rng.floats(rows * vocabulary, in: -8 ... 8)
        let targets = rng.ids(rows, below: vocabulary)
        var w = rng.floats(rows)
        w[rows / 2] = 0  // a sequence position that carries no gradient
        let sl = try makeSlice(backend, logits)
        let logp = try makeSlice(backend, count: rows), lse = try makeSlice(backend, count: rows)
        backend.logSoftmaxGather(logits: sl, targets: targets, into: logp, lse: lse, vocabulary: vocabulary)
        // Most components are softmax probabilities of ~1/V: a small prefill keeps them resolved.
        let dlogits = try AccumulatingGradient(backend, count: logits.count, rng: &rng, magnitude: 1e-6)
        backend.logSoftmaxGatherBackward(logits: sl, targets: targets, lse: lse, dlogp: try makeSlice(backend, w),
                                         dlogits: dlogits.slice, vocabulary: vocabulary)
        // The target columns carry the largest components: dlogp · (1 − softmax), closed form.
        let grad = dlogits.accumulated(backend)
        t.expectDirectionalGradient(grad, of: {
            dot(w.doubles, NaiveKernels.logSoftmaxGather(logits: $0, targets: targets, vocabulary: vocabulary).logp)
        }, at: logits.doubles, parts: [0 ..< logits.count], rng: &rng, "dlogits")
        for (n, target) in targets.enumerated() {
            let j = n * vocabulary + Int(target)
            let p = exp(Double(logits[j]) - NaiveKernels.logSoftmaxGather(
                logits: Array(logits[(n * vocabulary) ..< ((n + 1) * vocabulary)]).doubles, targets: [target],
                vocabulary: vocabulary).lse[0])
            t.expectClose(grad[j], Double(w[n]) * (1 - p), rtol: 1e-4, atol: 1e-6, "dlogits at target \(n)")
        }
    }
}
