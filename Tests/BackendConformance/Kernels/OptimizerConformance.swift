// Optimiser kernels (AdamW, SGD) over several steps against the Double oracle, and the
// `globalNorm` / `clipGlobalNorm` extension against a naive computation.
//
// The oracle keeps its own Double state across steps (it is never re-seeded from the kernel's
// Float state), so a per-step error that compounds shows up.

import DICEKit
import Foundation
import Testing

enum OptimizerConformance {
    /// The cases of this file, in order.
    static let cases: [ConformanceCase] = {
        let group = "optimizer"
        var all: [ConformanceCase] = []
        all += ConformanceCase.each(group, "adamW over several steps (torch.optim.AdamW)", adamWCases) {
            try adamW($0, $1)
        }
        all += ConformanceCase.each(
            group, "sgd over several steps (torch.optim.SGD; weight decay added to the gradient)", sgdCases) {
            try sgd($0, $1)
        }
        all.append(ConformanceCase(group, "globalNorm is sqrt of the sum of squares over all slices") {
            try globalNorm($0)
        })
        all += ConformanceCase.each(group, "clipGlobalNorm (PyTorch clip_grad_norm_: factor maxNorm / (norm + 1e-6))",
                                    [0.05, 0.5, 0.999, 1.5, 10]) {
            try clipGlobalNorm(ratio: $0, $1)
        }
        all.append(ConformanceCase(group, "clipGlobalNorm leaves all-zero gradients alone and returns 0") {
            try clipZeroGradients($0)
        })
        return all
    }()

    // MARK: - AdamW

    struct AdamWCase: Sendable, CustomTestStringConvertible {
        var count: Int
        var learningRate: Float = 1e-2
        var beta1: Float = 0.9, beta2: Float = 0.999
        var epsilon: Float = 1e-8
        var weightDecay: Float = 0
        /// Step number of the first update (bias correction); > 1 resumes with nonzero moments.
        var firstStep = 1
        var steps = 5
        var testDescription: String {
            "n=\(count) lr=\(learningRate) β=(\(beta1), \(beta2)) ε=\(epsilon) "
                + "λ=\(weightDecay) steps \(firstStep)..<\(firstStep + steps)"
        }
    }

    static let adamWCases: [AdamWCase] = [
        AdamWCase(count: 1),
        AdamWCase(count: 7, weightDecay: 0.01),
        AdamWCase(count: 1001, learningRate: 3e-3, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1),
        AdamWCase(count: 33, learningRate: 1e-3, weightDecay: 0.05, firstStep: 1000, steps: 3),
        AdamWCase(count: 50_001, weightDecay: 0.01, steps: 3),  // threaded path (grain 2¹⁴)
    ]

