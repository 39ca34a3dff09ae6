// LengthJudge: a deterministic sanity judge that prefers the longer response.

/// Prefers the longer response: A wins when |A| > |B|, ties when |A| = |B|, loses otherwise,
/// with |·| in `unit` (`TokenizedText.length(in:)`). It knows nothing of quality; it checks a
/// pipeline end to end (its verdicts have a closed form) and shows how length alone moves a
/// raw win rate but not a length-controlled one.
public struct LengthJudge: Judge, Sendable {
    /// The unit lengths are compared in.
    public var unit: LengthUnit

    /// Creates the value from its fields.
    public init(unit: LengthUnit) { self.unit = unit }

    /// A's outcome by length alone (never throws).
    public func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        let la = a.length(in: unit), lb = b.length(in: unit)
        return la > lb ? .win : la == lb ? .tie : .loss
    }
}
