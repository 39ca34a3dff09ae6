// RunPhase: the units of work of a DICE round, in order. A resumed run restarts after the last
// completed one.

/// One phase of a DICE round, in execution order.
public enum RunPhase: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Sample K responses per prompt from π_{t−1} (`samples.jsonl`).
    case sample
    /// Score them with the implicit reward (`scored.jsonl`).
    case score
    /// Filter, shape and pair them; mix with offline pairs (`pairs.jsonl`, `train.jsonl`).
    case pair
    /// DPO: π_t from π_{t−1} (`model/`, `metrics.jsonl`).
    case train
    /// Evaluate π_t and write the round report (`report.json`, `report.md`).
    case evaluate

    /// Position in `allCases`.
    public var order: Int { RunPhase.allCases.firstIndex(of: self) ?? 0 }

    /// Orders by position.
    public static func < (a: RunPhase, b: RunPhase) -> Bool { a.order < b.order }

    /// The phase after this one in the same round (nil after `evaluate`).
    public var next: RunPhase? {
        let i = order + 1
        return i < RunPhase.allCases.count ? RunPhase.allCases[i] : nil
    }
}
