// Forward kernels of a backend against the naive Double oracle (Oracles/NaiveKernels).
//
// Shapes are small and deliberately awkward: length 1, odd sizes, sizes that are not
// multiples of the usual SIMD or tile widths, slices at non-zero offsets with guard elements
// around them. Tolerance (CPU; other backends scale it, see `KernelTolerance`):
// |a − e| ≤ 1e-5 + 1e-5·|e| unless a case says why it needs more.

import DICEKit
import Foundation
import Testing

enum ForwardConformance {
    /// The cases of this file, in order.
    static let cases: [ConformanceCase] = {
        let group = "forward"
        var all: [ConformanceCase] = []
        all += ConformanceCase.each(group, "allocate is zero-filled, even after freed buffers held data",
                                    [1, 17, 4099]) {
            try allocateZeroFilled(count: $0, $1)
        }
        all.append(ConformanceCase(group, "allocate throws allocationFailed for an impossible size") {
            try allocateFailure($0)
        })
        all.append(ConformanceCase(group, "fill and copy of a large slice (threaded path)") { try largeFillCopy($0) })
        all.append(ConformanceCase(group, "upload, download, fill and copy respect slice offsets") {
            try uploadDownloadFillCopy($0)
        })
        all += ConformanceCase.each(group, "matmul (transposes, batched, alpha/beta, strides with gaps)", matmulCases) {
            try matmul($0, $1)
        }
        all.append(ConformanceCase(group, "matmul with beta 0 ignores NaN and infinity in C") {
            try matmulBetaZeroOverwrites($0)
        })
        all += ConformanceCase.each(group, "add, also with the output aliasing an input", elementCounts) {
            try add(count: $0, $1)
        }
        all += ConformanceCase.each(group, "scale in place", elementCounts) {
            try scale(count: $0, $1)
        }
        all += ConformanceCase.each(group, "axpy", elementCounts) {
            try axpy(count: $0, $1)
        }
        all += ConformanceCase.each(group, "sum and sumOfSquares accumulate in Double", elementCounts) {
            try sums(count: $0, $1)
        }
        all += ConformanceCase.each(group, "addBias", rowColumnShapes) {
            try addBias(rows: $0.0, columns: $0.1, $1)
        }
        all += ConformanceCase.each(group, "sumRows accumulates into dbias", rowColumnShapes) {
            try sumRows(rows: $0.0, columns: $0.1, $1)
        }
        all += ConformanceCase.each(group, "embedding gathers rows (repeated ids, first and last row)",
                                    [(vocabulary: 11, channels: 5), (1, 1), (7, 1), (13, 67), (50, 3)]) {
            try embedding(vocabulary: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "rmsNorm: out and saved rstd", normShapes) {
            try rmsNorm(rows: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "layerNorm: out, saved mean and rstd (biased variance)", normShapes) {
            try layerNorm(rows: $0.0, channels: $0.1, $1)
        }
        all += ConformanceCase.each(group, "gelu (tanh form)", [1, 13, 1001, 50_001]) {
            try gelu(count: $0, $1)
        }
        all += ConformanceCase.each(group, "swiglu: silu(gate) · up", [1, 13, 1001, 50_001]) {
            try swiglu(count: $0, $1)
        }
        all += ConformanceCase.each(group, "rope (rotate-half), forward and inverse", ropeCases) {
            try rope($0, $1)
        }
        all += ConformanceCase.each(group, "attention: out and saved lse (causal, GQA, packed and decode-style)",
                                    attentionCases.flatMap { c in [1, 3].map { (c, $0) } }) {
            try attention($0.0, threads: $0.1, $1)
        }
        all += ConformanceCase.each(group, "logSoftmaxGather: logp and saved lse", logSoftmaxCases) {
            try logSoftmaxGather($0, $1)
        }
        all += ConformanceCase.each(group, "copy2D: a block between row-strided layouts", copy2DCases) {
            try copy2D($0, $1)
        }
        return all
    }()

    // MARK: - Buffers

    static func allocateZeroFilled(count: Int, _ t: BackendUnderTest) throws {
        let backend = try t.makeBackend()
        for _ in 0 ..< 3 {  // dirty memory the allocator may hand back
            let dirty = try backend.allocate(count)
            backend.fill(BufferSlice(dirty), with: 13)
        }
        let buffer = try backend.allocate(count)
        #expect(buffer.count == count)
        #expect(backend.download(BufferSlice(buffer)) == [Float](repeating: 0, count: count))
    }

    static func allocateFailure(_ t: BackendUnderTest) throws {
        let backend = try t.makeBackend()
        #expect(throws: BackendError.allocationFailed(count: 1 << 60)) {
            _ = try backend.allocate(1 << 60)
        }
    }

    static func largeFillCopy(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 6)
        let backend = try t.makeBackend()
        let count = 200_003
        let values = rng.floats(count)
        let a = try makeSlice(backend, values), b = try makeSlice(backend, count: count)
        backend.copy(a, to: b)
        #expect(backend.download(b) == values, "copy")
        backend.fill(a, with: 0.5)
        #expect(backend.download(a) == [Float](repeating: 0.5, count: count), "fill")
        expectGuardsIntact(backend, a, "a")
        expectGuardsIntact(backend, b, "b")
    }

