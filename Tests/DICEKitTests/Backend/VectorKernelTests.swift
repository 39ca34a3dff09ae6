// The CPU backend's SIMD kernels (CKernels) at both levels — the best one the CPU supports
// (`vectorized: true`) and the portable C versions (`vectorized: false`) — against the Double
// oracle, with sizes around the SIMD widths (1, 15, 16, 17, …) so that the masked tails run;
// and the properties the callers rely on: rowwiseMatmul's rows do not depend on the row count
// or on other rows, and AdamW gives the same bits at every level.

@testable import DICEKit
import CKernels
import Foundation
import BackendConformance
import Testing

@Suite("Vector kernels: SIMD and portable CKernels vs the Double oracle")
struct VectorKernelTests {
    static let levels = [true, false]

    /// ck_gemm_nt has AVX-512, AVX2 and portable versions: every level up to the CPU's.
    static var gemmLevels: [Int] { Array(0...CPUBackend.bestSIMDLevel) }

    @Test("rowwiseMatmul = x·Wᵀ at every SIMD level", arguments: gemmLevels,
          [(1, 1, 1), (3, 17, 5), (4, 16, 6), (7, 33, 13), (64, 64, 50), (5, 300, 97)])
    func rowwiseMatmul(level: Int, shape: (Int, Int, Int)) throws {
        let (rows, inputs, outputs) = shape
        var rng = SplitMix64(seed: UInt64(rows * 1000 + inputs * 10 + outputs))
        let backend = CPUBackend(threads: 3, cachedBytes: nil, simdLevel: level)
        let x = rng.floats(rows * inputs), w = rng.floats(outputs * inputs)
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, w)
        let sy = try makeSlice(backend, count: rows * outputs, value: .nan)
        backend.rowwiseMatmul(sx, weight: sw, into: sy, rows: rows, inputs: inputs, outputs: outputs)
        let expected = NaiveKernels.matmul(x.doubles, transposeA: false, w.doubles, transposeB: true,
                                           [Double](repeating: 0, count: rows * outputs),
                                           m: rows, n: outputs, k: inputs, alpha: 1, beta: 0)
        expectClose(backend.download(sy), expected, rtol: 1e-5, atol: 1e-5 * Double(inputs).squareRoot(), "y")
        expectGuardsIntact(backend, sy, "y")
    }

    @Test("rowwiseMatmul: a row's bits do not depend on the row count or its neighbours",
          arguments: gemmLevels)
    func rowwiseMatmulRowIndependence(level: Int) throws {
        var rng = SplitMix64(seed: 5)
        let backend = CPUBackend(threads: 2, cachedBytes: nil, simdLevel: level)
        let rows = 23, inputs = 70, outputs = 131
        let x = rng.floats(rows * inputs), w = rng.floats(outputs * inputs)
        let sw = try makeSlice(backend, w)
        let all = try makeSlice(backend, count: rows * outputs)
        backend.rowwiseMatmul(try makeSlice(backend, x), weight: sw, into: all, rows: rows, inputs: inputs, outputs: outputs)
        let batched = backend.download(all)
        for row in [0, 1, 11, 22] {
            let one = try makeSlice(backend, count: outputs)
            backend.rowwiseMatmul(try makeSlice(backend, Array(x[(row * inputs)..<((row + 1) * inputs)])), weight: sw,
                                  into: one, rows: 1, inputs: inputs, outputs: outputs)
            #expect(backend.download(one) == Array(batched[(row * outputs)..<((row + 1) * outputs)]), "row \(row)")
        }
    }

    @Test("rowwiseMatmul of an [in, out] weight = x·W at every SIMD level, the same bits at each",
          arguments: [(1, 1, 1), (3, 17, 5), (4, 16, 6), (7, 33, 13), (5, 20, 97), (9, 70, 131)])
    func rowwiseMatmulInOut(shape: (Int, Int, Int)) throws {
        let (rows, inputs, outputs) = shape
        var rng = SplitMix64(seed: UInt64(rows * 1000 + inputs * 10 + outputs + 7))
        let x = rng.floats(rows * inputs), w = rng.floats(inputs * outputs)
        let expected = NaiveKernels.matmul(x.doubles, transposeA: false, w.doubles, transposeB: false,
                                           [Double](repeating: 0, count: rows * outputs),
                                           m: rows, n: outputs, k: inputs, alpha: 1, beta: 0)
        var results: [[Float]] = []
        for level in Self.gemmLevels {
            let backend = CPUBackend(threads: 3, cachedBytes: nil, simdLevel: level)
            let sy = try makeSlice(backend, count: rows * outputs, value: .nan)
            backend.rowwiseMatmul(try makeSlice(backend, x), inOutWeight: try makeSlice(backend, w), into: sy,
                                  rows: rows, inputs: inputs, outputs: outputs)
            let y = backend.download(sy)
            expectClose(y, expected, rtol: 1e-5, atol: 1e-5 * Double(inputs).squareRoot(), "y level \(level)")
            expectGuardsIntact(backend, sy, "y")
            results.append(y)
        }
        // One fused multiply-add chain per element at every level (fmaf in the portable C).
        for (level, y) in zip(Self.gemmLevels, results) { #expect(y == results[0], "level \(level)") }
    }

    @Test("rowwiseMatmul of an [in, out] weight: a row's bits do not depend on the row count",
          arguments: gemmLevels)
    func rowwiseMatmulInOutRowIndependence(level: Int) throws {
        var rng = SplitMix64(seed: 6)
        let backend = CPUBackend(threads: 2, cachedBytes: nil, simdLevel: level)
        let rows = 23, inputs = 70, outputs = 131
        let x = rng.floats(rows * inputs), w = rng.floats(inputs * outputs)
        let sw = try makeSlice(backend, w)
        let all = try makeSlice(backend, count: rows * outputs)
        backend.rowwiseMatmul(try makeSlice(backend, x), inOutWeight: sw, into: all, rows: rows, inputs: inputs,
                              outputs: outputs)
        let batched = backend.download(all)
        for row in [0, 1, 11, 22] {
            let one = try makeSlice(backend, count: outputs)
            backend.rowwiseMatmul(try makeSlice(backend, Array(x[(row * inputs)..<((row + 1) * inputs)])),
                                  inOutWeight: sw, into: one, rows: 1, inputs: inputs, outputs: outputs)
            #expect(backend.download(one) == Array(batched[(row * outputs)..<((row + 1) * outputs)]), "row \(row)")
        }
    }

    @Test("swiglu and its backward", arguments: levels, [1, 15, 16, 17, 100, 40_003])
    func swiglu(vectorized: Bool, count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count))
        let backend = CPUBackend(threads: 3, vectorized: vectorized)
        let g = rng.floats(count, in: -12 ... 12), u = rng.floats(count), d = rng.floats(count)
        let sg = try makeSlice(backend, g), su = try makeSlice(backend, u), sd = try makeSlice(backend, d)
        let out = try makeSlice(backend, count: count, value: .nan)
        backend.swiglu(gate: sg, up: su, into: out)
        expectClose(backend.download(out), NaiveKernels.swiglu(gate: g.doubles, up: u.doubles), "out")
        // Backward into non-zero gradients (it accumulates): closed-form derivatives in Double.
        let dg = try makeSlice(backend, count: count, value: 0.5), du = try makeSlice(backend, count: count, value: -0.25)
        backend.swigluBackward(gate: sg, up: su, dout: sd, dgate: dg, dup: du)
        var expectedDG: [Double] = [], expectedDU: [Double] = []
        for i in 0..<count {
            let x = Double(g[i]), sigma = 1 / (1 + exp(-x))
            expectedDU.append(-0.25 + Double(d[i]) * x * sigma)
            expectedDG.append(0.5 + Double(d[i]) * Double(u[i]) * sigma * (1 + x * (1 - sigma)))
        }
        expectClose(backend.download(dg), expectedDG, "dgate")
        expectClose(backend.download(du), expectedDU, "dup")
        expectGuardsIntact(backend, dg, "dgate")
        expectGuardsIntact(backend, out, "out")
    }

    @Test("logSoftmaxGather and its backward", arguments: levels, [1, 15, 17, 1000])
    func logSoftmax(vectorized: Bool, vocabulary: Int) throws {
        var rng = SplitMix64(seed: UInt64(vocabulary) + 7)
        let backend = CPUBackend(threads: 3, vectorized: vectorized)
        let rows = 5
        let logits = rng.floats(rows * vocabulary, in: -30 ... 30)
        let targets = (0..<rows).map { _ in Int32(rng.index(vocabulary)) }
        let sl = try makeSlice(backend, logits)
        let logp = try makeSlice(backend, count: rows), lse = try makeSlice(backend, count: rows)
        backend.logSoftmaxGather(logits: sl, targets: targets, into: logp, lse: lse, vocabulary: vocabulary)
        let oracle = NaiveKernels.logSoftmaxGather(logits: logits.doubles, targets: targets, vocabulary: vocabulary)
        expectClose(backend.download(logp), oracle.logp, rtol: 1e-5, atol: 1e-4, "logp")
        expectClose(backend.download(lse), oracle.lse, rtol: 1e-5, atol: 1e-4, "lse")
        let dlogp = rng.floats(rows)
        let dlogits = try makeSlice(backend, count: rows * vocabulary, value: 1)
        backend.logSoftmaxGatherBackward(logits: sl, targets: targets, lse: lse, dlogp: try makeSlice(backend, dlogp),
                                         dlogits: dlogits, vocabulary: vocabulary)
        var expected = [Double](repeating: 1, count: rows * vocabulary)
        for n in 0..<rows {
            for v in 0..<vocabulary {
                let p = exp(Double(logits[n * vocabulary + v]) - oracle.lse[n])
                expected[n * vocabulary + v] += Double(dlogp[n]) * ((v == Int(targets[n]) ? 1 : 0) - p)
            }
        }
        expectClose(backend.download(dlogits), expected, "dlogits")
        expectGuardsIntact(backend, dlogits, "dlogits")
    }

    @Test("decoding attention (≤ 4 queries per sequence) with GQA", arguments: levels, [15, 16, 17, 64, 130])
    func decodeAttention(vectorized: Bool, headSize: Int) throws {
        var rng = SplitMix64(seed: UInt64(headSize))
        let backend = CPUBackend(threads: 3, vectorized: vectorized)
        let heads = 4, kvHeads = 2
        // Three sequences: 1 query over 1 key, 1 over 40, 3 over 19 (queries packed, keys packed).
        let sequences = [AttentionSequence(queryStart: 0, queryCount: 1, keyStart: 0, keyCount: 1),
                         AttentionSequence(queryStart: 1, queryCount: 1, keyStart: 1, keyCount: 40),
                         AttentionSequence(queryStart: 2, queryCount: 3, keyStart: 41, keyCount: 19)]
        let queries = 5, keys = 60
        let q = rng.floats(queries * heads * headSize, in: -2 ... 2)
        let k = rng.floats(keys * kvHeads * headSize, in: -2 ... 2), v = rng.floats(keys * kvHeads * headSize)
        let out = try makeSlice(backend, count: q.count, value: .nan), lse = try makeSlice(backend, count: queries * heads)
        let scale = 1 / Float(headSize).squareRoot()
        backend.attention(q: try makeSlice(backend, q), k: try makeSlice(backend, k), v: try makeSlice(backend, v),
                          into: out, lse: lse, sequences: sequences, heads: heads, kvHeads: kvHeads,
                          headSize: headSize, scale: scale)
        let oracle = NaiveKernels.attention(q: q.doubles, k: k.doubles, v: v.doubles, sequences: sequences,
                                            queryRows: queries, heads: heads, kvHeads: kvHeads,
                                            headSize: headSize, scale: Double(scale))
        expectClose(backend.download(out), oracle.out, "out")
        expectClose(backend.download(lse), oracle.lse, "lse")
        expectGuardsIntact(backend, out, "out")
    }

    @Test("ck_attend_heads: each head of a GQA group gets the bits of its own ck_attend call",
          arguments: [1, 2, 3, 5], [15, 64, 130])
    func attendHeadsEqualsSingleHeads(heads: Int, headSize: Int) {
        var rng = SplitMix64(seed: UInt64(heads * 1000 + headSize))
        let level = Int32(CPUBackend.bestSIMDLevel), stride = 2 * headSize + 3
        // Keys 1, 7, 8, 9 and 40 (around the 8-key blocks of the pair kernel), split into a
        // prefix part and an own part.
        for (n0, n1) in [(0, 1), (3, 4), (8, 0), (4, 5), (25, 15)] {
            let n = n0 + n1
            let q = rng.floats(heads * headSize, in: -2 ... 2)
            let k0 = rng.floats(max(n0, 1) * stride, in: -2 ... 2), v0 = rng.floats(max(n0, 1) * stride)
            let k1 = rng.floats(max(n1, 1) * stride, in: -2 ... 2), v1 = rng.floats(max(n1, 1) * stride)
            var outs = [Float](repeating: .nan, count: heads * headSize), lses = [Float](repeating: .nan, count: heads)
            var scores = [Float](repeating: 0, count: heads * n)
            ck_attend_heads(level, Int32(heads), q, Int64(headSize), 0.125, k0, v0, Int64(n0), k1, v1, Int64(n1),
                            Int64(stride), &scores, &outs, &lses)
            for h in 0..<heads {
                var out = [Float](repeating: .nan, count: headSize), one = [Float](repeating: 0, count: n)
                let lse = ck_attend(level, Array(q[(h * headSize)..<((h + 1) * headSize)]), Int64(headSize), 0.125,
                                    k0, v0, Int64(n0), k1, v1, Int64(n1), Int64(stride), &one, &out)
                #expect(lses[h].bitPattern == lse.bitPattern, "head \(h) of \(heads), keys \(n0)+\(n1)")
                #expect(Array(outs[(h * headSize)..<((h + 1) * headSize)]).map(\.bitPattern) == out.map(\.bitPattern),
                        "head \(h) of \(heads), keys \(n0)+\(n1)")
            }
        }
    }

    @Test("sum and sumOfSquares", arguments: levels, [1, 17, 4095, 4097, 300_001])
    func sums(vectorized: Bool, count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) + 3)
        let backend = CPUBackend(threads: 3, vectorized: vectorized)
        let x = rng.floats(count, in: -3 ... 3)
        let sx = try makeSlice(backend, x)
        expectClose(backend.sum(sx), NaiveKernels.sum(x.doubles), rtol: 1e-12, atol: 1e-12 * Double(count), "sum")
        expectClose(backend.sumOfSquares(sx), NaiveKernels.sumOfSquares(x.doubles), rtol: 1e-12, "sumOfSquares")
    }

    @Test("adamW matches the oracle, and the SIMD and portable versions agree bit for bit",
          arguments: [1, 16, 33, 40_001])
    func adamW(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) + 11)
        let params = rng.floats(count), grads = rng.floats(count), m = rng.floats(count), v = rng.floats(count, in: 0 ... 1)
        let step = AdamWStep(learningRate: 1e-2, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1, step: 3)
        var results: [[Float]] = []
        for vectorized in Self.levels {
            let backend = CPUBackend(threads: 3, vectorized: vectorized)
            let sp = try makeSlice(backend, params), sm = try makeSlice(backend, m), sv = try makeSlice(backend, v)
            backend.adamW(params: sp, grads: try makeSlice(backend, grads), m: sm, v: sv, step)
            results.append(backend.download(sp) + backend.download(sm) + backend.download(sv))
        }
        #expect(results[0] == results[1])
        var ep = params.doubles, em = m.doubles, ev = v.doubles
        NaiveKernels.adamW(params: &ep, grads: grads.doubles, m: &em, v: &ev, step)
        expectClose(results[0], ep + em + ev, "params, m, v")
    }
}
