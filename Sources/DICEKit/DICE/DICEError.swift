// DICEError: why a DICE building block refused its input (a knob out of range, a sample that
// breaks the policy contract, a run directory that cannot be resumed).

/// A DICE configuration or input problem, reported before any work is done where possible.
public enum DICEError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A parameter is outside its allowed range; `expected` says what is allowed.
    case invalidParameter(name: String, value: String, expected: String)
    /// A group of samples is inconsistent (e.g. two samples of one prompt share an index).
    case invalidSamples(prompt: Int, reason: String)
    /// A policy returned something other than what it was asked for.
    case policyContract(reason: String)
    /// A run directory's state file is unreadable or describes an impossible state.
    case runState(path: String, reason: String)
    /// A phase was completed out of order (e.g. `train` before `pair` in the same round).
    case phaseOutOfOrder(round: Int, phase: String, expected: String)
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
        case let .noTrainingPairs(round, p):
            return "round \(round) produced no training pairs: of \(p.prompts) prompts, \(p.promptsWithTooFewValid) had "
                + "too few valid samples (\(p.truncated) samples truncated, \(p.degenerate) degenerate) and "
                + "\(p.promptsAllEqual) had samples of equal reward; sample more responses per prompt, allow "
                + "more new tokens, or mix in offline pairs (γ > 0)"
        }
    }
}
