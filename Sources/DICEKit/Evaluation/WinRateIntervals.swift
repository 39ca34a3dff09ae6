// WinRateIntervals: 95% percentile bootstrap intervals of a win rate and of its
// length-controlled counterpart, from the same resamples of the comparisons.

/// Bootstrap intervals of the raw and the length-controlled win rate of one evaluation.
///
/// Both intervals use the same resamples (one seed): each resample draws n comparisons with
/// replacement; the raw rate is their mean score and the LC rate is `LengthControlledWinRate`
/// refitted on them.
public struct WinRateIntervals: Sendable, Hashable, Codable {
    /// The interval of the raw win rate (fractions in [0, 1]).
    public var winRate: BootstrapInterval
    /// The interval of the length-controlled win rate (fractions in [0, 1]).
    public var lengthControlled: BootstrapInterval

    private enum CodingKeys: String, CodingKey {
        case winRate = "win_rate_ci", lengthControlled = "lc_win_rate_ci"
    }

    /// Intervals from the comparisons' scores and lengths.
    ///
    /// - Parameters:
    ///   - scores: A's outcome per comparison in [0, 1] (`Verdict.score`, or a soft preference).
    ///   - lengthsA: |A| per comparison.
    ///   - lengthsB: |B| per comparison, in the same unit.
    ///   - resamples: B ≥ 2.
    ///   - level: the coverage, in (0, 1).
    ///   - seed: seeds the resampling (same seed, same intervals).
    /// - Throws: `DICEError.invalidParameter` as `BootstrapInterval.percentile` and
    ///   `LengthControlledWinRate(scores:lengthsA:lengthsB:ridge:)` do.
    public init(scores: [Double], lengthsA: [Int], lengthsB: [Int], resamples: Int = 1000, level: Double = 0.95,
                seed: UInt64) throws {
        winRate = try BootstrapInterval.percentile(count: scores.count, resamples: resamples, level: level,
                                                   seed: seed) { picks in
            picks.reduce(0) { $0 + scores[$1] } / Double(picks.count)
        }
        lengthControlled = try BootstrapInterval.percentile(count: scores.count, resamples: resamples, level: level,
                                                            seed: seed) { picks in
            try LengthControlledWinRate(scores: picks.map { scores[$0] }, lengthsA: picks.map { lengthsA[$0] },
                                        lengthsB: picks.map { lengthsB[$0] }).rate
        }
    }
}
