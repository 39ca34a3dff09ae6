// ImplicitRewarder: scores responses for pair building. The standard one is DPO's implicit
// reward r(x, y) = β · [log π(y|x) − log π_ref(y|x)].

/// One response's reward, with the log-probabilities it came from when there are any.
public struct RewardScore: Sendable, Hashable, Codable {
    /// The reward used for ranking (nats × β for the DPO implicit reward).
    public var reward: Double
    /// Σ log π(y|x) under the policy, in nats (nil for rewards not made of log-probabilities).
    public var policyLogProb: Double?
    /// Σ log π_ref(y|x) under the reference, in nats (nil likewise).
    public var referenceLogProb: Double?

    /// Creates the value from its fields.
    public init(reward: Double, policyLogProb: Double? = nil, referenceLogProb: Double? = nil) {
        self.reward = reward
        self.policyLogProb = policyLogProb
        self.referenceLogProb = referenceLogProb
    }
}

/// Anything that rewards (prompt, response) pairs: the ranking signal of DICE.
public protocol ImplicitRewarder {
    /// One score per pair, in order.
    /// - Throws: what the underlying models throw for unusable pairs.
    func scores(_ batch: [TokenPair]) throws -> [RewardScore]
}

/// DPO's implicit reward: `r(x, y) = β · [Σ log π(y|x) − Σ log π_ref(y|x)]`, sums over the
/// response tokens (including a final EOS), the prompt masked.
///
/// In DICE round t, `policy` is π_{t−1} and `reference` is π_{t−2} (π_ref in round 1). The
/// ranking of one prompt's responses is invariant to β > 0, but the length penalty α is in
/// reward units per length unit, so the α that balances lengths scales with β (see
/// `LengthRegularizer`).
public struct DPOImplicitRewarder: ImplicitRewarder {
    /// The DPO-trained policy whose implicit reward this is.
    public let policy: any SequenceScorer
    /// The reference it was trained against.
    public let reference: any ReferenceModel
    /// β > 0, the DPO temperature.
    public let beta: Double
    /// Pairs per scorer call (bounds memory); ≥ 1.
    public let batchSize: Int

    /// - Throws: `DICEError.invalidParameter` for β ≤ 0 (or not finite) or batchSize < 1.
    public init(policy: any SequenceScorer, reference: any ReferenceModel, beta: Double, batchSize: Int = 64) throws {
        guard beta > 0, beta.isFinite else {
            throw DICEError.invalidParameter(name: "beta", value: "\(beta)", expected: "a finite number > 0")
        }
        guard batchSize >= 1 else {
            throw DICEError.invalidParameter(name: "batchSize", value: "\(batchSize)", expected: "≥ 1")
        }
        self.policy = policy
        self.reference = reference
        self.beta = beta
        self.batchSize = batchSize
    }

    /// β · (log π − log π_ref) per pair, with both log-probabilities.
    /// - Throws: what the scorers throw; `DICEError.policyContract` when a scorer returns the
    ///   wrong number of values.
    public func scores(_ batch: [TokenPair]) throws -> [RewardScore] {
        var out: [RewardScore] = []
        out.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            let chunk = Array(batch[start ..< min(batch.count, start + batchSize)])
            let lp = try policy.logProbs(chunk)
            let lr = try reference.logProbs(chunk)
            guard lp.count == chunk.count, lr.count == chunk.count else {
                throw DICEError.policyContract(reason: "a scorer returned \(lp.count) and \(lr.count) log-probabilities for \(chunk.count) pairs")
            }
            for i in chunk.indices {
                out.append(RewardScore(reward: beta * (lp[i] - lr[i]), policyLogProb: lp[i], referenceLogProb: lr[i]))
            }
            start += chunk.count
        }
        return out
    }
}
