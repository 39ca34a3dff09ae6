// WinRate: the raw head-to-head win rate, ties counted as half.

/// Wins, ties and losses of A against B, and the win rate (wins + ½·ties) / n.
public struct WinRate: Sendable, Hashable, Codable {
    /// Comparisons A won.
    public var wins: Int
    /// Comparisons judged a tie.
    public var ties: Int
    /// Comparisons A lost.
    public var losses: Int

    /// Counts `verdicts` (A's side).
    public init(_ verdicts: [Verdict]) {
        wins = verdicts.count { $0 == .win }
        ties = verdicts.count { $0 == .tie }
        losses = verdicts.count { $0 == .loss }
    }

    /// Comparisons counted.
    public var count: Int { wins + ties + losses }

    /// (wins + ½·ties) / count, in [0, 1]; ½ when there are no comparisons.
    public var rate: Double {
        count == 0 ? 0.5 : (Double(wins) + 0.5 * Double(ties)) / Double(count)
    }
}
