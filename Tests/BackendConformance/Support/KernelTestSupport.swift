// Helpers shared by the kernel tests: buffers placed at an offset inside a larger allocation
// (so kernels that ignore `BufferSlice.offset` fail), and comparisons against the Double oracle
// that forward `sourceLocation`. The backend under test and its tolerances are in
// BackendUnderTest.swift.

import DICEKit
import Testing

// MARK: - Buffers

/// Guard elements placed before and after every test slice.
public let guardCount = 3
/// The value the guard elements hold; a kernel that writes outside its slice changes it.
public let guardValue: Float = -777.25

/// A slice holding `values`, placed `guardCount` elements into a buffer whose other elements
/// are `guardValue`.
public func makeSlice(_ backend: some Backend, _ values: [Float]) throws -> BufferSlice {
    let buffer = try backend.allocate(values.count + 2 * guardCount)
    backend.fill(BufferSlice(buffer), with: guardValue)
    let slice = BufferSlice(buffer, offset: guardCount, count: values.count)
    backend.upload(values, to: slice)
    return slice
}

/// A slice of `count` elements, all `value`, with guards.
public func makeSlice(_ backend: some Backend, count: Int, value: Float = 0) throws -> BufferSlice {
    try makeSlice(backend, [Float](repeating: value, count: count))
}

/// Expects that the guard elements around `slice` (made by `makeSlice`) are intact.
public func expectGuardsIntact(_ backend: some Backend, _ slice: BufferSlice, _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    let all = backend.download(BufferSlice(slice.buffer))
    let before = all[..<slice.offset]
    let after = all[(slice.offset + slice.count)...]
    #expect(before.allSatisfy { $0 == guardValue } && after.allSatisfy { $0 == guardValue },
            "\(what): a kernel wrote outside its slice", sourceLocation: sourceLocation)
}

extension Array where Element == Float {
    /// The elements as Doubles (exactly).
    public var doubles: [Double] { map(Double.init) }
}

// MARK: - Comparisons

/// Expects `actual` (a Float kernel's result) to match `expected` (the Double oracle)
/// elementwise: |a − e| ≤ atol + rtol·|e|. Reports the count of mismatches, the worst one
/// and its index.
public func expectClose(_ actual: [Float], _ expected: [Double], rtol: Double = 1e-5,
                        atol: Double = 1e-5, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual.doubles, expected, rtol: rtol, atol: atol, what,
                sourceLocation: sourceLocation)
}

/// As `expectClose` on Floats, for values already in Double.
public func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-5,
                        atol: Double = 1e-5, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)",
                     sourceLocation: sourceLocation)
        return
    }
    var bad = 0
    var worst = (index: -1, excess: 0.0)
    for i in actual.indices {
        let err = abs(actual[i] - expected[i])
        let allowed = atol + rtol * abs(expected[i])
        if !(err <= allowed) {  // also catches NaN
            bad += 1
            let excess = err.isNaN ? .infinity : err / allowed
            if excess > worst.excess || worst.index < 0 { worst = (i, excess) }
        }
    }
    if bad > 0 {
        let i = worst.index
        Issue.record("""
            \(what): \(bad) of \(actual.count) elements off (rtol \(rtol), atol \(atol)); \
            worst at [\(i)]: got \(actual[i]), expected \(expected[i])
            """, sourceLocation: sourceLocation)
    }
}

/// Expects a scalar to match: |a − e| ≤ atol + rtol·|e|.
public func expectClose(_ actual: Double, _ expected: Double, rtol: Double, atol: Double = 0,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let err = abs(actual - expected)
    #expect(err <= atol + rtol * abs(expected),
            "\(what): got \(actual), expected \(expected) (error \(err))",
            sourceLocation: sourceLocation)
}

/// ‖a − b‖₂ / max(‖b‖₂, tiny).
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var num = 0.0, den = 0.0
    for i in a.indices {
        num += (a[i] - b[i]) * (a[i] - b[i])
        den += b[i] * b[i]
    }
    return num.squareRoot() / max(den.squareRoot(), 1e-30)
}

