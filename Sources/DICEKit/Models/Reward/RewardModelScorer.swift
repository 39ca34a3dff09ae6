// RewardModelScorer: a reward model trained with the Bradley–Terry loss through the DPO trainer.
// −log σ(r(x, y_w) − r(x, y_l)) is DPO's sigmoid loss with β = 1 against a zero reference when
// the "log-probabilities" the trainer differentiates are the rewards; this view supplies them,
// so reward-model training gets the trainer's batching, clipping, schedules, validation
// (accuracy = reward accuracy) and bit-exact resumable checkpoints unchanged.

/// A reward model seen as the `TrainablePolicy` of a pairwise loss: its `logProbs` are the
/// rewards r(x, y) (not log-probabilities — use it only to train the reward model).
///
/// Train with `StandardDPOTrainer`, `DPOLoss(kind: .sigmoid, beta: 1)` and
/// `ReferenceLogProbs.zero(count:)`: the loss per pair is then exactly the Bradley–Terry loss
/// −log σ(r_w − r_l), and the trainer's accuracy is the reward accuracy.
public final class RewardModelScorer: DifferentiableSequenceScorer, Trainable {
    /// The reward model trained.
    public let model: RewardModel

    /// A view of `model`.
    public init(_ model: RewardModel) {
        self.model = model
    }

    /// The rewards r(prompt, response) of each pair.
    /// - Throws: as `RewardModel.rewards(_:)`.
    public func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        try model.rewards(batch)
    }

    /// The rewards with the pullback of `RewardModel.rewardsWithPullback(_:)`.
    /// - Throws: as `RewardModel.rewardsWithPullback(_:)`.
    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        let (rewards, pullback) = try model.rewardsWithPullback(batch)
        return (rewards, pullback)
    }

    /// The network's `ParameterStore`, or its attached LoRA adapter (A, B and the trained score
    /// head) when it has one.
    public var trainableParameters: any TrainableParameters { model.network.trainableParameters }
}

extension ReferenceLogProbs {
    /// A zero reference for `count` pairs: what Bradley–Terry training of a reward model
    /// (`RewardModelScorer`) is trained against.
    public static func zero(count: Int) -> ReferenceLogProbs {
        ReferenceLogProbs(chosen: [Double](repeating: 0, count: count), rejected: [Double](repeating: 0, count: count))
    }
}
