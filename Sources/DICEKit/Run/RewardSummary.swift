// RewardSummary: count, mean, spread and range of a round's implicit rewards, for its report.

/// Summary statistics of a set of rewards.
public struct RewardSummary: Sendable, Hashable, Codable {
    /// How many rewards.
    public var count: Int
    /// Their mean.
    public var mean: Double
    /// Their population standard deviation, √(Σ(r − mean)² / count).
    public var standardDeviation: Double
    /// The smallest.
    public var min: Double
    /// The largest.
    public var max: Double

    /// The summary of `rewards` (summed in order), or nil when there are none or one is not
    /// finite.
    public init?(_ rewards: [Double]) {
        guard !rewards.isEmpty, rewards.allSatisfy(\.isFinite) else { return nil }
        let n = Double(rewards.count)
        let mean = rewards.reduce(0, +) / n
        count = rewards.count
        self.mean = mean
        standardDeviation = (rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        min = rewards.min() ?? mean
        max = rewards.max() ?? mean
    }
}

/// The rewards of one round: of every scored sample, and of the chosen and rejected responses
/// of the pairs built from them (unshaped rewards r, before the length penalty).
public struct RoundRewards: Sendable, Hashable, Codable {
    /// The scored samples' rewards (nil when no sample has a finite reward).
    public var samples: RewardSummary?
    /// The mean reward of the pairs' chosen responses (nil without pairs).
    public var chosenMean: Double?
    /// The mean reward of the pairs' rejected responses (nil without pairs).
    public var rejectedMean: Double?

    /// The rewards of `scored` samples and of the `pairs` built from them (samples without a
    /// score are left out).
    public init(scored: [SampleRecord], pairs: [GeneratedPair]) {
        samples = RewardSummary(scored.compactMap { $0.score?.reward })
        chosenMean = RewardSummary(pairs.compactMap { $0.chosen.score?.reward })?.mean
        rejectedMean = RewardSummary(pairs.compactMap { $0.rejected.score?.reward })?.mean
    }
}
