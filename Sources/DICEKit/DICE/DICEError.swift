// DICEError: why a DICE building block refused its input (a knob out of range, a sample that
// breaks the policy contract, a run directory that cannot be resumed).

/// A DICE configuration or input problem, reported before any work is done where possible.
public enum DICEError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A parameter is outside its allowed range; `expected` says what is allowed.
    case invalidParameter(name: String, value: String, expected: String)
    /// A group of samples is inconsistent (e.g. two samples of one prompt share an index).
    case invalidSamples(prompt: Int, reason: String)
    /// A policy or a custom piece (rewarder, pair builder, replay mixer, store) returned
    /// something other than what its protocol promises; `reason` names the piece and the bad
    /// value.
    case policyContract(reason: String)
    /// A run directory's state file is unreadable or describes an impossible state.
    case runState(path: String, reason: String)
    /// A phase was completed out of order (e.g. `train` before `pair` in the same round).
    case phaseOutOfOrder(round: Int, phase: String, expected: String)
    /// A fresh run was asked for in a folder that already holds one (`settings.json` or
    /// `state.json` at `path`).
    case runExists(path: String)
    /// A run was resumed with settings or data other than those it was started with;
    /// `differences` names each (a setting with its old and new value, "the prompts", "the
    /// offline pairs", or the key of a caller's input). `path` is the run's `settings.json`.
    case settingsChanged(path: String, differences: [String])
    /// A run cannot be resumed: it needs `model`, which the store does not hold (`inMemory`: the
    /// store keeps models in memory, so they ended with the process that trained them).
    case resumeWithoutModel(path: String, model: ModelID, inMemory: Bool)
    /// A store was asked for a model it does not hold (never saved, or held in another role).
    case modelNotHeld(model: ModelID, store: String)
    /// A round has nothing to train on: no prompt gave a pair and no offline pair was mixed in.
    /// `pairing` says why each prompt was dropped.
    case noTrainingPairs(round: Int, pairing: PairStatistics)

    /// One readable sentence.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "\(name) = \(value): expected \(expected)"
        case let .invalidSamples(prompt, reason):
            return "samples of prompt \(prompt): \(reason)"
        case let .policyContract(reason):
            return "policy broke its contract: \(reason)"
        case let .runState(path, reason):
            return "\(path): \(reason)"
        case let .phaseOutOfOrder(round, phase, expected):
            return "round \(round): cannot complete \(phase); expected \(expected) next"
        case let .runExists(path):
            return "\(path) already holds a run: resume it, or start the fresh run in another folder"
        case let .settingsChanged(path, differences):
            return "\(path): the run was started with other settings: \(differences.joined(separator: "; ")); resume with the same settings, or start a fresh run in another folder"
        case let .resumeWithoutModel(path, model, inMemory):
            return inMemory
                ? "\(path): resuming needs \(model), which this in-memory store does not hold: models kept in memory end with the process that trained them, so such a run resumes only in that process; start a fresh run in another folder"
                : "\(path): resuming needs \(model), which the store does not hold (was its folder removed?)"
        case let .modelNotHeld(model, store):
            return "\(store): no model \(model) is held"
        case let .noTrainingPairs(round, p):
            return "round \(round) produced no training pairs: of \(p.prompts) prompts, \(p.promptsWithTooFewValid) had "
                + "too few valid samples (\(p.truncated) samples truncated, \(p.degenerate) degenerate) and "
                + "\(p.promptsAllEqual) had samples of equal reward; sample more responses per prompt, allow "
                + "more new tokens, or mix in offline pairs (γ > 0)"
        }
    }
}
