// ToyPreferencePair: an offline preference pair of the toy task, labelled by its (noisy) judge.

/// A labelled pair of toy responses to one prompt. Responses end with EOS.
public struct ToyPreferencePair: Sendable, Hashable, Codable {
    /// The prompt (a topic word, then instruction words).
    public var prompt: [Int]
    /// The response the (noisy) judge preferred, ending with EOS.
    public var chosen: [Int]
    /// The other response, ending with EOS.
    public var rejected: [Int]

    /// Creates the value from its fields.
    public init(prompt: [Int], chosen: [Int], rejected: [Int]) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    /// (prompt, chosen) for scoring.
    public var chosenPair: TokenPair { TokenPair(prompt: prompt, response: chosen) }
    /// (prompt, rejected) for scoring.
    public var rejectedPair: TokenPair { TokenPair(prompt: prompt, response: rejected) }

    /// The pair as text, for the JSONL files of `dice bootstrap` (`source` = offline).
    public func record(in task: ToyTask) -> TrainingPairRecord {
        TrainingPairRecord(source: .offline, prompt: task.render(prompt), chosen: task.render(chosen),
                           rejected: task.render(rejected), promptTokens: prompt, chosenTokens: chosen,
                           rejectedTokens: rejected)
    }
}
