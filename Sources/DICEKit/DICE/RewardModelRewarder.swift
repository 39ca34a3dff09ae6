// RewardModelRewarder: a trained reward model in place of DPO's implicit reward — the paper's
// comparison of DICE with an external scalar RM trained on the same offline data.

/// Rewards (prompt, response) pairs with a `RewardModel`: `reward = r(x, y)`, no log-probs.
public struct RewardModelRewarder: ImplicitRewarder {
    /// The reward model.
    public let model: RewardModel
    /// Pairs per call (bounds memory); ≥ 1.
    public let batchSize: Int

    /// - Throws: `DICEError.invalidParameter` for batchSize < 1.
    public init(model: RewardModel, batchSize: Int = 64) throws {
        guard batchSize >= 1 else {
            throw DICEError.invalidParameter(name: "batchSize", value: "\(batchSize)", expected: "≥ 1")
        }
        self.model = model
        self.batchSize = batchSize
    }

    /// r(x, y) per pair, in order.
    /// - Throws: what `RewardModel.rewards(_:)` throws.
    public func scores(_ batch: [TokenPair]) throws -> [RewardScore] {
        var out: [RewardScore] = []
        out.reserveCapacity(batch.count)
        var start = 0
        while start < batch.count {
            let chunk = Array(batch[start ..< min(batch.count, start + batchSize)])
            out += try model.rewards(chunk).map { RewardScore(reward: $0) }
            start += chunk.count
        }
        return out
    }
}
