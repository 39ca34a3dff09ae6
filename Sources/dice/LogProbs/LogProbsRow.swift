// LogProbsRow: one input line of `dice logprobs` — a prompt and a response, as text or as ids.

/// An input row: `{"prompt": str, "response": str}` or `{"prompt_ids": [int], "response_ids": [int]}`,
/// with any other fields (which the output keeps as written).
///
/// When a row has both forms, the ids are scored (they are exactly what a model produced; text
/// re-tokenised need not give the same ids). A row that already has an output field
/// (`logprob`, `response_tokens`) is noted, so that the command can refuse to duplicate it.
struct LogProbsRow: Decodable, Sendable {
    /// What is scored.
    enum Content: Sendable, Equatable {
        /// Text, tokenised (prompt through the chat template) by the model's tokenizer.
        case text(prompt: String, response: String)
        /// Token ids, scored as given.
        case ids(prompt: [Int], response: [Int])
    }

    /// The prompt and response.
    let content: Content
    /// An output field the row already has, if any.
    let existingOutputField: String?

    /// The fields the command adds to each row.
    static let outputFields = ["logprob", "response_tokens"]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes the ids form when `prompt_ids` or `response_ids` is present (both are then
    /// required), else the text form (`prompt` and `response` required).
    /// - Throws: `DecodingError.keyNotFound` / `.typeMismatch` naming the field (JSONL turns
    ///   them into line-numbered `JSONLError`s).
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if c.contains(Key("prompt_ids")) || c.contains(Key("response_ids")) {
            content = .ids(prompt: try c.decode([Int].self, forKey: Key("prompt_ids")),
                           response: try c.decode([Int].self, forKey: Key("response_ids")))
        } else {
            content = .text(prompt: try c.decode(String.self, forKey: Key("prompt")),
                            response: try c.decode(String.self, forKey: Key("response")))
        }
        existingOutputField = Self.outputFields.first { c.contains(Key($0)) }
    }

    /// Whether the row needs a tokenizer.
    var isText: Bool {
        if case .text = content { return true }
        return false
    }
}
