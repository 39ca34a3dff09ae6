// SampleRecord: one sampled response of one prompt, as the DICE loop writes it to
// `samples.jsonl` (after sampling) and `scored.jsonl` (with its reward), and as pair building
// reads it.

/// One response of one prompt, the unit that is sampled, scored, filtered and paired.
public struct SampleRecord: Sendable, Hashable, Codable {
    /// The prompt's index in the round's prompt list.
    public var promptIndex: Int
    /// The response's index among that prompt's K samples (0 ..< K).
    public var sampleIndex: Int
    /// The response token ids exactly as sampled (a `.stop` response ends with its stop token).
    /// These ids, never a re-tokenisation of `text`, are what is scored and trained on.
    public var tokens: [Int]
    /// The decoded response (for people, and for lengths in characters); special tokens left out.
    public var text: String
    /// Why sampling stopped.
    public var finishReason: FinishReason
    /// The reward and log-probabilities, once scored.
    public var score: RewardScore?
    /// Σ log π(tokens | prompt) under the policy that sampled it, in nats, as its sampler
    /// computed it from the logits it drew from (`GeneratedSample.logProb`); nil when the
    /// sampler does not report it. Scoring uses it as the policy's log-prob (π_{t−1} samples and
    /// is the rewarder's policy), so π_{t−1} is not run a second time.
    public var samplerLogProb: Double?

    /// Creates the value from its fields.
    public init(promptIndex: Int, sampleIndex: Int, tokens: [Int], text: String,
                finishReason: FinishReason, score: RewardScore? = nil, samplerLogProb: Double? = nil) {
        self.promptIndex = promptIndex
        self.sampleIndex = sampleIndex
        self.tokens = tokens
        self.text = text
        self.finishReason = finishReason
        self.score = score
        self.samplerLogProb = samplerLogProb
    }

    /// The response's length in `unit`: Unicode scalars of `text` (what Python's `len` counts)
    /// or content tokens (the stop token of a `.stop` response is not counted).
    public func length(in unit: LengthUnit) -> Int {
        switch unit {
        case .characters: return text.unicodeScalars.count
        case .tokens: return GeneratedSample(ids: tokens, finishReason: finishReason).contentTokenCount
        }
    }
}

/// The unit of a response's length |y|.
public enum LengthUnit: String, Codable, Sendable, Hashable, CaseIterable {
    /// Unicode scalars of the decoded text (the DICE reference code's choice).
    case characters = "chars"
    /// Content tokens (without the final stop token).
    case tokens
}
