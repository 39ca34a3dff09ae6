// JSONLError: why a JSONL file could not be read or written, with the file and 1-based line.

/// A JSONL read or write failure. Every reading case names the file and the 1-based line.
public enum JSONLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened, read or written.
    case io(path: String, reason: String)
    /// The line is not valid JSON.
    case invalidJSON(path: String, line: Int, reason: String)
    /// The line is JSON but not an object (`found`: "an array", "a string", …).
    case notAnObject(path: String, line: Int, found: String)
    /// A required field is absent; `field` is its path, e.g. `messages[2].role`.
    case missingField(path: String, line: Int, field: String)
    /// A field has the wrong JSON type (or is null); `expected` says what was wanted.
    case wrongType(path: String, line: Int, field: String, expected: String)
    /// A field has the right type but an unacceptable value.
    case invalidValue(path: String, line: Int, field: String, reason: String)
    /// A row could not be encoded (writing); `row` is its 0-based index.
    case unencodable(path: String, row: Int, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .io(let p, _), .invalidJSON(let p, _, _), .notAnObject(let p, _, _),
             .missingField(let p, _, _), .wrongType(let p, _, _, _), .invalidValue(let p, _, _, _),
             .unencodable(let p, _, _):
            return p
        }
    }

    /// The 1-based line the error is about (nil for I/O and encoding errors).
    public var line: Int? {
        switch self {
        case .invalidJSON(_, let l, _), .notAnObject(_, let l, _), .missingField(_, let l, _),
             .wrongType(_, let l, _, _), .invalidValue(_, let l, _, _):
            return l
        case .io, .unencodable:
            return nil
        }
    }

    /// One readable sentence: "path:line: what was expected".
    public var description: String {
        switch self {
        case .io(let p, let r): return "\(p): \(r)"
        case .invalidJSON(let p, let l, let r): return "\(p):\(l): invalid JSON: \(r)"
        case .notAnObject(let p, let l, let f): return "\(p):\(l): expected a JSON object, found \(f)"
        case .missingField(let p, let l, let f): return "\(p):\(l): missing field \"\(f)\""
        case .wrongType(let p, let l, let f, let e): return "\(p):\(l): field \"\(f)\": \(e)"
        case .invalidValue(let p, let l, let f, let r): return "\(p):\(l): field \"\(f)\": \(r)"
        case .unencodable(let p, let row, let r): return "\(p): row \(row) cannot be encoded: \(r)"
        }
    }
}
