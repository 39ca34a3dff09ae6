// Judge: the evaluator of head-to-head comparisons — does response A beat response B for this
// prompt? A ground-truth judge (the toy task's), a model-as-judge, or a person's labels.

/// A piece of text with its token ids: what a judge sees of a prompt or a response.
public struct TokenizedText: Sendable, Hashable, Codable {
    /// The text (for a response: the decoded content, special tokens left out).
    public var text: String
    /// The token ids (for a response: the content tokens, without a final stop token).
    public var tokens: [Int]

    /// Creates the value from its fields.
    public init(text: String, tokens: [Int]) {
        self.text = text
        self.tokens = tokens
    }

    /// |y| in `unit`: Unicode scalars of `text`, or `tokens.count`.
    public func length(in unit: LengthUnit) -> Int {
        unit == .characters ? text.unicodeScalars.count : tokens.count
    }
}

/// The outcome of one comparison, from response A's side.
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// A is better than B.
    case win
    /// Neither is better.
    case tie
    /// B is better than A.
    case loss

    /// 1 for a win, ½ for a tie, 0 for a loss: the target of the win rate and of the LC fit.
    public var score: Double {
        switch self {
        case .win: return 1
        case .tie: return 0.5
        case .loss: return 0
        }
    }

    /// The verdict of a preference `p` = P(A better than B): a win above ½ + `tieMargin`, a
    /// loss below ½ − `tieMargin`, else a tie.
    public init(preference p: Double, tieMargin: Double) {
        self = p > 0.5 + tieMargin ? .win : p < 0.5 - tieMargin ? .loss : .tie
    }

    /// The same outcome from B's side.
    public var reversed: Verdict {
        switch self {
        case .win: return .loss
        case .tie: return .tie
        case .loss: return .win
        }
    }
}

/// Decides whether response A beats response B for a prompt.
///
/// A judge is the only place ground truth enters DICE's evaluation; it never informs the
/// learner (except through offline labels made before training).
public protocol Judge {
    /// A's outcome against B for `prompt`.
    /// - Throws: when the inputs are unusable for this judge.
    func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict
}
