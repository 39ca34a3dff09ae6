import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

/// Each CUDA kernel against the CPU backend on random shapes: outputs, in-place updates and
/// accumulated (`+=`) gradients. Needs a CUDA device; skipped with the reason otherwise.
@Suite("CUDA kernels vs CPU", .enabled(if: Availability.hasDevice, Availability.deviceComment))
struct KernelParityTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmul(transposeA: Bool, transposeB: Bool) throws {
        var rng = SplitMix64(seed: 11)
        for (m, n, k, batch) in [(37, 29, 45, 1), (64, 512, 96, 1), (7, 13, 5, 3), (1, 300, 128, 2)] {
            let sa = m * k + 3, sb = k * n + 1, sc = m * n + 2
            try expectParity("matmul \(m)×\(n)×\(k) batch \(batch)",
                             inputs: [randomValues(sa * batch, &rng), randomValues(sb * batch, &rng), randomValues(sc * batch, &rng)],
                             rtol: 1e-4, atol: 1e-4) { b, s in
                b.matmul(s[0], transposeA: transposeA, s[1], transposeB: transposeB, s[2], m: m, n: n, k: k,
                         alpha: 0.75, beta: 0.5, batch: batch, strideA: sa, strideB: sb, strideC: sc)
                return nil
            }
        }
    }

    @Test(arguments: [CUDAMatmulPrecision.tf32, .bf16])
    func reducedPrecisionMatmul(_ precision: CUDAMatmulPrecision) throws {
        var rng = SplitMix64(seed: 12)
        let (m, n, k) = (128, 96, 256)
        let a = randomValues(m * k, &rng), w = randomValues(n * k, &rng)
        let cpu = CPUBackend(threads: 2), cuda = try CUDABackend(matmulPrecision: precision)
        func product(_ b: any Backend) throws -> [Float] {
            let pa = BufferSlice(try b.allocate(m * k)), pw = BufferSlice(try b.allocate(n * k))
            let pc = BufferSlice(try b.allocate(m * n))
            b.upload(a, to: pa); b.upload(w, to: pw)
            b.matmul(pa, transposeA: false, pw, transposeB: true, pc, m: m, n: n, k: k, alpha: 1, beta: 0,
                     batch: 1, strideA: 0, strideB: 0, strideC: 0)
            return b.download(pc)
        }
        let want = try product(cpu), got = try product(cuda)
        // bf16 keeps 8 mantissa bits (relative 2⁻⁹ per input), tf32 11: errors grow like √k.
        let tolerance: Float = precision == .bf16 ? 0.1 : 0.02
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < tolerance, "\(precision): worst |Δ| \(worst)")
    }

    @Test func elementwiseAndReductions() throws {
        var rng = SplitMix64(seed: 13)
        for n in [1, 1000, 70_001] {
            let x = randomValues(n, &rng), y = randomValues(n, &rng), z = randomValues(n, &rng)
            try expectParity("add \(n)", inputs: [x, y, z]) { b, s in b.add(s[0], s[1], into: s[2]); return nil }
            try expectParity("scale \(n)", inputs: [x]) { b, s in b.scale(s[0], by: -1.25); return nil }
            try expectParity("axpy \(n)", inputs: [x, y]) { b, s in b.axpy(0.3, s[0], s[1]); return nil }
            try expectParity("fill/copy \(n)", inputs: [x, y]) { b, s in
                b.copy(s[0], to: s[1]); b.fill(s[0].slice(0, n / 2), with: 2.5); return nil
            }
            try expectParity("sum \(n)", inputs: [x], rtol: 1e-9, atol: 1e-9) { b, s in b.sum(s[0]) }
            try expectParity("sumOfSquares \(n)", inputs: [x], rtol: 1e-9, atol: 1e-9) { b, s in b.sumOfSquares(s[0]) }
        }
        for (rows, columns) in [(1, 1), (33, 70), (300, 512)] {
            let x = randomValues(rows * columns, &rng), bias = randomValues(columns, &rng)
            try expectParity("addBias \(rows)×\(columns)", inputs: [x, bias]) { b, s in
                b.addBias(s[0], s[1], rows: rows, columns: columns); return nil
            }
            try expectParity("sumRows \(rows)×\(columns)", inputs: [x, bias], rtol: 1e-4, atol: 1e-4) { b, s in
                b.sumRows(s[0], into: s[1], rows: rows, columns: columns); return nil
            }
            for accumulate in [false, true] {
                try expectParity("copy2D \(rows)×\(columns) accumulate \(accumulate)",
                                 inputs: [x, randomValues(rows * (columns + 3), &rng)]) { b, s in
                    b.copy2D(s[0], sourceStride: columns, to: s[1], destinationStride: columns + 3,
                             rows: rows, columns: columns, accumulate: accumulate)
                    return nil
                }
            }
        }
    }

    @Test func embedding() throws {
        var rng = SplitMix64(seed: 14)
        let (vocabulary, channels) = (50, 72)
        let ids: [Int32] = (0..<200).map { _ in Int32(rng.next() % 50) }
        try expectParity("embedding", inputs: [randomValues(vocabulary * channels, &rng), randomValues(ids.count * channels, &rng)]) { b, s in
            b.embedding(ids: ids, table: s[0], into: s[1], channels: channels); return nil
        }
        try expectParity("embeddingBackward", inputs: [randomValues(ids.count * channels, &rng), randomValues(vocabulary * channels, &rng)],
                         rtol: 1e-5, atol: 1e-5) { b, s in
            b.embeddingBackward(ids: ids, dout: s[0], dtable: s[1], channels: channels); return nil
        }
    }

    @Test(arguments: [(5, 64), (130, 512), (17, 1100), (3, 2048)])
    func normalization(rows: Int, channels: Int) throws {
        var rng = SplitMix64(seed: UInt64(15 + channels))
        let x = randomValues(rows * channels, &rng, scale: 2), w = randomValues(channels, &rng), bias = randomValues(channels, &rng)
        let dout = randomValues(rows * channels, &rng)
        try expectParity("rmsNorm", inputs: [x, w, randomValues(rows * channels, &rng), randomValues(rows, &rng)]) { b, s in
            b.rmsNorm(s[0], weight: s[1], epsilon: 1e-5, into: s[2], rstd: s[3], rows: rows, channels: channels); return nil
        }
        try expectParity("rmsNormBackward", inputs: [dout, x, w, randomValues(rows, &rng), randomValues(rows * channels, &rng), randomValues(channels, &rng)],
                         rtol: 1e-4, atol: 1e-4) { b, s in
            b.rmsNorm(s[1], weight: s[2], epsilon: 1e-5, into: s[4], rstd: s[3], rows: rows, channels: channels)
            b.fill(s[4], with: 0.5)
            b.rmsNormBackward(dout: s[0], x: s[1], weight: s[2], rstd: s[3], dx: s[4], dweight: s[5], rows: rows, channels: channels)
            return nil
        }
        try expectParity("layerNorm + backward", inputs: [x, w, bias, randomValues(rows * channels, &rng), randomValues(rows, &rng),
                                                          randomValues(rows, &rng), dout, randomValues(rows * channels, &rng),
                                                          randomValues(channels, &rng), randomValues(channels, &rng)],
                         rtol: 1e-4, atol: 1e-4) { b, s in
            b.layerNorm(s[0], weight: s[1], bias: s[2], epsilon: 1e-5, into: s[3], mean: s[4], rstd: s[5], rows: rows, channels: channels)
            b.layerNormBackward(dout: s[6], x: s[0], weight: s[1], mean: s[4], rstd: s[5], dx: s[7], dweight: s[8], dbias: s[9],
                                rows: rows, channels: channels)
            return nil
        }
    }

    @Test func activations() throws {
        var rng = SplitMix64(seed: 16)
        let n = 5000
        let x = randomValues(n, &rng, scale: 5), up = randomValues(n, &rng, scale: 3), dout = randomValues(n, &rng)
        try expectParity("gelu + backward", inputs: [x, randomValues(n, &rng), dout, randomValues(n, &rng)]) { b, s in
            b.gelu(s[0], into: s[1]); b.geluBackward(s[0], dout: s[2], dx: s[3]); return nil
        }
        try expectParity("swiglu + backward", inputs: [x, up, randomValues(n, &rng), dout, randomValues(n, &rng), randomValues(n, &rng)]) { b, s in
            b.swiglu(gate: s[0], up: s[1], into: s[2])
            b.swigluBackward(gate: s[0], up: s[1], dout: s[3], dgate: s[4], dup: s[5])
            return nil
        }
    }

    @Test(arguments: [false, true])
    func rope(inverse: Bool) throws {
        var rng = SplitMix64(seed: 17)
        let (heads, headSize) = (6, 64)
        let positions: [Int32] = (0..<40).map { Int32($0 % 23) } + [511, 2047]
        try expectParity("rope inverse \(inverse)", inputs: [randomValues(positions.count * heads * headSize, &rng)],
                         rtol: 1e-4, atol: 2e-5) { b, s in
            b.rope(s[0], positions: positions, heads: heads, headSize: headSize, theta: 10000, inverse: inverse); return nil
        }
    }

    static let attentionBatches: [(String, [AttentionSequence], Int)] = [
        ("two sequences", [AttentionSequence(start: 0, count: 37), AttentionSequence(start: 37, count: 20)], 57),
        ("shared prompt prefix", [AttentionSequence(start: 0, count: 12),
                                  AttentionSequence(start: 12, count: 9, prefixStart: 0, prefixCount: 12),
                                  AttentionSequence(start: 21, count: 5, prefixStart: 0, prefixCount: 12)], 26),
        ("decode block", [AttentionSequence(queryStart: 0, queryCount: 3, keyStart: 0, keyCount: 30),
                          AttentionSequence(queryStart: 3, queryCount: 1, keyStart: 30, keyCount: 14)], 44),
    ]

    @Test(arguments: [(8, 4, 64), (6, 6, 32), (4, 1, 128), (2, 2, 80)])
    func attention(heads: Int, kvHeads: Int, headSize: Int) throws {
        var rng = SplitMix64(seed: UInt64(heads * 1000 + headSize))
        for (label, sequences, rows) in Self.attentionBatches {
            let queries = sequences.map { $0.queryStart + $0.queryCount }.max() ?? 0
            let qn = queries * heads * headSize, kn = rows * kvHeads * headSize
            let scale = 1 / Float(headSize).squareRoot()
            try expectParity("attention \(label) H\(heads) G\(kvHeads) D\(headSize)",
                             inputs: [randomValues(qn, &rng), randomValues(kn, &rng), randomValues(kn, &rng),
                                      randomValues(qn, &rng), randomValues(queries * heads, &rng),
                                      randomValues(qn, &rng), randomValues(qn, &rng), randomValues(kn, &rng), randomValues(kn, &rng)],
                             rtol: 2e-4, atol: 2e-5) { b, s in
                b.attention(q: s[0], k: s[1], v: s[2], into: s[3], lse: s[4], sequences: sequences, heads: heads,
                            kvHeads: kvHeads, headSize: headSize, scale: scale)
                b.attentionBackward(dout: s[5], q: s[0], k: s[1], v: s[2], out: s[3], lse: s[4], dq: s[6], dk: s[7], dv: s[8],
                                    sequences: sequences, heads: heads, kvHeads: kvHeads, headSize: headSize, scale: scale)
                return nil
            }
        }
    }

    @Test(arguments: [11, 8192, 49152])
    func logSoftmaxGather(vocabulary: Int) throws {
        var rng = SplitMix64(seed: UInt64(vocabulary))
        let rows = 9
        let targets: [Int32] = (0..<rows).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
        var dlogp = randomValues(rows, &rng)
        dlogp[2] = 0
        try expectParity("logSoftmaxGather V=\(vocabulary)",
                         inputs: [randomValues(rows * vocabulary, &rng, scale: 8), randomValues(rows, &rng), randomValues(rows, &rng),
                                  dlogp, randomValues(rows * vocabulary, &rng)], rtol: 1e-4, atol: 1e-5) { b, s in
            b.logSoftmaxGather(logits: s[0], targets: targets, into: s[1], lse: s[2], vocabulary: vocabulary)
            b.logSoftmaxGatherBackward(logits: s[0], targets: targets, lse: s[2], dlogp: s[3], dlogits: s[4], vocabulary: vocabulary)
            return nil
        }
    }

    @Test func optimizers() throws {
        var rng = SplitMix64(seed: 18)
        let n = 10_000
        let p = randomValues(n, &rng), g = randomValues(n, &rng), m = randomValues(n, &rng, scale: 0.1)
        let v = randomValues(n, &rng).map { $0 * $0 }
        for step in [1, 7] {
            try expectParity("adamW step \(step)", inputs: [p, g, m, v], rtol: 1e-5, atol: 1e-6) { b, s in
                b.adamW(params: s[0], grads: s[1], m: s[2], v: s[3],
                        AdamWStep(learningRate: 1e-3, weightDecay: 0.01, step: step))
                return nil
            }
        }
        for momentum: Float in [0, 0.9] {
            try expectParity("sgd momentum \(momentum)", inputs: [p, g, m]) { b, s in
                b.sgd(params: s[0], grads: s[1], momentumBuffer: s[2], learningRate: 0.1, momentum: momentum, weightDecay: 0.01)
                return nil
            }
        }
    }

    /// The same inputs give the same bytes twice (no atomics anywhere).
    @Test func deterministic() throws {
        var rng = SplitMix64(seed: 19)
        let cuda = try CUDABackend()
        let (heads, kvHeads, d, t) = (4, 2, 64, 50)
        let sequences = [AttentionSequence(start: 0, count: 20), AttentionSequence(start: 20, count: 30, prefixStart: 0, prefixCount: 20)]
        let host = [t * heads * d, t * kvHeads * d, t * kvHeads * d, t * heads * d].map { randomValues($0, &rng) }
        func once() throws -> [Float] {
            let s = try host.map { values -> BufferSlice in
                let b = BufferSlice(try cuda.allocate(values.count)); cuda.upload(values, to: b); return b
            }
            let out = BufferSlice(try cuda.allocate(t * heads * d)), lse = BufferSlice(try cuda.allocate(t * heads))
            let dq = BufferSlice(try cuda.allocate(t * heads * d)), dk = BufferSlice(try cuda.allocate(t * kvHeads * d))
            let dv = BufferSlice(try cuda.allocate(t * kvHeads * d))
            cuda.attention(q: s[0], k: s[1], v: s[2], into: out, lse: lse, sequences: sequences, heads: heads, kvHeads: kvHeads,
                           headSize: d, scale: 0.125)
            cuda.attentionBackward(dout: s[3], q: s[0], k: s[1], v: s[2], out: out, lse: lse, dq: dq, dk: dk, dv: dv,
                                   sequences: sequences, heads: heads, kvHeads: kvHeads, headSize: d, scale: 0.125)
            return cuda.download(dq) + cuda.download(dk) + cuda.download(dv)
        }
        #expect(try once() == once())
    }
}
