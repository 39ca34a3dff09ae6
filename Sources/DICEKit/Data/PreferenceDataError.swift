// PreferenceDataError: why preference data could not be used, naming the file and line.

/// A preference pair that cannot be trained on, or limits that make no sense. Cases about a
/// row name the file and the 1-based line.
public enum PreferenceDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The chosen or rejected response has no tokens (`field`: "chosen" or "rejected").
    case emptyResponse(path: String, line: Int, field: String)
    /// The prompt has no tokens (a model needs at least one context token).
    case emptyPrompt(path: String, line: Int)
    /// prompt + response has `length` tokens, over `maxLength`, and the policy is `.error`.
    case tooLong(path: String, line: Int, length: Int, maxLength: Int)
    /// The row needs text tokenized but no tokenizer was given, or EOS is wanted but unknown.
    case needsTokenizer(path: String, line: Int, reason: String)
    /// A token id is negative.
    case invalidTokenID(path: String, line: Int, field: String, id: Int)
    /// The file holds no usable pair.
    case empty(path: String)
    /// A length limit is unusable.
    case invalidLimit(String)

    /// One line for the terminal: what is wrong and, where it applies, the file and line or
    /// the setting, and what was expected.
    public var description: String {
        switch self {
        case let .emptyResponse(p, l, f): return "\(p):\(l): the \(f) response is empty"
        case let .emptyPrompt(p, l): return "\(p):\(l): the prompt is empty (it needs at least one token)"
        case let .tooLong(p, l, n, m):
            return "\(p):\(l): \(n) tokens (prompt + longer response) exceed the maximum length \(m); "
                + "raise --max-length or truncate"
        case let .needsTokenizer(p, l, r): return "\(p):\(l): \(r)"
        case let .invalidTokenID(p, l, f, id): return "\(p):\(l): field \"\(f)\": token id \(id) is negative"
        case let .empty(p): return "\(p): no usable preference pairs"
        case let .invalidLimit(r): return "invalid length limit: \(r)"
        }
    }
}
