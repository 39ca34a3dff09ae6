// ToyLengthTarget: an answer length tied to the prompt. Each topic has a target length L
// (drawn with the task's seed); reference answers are L − spread … L + spread words; the judge
// scores the first L words as L slots, a missing slot costs `shortfallPenalty` and each word
// past L costs `overrunPenalty` — so stopping early or late is itself bad, and the policy's
// stop decision is held in place by the data instead of drifting under DPO.

/// Per-topic target answer lengths for a `ToyTask` (see Documentation/ToyTask.md).
///
/// With a target, a response y (n content words) to prompt x with target L = L(topic of x) has
/// the quality
///
///     Q(x, y) = (Σ_{k ≤ min(n, L)} q(x, y_k) − shortfallPenalty·max(0, L − n)
///                − overrunPenalty·max(0, n − L)) / L,
///
/// and the coverage bonus counts only the first L words. Reference answers have
/// L − spread + Binomial(2·spread, ½) words (at least 1).
public struct ToyLengthTarget: Sendable, Hashable, Codable {
    /// Shortest per-topic target length L, in content words (≥ 1).
    public var minWords: Int = 6
    /// Longest per-topic target length L, in content words (≥ minWords); each topic's L is drawn
    /// uniformly from minWords … maxWords with the task's seed.
    public var maxWords: Int = 6
    /// Half-width of the reference lengths around L, in words (≥ 0): L − spread + a
    /// Binomial(2·spread, ½) draw, so L itself is the most common length.
    public var spread: Int = 2
    /// The judge's cost of each missing slot (an answer shorter than L), in value units before
    /// the division by L (≥ 0).
    public var shortfallPenalty: Double = 1.0
    /// The judge's cost of each word past L, in value units before the division by L (≥ 0; 0:
    /// words past L are simply not counted, and only the judge's `lengthBias` rewards them).
    public var overrunPenalty: Double = 0

    /// The defaults (the demo's): L = 6 for every topic, reference answers of 4 … 8 words, a
    /// missing slot costs 1, words past L are not counted.
    public init() {}

    /// - Throws: `DICEError.invalidParameter` naming the first unusable field.
    func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> DICEError {
            DICEError.invalidParameter(name: "lengthTarget.\(name)", value: "\(value)", expected: expected)
        }
        guard minWords >= 1, maxWords >= minWords else {
            throw bad("minWords … maxWords", "\(minWords) … \(maxWords)", "1 ≤ minWords ≤ maxWords")
        }
        guard spread >= 0 else { throw bad("spread", spread, "≥ 0") }
        for (name, v) in [("shortfallPenalty", shortfallPenalty), ("overrunPenalty", overrunPenalty)]
        where !(v >= 0 && v.isFinite) {
            throw bad(name, v, "a finite number ≥ 0")
        }
    }
}
