// The backend a conformance run checks: how to make one, and how closely it must follow the
// Double oracle.

import DICEKit
import Testing

/// How much looser than the reference (`CPUBackend`) a backend may be against the Double
/// oracle. Every tolerance in the kit is written for the CPU backend; a backend's multipliers
/// scale them. Exact checks (a tolerance of 0: gathers, copies, untouched inputs) stay exact
/// for every backend, and bit-for-bit `#expect`s are not scaled at all.
public struct KernelTolerance: Sendable, Hashable {
    /// Multiplies `rtol` and `atol` of every comparison with the oracle's values (forward
    /// outputs, optimizer states, closed-form gradients).
    public var forward: Double
    /// Multiplies the relative tolerance and the floor of every finite-difference gradient
    /// check (`expectGradient`).
    public var gradient: Double

    /// Multipliers for a backend's forward and gradient checks (both > 0).
    public init(forward: Double, gradient: Double) {
        precondition(forward > 0 && gradient > 0, "tolerance multipliers must be positive")
        self.forward = forward
        self.gradient = gradient
    }

    /// The kit's tolerances as written: the CPU backend's, tight.
    public static let reference = KernelTolerance(forward: 1, gradient: 1)

    /// GPU kernels: other summation orders (tree reductions, tiled GEMMs), fused multiply-adds
    /// and hardware exponentials, about ten times the CPU's rounding (1e-4 relative where the
    /// CPU is held to 1e-5, as the former CUDA-vs-CPU parity tests allowed).
    public static let gpu = KernelTolerance(forward: 10, gradient: 10)
}

/// The backend a conformance run checks: a factory and its tolerances.
///
/// Every case makes its own backend(s) from the factory: a backend's kernels are issued from
/// one thread at a time (the `Backend` contract) and Swift Testing runs cases in parallel.
public struct BackendUnderTest: Sendable {
    /// A short name for messages, e.g. `"cpu"`.
    public let name: String
    /// How much looser than the CPU backend this backend may be.
    public let tolerance: KernelTolerance
    private let factory: @Sendable (_ threads: Int?) throws -> any Backend

    /// A backend without a worker-thread setting: every case gets `makeBackend()`.
    public init(name: String, tolerance: KernelTolerance,
                makeBackend: @escaping @Sendable () throws -> any Backend) {
        self.init(name: name, tolerance: tolerance, makeBackendWithThreads: { _ in try makeBackend() })
    }

    /// A backend whose kernels run on CPU worker threads: cases ask for 1, 2 or 3 workers, or
    /// the backend's default (`nil`), to reach threaded code paths and uneven chunk boundaries.
    public init(name: String, tolerance: KernelTolerance,
                makeBackendWithThreads: @escaping @Sendable (_ threads: Int?) throws -> any Backend) {
        self.name = name
        self.tolerance = tolerance
        self.factory = makeBackendWithThreads
    }

    /// The reference: `CPUBackend(threads:)` with the kit's tolerances as written.
    public static let cpu = BackendUnderTest(name: "cpu", tolerance: .reference) { CPUBackend(threads: $0) }

    /// A fresh backend. `threads` matters only to a backend made with `makeBackendWithThreads`;
    /// the default, 3, is deliberate: more workers than the 2 cores of the CI machines, and
    /// chunk boundaries that do not fall on even splits. `nil` asks for the backend's default.
    /// - Throws: whatever the factory throws (e.g. no device).
    public func makeBackend(threads: Int? = 3) throws -> any Backend {
        try factory(threads)
    }

    // MARK: - Scaled expectations

    /// `expectClose` with `rtol` and `atol` scaled by `tolerance.forward`.
    public func expectClose(_ actual: [Float], _ expected: [Double], rtol: Double = 1e-5,
                            atol: Double = 1e-5, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        BackendConformance.expectClose(actual, expected, rtol: rtol * tolerance.forward,
                                       atol: atol * tolerance.forward, "\(name): \(what)",
                                       sourceLocation: sourceLocation)
    }

    /// `expectClose` on Doubles with `rtol` and `atol` scaled by `tolerance.forward`.
    public func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-5,
                            atol: Double = 1e-5, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        BackendConformance.expectClose(actual, expected, rtol: rtol * tolerance.forward,
                                       atol: atol * tolerance.forward, "\(name): \(what)",
                                       sourceLocation: sourceLocation)
    }

    /// The scalar `expectClose` with `rtol` and `atol` scaled by `tolerance.forward`.
    public func expectClose(_ actual: Double, _ expected: Double, rtol: Double, atol: Double = 0,
                            _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        BackendConformance.expectClose(actual, expected, rtol: rtol * tolerance.forward,
                                       atol: atol * tolerance.forward, "\(name): \(what)",
                                       sourceLocation: sourceLocation)
    }

    /// `expectGradient` with the relative tolerance and the floor scaled by
    /// `tolerance.gradient`.
    public func expectGradient(_ analytic: [Double], _ numeric: [Double], tolerance: Double = 1e-3,
                               floorScale: Double = 1e-4, _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        BackendConformance.expectGradient(analytic, numeric, tolerance: tolerance * self.tolerance.gradient,
                                          floorScale: floorScale * self.tolerance.gradient,
                                          "\(name): \(what)", sourceLocation: sourceLocation)
    }

    /// Checks an analytic gradient where a full finite-difference sweep costs too much: the
    /// directional derivative along a random direction u, (L(x + h u) − L(x − h u)) / 2h =
    /// ⟨∇L, u⟩ (rtol 1e-3), plus central differences at 8 random coordinates of each of
    /// `parts` (ranges of x, e.g. the inputs laid end to end) checked with `expectGradient`.
    /// Catches work-partitioning and race bugs that tiny shapes never reach.
    public func expectDirectionalGradient(_ grad: [Double], of loss: ([Double]) -> Double, at x: [Double],
                                          parts: [Range<Int>], rng: inout SplitMix64, _ what: String,
                                          sourceLocation: SourceLocation = #_sourceLocation) {
        let u = rng.floats(x.count).doubles
        let h = 1e-5
        let directional = (loss(zip(x, u).map { $0 + h * $1 })
            - loss(zip(x, u).map { $0 - h * $1 })) / (2 * h)
        expectClose(dot(grad, u), directional, rtol: 1e-3, atol: 1e-6, "\(what): ⟨∇L, u⟩",
                    sourceLocation: sourceLocation)
        var sampledAnalytic: [Double] = [], sampledNumeric: [Double] = []
        for range in parts {
            for _ in 0 ..< 8 {
                let j = range.lowerBound + rng.index(range.count)
                var xp = x, xm = x
                xp[j] += h
                xm[j] -= h
                sampledAnalytic.append(grad[j])
                sampledNumeric.append((loss(xp) - loss(xm)) / (2 * h))
            }
        }
        expectGradient(sampledAnalytic, sampledNumeric, "\(what): sampled coordinates",
                       sourceLocation: sourceLocation)
    }
}
