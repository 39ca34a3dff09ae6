// bfloat16 matrix products (`CPUBackend(dtype: .bf16)`) against the Float32/Double oracle.
//
// The tolerance: rounding a Float32 to bfloat16 (8-bit significand, round to nearest even)
// changes it by at most half an ulp, 2⁻⁸ relatively, so a product of two rounded inputs is
// within (1 + 2⁻⁸)² − 1 < 2⁻⁷·1.01 of the exact product, relatively; the products themselves
// are exact in Float32 and their Float32 sum adds at most k·2⁻²⁴ of Σ|aᵢbᵢ|. So every element
// of a bfloat16 product satisfies |c − c_exact| ≤ (2⁻⁷·1.01 + k·2⁻²⁴)·Σ_p |a_p b_p| — the bound
// the tests check, per element, against a Double oracle on the unrounded inputs. Against the
// Double oracle on the *rounded* inputs only the accumulation error remains (k·2⁻²⁴).

@testable import DICEKit
import CKernels
import Foundation
import BackendConformance
import Testing

@Suite("bfloat16 products vs the Float32 oracle")
struct BF16Tests {
    /// bfloat16(x) as a Float, rounded to nearest even (the oracle for ck_f32_to_bf16).
    static func rounded(_ x: Float) -> Float {
        var y = [UInt16](repeating: 0, count: 1)
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), [x], &y, 1)
        return Float(bitPattern: UInt32(y[0]) << 16)
    }

    /// Checks `actual` [m×n] against op(a)·op(b) (+ `initial` when accumulating) by the bound
    /// in the file's header.
    static func expectWithinBF16Bound(_ actual: [Float], a: [Float], transposeA: Bool, b: [Float], transposeB: Bool,
                                      initial: [Float]?, m: Int, n: Int, k: Int, _ label: String) {
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = Double(initial?[i * n + j] ?? 0), magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                    let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                    exact += x * y
                    magnitude += abs(x * y)
                }
                let bound = (1.01 / 128 + Double(k) * 0x1p-24) * magnitude + 1e-6 * abs(exact) + 1e-30
                worst = max(worst, abs(Double(actual[i * n + j]) - exact) / bound)
            }
        }
        #expect(worst <= 1, "\(label): error \(worst)× the bf16 bound")
    }

    @Test("Float32 → bfloat16 rounds to nearest even; NaN stays NaN; every level agrees")
    func conversion() throws {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (0, 0), (-0.0, 0x8000), (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (Float(bitPattern: 0x3F80_8000), 0x3F80),  // a tie, even below: down
            (Float(bitPattern: 0x3F81_8000), 0x3F82),  // a tie, odd below: up
            (Float(bitPattern: 0x3F80_8001), 0x3F81),  // above the tie: up
            (Float(bitPattern: 0x7F7F_FFFF), 0x7F80),  // the largest Float rounds to +∞
        ]
        for (x, bits) in cases {
            var y: [UInt16] = [0]
            ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), [x], &y, 1)
            #expect(y[0] == bits, "bf16(\(x)) = \(String(y[0], radix: 16)), expected \(String(bits, radix: 16))")
        }
        var y: [UInt16] = [0]
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), [.nan], &y, 1)
        #expect(Float(bitPattern: UInt32(y[0]) << 16).isNaN)
        var rng = SplitMix64(seed: 4)
        let x = rng.floats(1000, in: -1e5 ... 1e5) + [.nan, .infinity, Float(bitPattern: 0x0001_0000), -3e38]
        var portable = [UInt16](repeating: 0, count: x.count), best = portable
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), x, &portable, Int64(x.count))
        ck_f32_to_bf16(Int32(CPUBackend.bestSIMDLevel), x, &best, Int64(x.count))
        #expect(portable == best)
        for (v, h) in zip(x, portable) where v.isFinite && abs(v) > 1e-37 && abs(v) < 3e38 {
            let back = Float(bitPattern: UInt32(h) << 16)
            #expect(abs(back - v) <= abs(v) * 0x1p-8, "\(v) → \(back)")
        }
    }

    /// Every ck_gemm_nt_bf16 level this CPU runs (AVX2, AVX-512, AVX512-BF16 only where they exist).
    static var levels: [Int32] {
        var l = [Int32(CK_LEVEL_PORTABLE)]
        if CPUBackend.bestSIMDLevel >= Int(CK_LEVEL_AVX2) { l.append(Int32(CK_LEVEL_AVX2)) }
        if CPUBackend.bestSIMDLevel >= Int(CK_LEVEL_AVX512) { l.append(Int32(CK_LEVEL_AVX512)) }
        if CPUBackend.nativeBF16 { l.append(Int32(CK_LEVEL_AVX512_BF16)) }
        return l
    }

    @Test("ck_gemm_nt_bf16 = A·Bᵀ of the rounded inputs, at every level, column ranges and beta",
          arguments: levels, [(1, 1, 1), (5, 13, 37), (4, 6, 64), (9, 31, 70), (17, 50, 300)])
    func kernel(level: Int32, shape: (Int, Int, Int)) throws {
        let (m, n, k) = shape
        var rng = SplitMix64(seed: UInt64(m * 977 + n * 31 + k))
        let a = rng.floats(m * k).map(Self.rounded), b = rng.floats(n * k).map(Self.rounded)
        var ab = [UInt16](repeating: 0, count: a.count), bb = [UInt16](repeating: 0, count: b.count)
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), a, &ab, Int64(a.count))
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), b, &bb, Int64(b.count))
        let initial = rng.floats(m * n)
        var c = initial
        // Two column ranges, the second accumulating (beta 1) into the initial values.
        let split = n / 2
        ck_gemm_nt_bf16(level, Int64(m), 0, Int64(split), Int64(k), 1, ab, Int64(k), bb, Int64(k), 0, &c, Int64(n))
        ck_gemm_nt_bf16(level, Int64(m), Int64(split), Int64(n), Int64(k), 1, ab, Int64(k), bb, Int64(k), 1, &c, Int64(n))
        for i in 0..<m {
            for j in 0..<n {
                var exact = j < split ? 0 : Double(initial[i * n + j]), magnitude = abs(exact)
                for p in 0..<k {
                    exact += Double(a[i * k + p]) * Double(b[j * k + p])
                    magnitude += abs(Double(a[i * k + p]) * Double(b[j * k + p]))
                }
                // Inputs already bfloat16: only the Float32 accumulation's error remains.
                #expect(abs(Double(c[i * n + j]) - exact) <= Double(k + 2) * 0x1p-24 * magnitude + 1e-30,
                        "c[\(i), \(j)] = \(c[i * n + j]), expected \(exact)")
            }
        }
    }

    @Test("ck_gemm_nt_bf16: a row's bits do not depend on the row count or its neighbours (decoding)",
          arguments: levels)
    func kernelRowIndependence(level: Int32) throws {
        let (m, n, k) = (23, 131, 70)
        var rng = SplitMix64(seed: 11)
        var ab = [UInt16](repeating: 0, count: m * k), bb = [UInt16](repeating: 0, count: n * k)
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), rng.floats(m * k), &ab, Int64(m * k))
        ck_f32_to_bf16(Int32(CK_LEVEL_PORTABLE), rng.floats(n * k), &bb, Int64(n * k))
        var all = [Float](repeating: 0, count: m * n)
        ck_gemm_nt_bf16(level, Int64(m), 0, Int64(n), Int64(k), 1, ab, Int64(k), bb, Int64(k), 0, &all, Int64(n))
        for row in [0, 1, 11, 22] {
            var one = [Float](repeating: 0, count: n)
            let x = Array(ab[(row * k)..<((row + 1) * k)])
            ck_gemm_nt_bf16(level, 1, 0, Int64(n), Int64(k), 1, x, Int64(k), bb, Int64(k), 0, &one, Int64(n))
            #expect(one == Array(all[(row * n)..<((row + 1) * n)]), "level \(level) row \(row)")
        }
    }

    @Test("matmul on a .bf16 backend is within the bf16 bound of the Float32 oracle (oneDNN and CKernels)",
          arguments: [false, true], [(false, false), (false, true), (true, false), (true, true)])
    func backendMatmul(oneDNN: Bool, transpose: (Bool, Bool)) throws {
        if oneDNN && !CPUBackend.oneDNN { return }  // libdnnl.so.2 absent: the CKernels case covers the path
        let (ta, tb) = transpose
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        for (m, n, k) in [(3, 5, 7), (33, 70, 129), (64, 200, 96)] {
            var rng = SplitMix64(seed: UInt64(m + n + k))
            let a = rng.floats(m * k), b = rng.floats(k * n), initial = rng.floats(m * n)
            let sa = try makeSlice(backend, a), sb = try makeSlice(backend, b)
            for accumulate in [false, true] {
                let sc = try makeSlice(backend, initial)
                backend.bf16Matmul(sa, offset: 0, transposeA: ta, sb, offset: 0, transposeB: tb,
                                   backend.pointer(sc), m: m, n: n, k: k, accumulate: accumulate, oneDNN: oneDNN)
                Self.expectWithinBF16Bound(backend.download(sc), a: a, transposeA: ta, b: b, transposeB: tb,
                                           initial: accumulate ? initial : nil, m: m, n: n, k: k,
                                           "\(m)×\(n)×\(k) ta \(ta) tb \(tb) acc \(accumulate) oneDNN \(oneDNN)")
            }
        }
    }

    @Test("the public matmul routes through bf16, reading a refreshed bfloat16 copy of a parameter buffer")
    func parameterCopy() throws {
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let store = try ParameterStore(shapes: [("w", [40, 24])], on: backend)
        var rng = SplitMix64(seed: 8)
        let w = rng.floats(40 * 24), x = rng.floats(5 * 24)
        try store.set("w", w)
        store.refreshBF16()
        let input = try Tensor(x, shape: [5, 24], on: backend)
        let out = try Tensor(zeros: [5, 40], on: backend)
        try input.matmul(store.value(store.entry("w")), transposeOther: true, into: out)
        Self.expectWithinBF16Bound(out.toArray(), a: x, transposeA: false, b: w, transposeB: true, initial: nil,
                                   m: 5, n: 40, k: 24, "x·Wᵀ")
        // rowwise (decoding) likewise, and a stale copy is replaced by refreshBF16.
        try store.set("w", w.map { -$0 })
        store.refreshBF16()
        let rows = try Tensor(zeros: [5, 40], on: backend)
        try input.rowwiseMatmul(weight: store.value(store.entry("w")), into: rows)
        Self.expectWithinBF16Bound(rows.toArray(), a: x, transposeA: false, b: w.map { -$0 }, transposeB: true,
                                   initial: nil, m: 5, n: 40, k: 24, "rowwise x·(−W)ᵀ")
    }

    /// The llama fixture trained five DPO steps in fp32 and in bf16 from the same weights and
    /// reference: every step's loss within 2e-2 relative (the mixed-precision contract; the
    /// masters and AdamW state stay Float32).
    @Test("a bf16 DPO run's losses are within 2e-2 relative of the fp32 run's")
    func dpoLoss() throws {
        let pairs = DPOResumeTests.pairs(8)
        let fixture = Fixtures.model("llama-gqa-tied")
        let reference = try ReferenceLogProbs.compute(pairs, reference: TransformerLM(directory: fixture, backend: CPUBackend()))
        let shifted = ReferenceLogProbs(chosen: reference.chosen.map { $0 - 0.5 }, rejected: reference.rejected.map { $0 + 0.5 })
        var config = try DPOResumeTests.config(steps: 5)
        config.validationSize = 0
        config.checkpointInterval = 0
        config.evaluationInterval = 0
        func losses(_ dtype: DType) throws -> [Double] {
            let model = try TransformerLM(directory: fixture, backend: CPUBackend(threads: 2, dtype: dtype))
            var out: [Double] = []
            _ = try StandardDPOTrainer(configuration: config) { event in
                if case .step(let m) = event { out.append(m.loss) }
            }.train(model, pairs: pairs, reference: shifted)
            return out
        }
        let full = try losses(.fp32), mixed = try losses(.bf16)
        #expect(full.count == 5 && mixed.count == 5)
        for (step, (f, b)) in zip(full, mixed).enumerated() {
            #expect(abs(b - f) <= 2e-2 * abs(f), "step \(step + 1): bf16 loss \(b), fp32 \(f)")
        }
        // The runs differ at all: bf16 really ran.
        #expect(full != mixed)
    }
}
