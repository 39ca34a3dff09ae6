/// Why generation cannot start or a decoding pass is malformed. Every case is raised before
/// any model work starts.
public enum GenerationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A parameter is outside its domain: `name` (the command-line spelling, e.g.
    /// `top-p`), the value given, and what is accepted.
    case invalidParameter(name: String, value: String, expected: String)
    /// Prompt `row` (0-based, in the caller's list) has no tokens.
    case emptyPrompt(row: Int)
    /// Prompt `row` has more tokens than the model's context (`max_position_embeddings`).
    case promptTooLong(row: Int, tokens: Int, context: Int)
    /// Prompt `row` holds token id `id` at `position`, outside `0..<vocabulary`.
    case tokenOutOfRange(row: Int, position: Int, id: Int, vocabulary: Int)
    /// Stop strings were given without a tokenizer to decode the generated ids with.
    case stopStringsNeedTokenizer
    /// A KV cache cannot be made or used as asked.
    case invalidCache(reason: String)
    /// Segment `index` of a decoding pass is unusable.
    case invalidSegment(index: Int, reason: String)

    /// One line for the terminal: what is wrong and, where it applies, the file and line or
    /// the setting, and what was expected.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) \(value): expected \(expected)"
        case .emptyPrompt(let row):
            return "prompt \(row) is empty (it needs at least one token, e.g. BOS)"
        case let .promptTooLong(row, tokens, context):
            return "prompt \(row) has \(tokens) tokens, more than the model's context of \(context)"
        case let .tokenOutOfRange(row, position, id, vocabulary):
            return "prompt \(row), token \(position): id \(id) is outside the vocabulary 0..<\(vocabulary)"
        case .stopStringsNeedTokenizer:
            return "stop strings need a tokenizer to decode the generated tokens"
        case .invalidCache(let reason):
            return "KV cache: \(reason)"
        case let .invalidSegment(index, reason):
            return "decoding segment \(index): \(reason)"
        }
    }
}