/// Expects an analytic gradient to match a finite-difference one: the norm-wise relative
/// error ‖a − n‖/‖n‖ below `tolerance`, and every element within
/// `tolerance·|n_i| + floor`, where the absolute floor is `floorScale · max|n|` (so the
/// elementwise check is meaningful where a component is near zero).
public func expectGradient(_ analytic: [Double], _ numeric: [Double], tolerance: Double = 1e-3,
                           floorScale: Double = 1e-4, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard analytic.count == numeric.count else {
        Issue.record("\(what): \(analytic.count) gradient values, expected \(numeric.count)",
                     sourceLocation: sourceLocation)
        return
    }
    let scale = numeric.map(abs).max() ?? 0
    #expect(scale > 0, "\(what): the finite-difference gradient is all zero; the test is void",
            sourceLocation: sourceLocation)
    let rel = relativeError(analytic, numeric)
    #expect(rel < tolerance, "\(what): norm-wise relative error \(rel) ≥ \(tolerance)",
            sourceLocation: sourceLocation)
    expectClose(analytic, numeric, rtol: tolerance, atol: floorScale * max(scale, 1e-12),
                "\(what) (elementwise)", sourceLocation: sourceLocation)
}

// MARK: - Finite differences

/// Central finite differences of `f` with respect to every element of `x`:
/// (f(x + h e_j) − f(x − h e_j)) / 2h.
public func finiteDifferences(of f: ([Double]) -> Double, at x: [Double], h: Double = 1e-5) -> [Double] {
    var x = x
    var grad = [Double](repeating: 0, count: x.count)
    for j in x.indices {
        let saved = x[j]
        x[j] = saved + h
        let plus = f(x)
        x[j] = saved - h
        let minus = f(x)
        x[j] = saved
        grad[j] = (plus - minus) / (2 * h)
    }
    return grad
}

/// Central finite differences of Σ w ⊙ f(x) for an elementwise `f` (output j depends on
/// input j alone): every element is perturbed at once, which gives the same numbers as
/// perturbing one at a time for such an `f`, in two evaluations instead of 2·count.
public func elementwiseFiniteDifferences(of f: ([Double]) -> [Double], at x: [Double],
                                         weights w: [Double], h: Double = 1e-5) -> [Double] {
    let plus = f(x.map { $0 + h }), minus = f(x.map { $0 - h })
    return w.indices.map { w[$0] * (plus[$0] - minus[$0]) / (2 * h) }
}

/// Σ w ⊙ out: the random projection that turns a forward into a scalar loss.
public func dot(_ w: [Double], _ out: [Double]) -> Double {
    precondition(w.count == out.count)
    var s = 0.0
    for i in w.indices { s += w[i] * out[i] }
    return s
}

/// A gradient buffer prefilled with `prefill`; after a backward, `accumulated(...)` returns
/// what the kernel added (downloaded − prefill), which tests the `+=` convention.
public struct AccumulatingGradient {
    /// The gradient buffer, with guards around it.
    public let slice: BufferSlice
    /// What the buffer held before the backward.
    public let prefill: [Float]

    /// Fills `count` random values in [−magnitude, magnitude] from `rng`. Keep the magnitude
    /// well above the gradient's smallest components' Float spacing: what a Float buffer of
    /// size ~m can take in is only resolved to about m·2⁻²⁴.
    public init(_ backend: some Backend, count: Int, rng: inout SplitMix64, magnitude: Float = 0.5) throws {
        prefill = rng.floats(count, in: -magnitude ... magnitude)
        slice = try makeSlice(backend, prefill)
    }

    /// What the backward added to the prefill, in Double.
    public func accumulated(_ backend: some Backend) -> [Double] {
        let now = backend.download(slice)
        return zip(now, prefill).map { Double($0) - Double($1) }
    }
}
