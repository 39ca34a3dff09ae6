// DICERound's evaluation phase: how well a round's implicit reward ranks held-out preference
// pairs. (A head-to-head against a baseline needs a judge and samples: `HeadToHeadResult`.)

extension DICERound {
    /// The accuracy of the implicit reward β·(log `policy` − log `reference`) on held-out
    /// `pairs`: the share with r(chosen) > r(rejected), ties counting as wrong. After round t's
    /// training, `policy` is π_t and `reference` π_{t−1} (the pair it was trained as).
    ///
    /// The responses are scored as one list, every chosen response and then every rejected one,
    /// `batchSize` at a time. With a `communicator` of several ranks each rank scores its share
    /// of those batches (`Communicator.share(of:batch:)`: whole batches of one process, so the
    /// same bits) and the rewards are gathered in order, so every rank returns one process's
    /// result.
    /// - Throws: `DICEError.invalidParameter` for β ≤ 0 or batchSize < 1; what the scorers
    ///   throw; `DICEError.policyContract` when a scorer returns the wrong number of values;
    ///   what the communicator throws (`CommunicatorError.peerFailed` where another rank failed).
    public static func rewardAccuracy(of policy: any SequenceScorer, reference: any SequenceScorer,
                                      on pairs: [PreferencePair], beta: Double, batchSize: Int = 64,
                                      communicator: any Communicator = LocalCommunicator()) throws -> RewardAccuracy {
        let rewarder = try DPOImplicitRewarder(policy: policy, reference: reference, beta: beta, batchSize: batchSize)
        guard communicator.size > 1 else {
            return try RewardAccuracy(rewarder: rewarder, chosen: pairs.map(\.chosenPair), rejected: pairs.map(\.rejectedPair))
        }
        // The list RewardAccuracy(rewarder:chosen:rejected:) scores.
        let responses = pairs.map(\.chosenPair) + pairs.map(\.rejectedPair)
        let share = communicator.share(of: responses.count, batch: batchSize)
        let mine = try communicator.agree { () throws -> [Double] in
            let scores = try rewarder.scores(Array(responses[share]))
            guard scores.count == share.count else {
                throw DICEError.policyContract(reason: "\(scores.count) rewards for \(share.count) responses")
            }
            return scores.map(\.reward)
        }
        let rewards = try communicator.allGatherConcatenated(mine)
        guard rewards.count == responses.count else {
            throw DICEError.policyContract(reason: "\(rewards.count) rewards gathered for \(responses.count) responses")
        }
        return try RewardAccuracy(chosenRewards: Array(rewards[..<pairs.count]), rejectedRewards: Array(rewards[pairs.count...]))
    }
}
