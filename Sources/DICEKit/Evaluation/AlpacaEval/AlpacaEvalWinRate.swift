// AlpacaEvalWinRate: the win rate of alpaca_eval annotations exactly as alpaca_eval's
// `get_winrate` computes it (AbsoluteScoringRule and ZeroOneScoringRule of alpaca_eval 0.6.6),
// plus DICEKit's length-controlled win rate and 95% bootstrap intervals of both.

/// What alpaca_eval's `metrics.get_winrate` reports for a set of annotations (its keys and its
/// percent units), with DICEKit's length-controlled win rate beside it.
///
/// alpaca_eval's rules, reproduced here: a preference of 0 counts as a draw (1.5); records
/// without a preference (`null`) are dropped; each remaining record scores `preference − 1`
/// (0 the baseline wins, 1 the model wins, ½ a draw, in between for weighted annotators);
/// `win_rate` is 100 × their mean and `standard_error` 100 × their standard error (n − 1, as
/// pandas' `sem`); `discrete_win_rate` rounds each score to 0, ½ or 1 first (1.5 stays a draw).
///
/// The length-controlled win rate is `LengthControlledWinRate` (AlpacaEval 2's GLM without its
/// instruction-difficulty term, which needs precomputed per-instruction difficulties from the
/// alpaca_eval leaderboard) fitted to the same scores with lengths in characters (Unicode
/// scalars, Python's `len`) of `output_2` against `output_1`. It is therefore not the number the
/// AlpacaEval 2 leaderboard prints; Documentation/Evaluation.md says how they differ.
public struct AlpacaEvalWinRate: Sendable, Hashable, Codable {
    /// `win_rate`: 100 × the mean score, in percent.
    public var winRate: Double
    /// `standard_error`, in percent; nil with fewer than two records (pandas gives NaN).
    public var standardError: Double?
    /// `n_wins`: records whose score is above ½.
    public var wins: Int
    /// `n_wins_base`: records whose score is below ½.
    public var baselineWins: Int
    /// `n_draws`: records with preference 1.5 or 0.
    public var draws: Int
    /// `n_total`: records with a preference.
    public var total: Int
    /// `discrete_win_rate`: the win rate of the rounded scores, in percent.
    public var discreteWinRate: Double
    /// Records whose preference is null (dropped, as alpaca_eval drops them).
    public var unannotated: Int
    /// DICEKit's length-controlled win rate (a fraction in [0, 1], as everywhere in DICEKit).
    public var lengthControlled: LengthControlledWinRate
    /// 95% bootstrap intervals of the win rate and the length-controlled win rate (fractions).
    public var intervals: WinRateIntervals
    /// The model's (`output_2`) mean length in characters.
    public var averageLength: Double
    /// The baseline's (`output_1`) mean length in characters.
    public var baselineAverageLength: Double

    private enum CodingKeys: String, CodingKey {
        case winRate = "win_rate", standardError = "standard_error", wins = "n_wins", baselineWins = "n_wins_base"
        case draws = "n_draws", total = "n_total", discreteWinRate = "discrete_win_rate", unannotated
        case lengthControlled = "length_controlled", intervals, averageLength = "avg_length"
        case baselineAverageLength = "baseline_avg_length"
    }

    /// The figures of `annotations`.
    ///
    /// - Parameters:
    ///   - annotations: alpaca_eval records (preferences 0, in [1, 2], or nil).
    ///   - resamples: bootstrap resamples B ≥ 2 for the intervals.
    ///   - seed: seeds the resampling.
    /// - Throws: `DICEError.invalidParameter` when no record has a preference, a preference is
    ///   outside alpaca_eval's encoding, or B < 2.
    public init(annotations: [AlpacaEvalAnnotation], resamples: Int = 1000, seed: UInt64 = 0) throws {
        var scores: [Double] = [], discrete: [Double] = []
        var lengths: [Int] = [], baselineLengths: [Int] = []
        var draws = 0
        for annotation in annotations {
            guard let preference = annotation.preference else { continue }
            guard preference == 0 || (preference >= 1 && preference <= 2) else {
                throw DICEError.invalidParameter(name: "preference", value: "\(preference)",
                                                 expected: "0 (a draw) or a number in [1, 2]")
            }
            let isDraw = preference == 0 || preference == 1.5
            if isDraw { draws += 1 }
            let score = isDraw ? 0.5 : preference - 1
            scores.append(score)
            discrete.append(isDraw ? 0.5 : (score < 0.5 ? 0 : 1))
            lengths.append(annotation.modelOutput.unicodeScalars.count)
            baselineLengths.append(annotation.baselineOutput.unicodeScalars.count)
        }
        guard !scores.isEmpty else {
            throw DICEError.invalidParameter(name: "annotations", value: "\(annotations.count) records",
                                             expected: "at least one record with a preference")
        }
        let n = Double(scores.count)
        let mean = scores.reduce(0, +) / n
        winRate = 100 * mean
        if scores.count >= 2 {
            let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            standardError = 100 * (variance / n).squareRoot()
        } else {
            standardError = nil
        }
        wins = scores.filter { $0 > 0.5 }.count
        baselineWins = scores.filter { $0 < 0.5 }.count
        self.draws = draws
        total = scores.count
        discreteWinRate = 100 * discrete.reduce(0, +) / n
        unannotated = annotations.count - scores.count
        lengthControlled = try LengthControlledWinRate(scores: scores, lengthsA: lengths, lengthsB: baselineLengths)
        intervals = try WinRateIntervals(scores: scores, lengthsA: lengths, lengthsB: baselineLengths,
                                         resamples: resamples, seed: seed)
        averageLength = Double(lengths.reduce(0, +)) / n
        baselineAverageLength = Double(baselineLengths.reduce(0, +)) / n
    }
}
