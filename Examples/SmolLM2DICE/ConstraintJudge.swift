// ConstraintJudge: the example's ground truth — a programmatic `Judge` that prefers the
// response meeting more of the prompt's verifiable constraints.

import DICEKit

/// A beats B when A satisfies more of the prompt's constraints. Equal counts are broken by the
/// graded violation (`ConstraintCheck.violation`, summed over the prompt's constraints): the
/// response closer to meeting what it misses wins — e.g. 27 words against 40 under a 25-word
/// limit, or one comma against six. Equal counts and violations (within 1e-9) are a tie; so are
/// two responses that meet everything. Length never enters except through a constraint that
/// is about length.
///
/// Responses are judged on their decoded text (special tokens and the stop token left out); a
/// truncated response is judged as it stands.
struct ConstraintJudge: Judge {
    /// The constraints of each prompt, by the prompt's user message (`ConstrainedPrompt.text`).
    let constraints: [String: [Constraint]]

    init(prompts: [ConstrainedPrompt]) {
        var table: [String: [Constraint]] = [:]
        for p in prompts { table[p.text] = p.constraints }
        constraints = table
    }

    /// The checks of `response` against `prompt`'s constraints.
    /// - Throws: `ExampleError.unknownPrompt` for a prompt the judge was not built with.
    func checks(prompt: String, response: String) throws -> [ConstraintCheck] {
        guard let list = constraints[prompt] else { throw ExampleError.unknownPrompt(prompt) }
        return list.map { $0.check(response) }
    }

    func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        let ca = try checks(prompt: prompt.text, response: a.text)
        let cb = try checks(prompt: prompt.text, response: b.text)
        let (sa, sb) = (ca.count(where: \.satisfied), cb.count(where: \.satisfied))
        if sa != sb { return sa > sb ? .win : .loss }
        let va = ca.reduce(0) { $0 + $1.violation }, vb = cb.reduce(0) { $0 + $1.violation }
        if abs(va - vb) <= 1e-9 { return .tie }
        return va < vb ? .win : .loss
    }
}