    static func adamW(_ c: AdamWCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.count * 10 + c.firstStep))
        let backend = try t.makeBackend()
        let p0 = rng.floats(c.count)
        // Resuming: moments from earlier steps (v ≥ 0).
        let m0 = c.firstStep > 1 ? rng.floats(c.count, in: -0.1 ... 0.1) : [Float](
            repeating: 0, count: c.count)
        let v0 = c.firstStep > 1 ? rng.floats(c.count, in: 0 ... 0.01) : [Float](
            repeating: 0, count: c.count)
        let params = try makeSlice(backend, p0), grads = try makeSlice(backend, count: c.count)
        let m = try makeSlice(backend, m0), v = try makeSlice(backend, v0)
        var (pd, md, vd) = (p0.doubles, m0.doubles, v0.doubles)
        for step in c.firstStep ..< c.firstStep + c.steps {
            var g = rng.floats(c.count, in: -2 ... 2)
            // A zero gradient (the update is weight decay alone) and a tiny one (ε matters).
            if c.count > 2 {
                g[0] = 0
                g[1] = 3e-7
            }
            backend.upload(g, to: grads)
            let hyper = AdamWStep(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2,
                                  epsilon: c.epsilon, weightDecay: c.weightDecay, step: step)
            backend.adamW(params: params, grads: grads, m: m, v: v, hyper)
            NaiveKernels.adamW(params: &pd, grads: g.doubles, m: &md, v: &vd, hyper)
            t.expectClose(backend.download(params), pd, rtol: 1e-5, atol: 1e-6,
                        "params after step \(step)")
            t.expectClose(backend.download(m), md, rtol: 1e-5, atol: 1e-7, "m after step \(step)")
            t.expectClose(backend.download(v), vd, rtol: 1e-5, atol: 1e-12, "v after step \(step)")
            #expect(backend.download(grads) == g, "adamW changed the gradients")
        }
        expectGuardsIntact(backend, params, "params")
        expectGuardsIntact(backend, v, "v")
    }

    // MARK: - SGD

    struct SGDCase: Sendable, CustomTestStringConvertible {
        var count: Int
        var learningRate: Float = 0.1
        var momentum: Float = 0
        var weightDecay: Float = 0
        var testDescription: String {
            "n=\(count) lr=\(learningRate) μ=\(momentum) λ=\(weightDecay)"
        }
    }

    static let sgdCases = [
        SGDCase(count: 1),
        SGDCase(count: 9, weightDecay: 0.1),
        SGDCase(count: 9, momentum: 0.9),
        SGDCase(count: 1001, learningRate: 0.05, momentum: 0.8, weightDecay: 0.01),
        SGDCase(count: 50_001, momentum: 0.9, weightDecay: 0.01),  // threaded path
        SGDCase(count: 50_001, weightDecay: 0.01),
    ]

    static func sgd(_ c: SGDCase, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(c.count) &* 31 &+ UInt64(c.momentum * 10))
        let backend = try t.makeBackend()
        let p0 = rng.floats(c.count)
        // With μ > 0 the buffer starts at zero (torch's first step sets buf = d); with μ = 0 it
        // holds values that must survive untouched.
        let buf0 = c.momentum > 0 ? [Float](repeating: 0, count: c.count) : rng.floats(c.count)
        let params = try makeSlice(backend, p0), grads = try makeSlice(backend, count: c.count)
        let buffer = try makeSlice(backend, buf0)
        var (pd, bd) = (p0.doubles, buf0.doubles)
        for step in 1 ... 4 {
            let g = rng.floats(c.count, in: -2 ... 2)
            backend.upload(g, to: grads)
            backend.sgd(params: params, grads: grads, momentumBuffer: buffer,
                        learningRate: c.learningRate, momentum: c.momentum,
                        weightDecay: c.weightDecay)
            NaiveKernels.sgd(params: &pd, grads: g.doubles, momentumBuffer: &bd,
                             learningRate: Double(c.learningRate), momentum: Double(c.momentum),
                             weightDecay: Double(c.weightDecay))
            t.expectClose(backend.download(params), pd, rtol: 1e-5, atol: 1e-6,
                        "params after step \(step)")
            if c.momentum > 0 {
                t.expectClose(backend.download(buffer), bd, rtol: 1e-5, atol: 1e-6,
                            "momentum buffer after step \(step)")
            } else {
                #expect(backend.download(buffer) == buf0,
                        "with momentum 0 the momentum buffer must be untouched (step \(step))")
            }
            #expect(backend.download(grads) == g, "sgd changed the gradients")
        }
        expectGuardsIntact(backend, params, "params")
    }

    // MARK: - Global norm and clipping

    /// Gradient slices of awkward sizes, including an empty one and two slices of one buffer.
    static func gradientSlices(_ backend: some Backend, rng: inout SplitMix64,
                               magnitude: Float) throws -> (slices: [BufferSlice], values: [[Float]]) {
        var slices: [BufferSlice] = [], values: [[Float]] = []
        for count in [1, 0, 37, 1000] {
            let g = rng.floats(count, in: -magnitude ... magnitude)
            slices.append(try makeSlice(backend, g))
            values.append(g)
        }
        // Two disjoint ranges of one buffer.
        let shared = try backend.allocate(20)
        let a = rng.floats(8, in: -magnitude ... magnitude)
        let b = rng.floats(9, in: -magnitude ... magnitude)
        slices.append(BufferSlice(shared, offset: 1, count: 8))
        slices.append(BufferSlice(shared, offset: 11, count: 9))
        backend.upload(a, to: slices[4])
        backend.upload(b, to: slices[5])
        values += [a, b]
        return (slices, values)
    }

    static func naiveNorm(_ values: [[Float]]) -> Double {
        NaiveKernels.sumOfSquares(values.flatMap(\.doubles)).squareRoot()
    }

    static func globalNorm(_ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: 77)
        let backend = try t.makeBackend()
        let (slices, values) = try Self.gradientSlices(backend, rng: &rng, magnitude: 1)
        t.expectClose(backend.globalNorm(slices), Self.naiveNorm(values), rtol: 1e-12, "norm")
        t.expectClose(backend.globalNorm([slices[2]]), Self.naiveNorm([values[2]]), rtol: 1e-12,
                    "norm of one slice")
        #expect(backend.globalNorm([]) == 0, "norm of no slices")
    }

    /// `maxNorm` as a multiple of the actual norm: below 1 clips, above 1 leaves it alone.
    static func clipGlobalNorm(ratio: Double, _ t: BackendUnderTest) throws {
        var rng = SplitMix64(seed: UInt64(ratio * 1000))
        let backend = try t.makeBackend()
        let (slices, values) = try Self.gradientSlices(backend, rng: &rng, magnitude: 0.3)
        let norm = Self.naiveNorm(values)
        let maxNorm = ratio * norm
        let returned = backend.clipGlobalNorm(slices, maxNorm: maxNorm)
        t.expectClose(returned, norm, rtol: 1e-12, "returned norm (before clipping)")
        let factor = maxNorm / (norm + 1e-6)
        for (i, (slice, g)) in zip(slices, values).enumerated() {
            let after = backend.download(slice)
            if factor < 1 {
                t.expectClose(after, g.doubles.map { $0 * factor }, rtol: 1e-6, atol: 0,
                            "slice \(i) clipped")
            } else {
                #expect(after == g, "slice \(i) must be unchanged below the threshold")
            }
        }
        let expectedAfter = factor < 1 ? norm * factor : norm
        t.expectClose(backend.globalNorm(slices), expectedAfter, rtol: 1e-6, "norm after clipping")
    }

    static func clipZeroGradients(_ t: BackendUnderTest) throws {
        let backend = try t.makeBackend()
        let s = try makeSlice(backend, count: 5, value: 0)
        #expect(backend.clipGlobalNorm([s], maxNorm: 1) == 0)
        #expect(backend.download(s) == [Float](repeating: 0, count: 5))
    }
}
