// DICERound's evaluation phase: how well a round's implicit reward ranks held-out preference
// pairs. (A head-to-head against a baseline needs a judge and samples: `HeadToHeadResult`.)

extension DICERound {
    /// The accuracy of the implicit reward β·(log `policy` − log `reference`) on held-out
    /// `pairs`: the share with r(chosen) > r(rejected), ties counting as wrong. After round t's
    /// training, `policy` is π_t and `reference` π_{t−1} (the pair it was trained as).
    /// - Throws: `DICEError.invalidParameter` for β ≤ 0 or batchSize < 1; what the scorers
    ///   throw; `DICEError.policyContract` when a scorer returns the wrong number of values.
    public static func rewardAccuracy(of policy: any SequenceScorer, reference: any SequenceScorer,
                                      on pairs: [PreferencePair], beta: Double, batchSize: Int = 64) throws -> RewardAccuracy {
        let rewarder = try DPOImplicitRewarder(policy: policy, reference: reference, beta: beta, batchSize: batchSize)
        return try RewardAccuracy(rewarder: rewarder, chosen: pairs.map(\.chosenPair), rejected: pairs.map(\.rejectedPair))
    }
}
