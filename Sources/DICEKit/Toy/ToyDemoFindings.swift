// ToyDemoFindings: whether one demo report shows the paper's three findings in miniature
// (issue 21): (1) round 1 beats π_0 and round 2 is at least as good; (2) replay beats offline
// data only by ≥ 2 LC points and beats no replay; (3) without length regularization the answers
// are longer and the LC win rate is not higher than DICE's by more than DICE's own 95% interval.

/// The three findings, checked on one seed's report.
public struct ToyDemoFindings: Sendable, Hashable, Codable {
    /// Round 1's LC win rate against π_0 is above 55% and round 2's is at least round 1's.
    public var improvesOverRounds: Bool
    /// Round 2's LC win rate beats "offline data only" (γ = 1) by ≥ 2 points and beats
    /// "no replay" (γ = 0).
    public var replayHelps: Bool
    /// "No length regularization" (α = 0) answers longer than DICE's round 2, and its LC win
    /// rate is at most the upper end of round 2's LC interval.
    public var lengthRegularizationHelps: Bool

    /// The LC margin (in rate, 0.02 = 2 points) by which round 2 must beat offline data only.
    public static let offlineMargin = 0.02
    /// The LC win rate round 1 must exceed.
    public static let roundOneThreshold = 0.55

    enum CodingKeys: String, CodingKey {
        case improvesOverRounds = "finding_1_rounds"
        case replayHelps = "finding_2_replay"
        case lengthRegularizationHelps = "finding_3_length"
    }

    /// Checks `report`.
    /// - Throws: `DICEError.invalidParameter` when the report lacks round 1 or 2 or one of the
    ///   three ablations.
    public init(_ report: ToyDemoReport) throws {
        func missing(_ what: String) -> DICEError {
            DICEError.invalidParameter(name: "report", value: "seed \(report.seed)", expected: "a report with \(what)")
        }
        guard let one = report.rounds.first(where: { $0.round == 1 }) else { throw missing("round 1") }
        guard let two = report.rounds.first(where: { $0.round == 2 }) else { throw missing("round 2") }
        guard let offline = report.ablations["offline_only"], let noReplay = report.ablations["gamma_0"],
              let noLR = report.ablations["no_length_regularization"] else {
            throw missing("the ablations offline_only, gamma_0 and no_length_regularization")
        }
        improvesOverRounds = one.lcWinRate > Self.roundOneThreshold && two.lcWinRate >= one.lcWinRate
        replayHelps = two.lcWinRate - offline.lcWinRate >= Self.offlineMargin && two.lcWinRate > noReplay.lcWinRate
        lengthRegularizationHelps = noLR.averageLength > two.averageLength && noLR.lcWinRate <= two.lcWinRateInterval.upper
    }
}
