// HeadToHead: a model's responses against a baseline's on the same prompts — raw win rate,
// length-controlled win rate and average lengths.

/// The outcome of a head-to-head evaluation of a model (A) against a baseline (B).
public struct HeadToHeadResult: Sendable, Hashable, Codable {
    /// Wins, ties, losses and the raw win rate (ties as half).
    public var winRate: WinRate
    /// The length-controlled win rate (AlpacaEval 2 style).
    public var lengthControlled: LengthControlledWinRate
    /// The unit of the lengths below (and of the LC fit).
    public var lengthUnit: LengthUnit
    /// Mean |A| and mean |B|.
    public var averageLength: Double
    /// Mean |B|.
    public var baselineAverageLength: Double
    /// 95% bootstrap intervals of both win rates, when computed (`evaluate` computes them).
    public var intervals: WinRateIntervals?

    /// Creates the value from its fields.
    public init(winRate: WinRate, lengthControlled: LengthControlledWinRate, lengthUnit: LengthUnit,
                averageLength: Double, baselineAverageLength: Double, intervals: WinRateIntervals? = nil) {
        self.winRate = winRate
        self.lengthControlled = lengthControlled
        self.lengthUnit = lengthUnit
        self.averageLength = averageLength
        self.baselineAverageLength = baselineAverageLength
        self.intervals = intervals
    }

    /// Judges `responses[i]` against `baseline[i]` for `prompts[i]` and summarises.
    ///
    /// - Parameters:
    ///   - prompts: the prompts compared on.
    ///   - responses: the responses of the model judged (A), one per prompt.
    ///   - baseline: the baseline's responses (B), one per prompt.
    ///   - judge: decides each comparison from A's side.
    ///   - lengthUnit: the unit of lengths (AlpacaEval uses characters).
    ///   - ridge: the LC fit's ridge λ.
    ///   - resamples: bootstrap resamples of the intervals (B ≥ 2).
    ///   - seed: seeds the bootstrap resampling.
    /// - Throws: `DICEError.invalidParameter` when the three arrays differ in length or are
    ///   empty; what the judge throws.
    public static func evaluate(prompts: [TokenizedText], responses: [TokenizedText], baseline: [TokenizedText],
                                judge: any Judge, lengthUnit: LengthUnit = .characters,
                                ridge: Double = LengthControlledWinRate.defaultRidge, resamples: Int = 1000,
                                seed: UInt64 = 0) throws -> HeadToHeadResult {
        guard prompts.count == responses.count, prompts.count == baseline.count else {
            throw DICEError.invalidParameter(name: "responses", value: "\(responses.count) and \(baseline.count)",
                                             expected: "one response and one baseline response per prompt (\(prompts.count))")
        }
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(prompts.count)
        for i in prompts.indices {
            verdicts.append(try judge.verdict(prompt: prompts[i], a: responses[i], b: baseline[i]))
        }
        let lengthsA = responses.map { $0.length(in: lengthUnit) }
        let lengthsB = baseline.map { $0.length(in: lengthUnit) }
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: lengthsA, lengthsB: lengthsB, ridge: ridge)
        let intervals = try WinRateIntervals(scores: verdicts.map(\.score), lengthsA: lengthsA, lengthsB: lengthsB,
                                             resamples: resamples, seed: seed)
        return HeadToHeadResult(winRate: WinRate(verdicts), lengthControlled: lc, lengthUnit: lengthUnit,
                                averageLength: mean(lengthsA), baselineAverageLength: mean(lengthsB),
                                intervals: intervals)
    }

    static func mean(_ v: [Int]) -> Double { v.isEmpty ? 0 : Double(v.reduce(0, +)) / Double(v.count) }
}
