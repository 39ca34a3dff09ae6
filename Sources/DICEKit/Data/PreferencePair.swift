// PreferencePair: one tokenized preference — a prompt and two responses, the chosen one
// preferred over the rejected one.

/// A tokenized preference pair. Both responses continue the same prompt.
///
/// Invariants established by `PreferenceDataset`: the prompt and both responses are non-empty
/// and the two responses differ.
public struct PreferencePair: Sendable, Hashable, Codable {
    /// Context tokens (template-wrapped prompt), at least one.
    public var prompt: [Int]
    /// The preferred response's tokens (with EOS when the data asked for it).
    public var chosen: [Int]
    /// The dispreferred response's tokens.
    public var rejected: [Int]

    /// A pair of `prompt`, `chosen` and `rejected` token ids, taken as they are (no check: readers
    /// such as `PreferenceDataset` establish the invariants).
    public init(prompt: [Int], chosen: [Int], rejected: [Int]) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    /// prompt + chosen, as a model scores it.
    public var chosenPair: TokenPair { TokenPair(prompt: prompt, response: chosen) }
    /// prompt + rejected, as a model scores it.
    public var rejectedPair: TokenPair { TokenPair(prompt: prompt, response: rejected) }
}
