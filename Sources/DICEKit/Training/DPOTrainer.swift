// DPOTrainer: the protocol of a DPO training loop, and what it reports.

import Foundation

/// What a trainer reports while it runs. An observer that throws stops the run (the error is
/// rethrown by `train`), e.g. on a user's request.
public enum DPOEvent {
    /// The run continues a checkpoint taken after `step` updates.
    case resumed(step: Int)
    /// One update finished.
    case step(DPOMetrics)
    /// A validation pass finished.
    case validation(DPOMetrics)
    /// A checkpoint of `step` updates was written to `folder`.
    case checkpoint(step: Int, folder: URL)
}

/// How a DPO run ended.
public struct DPOTrainingSummary: Sendable, Hashable {
    /// Updates completed.
    public var steps: Int
    /// The step the run resumed from (nil for a fresh run).
    public var resumedFrom: Int?
    /// The last update's figures (nil when no update ran).
    public var lastStep: DPOMetrics?
    /// The last validation's figures (nil without a validation split).
    public var lastValidation: DPOMetrics?

    /// A summary of `steps` completed updates.
    public init(steps: Int, resumedFrom: Int? = nil, lastStep: DPOMetrics? = nil, lastValidation: DPOMetrics? = nil) {
        self.steps = steps
        self.resumedFrom = resumedFrom
        self.lastStep = lastStep
        self.lastValidation = lastValidation
    }
}

/// Trains a policy with a DPO-family loss on preference pairs against precomputed reference
/// log-probs (the reference model itself is not needed while training).
///
/// A conforming trainer reports through `observer`: `.resumed` when it continues a saved
/// state, `.step` after every update (in order, steps 1, 2, …), `.validation` and
/// `.checkpoint` when it has them. `DICEBootstrapper` chains its own observer in front of the
/// one already set, so a trainer's user observer keeps receiving every event, and writes each
/// round's `metrics.jsonl` from the `.step` events alone: a custom trainer gets the same rows
/// and events as `StandardDPOTrainer`.
public protocol DPOTrainer: AnyObject {
    /// Receives progress; throwing stops the run (`train` rethrows the error).
    var observer: ((DPOEvent) throws -> Void)? { get set }
    /// Trains `policy` in place on `pairs`; `reference` holds the reference log-probs of each
    /// pair, in order.
    /// - Throws: `DPOTrainingError` (bad settings, mismatched reference, a NaN/Inf loss or
    ///   gradient, an unusable checkpoint), what the policy throws, what an observer throws.
    func train(_ policy: any TrainablePolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) throws
        -> DPOTrainingSummary
}
