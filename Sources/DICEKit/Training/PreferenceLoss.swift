// PreferenceLoss: what a DPO-family loss provides to a trainer — its value on a (micro-)batch of
// per-pair log-probs and the derivatives that feed the policy's pullback — so that a user's
// loss trains through StandardDPOTrainer and DICEBootstrapper like the built-in ones.

/// A (micro-)batch's share of a preference loss and its derivatives, for `n` pairs.
public struct PreferenceLossContribution: Sendable, Hashable {
    /// The contribution to the batch's loss (the batch loss is the sum over its micro-batches).
    public var loss: Double
    /// `[n]`: ∂loss/∂`policyChosen` of each pair, in order.
    public var dChosen: [Double]
    /// `[n]`: ∂loss/∂`policyRejected` of each pair, in order.
    public var dRejected: [Double]

    /// A contribution of `loss` with the derivatives of each pair (`[n]` each).
    public init(loss: Double, dChosen: [Double], dRejected: [Double]) {
        self.loss = loss
        self.dChosen = dChosen
        self.dRejected = dRejected
    }
}

/// A loss on pairs of sequence log-probs (policy and reference, chosen and rejected), as DPO,
/// IPO, SLiC and their variants are. `DPOLoss` conforms; a user's loss conforms the same way and
/// is handed to `StandardDPOTrainer(configuration:loss:…)`.
///
/// The trainer accumulates a batch in micro-batches: it calls `evaluate` once per micro-batch
/// with the whole batch's normalisers and sums the contributions, so a loss that is a sum of
/// per-pair terms divided by `batchPairs` (or by `batchChosenTokens`) gives the batch's loss
/// and gradient exactly, whatever the micro-batch size. The derivatives go into the policy's
/// pullback, so they must be those of the returned loss (check them against finite
/// differences). The trainer refuses derivative arrays whose counts differ from the pairs'
/// (`DPOTrainingError.lossContract`) and stops on a non-finite loss (`DPOTrainingError.nonFinite`).
public protocol PreferenceLoss {
    /// A short, stable name recorded in checkpoints (e.g. `"sigmoid"`); resuming refuses a
    /// checkpoint written with a loss of another name.
    var name: String { get }
    /// β of the implicit reward β·(log π − log π_ref) that the trainer reports
    /// (`rewards/chosen`, `rewards/rejected`, `rewards/margins`, `rewards/accuracies`).
    var beta: Double { get }
    /// The contribution of `pairs` (n pairs) to the loss of a batch of `batchPairs` pairs
    /// holding `batchChosenTokens` chosen-response tokens in all, and its derivatives with
    /// respect to each pair's `policyChosen` and `policyRejected` (`[n]` each).
    func evaluate(_ pairs: [PairLogProbs], batchPairs: Int, batchChosenTokens: Int) -> PreferenceLossContribution
}

extension PreferenceLoss {
    /// The loss of `pairs` as a whole batch, and its derivatives.
    public func evaluate(_ pairs: [PairLogProbs]) -> PreferenceLossContribution {
        evaluate(pairs, batchPairs: pairs.count, batchChosenTokens: pairs.reduce(0) { $0 + $1.chosenLength })
    }
}
