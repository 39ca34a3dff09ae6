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

    /// One score per pair, given the policy's log-probs that are already known (one entry per
    /// pair, nil where unknown; e.g. what the sampler computed). The default ignores them.
    /// - Throws: as `scores(_:)`.
    func scores(_ batch: [TokenPair], knownPolicyLogProbs: [Double?]) throws -> [RewardScore]
}

extension ImplicitRewarder {
    /// `scores(_:)`: a rewarder that has no policy log-probs ignores the known ones.
    public func scores(_ batch: [TokenPair], knownPolicyLogProbs: [Double?]) throws -> [RewardScore] {
        try scores(batch)
    }
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
        try scores(batch, knownPolicyLogProbs: [])
    }

    /// β · (log π − log π_ref) per pair, the policy run only on the pairs whose log π is not in
    /// `knownPolicyLogProbs` (empty: none known).
    /// - Throws: as `scores(_:)`; `DICEError.invalidParameter` when `knownPolicyLogProbs` is
    ///   neither empty nor one entry per pair.
    public func scores(_ batch: [TokenPair], knownPolicyLogProbs known: [Double?]) throws -> [RewardScore] {
        guard known.isEmpty || known.count == batch.count else {
            throw DICEError.invalidParameter(name: "knownPolicyLogProbs", value: "\(known.count) values",
                                             expected: "none or one per pair (\(batch.count))")
        }
        var out: [RewardScore] = []
        out.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            let range = start ..< min(batch.count, start + batchSize)
            let chunk = Array(batch[range])
            let unknown = range.filter { known.isEmpty || known[$0] == nil }
            let computed = unknown.isEmpty ? [] : try policy.logProbs(unknown.map { batch[$0] })
            guard computed.count == unknown.count else {
                throw DICEError.policyContract(reason: "a scorer returned \(computed.count) log-probabilities for \(unknown.count) pairs")
            }
            var lp = range.map { known.isEmpty ? 0 : known[$0] ?? 0 }
            for (j, i) in unknown.enumerated() { lp[i - range.lowerBound] = computed[j] }
            let lr = try reference.logProbs(chunk)
            guard lr.count == chunk.count else {
                throw DICEError.policyContract(reason: "the reference returned \(lr.count) log-probabilities for \(chunk.count) pairs")
            }
            for i in chunk.indices {
                out.append(RewardScore(reward: beta * (lp[i] - lr[i]), policyLogProb: lp[i], referenceLogProb: lr[i]))
            }
            start += chunk.count
        }
        return out
    }
}
