import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

/// What the conformance kit (CUDAConformanceTests) does not cover: reduced-precision matmuls,
/// attention forward and backward at model-sized head counts and head sizes with shared prompt
/// prefixes and decode blocks, against the CPU backend, and run-to-run determinism. Needs a
/// CUDA device; skipped with the reason otherwise.
@Suite("CUDA kernels vs CPU", .enabled(if: Availability.hasDevice, Availability.deviceComment))
struct KernelParityTests {
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
