// ConstraintJudge: a programmatic `Judge` that prefers the response meeting more of the prompt's
// verifiable constraints (IFEval-style) — the SmolLM2 example's ground truth and
// `dice eval --judge constraints`.

/// A beats B when A satisfies more of the prompt's constraints. Equal counts are broken by the
/// graded violation (`ConstraintCheck.violation`, summed over the prompt's constraints): the
/// response closer to meeting what it misses wins — e.g. 27 words against 40 under a 25-word
/// limit, or one comma against six. Equal counts and violations (within 1e-9) are a tie; so are
/// two responses that meet everything. Length never enters except through a constraint that
/// is about length.
///
/// Responses are judged on their decoded text (special tokens and the stop token left out); a
/// truncated response is judged as it stands.
public struct ConstraintJudge: Judge {
    /// A prompt the judge has no constraints for.
    public struct UnknownPrompt: Error, Sendable, Hashable, CustomStringConvertible {
        /// The prompt's text.
        public var prompt: String
        /// One line naming the prompt (its first 80 characters).
        public var description: String {
            "the constraint judge has no constraints for the prompt \"\(prompt.prefix(80))…\""
        }
    }

    /// The constraints of each prompt, by the prompt's text as the judge is given it
    /// (`TokenizedText.text` of the prompt).
    public let constraints: [String: [Constraint]]

    /// A judge for these prompts.
    public init(constraints: [String: [Constraint]]) {
        self.constraints = constraints
    }

    /// The checks of `response` against `prompt`'s constraints.
    /// - Throws: `UnknownPrompt` for a prompt the judge was not built with.
    public func checks(prompt: String, response: String) throws -> [ConstraintCheck] {
        guard let list = constraints[prompt] else { throw UnknownPrompt(prompt: prompt) }
        return list.map { $0.check(response) }
    }

    /// More constraints met wins; equal counts are broken by the summed violation.
    /// - Throws: `UnknownPrompt` for a prompt the judge was not built with.
    public func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        let ca = try checks(prompt: prompt.text, response: a.text)
        let cb = try checks(prompt: prompt.text, response: b.text)
        let (sa, sb) = (ca.count(where: \.satisfied), cb.count(where: \.satisfied))
        if sa != sb { return sa > sb ? .win : .loss }
        let va = ca.reduce(0) { $0 + $1.violation }, vb = cb.reduce(0) { $0 + $1.violation }
        if abs(va - vb) <= 1e-9 { return .tie }
        return va < vb ? .win : .loss
    }
}