    static func uploadDownloadFillCopy(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 5)
        let backend = try t.makeBackend()
        let values = rng.floats(11)
        let a = try makeSlice(backend, values)
        #expect(backend.download(a) == values, "round trip")
        #expect(backend.download(a.slice(3, 4)) == Array(values[3 ..< 7]), "sub-slice download")
        backend.fill(a.slice(2, 5), with: -1.5)
        var expected = values
        for i in 2 ..< 7 { expected[i] = -1.5 }
        #expect(backend.download(a) == expected, "fill of a sub-slice")
        let b = try makeSlice(backend, count: 11, value: 4)
        backend.copy(a.slice(5, 6), to: b.slice(0, 6))
        #expect(backend.download(b) == Array(expected[5 ..< 11]) + [4, 4, 4, 4, 4], "copy")
        // Non-overlapping ranges of one buffer.
        backend.copy(a.slice(0, 4), to: a.slice(7, 4))
        #expect(backend.download(a) == Array(expected[0 ..< 7]) + Array(expected[0 ..< 4]),
                "copy within one buffer")
        expectGuardsIntact(backend, a, "a")
        expectGuardsIntact(backend, b, "b")
    }

    // MARK: - Matrix multiply

    struct MatmulCase: Sendable, CustomTestStringConvertible {
        var m: Int, n: Int, k: Int
        var transposeA = false, transposeB = false
        var alpha: Float = 1, beta: Float = 0
        var batch = 1
        /// Extra elements between consecutive matrices (stride = matrix size + gap).
        var gap = (a: 0, b: 0, c: 0)
        var threads: Int? = nil
        var seed: UInt64 = 1

        var testDescription: String {
            "\(m)×\(n)×\(k) tA=\(transposeA) tB=\(transposeB) α=\(alpha) β=\(beta) "
                + "batch=\(batch) gaps=\(gap) threads=\(threads.map(String.init) ?? "default")"
        }
    }

    static let matmulCases: [MatmulCase] = {
        var cases: [MatmulCase] = [
            MatmulCase(m: 1, n: 1, k: 1),
            MatmulCase(m: 1, n: 9, k: 5, alpha: 2, beta: 1),  // row vector × matrix
            MatmulCase(m: 7, n: 1, k: 3, transposeA: true, beta: 1),  // matrix × column
            MatmulCase(m: 5, n: 3, k: 9, transposeA: true, transposeB: true,
                       alpha: 0.5, beta: -1.5),
            MatmulCase(m: 4, n: 6, k: 5, transposeB: true, alpha: 1.25, beta: 0.75, batch: 3,
                       gap: (2, 3, 1)),
            MatmulCase(m: 7, n: 1, k: 3, transposeA: true, batch: 2, gap: (1, 0, 4)),
            MatmulCase(m: 13, n: 17, k: 33, transposeA: true, transposeB: false, alpha: -1,
                       beta: 0.5, batch: 2, gap: (0, 5, 0), threads: 3),
            // Large enough in k and n to engage multithreaded BLAS.
            MatmulCase(m: 300, n: 257, k: 190, alpha: 1, beta: 0.5, threads: 2, seed: 7),
            MatmulCase(m: 300, n: 257, k: 190, transposeA: true, transposeB: true,
                       alpha: 0.75, beta: 0, threads: nil, seed: 8),
        ]
        // Every transpose combination on odd sizes.
        for tA in [false, true] {
            for tB in [false, true] {
                cases.append(MatmulCase(m: 3, n: 5, k: 7, transposeA: tA, transposeB: tB,
                                        seed: 11))
            }
        }
        return cases
    }()

    static func matmul(_ c: MatmulCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: c.seed)
        let backend = try t.makeBackend(threads: c.threads)
        let sizeA = c.m * c.k, sizeB = c.k * c.n, sizeC = c.m * c.n
        let strideA = sizeA + c.gap.a, strideB = sizeB + c.gap.b, strideC = sizeC + c.gap.c
        let countA = (c.batch - 1) * strideA + sizeA
        let countB = (c.batch - 1) * strideB + sizeB
        let countC = (c.batch - 1) * strideC + sizeC
        let a = rng.floats(countA), b = rng.floats(countB), c0 = rng.floats(countC)
        let sa = try makeSlice(backend, a), sb = try makeSlice(backend, b)
        let sc = try makeSlice(backend, c0)
        backend.matmul(sa, transposeA: c.transposeA, sb, transposeB: c.transposeB, sc,
                       m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta,
                       batch: c.batch, strideA: strideA, strideB: strideB, strideC: strideC)
        let expected = NaiveKernels.matmul(
            a.doubles, transposeA: c.transposeA, b.doubles, transposeB: c.transposeB,
            c0.doubles, m: c.m, n: c.n, k: c.k, alpha: Double(c.alpha), beta: Double(c.beta),
            batch: c.batch, strideA: strideA, strideB: strideB, strideC: strideC)
        // Float rounding of a k-term dot product grows like √k.
        let atol = 1e-5 * max(1, Double(c.k).squareRoot())
        t.expectClose(backend.download(sc), expected, atol: atol, "C (gap elements must be kept)")
        expectGuardsIntact(backend, sc, "C")
        #expect(backend.download(sa) == a && backend.download(sb) == b, "inputs changed")
    }

    /// BLAS and torch convention: with beta == 0, C is overwritten and never read, so stale
    /// NaN or infinity in an output buffer cannot leak into the result.
    static func matmulBetaZeroOverwrites(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 3)
        let backend = try t.makeBackend()
        let (m, n, k) = (3, 4, 5)
        let a = rng.floats(m * k), b = rng.floats(k * n)
        var c0 = [Float](repeating: .nan, count: m * n)
        c0[1] = .infinity
        let sa = try makeSlice(backend, a), sb = try makeSlice(backend, b)
        let sc = try makeSlice(backend, c0)
        backend.matmul(sa, transposeA: false, sb, transposeB: false, sc, m: m, n: n, k: k,
                       alpha: 1, beta: 0, batch: 1, strideA: 0, strideB: 0, strideC: 0)
        let expected = NaiveKernels.matmul(a.doubles, transposeA: false, b.doubles,
                                           transposeB: false, c0.doubles, m: m, n: n, k: k,
                                           alpha: 1, beta: 0)
        t.expectClose(backend.download(sc), expected, "C")
    }

    // MARK: - Elementwise and reductions

    /// 100_003 engages the threaded path (grain 2¹⁵).
    static let elementCounts = [1, 7, 33, 1003, 100_003]

    static func add(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(count))
        let backend = try t.makeBackend()
        let a = rng.floats(count), b = rng.floats(count, in: -3 ... 3)
        let sa = try makeSlice(backend, a), sb = try makeSlice(backend, b)
        let out = try makeSlice(backend, count: count, value: 42)
        backend.add(sa, sb, into: out)
        let expected = NaiveKernels.add(a.doubles, b.doubles)
        t.expectClose(backend.download(out), expected, "out")
        expectGuardsIntact(backend, out, "out")
        backend.add(sa, sb, into: sa)  // out aliases a
        t.expectClose(backend.download(sa), expected, "out aliasing a")
        backend.upload(a, to: sa)
        backend.add(sa, sb, into: sb)  // out aliases b
        t.expectClose(backend.download(sb), expected, "out aliasing b")
    }

    static func scale(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 100 + UInt64(count))
        let backend = try t.makeBackend()
        let x = rng.floats(count)
        let sx = try makeSlice(backend, x)
        backend.scale(sx, by: -0.375)
        t.expectClose(backend.download(sx), NaiveKernels.scale(x.doubles, by: -0.375), "x")
        expectGuardsIntact(backend, sx, "x")
    }

    static func axpy(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 200 + UInt64(count))
        let backend = try t.makeBackend()
        let x = rng.floats(count), y = rng.floats(count)
        let sx = try makeSlice(backend, x), sy = try makeSlice(backend, y)
        backend.axpy(1.5, sx, sy)
        t.expectClose(backend.download(sy), NaiveKernels.axpy(1.5, x.doubles, y.doubles), "y")
        #expect(backend.download(sx) == x, "x changed")
        expectGuardsIntact(backend, sy, "y")
    }

    /// The doc promises Double accumulation; a Float accumulator is off by ~1e-5 relative on
    /// 10⁵ elements of the same sign, far outside 1e-10.
    static func sums(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 300 + UInt64(count))
        let backend = try t.makeBackend()
        let x = rng.floats(count, in: 0.1 ... 1.1)
        let sx = try makeSlice(backend, x)
        t.expectClose(backend.sum(sx), NaiveKernels.sum(x.doubles), rtol: 1e-10, "sum")
        t.expectClose(backend.sumOfSquares(sx), NaiveKernels.sumOfSquares(x.doubles), rtol: 1e-10,
                    "sumOfSquares")
        let mixed = rng.floats(count, in: -2 ... 2)
        backend.upload(mixed, to: sx)
        let scaleOfSum = NaiveKernels.sumOfSquares(mixed.doubles).squareRoot()
        t.expectClose(backend.sum(sx), NaiveKernels.sum(mixed.doubles), rtol: 1e-10,
                    atol: 1e-12 * scaleOfSum, "sum of mixed signs")
    }

    /// (400, 33) and (5, 200) engage the threaded paths of addBias and sumRows.
    static let rowColumnShapes: [(rows: Int, columns: Int)] = [
        (1, 1), (3, 5), (17, 33), (2, 130), (400, 33), (5, 200),
    ]

    static func addBias(rows: Int, columns: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(400 + rows * 1000 + columns))
        let backend = try t.makeBackend()
        let x = rng.floats(rows * columns), bias = rng.floats(columns)
        let sx = try makeSlice(backend, x), sb = try makeSlice(backend, bias)
        backend.addBias(sx, sb, rows: rows, columns: columns)
        t.expectClose(backend.download(sx),
                    NaiveKernels.addBias(x.doubles, bias.doubles, rows: rows, columns: columns),
                    "x")
        expectGuardsIntact(backend, sx, "x")
    }

    static func sumRows(rows: Int, columns: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(500 + rows * 1000 + columns))
        let backend = try t.makeBackend()
        let dy = rng.floats(rows * columns), dbias0 = rng.floats(columns)
        let sdy = try makeSlice(backend, dy), sdb = try makeSlice(backend, dbias0)
        backend.sumRows(sdy, into: sdb, rows: rows, columns: columns)
        let expected = NaiveKernels.sumRows(dy.doubles, into: dbias0.doubles, rows: rows,
                                            columns: columns)
        t.expectClose(backend.download(sdb), expected, "dbias")
        expectGuardsIntact(backend, sdb, "dbias")
    }

    // MARK: - Embedding

    static func embedding(vocabulary: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(600 + vocabulary * 100 + channels))
        let backend = try t.makeBackend()
        let table = rng.floats(vocabulary * channels)
        // ≥ 64 ids when V is 50 (the threaded path).
        let ids: [Int32] = [0, Int32(vocabulary - 1)]
            + rng.ids(vocabulary >= 50 ? 200 : 7, below: vocabulary) + [0]
        let st = try makeSlice(backend, table)
        let out = try makeSlice(backend, count: ids.count * channels, value: 9)
        backend.embedding(ids: ids, table: st, into: out, channels: channels)
        // A gather is exact.
        t.expectClose(backend.download(out),
                    NaiveKernels.embedding(ids: ids, table: table.doubles, channels: channels),
                    rtol: 0, atol: 0, "out")
        expectGuardsIntact(backend, out, "out")
    }

    // MARK: - Normalisation

    /// (37, 64) engages the threaded path (grain 8 rows).
    static let normShapes: [(rows: Int, channels: Int)] = [
        (1, 1), (5, 7), (3, 64), (4, 1000), (37, 64),
        // Channels beyond one GPU thread block, and many rows.
        (130, 512), (17, 1100), (3, 2048),
    ]

    static func rmsNorm(rows: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(700 + rows * 1000 + channels))
        let backend = try t.makeBackend()
        var x = rng.floats(rows * channels, in: -2 ... 2)
        // Rows of very different magnitudes; in row 2, mean(x²) ≪ ε, so ε's placement matters.
        for j in 0 ..< channels where rows > 1 { x[channels + j] *= 50 }
        for j in 0 ..< channels where rows > 2 { x[2 * channels + j] *= 1e-3 }
        let w = rng.floats(channels, in: 0.5 ... 1.5)
        let eps: Float = 1e-5
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, w)
        let out = try makeSlice(backend, count: rows * channels, value: 3)
        let rstd = try makeSlice(backend, count: rows, value: 3)
        backend.rmsNorm(sx, weight: sw, epsilon: eps, into: out, rstd: rstd, rows: rows,
                        channels: channels)
        let expected = NaiveKernels.rmsNorm(x.doubles, weight: w.doubles, epsilon: Double(eps),
                                            rows: rows, channels: channels)
        t.expectClose(backend.download(out), expected.out, "out")
        t.expectClose(backend.download(rstd), expected.rstd, "rstd")
        expectGuardsIntact(backend, out, "out")
        expectGuardsIntact(backend, rstd, "rstd")
    }

    static func layerNorm(rows: Int, channels: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(800 + rows * 1000 + channels))
        let backend = try t.makeBackend()
        var x = rng.floats(rows * channels, in: -2 ... 2)
        // A row with a mean far from zero (a one-pass E[x²] − μ² in Float loses digits here).
        for j in 0 ..< channels where rows > 1 { x[channels + j] += 3 }
        // A row whose variance is far below ε.
        for j in 0 ..< channels where rows > 2 { x[2 * channels + j] *= 1e-3 }
        let w = rng.floats(channels, in: 0.5 ... 1.5), b = rng.floats(channels)
        let eps: Float = 1e-5
        let sx = try makeSlice(backend, x), sw = try makeSlice(backend, w)
        let sb = try makeSlice(backend, b)
        let out = try makeSlice(backend, count: rows * channels, value: 3)
        let mean = try makeSlice(backend, count: rows, value: 3)
        let rstd = try makeSlice(backend, count: rows, value: 3)
        backend.layerNorm(sx, weight: sw, bias: sb, epsilon: eps, into: out, mean: mean,
                          rstd: rstd, rows: rows, channels: channels)
        let expected = NaiveKernels.layerNorm(x.doubles, weight: w.doubles, bias: b.doubles,
                                              epsilon: Double(eps), rows: rows, channels: channels)
        t.expectClose(backend.download(out), expected.out, "out")
        t.expectClose(backend.download(mean), expected.mean, "mean")
        t.expectClose(backend.download(rstd), expected.rstd, "rstd")
        expectGuardsIntact(backend, out, "out")
    }

    // MARK: - Activations

    /// Values spanning the interesting range plus saturating extremes (a tanh written as
    /// (e^{2u} − 1)/(e^{2u} + 1), or a sigmoid as e^g/(1 + e^g), turns these into NaN).
    static func activationInputs(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = rng.floats(count, in: -6 ... 6)
        let extremes: [Float] = [0, -0.0, 1e-4, -1e-4, 30, -30, 95, -95, 200, -200]
        for (i, e) in extremes.enumerated() where i < count { x[i] = e }
        return x
    }

    static func gelu(count: Int, _ t: BackendUnderTest) throws {
        let backend = try t.makeBackend()
        let x = Self.activationInputs(count, seed: 900 + UInt64(count))
        let sx = try makeSlice(backend, x)
        let out = try makeSlice(backend, count: count, value: 5)
        backend.gelu(sx, into: out)
        t.expectClose(backend.download(out), NaiveKernels.gelu(x.doubles), "out")
        expectGuardsIntact(backend, out, "out")
    }

    static func swiglu(count: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 1000 + UInt64(count))
        let backend = try t.makeBackend()
        let gate = Self.activationInputs(count, seed: 1100 + UInt64(count))
        let up = rng.floats(count, in: -2 ... 2)
        let sg = try makeSlice(backend, gate), su = try makeSlice(backend, up)
        let out = try makeSlice(backend, count: count, value: 5)
        backend.swiglu(gate: sg, up: su, into: out)
        t.expectClose(backend.download(out), NaiveKernels.swiglu(gate: gate.doubles, up: up.doubles),
                    "out")
        expectGuardsIntact(backend, out, "out")
    }

    // MARK: - Positions

    struct RopeCase: Sendable, CustomTestStringConvertible {
        var tokens: Int, heads: Int, headSize: Int
        var theta: Float = 10_000
        var maxPosition: Int32 = 64
        var tolerance = 1e-5
        var testDescription: String {
            "N=\(tokens) heads=\(heads) D=\(headSize) θ=\(theta) positions<\(maxPosition)"
        }
    }

    static let ropeCases: [RopeCase] = [
        RopeCase(tokens: 1, heads: 1, headSize: 2),
        RopeCase(tokens: 5, heads: 3, headSize: 8),
        RopeCase(tokens: 7, heads: 2, headSize: 64, theta: 500_000),
        RopeCase(tokens: 3, heads: 4, headSize: 6, theta: 10),
        RopeCase(tokens: 50, heads: 2, headSize: 8),  // threaded path (grain 16 tokens)
        // Far positions: float32 angles (as Hugging Face computes them) carry ~pos·2⁻²⁴ error.
        RopeCase(tokens: 6, heads: 2, headSize: 16, maxPosition: 4096, tolerance: 1e-3),
    ]

    static func rope(_ c: RopeCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.tokens * 31 + c.heads * 7 + c.headSize))
        let backend = try t.makeBackend()
        let x = rng.floats(c.tokens * c.heads * c.headSize)
        // Positions in any order, with a repeat and zero.
        var positions = (0 ..< c.tokens).map { _ in Int32(rng.index(Int(c.maxPosition))) }
        positions[0] = c.tokens > 1 ? c.maxPosition - 1 : 0
        if c.tokens > 2 { positions[2] = 0 }
        let sx = try makeSlice(backend, x)
        backend.rope(sx, positions: positions, heads: c.heads, headSize: c.headSize,
                     inverseFrequencies: RotaryEmbedding(theta: Double(c.theta)).inverseFrequencies(headSize: c.headSize),
                     inverse: false)
        t.expectClose(backend.download(sx),
                    NaiveKernels.rope(x.doubles, positions: positions, heads: c.heads,
                                      headSize: c.headSize, theta: Double(c.theta)),
                    rtol: c.tolerance, atol: c.tolerance, "rope(x)")
        backend.upload(x, to: sx)
        backend.rope(sx, positions: positions, heads: c.heads, headSize: c.headSize,
                     inverseFrequencies: RotaryEmbedding(theta: Double(c.theta)).inverseFrequencies(headSize: c.headSize),
                     inverse: true)
        t.expectClose(backend.download(sx),
                    NaiveKernels.rope(x.doubles, positions: positions, heads: c.heads,
                                      headSize: c.headSize, theta: Double(c.theta),
                                      inverse: true),
                    rtol: c.tolerance, atol: c.tolerance, "rope(x, inverse)")
        expectGuardsIntact(backend, sx, "x")
    }

    // MARK: - Attention

    struct AttentionCase: Sendable, CustomTestStringConvertible {
        var name: String
        var heads: Int, kvHeads: Int, headSize: Int
        var sequences: [AttentionSequence]
        var queryRows: Int, keyRows: Int
        var scale: Float? = nil  // nil: 1/√D
        var seed: UInt64 = 1
        var testDescription: String {
            "\(name): H=\(heads) G=\(kvHeads) D=\(headSize), \(sequences.count) sequences"
        }

        var effectiveScale: Float { scale ?? 1 / Float(headSize).squareRoot() }

        /// Packed self-attention sequences of the given lengths, end to end.
        static func packed(_ name: String, lengths: [Int], heads: Int, kvHeads: Int,
                           headSize: Int, scale: Float? = nil, window: Int? = nil, seed: UInt64 = 1) -> Self {
            var sequences: [AttentionSequence] = []
            var start = 0
            for n in lengths {
                sequences.append(AttentionSequence(start: start, count: n).windowed(window))
                start += n
            }
            return AttentionCase(name: name, heads: heads, kvHeads: kvHeads, headSize: headSize,
                                 sequences: sequences, queryRows: start, keyRows: start,
                                 scale: scale, seed: seed)
        }

        /// Decode-style: short query blocks at the end of longer cached key ranges that do not
        /// start where the queries start, with unused key rows between them.
        static func decode(_ name: String, heads: Int, kvHeads: Int, headSize: Int,
                           window: Int? = nil, seed: UInt64 = 1) -> Self {
            let sequences = [
                AttentionSequence(queryStart: 0, queryCount: 1, keyStart: 2, keyCount: 9),
                AttentionSequence(queryStart: 1, queryCount: 3, keyStart: 13, keyCount: 10),
                AttentionSequence(queryStart: 4, queryCount: 1, keyStart: 23, keyCount: 1),
                AttentionSequence(queryStart: 5, queryCount: 2, keyStart: 24, keyCount: 5),
            ].map { $0.windowed(window) }
            return AttentionCase(name: name, heads: heads, kvHeads: kvHeads, headSize: headSize,
                                 sequences: sequences, queryRows: 7, keyRows: 31, seed: seed)
        }
    }

    static let attentionCases: [AttentionCase] = [
        .packed("MHA, lengths 1 3 7 13", lengths: [1, 3, 7, 13], heads: 2, kvHeads: 2,
                headSize: 4),
        .packed("GQA 2, lengths 5 11 2", lengths: [5, 11, 2], heads: 4, kvHeads: 2, headSize: 8,
                seed: 2),
        .packed("GQA 4, lengths 13 1 7", lengths: [13, 1, 7], heads: 4, kvHeads: 1, headSize: 6,
                seed: 3),
        .packed("GQA 2, one token", lengths: [1], heads: 2, kvHeads: 1, headSize: 1, seed: 4),
        .packed("GQA 4, long 70 and 37, scale 0.3", lengths: [70, 37], heads: 8, kvHeads: 2,
                headSize: 16, scale: 0.3, seed: 5),
        .decode("decode MHA", heads: 3, kvHeads: 3, headSize: 5, seed: 6),
        .packed("GQA 2, window 4, lengths 1 3 7 13", lengths: [1, 3, 7, 13], heads: 4, kvHeads: 2,
                headSize: 8, window: 4, seed: 11),
        .packed("GQA 4, window 9, long 70 and 37", lengths: [70, 37], heads: 8, kvHeads: 2,
                headSize: 16, window: 9, seed: 12),
        .decode("decode GQA 2, window 3", heads: 4, kvHeads: 2, headSize: 8, window: 3, seed: 13),
        .decode("decode GQA 2", heads: 4, kvHeads: 2, headSize: 8, seed: 7),
        .decode("decode GQA 4", heads: 8, kvHeads: 2, headSize: 4, seed: 8),
        // Head sizes of real models (GPU kernels tile D).
        .packed("GQA 4, D 128, lengths 37 20", lengths: [37, 20], heads: 4, kvHeads: 1, headSize: 128,
                seed: 9),
        .decode("decode GQA 2, D 64", heads: 8, kvHeads: 4, headSize: 64, seed: 10),
    ]

    static func attention(_ c: AttentionCase, threads: Int, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: c.seed)
        let backend = try t.makeBackend(threads: threads)
        let D = c.headSize
        // Range ±2 so that softmax rows are far from uniform.
        let q = rng.floats(c.queryRows * c.heads * D, in: -2 ... 2)
        let k = rng.floats(c.keyRows * c.kvHeads * D, in: -2 ... 2)
        let v = rng.floats(c.keyRows * c.kvHeads * D)
        let sq = try makeSlice(backend, q), sk = try makeSlice(backend, k)
        let sv = try makeSlice(backend, v)
        let out = try makeSlice(backend, count: q.count, value: 7)
        let lse = try makeSlice(backend, count: c.queryRows * c.heads, value: 7)
        backend.attention(q: sq, k: sk, v: sv, into: out, lse: lse, sequences: c.sequences,
                          heads: c.heads, kvHeads: c.kvHeads, headSize: D,
                          scale: c.effectiveScale)
        let expected = NaiveKernels.attention(
            q: q.doubles, k: k.doubles, v: v.doubles, sequences: c.sequences,
            queryRows: c.queryRows, heads: c.heads, kvHeads: c.kvHeads, headSize: D,
            scale: Double(c.effectiveScale))
        t.expectClose(backend.download(out), expected.out, "out")
        t.expectClose(backend.download(lse), expected.lse, "lse")
        expectGuardsIntact(backend, out, "out")
        expectGuardsIntact(backend, lse, "lse")
    }

    // MARK: - Log-probabilities

    struct LogSoftmaxCase: Sendable, CustomTestStringConvertible {
        var rows: Int, vocabulary: Int
        var spread: Float = 3
        var offset: Float = 0
        var testDescription: String {
            "N=\(rows) V=\(vocabulary) logits in ±\(spread) + \(offset)"
        }
    }

    static let logSoftmaxCases = [
        LogSoftmaxCase(rows: 1, vocabulary: 1),
        LogSoftmaxCase(rows: 7, vocabulary: 13),
        LogSoftmaxCase(rows: 5, vocabulary: 1000, spread: 20),
        LogSoftmaxCase(rows: 13, vocabulary: 50),  // threaded path (grain 4 rows)
        // Logits whose exponentials overflow Float: the max must be subtracted first.
        LogSoftmaxCase(rows: 3, vocabulary: 37, spread: 5, offset: 200),
        LogSoftmaxCase(rows: 3, vocabulary: 37, spread: 5, offset: -200),
        LogSoftmaxCase(rows: 9, vocabulary: 49152, spread: 8),  // SmolLM2's vocabulary
    ]

    static func logSoftmaxGather(_ c: LogSoftmaxCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.rows * 7919 + c.vocabulary) &+ UInt64(bitPattern:
            Int64(c.offset)))
        let backend = try t.makeBackend()
        let logits = rng.floats(c.rows * c.vocabulary, in: -c.spread ... c.spread)
            .map { $0 + c.offset }
        var targets = rng.ids(c.rows, below: c.vocabulary)
        targets[0] = Int32(c.vocabulary - 1)
        let sl = try makeSlice(backend, logits)
        let logp = try makeSlice(backend, count: c.rows, value: 1)
        let lse = try makeSlice(backend, count: c.rows, value: 1)
        backend.logSoftmaxGather(logits: sl, targets: targets, into: logp, lse: lse,
                                 vocabulary: c.vocabulary)
        let expected = NaiveKernels.logSoftmaxGather(logits: logits.doubles, targets: targets,
                                                     vocabulary: c.vocabulary)
        t.expectClose(backend.download(logp), expected.logp, "logp")
        t.expectClose(backend.download(lse), expected.lse, "lse")
        expectGuardsIntact(backend, logp, "logp")
        expectGuardsIntact(backend, lse, "lse")
    }

    // MARK: - Copies

    struct Copy2DCase: Sendable, CustomTestStringConvertible {
        var rows: Int, columns: Int
        /// Extra elements at the end of each source and destination row.
        var sourceGap: Int, destinationGap: Int
        var accumulate: Bool
        var testDescription: String {
            "\(rows)×\(columns) strides +\(sourceGap)/+\(destinationGap) accumulate=\(accumulate)"
        }
    }

    static let copy2DCases: [Copy2DCase] = [false, true].flatMap { accumulate in
        [(1, 1, 0, 0), (3, 5, 2, 0), (4, 7, 0, 3), (33, 70, 1, 3), (300, 512, 0, 3)].map {
            Copy2DCase(rows: $0.0, columns: $0.1, sourceGap: $0.2, destinationGap: $0.3, accumulate: accumulate)
        }
    }

    /// The block is written (or added) and the gap elements of the destination are kept.
    static func copy2D(_ c: Copy2DCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.rows * 1000 + c.columns) &+ (c.accumulate ? 7 : 0))
        let backend = try t.makeBackend()
        let (ss, ds) = (c.columns + c.sourceGap, c.columns + c.destinationGap)
        let source = rng.floats(c.rows * ss), destination = rng.floats(c.rows * ds)
        let sSource = try makeSlice(backend, source), sDestination = try makeSlice(backend, destination)
        backend.copy2D(sSource, sourceStride: ss, to: sDestination, destinationStride: ds, rows: c.rows,
                       columns: c.columns, accumulate: c.accumulate)
        let expected = NaiveKernels.copy2D(source.doubles, sourceStride: ss, to: destination.doubles,
                                           destinationStride: ds, rows: c.rows, columns: c.columns,
                                           accumulate: c.accumulate)
        // A copy is exact; a sum is one Float rounding.
        t.expectClose(backend.download(sDestination), expected, rtol: c.accumulate ? 1e-7 : 0,
                      atol: 0, "destination")
        #expect(backend.download(sSource) == source, "source changed")
        expectGuardsIntact(backend, sDestination, "destination")
    }
}
