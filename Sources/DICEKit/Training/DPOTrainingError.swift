// DPOTrainingError: why a training run (DPO or SFT) could not start or stopped.

/// A training run (DPO, SFT or a user's trainer on `TrainingStep`) that cannot start or cannot
/// go on.
public enum DPOTrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A setting is unusable: `name` is the setting as the API spells it (`"microBatchSize"`,
    /// `"beta"`, `"weightDecay"`), `value` what it was given, `expected` what it must be. Every
    /// settings rule of `DPOConfiguration`, `SFTConfiguration`, `DPOLoss`, the optimizers and
    /// the schedules throws this.
    case invalidSetting(name: String, value: String, expected: String)
    /// A `PreferenceLoss` returned something other than what its contract says (e.g. derivatives
    /// for another number of pairs); `name` is the loss's name.
    case lossContract(name: String, reason: String)
    /// The reference log-probs do not cover the pairs one for one.
    case referenceCountMismatch(pairs: Int, chosen: Int, rejected: Int)
    /// `quantity` ("policy log-probs", "loss", "gradient norm": no update was applied;
    /// "parameters or optimizer state": the update of `step` overflowed and was not saved) was
    /// NaN or infinite at update `step` (1-based). `lastCheckpointStep` (if any) is the last
    /// good state: no checkpoint holds a NaN or an infinity.
    case nonFinite(step: Int, quantity: String, lastCheckpointStep: Int?)
    /// The checkpoint of update `step` could not be written into `folder` (e.g. the disk is
    /// full); `reason` names the file and the failing call. The previous checkpoint, of
    /// `lastCheckpointStep` (if any), is left in place.
    case checkpointNotWritten(folder: String, step: Int, reason: String, lastCheckpointStep: Int?)
    /// The checkpoint cannot be resumed with these pairs or settings.
    case resumeMismatch(path: String, reason: String)
    /// A checkpoint file is missing or damaged.
    case unreadableCheckpoint(path: String, reason: String)

    /// One readable sentence.
    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected): return "invalid setting \(name) = \(value): expected \(expected)"
        case let .lossContract(name, reason): return "the loss '\(name)' broke its contract: \(reason)"
        case let .referenceCountMismatch(p, c, r):
            return "reference log-probs cover \(c) chosen and \(r) rejected responses for \(p) pairs"
        case let .nonFinite(step, quantity, last):
            return "the \(quantity) became NaN or infinite at step \(step); training stopped, nothing of that step was saved. "
                + (last.map { "The last good checkpoint is from step \($0)." } ?? "No checkpoint was written yet.")
                + " Lower the learning rate or β, or check the data."
        case let .checkpointNotWritten(folder, step, reason, last):
            return "\(folder): could not write the checkpoint of step \(step) (\(reason)). "
                + (last.map { "The last good checkpoint, of step \($0), is kept." } ?? "No earlier checkpoint exists.")
        case let .resumeMismatch(p, r): return "\(p): cannot resume: \(r)"
        case let .unreadableCheckpoint(p, r): return "\(p): unreadable checkpoint: \(r)"
        }
    }
}
