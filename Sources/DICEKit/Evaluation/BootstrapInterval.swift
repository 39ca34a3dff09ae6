// BootstrapInterval: a percentile bootstrap confidence interval for a statistic of n
// comparisons (a win rate, a length-controlled win rate), with seeded resampling.
//
// B resamples of the n comparison indices, each drawn uniformly with replacement; the statistic
// is recomputed on each, and the interval is the (1 − level)/2 and (1 + level)/2 quantiles of
// the B values, linearly interpolated between order statistics (NumPy's default quantile).

import Foundation

/// A percentile bootstrap interval of a statistic.
public struct BootstrapInterval: Sendable, Hashable, Codable {
    /// The lower end (the (1 − level)/2 quantile of the resampled statistic).
    public var lower: Double
    /// The upper end (the (1 + level)/2 quantile).
    public var upper: Double
    /// The nominal coverage, e.g. 0.95.
    public var level: Double
    /// Resamples drawn.
    public var resamples: Int

    /// Creates the value from its fields.
    public init(lower: Double, upper: Double, level: Double, resamples: Int) {
        self.lower = lower
        self.upper = upper
        self.level = level
        self.resamples = resamples
    }

    /// The percentile bootstrap interval of `statistic` over `count` items.
    ///
    /// - Parameters:
    ///   - count: n, the number of items (comparisons); each resample is n indices in 0 ..< n
    ///     drawn with replacement.
    ///   - resamples: B ≥ 2.
    ///   - level: the coverage, in (0, 1).
    ///   - seed: seeds the resampling (same seed, same interval).
    ///   - statistic: the statistic of the items at the given indices.
    /// - Throws: `DICEError.invalidParameter` for n < 1, B < 2, a level outside (0, 1), or a
    ///   non-finite statistic; what `statistic` throws.
    public static func percentile(count: Int, resamples: Int = 1000, level: Double = 0.95, seed: UInt64,
                                  statistic: ([Int]) throws -> Double) throws -> BootstrapInterval {
        guard count >= 1 else {
            throw DICEError.invalidParameter(name: "count", value: "\(count)", expected: "at least one item to resample")
        }
        guard resamples >= 2 else {
            throw DICEError.invalidParameter(name: "resamples", value: "\(resamples)", expected: "≥ 2")
        }
        guard level > 0, level < 1 else {
            throw DICEError.invalidParameter(name: "level", value: "\(level)", expected: "a coverage in (0, 1)")
        }
        var rng = SplitMix64(seed: seed, stream: 0xB007)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var indices = [Int](repeating: 0, count: count)
        for _ in 0..<resamples {
            for i in indices.indices { indices[i] = rng.uniformIndex(below: count) }
            let v = try statistic(indices)
            guard v.isFinite else {
                throw DICEError.invalidParameter(name: "statistic", value: "\(v)", expected: "a finite value on every resample")
            }
            values.append(v)
        }
        values.sort()
        return BootstrapInterval(lower: quantile(values, (1 - level) / 2), upper: quantile(values, (1 + level) / 2),
                                 level: level, resamples: resamples)
    }

    /// The q-quantile of sorted values, interpolating linearly between order statistics at
    /// position q·(B − 1).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + fraction * (sorted[above] - sorted[below])
    }
}
