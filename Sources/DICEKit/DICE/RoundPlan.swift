// RoundPlan: which model plays which part in each DICE round, so the loop cannot mix them up.
//
//   round t:  sample from π_{t−1}
//             score with r = β·(log π_{t−1} − log π_{t−2}),  π_{−1} = π_ref
//             train π_t, initialised from π_{t−1}, against the frozen reference π_{t−1}

/// The models of one DICE round t ≥ 1.
public struct RoundPlan: Sendable, Hashable, Codable {
    /// The round, 1-based.
    public let round: Int

    /// Plans round `round`. Requires round ≥ 1 (use `RoundPlan.plans(rounds:)` for user input).
    public init(round: Int) {
        precondition(round >= 1, "rounds are 1-based")
        self.round = round
    }

    /// The rounds 1 … `rounds`.
    /// - Throws: `DICEError.invalidParameter` for rounds < 1.
    public static func plans(rounds: Int) throws -> [RoundPlan] {
        guard rounds >= 1 else {
            throw DICEError.invalidParameter(name: "rounds", value: "\(rounds)", expected: "≥ 1")
        }
        return (1 ... rounds).map(RoundPlan.init(round:))
    }

    /// The model responses are sampled from: π_{t−1}.
    public var sampler: ModelID { .pi(round - 1) }
    /// The policy of the implicit reward: π_{t−1}.
    public var rewardPolicy: ModelID { .pi(round - 1) }
    /// The reference of the implicit reward: π_{t−2} (π_ref in round 1).
    public var rewardReference: ModelID { .pi(round - 2) }
    /// The model training starts from: π_{t−1}.
    public var trainingInitialization: ModelID { .pi(round - 1) }
    /// The frozen reference of this round's DPO: π_{t−1}.
    public var trainingReference: ModelID { .pi(round - 1) }
    /// The model this round produces: π_t.
    public var output: ModelID { .pi(round) }
}
