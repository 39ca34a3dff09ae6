// BootstrapInterval against oracles: the normal closed form of a proportion's sampling spread,
// a naive resampling loop written out here, and degenerate samples.

import Foundation
import Testing
@testable import DICEKit

@Suite("Bootstrap interval")
struct BootstrapIntervalTests {
    /// n = 2000 outcomes with 1200 wins: the bootstrap distribution of the mean is close to
    /// N(p, p(1 − p)/n), so the 95% interval is p ± 1.96·√(p(1 − p)/n) = 0.6 ± 0.0215 to within
    /// Monte Carlo error (≈ 0.002 with 4000 resamples).
    @Test func proportionMatchesTheNormalClosedForm() throws {
        let n = 2000, wins = 1200
        let scores = (0..<n).map { $0 < wins ? 1.0 : 0.0 }
        let interval = try BootstrapInterval.percentile(count: n, resamples: 4000, seed: 3) { picks in
            picks.reduce(0) { $0 + scores[$1] } / Double(picks.count)
        }
        let p = Double(wins) / Double(n)
        let half = 1.959964 * (p * (1 - p) / Double(n)).squareRoot()
        #expect(abs(interval.lower - (p - half)) < 0.003, "lower \(interval.lower) vs \(p - half)")
        #expect(abs(interval.upper - (p + half)) < 0.003, "upper \(interval.upper) vs \(p + half)")
        #expect(interval.level == 0.95 && interval.resamples == 4000)
    }

    /// The same seed gives the same interval as a naive loop over the same index draws (the
    /// resampling RNG stream, uniform draws, sorting and the interpolated quantile, by hand).
    @Test func matchesANaiveResamplingLoop() throws {
        let values: [Double] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
        let b = 37
        let interval = try BootstrapInterval.percentile(count: values.count, resamples: b, level: 0.9, seed: 11) { picks in
            picks.map { values[$0] }.max() ?? 0
        }
        var rng = SplitMix64(seed: 11, stream: 0xB007)
        var stats: [Double] = []
        for _ in 0..<b {
            var m = -Double.infinity
            for _ in values.indices { m = max(m, values[rng.uniformIndex(below: values.count)]) }
            stats.append(m)
        }
        stats.sort()
        func q(_ p: Double) -> Double {
            let h = p * Double(b - 1), lo = Int(h.rounded(.down))
            return stats[lo] + (h - Double(lo)) * (stats[min(lo + 1, b - 1)] - stats[lo])
        }
        #expect(interval.lower == q(0.05) && interval.upper == q(0.95))
        // Another seed draws other resamples (the mean of this sample varies across resamples).
        func mean(_ picks: [Int]) -> Double { picks.reduce(0) { $0 + values[$1] } / Double(picks.count) }
        #expect(try BootstrapInterval.percentile(count: values.count, resamples: b, seed: 11, statistic: mean)
            != BootstrapInterval.percentile(count: values.count, resamples: b, seed: 12, statistic: mean))
    }

    @Test func degenerateSamplesAndBadSettings() throws {
        let constant = try BootstrapInterval.percentile(count: 50, seed: 1) { _ in 0.5 }
        #expect(constant.lower == 0.5 && constant.upper == 0.5)
        #expect(throws: DICEError.self) { try BootstrapInterval.percentile(count: 0, seed: 1) { _ in 0 } }
        #expect(throws: DICEError.self) { try BootstrapInterval.percentile(count: 5, resamples: 1, seed: 1) { _ in 0 } }
        #expect(throws: DICEError.self) { try BootstrapInterval.percentile(count: 5, level: 1, seed: 1) { _ in 0 } }
        #expect(throws: DICEError.self) { try BootstrapInterval.percentile(count: 5, seed: 1) { _ in .nan } }
    }
}
