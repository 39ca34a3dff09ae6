// LearningRateSchedule: the learning-rate multipliers of transformers'
// get_constant_schedule, get_constant_schedule_with_warmup, get_linear_schedule_with_warmup and
// get_cosine_schedule_with_warmup.

import Foundation

/// A learning-rate schedule: the factor the base learning rate is multiplied by at each update.
///
/// `multiplier(step:)` takes the 0-based index of the update about to be applied (transformers'
/// `current_step`: the first update uses step 0, so with warm-up it has learning rate 0, exactly
/// as `Trainer` does).
public enum LearningRateSchedule: Sendable, Hashable, Codable {
    /// 1 throughout (`get_constant_schedule`).
    case constant
    /// Linear from 0 to 1 over `warmupSteps`, then 1 (`get_constant_schedule_with_warmup`).
    case warmup(warmupSteps: Int)
    /// Warm-up, then linear decay to 0 at `totalSteps` (`get_linear_schedule_with_warmup`).
    case linear(warmupSteps: Int, totalSteps: Int)
    /// Warm-up, then half a cosine from 1 to 0 at `totalSteps`
    /// (`get_cosine_schedule_with_warmup`, num_cycles 0.5).
    case cosine(warmupSteps: Int, totalSteps: Int)

    /// The factor at update `step` (0-based), in [0, 1].
    public func multiplier(step: Int) -> Double {
        func warm(_ w: Int) -> Double? { step < w ? Double(step) / Double(max(1, w)) : nil }
        switch self {
        case .constant:
            return 1
        case .warmup(let w):
            return warm(w) ?? 1
        case .linear(let w, let total):
            if let f = warm(w) { return f }
            return max(0, Double(total - step) / Double(max(1, total - w)))
        case .cosine(let w, let total):
            if let f = warm(w) { return f }
            let progress = Double(step - w) / Double(max(1, total - w))
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }

    /// The schedule a command line names: `constant`, `warmup`, `linear` or `cosine`.
    /// - Throws: `DPOTrainingError.invalidSetting` naming `schedule` for another name, or
    ///   `warmupSteps` when negative.
    public init(named name: String, warmupSteps: Int, totalSteps: Int) throws {
        guard warmupSteps >= 0 else {
            throw DPOTrainingError.invalidSetting(name: "warmupSteps", value: "\(warmupSteps)", expected: "a number ≥ 0")
        }
        switch name.lowercased() {
        case "constant": self = warmupSteps > 0 ? .warmup(warmupSteps: warmupSteps) : .constant
        case "warmup": self = .warmup(warmupSteps: warmupSteps)
        case "linear": self = .linear(warmupSteps: warmupSteps, totalSteps: totalSteps)
        case "cosine": self = .cosine(warmupSteps: warmupSteps, totalSteps: totalSteps)
        default:
            throw DPOTrainingError.invalidSetting(name: "schedule", value: name,
                                                  expected: "constant, warmup, linear or cosine")
        }
    }
}
