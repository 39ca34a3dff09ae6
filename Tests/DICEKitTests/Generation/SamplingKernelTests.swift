// The sampler's C passes (CKernels/Sampling.c) at the best SIMD level and the portable one,
// against plain Swift loops that state what each pass computes.

@testable import DICEKit
import CKernels
import BackendConformance
import Testing

@Suite("Sampling kernels: temperature scaling, top-p buckets and the draw vs plain loops")
struct SamplingKernelTests {
    static let levels = Array(Set([0, CPUBackend.bestSIMDLevel])).sorted()
    static let sizes = [1, 15, 16, 17, 64, 65, 1000, 8192]

    /// Weights in [0, 1] with some exact zeros and exact ones, as the sampler produces them.
    static func weights(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            switch rng.index(10) {
            case 0: 0
            case 1: 1
            default: rng.unit()
            }
        }
    }

    @Test("ck_scale_max: x·scale with NaN → −∞, and the largest", arguments: levels, sizes)
    func scaleMax(level: Int, count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        var x = rng.floats(count, in: -30 ... 30)
        x[count / 2] = .nan
        let expected = x.map { ($0 * 1.43).isNaN ? -Float.infinity : $0 * 1.43 }
        let top = ck_scale_max(Int32(level), &x, Int64(count), 1.43)
        #expect(x.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(top == expected.max())
        var empty: [Float] = []
        #expect(ck_scale_max(Int32(level), &empty, 0, 2) == -.infinity)
    }

    @Test("ck_bucket_mass and ck_bucket_members equal the plain loops", arguments: levels, sizes)
    func buckets(level: Int, count: Int) {
        let w = Self.weights(count, seed: UInt64(count) + 7), buckets = 2048
        func bucket(_ x: Float) -> Int { min(buckets - 1, Int(x * Float(buckets))) }
        // The same four interleaved Double histograms, added the same way.
        var parts = [[Double]](repeating: [Double](repeating: 0, count: buckets), count: 4)
        for (i, x) in w.enumerated() where x > 0 { parts[i & 3][bucket(x)] += Double(x) }
        let expected = (0..<buckets).map { (parts[0][$0] + parts[1][$0]) + (parts[2][$0] + parts[3][$0]) }
        var mass = [Double](repeating: .nan, count: 4 * buckets)
        ck_bucket_mass(Int32(level), w, Int64(count), Int64(buckets), &mass)
        #expect(Array(mass[0..<buckets]) == expected)
        for b in Set(w.filter { $0 > 0 }.map(bucket)).sorted().prefix(5) + [buckets - 1, 0] {
            var members = [Int64](repeating: -1, count: count)
            let n = Int(ck_bucket_members(Int32(level), w, Int64(count), Int64(buckets), Int64(b), &members))
            let plain = w.indices.filter { w[$0] > 0 && bucket(w[$0]) == b }
            #expect(members.prefix(n).map(Int.init) == plain, "bucket \(b)")
        }
    }

    @Test("ck_draw: the first positive weight whose running sum exceeds u", arguments: levels, sizes)
    func draw(level: Int, count: Int) {
        let w = Self.weights(count, seed: UInt64(count) + 9)
        var rng = SplitMix64(seed: UInt64(count) + 11)
        let total = w.reduce(0.0) { $0 + Double($1) }
        let lastPositive = w.lastIndex { $0 > 0 } ?? 0
        func plain(_ u: Double) -> Int {
            var running = 0.0
            for (i, x) in w.enumerated() where x > 0 {
                running += Double(x)
                if running > u { return i }
            }
            return lastPositive
        }
        // Random draws (a block sum and the sequential sum can only disagree when u lies
        // within a rounding error of a running sum), the ends of the range, and u past the total.
        let draws = (0..<200).map { _ in rng.nextDouble() * total } + [0, total.nextDown, total, total * 2]
        for u in draws {
            #expect(Int(ck_draw(Int32(level), w, Int64(count), u)) == plain(u), "u \(u) of \(total)")
        }
        let zeros = [Float](repeating: 0, count: count)
        #expect(ck_draw(Int32(level), zeros, Int64(count), 0) == 0)
    }
}
