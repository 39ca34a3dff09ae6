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
public struct DPOTrainingSummary: Sendable {
    /// Updates completed.
    public var steps: Int
    /// The step the run resumed from (nil for a fresh run).
    public var resumedFrom: Int?
    /// The last update's figures (nil when no update ran).
    public var lastStep: DPOMetrics?
    /// The last validation's figures (nil without a validation split).
    public var lastValidation: DPOMetrics?
}

/// Trains a policy with a DPO-family loss on preference pairs against precomputed reference
/// log-probs (the reference model itself is not needed while training).
public protocol DPOTrainer {
    /// The run's settings.
    var configuration: DPOConfiguration { get }
    /// Trains `policy` in place on `pairs`; `reference` holds the reference log-probs of each
    /// pair, in order.
    /// - Throws: `DPOTrainingError` (bad settings, mismatched reference, a NaN/Inf loss or
    ///   gradient, an unusable checkpoint), what the policy throws, what an observer throws.
    func train(_ policy: any TrainablePolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) throws
        -> DPOTrainingSummary
}
