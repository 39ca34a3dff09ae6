// RewardAccuracy: how often a reward agrees with held-out preference labels.

/// The fraction of held-out pairs whose reward ranks chosen strictly above rejected.
public struct RewardAccuracy: Sendable, Hashable, Codable {
    /// Pairs with r(chosen) > r(rejected) (a tie counts as wrong).
    public var correct: Int
    /// Pairs evaluated.
    public var total: Int

    /// Counts pairs from their rewards.
    /// - Throws: `DICEError.invalidParameter` when the arrays differ in length.
    public init(chosenRewards: [Double], rejectedRewards: [Double]) throws {
        guard chosenRewards.count == rejectedRewards.count else {
            throw DICEError.invalidParameter(name: "rejectedRewards", value: "\(rejectedRewards.count) values",
                                             expected: "one per chosen reward (\(chosenRewards.count))")
        }
        total = chosenRewards.count
        correct = zip(chosenRewards, rejectedRewards).count { $0 > $1 }
    }

    /// Scores each pair's chosen and rejected response with `rewarder` and counts agreements.
    /// - Throws: `DICEError.invalidParameter` when the arrays differ in length; what the
    ///   rewarder throws.
    public init(rewarder: any ImplicitRewarder, chosen: [TokenPair], rejected: [TokenPair]) throws {
        guard chosen.count == rejected.count else {
            throw DICEError.invalidParameter(name: "rejected", value: "\(rejected.count) pairs",
                                             expected: "one per chosen pair (\(chosen.count))")
        }
        let scores = try rewarder.scores(chosen + rejected)
        guard scores.count == 2 * chosen.count else {
            throw DICEError.policyContract(reason: "\(scores.count) rewards for \(2 * chosen.count) pairs")
        }
        try self.init(chosenRewards: scores[..<chosen.count].map(\.reward),
                      rejectedRewards: scores[chosen.count...].map(\.reward))
    }

    /// correct / total (0 when there are no pairs).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
