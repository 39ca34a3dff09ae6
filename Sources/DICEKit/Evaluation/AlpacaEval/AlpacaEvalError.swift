// AlpacaEvalError: why an alpaca_eval file was refused — the file, the record and the field.

/// A problem in an alpaca_eval file (annotations or model outputs).
///
/// Every case names the file; record-level cases name the 0-based record index (the position
/// in the JSON list) and the field.
public enum AlpacaEvalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be read.
    case io(path: String, reason: String)
    /// The bytes are not JSON (byte offset and reason).
    case invalidJSON(path: String, offset: Int, reason: String)
    /// The top level is not a JSON list of records.
    case notAList(path: String, found: String)
    /// A record is not a JSON object.
    case notARecord(path: String, index: Int, found: String)
    /// A record lacks a field every record needs.
    case missingField(path: String, index: Int, field: String)
    /// A field holds a value of the wrong kind or out of range.
    case invalidField(path: String, index: Int, field: String, offset: Int, expected: String, found: String)
    /// The file holds no record with a preference to compute a win rate from.
    case noPreferences(path: String, records: Int)

    /// One line for the terminal.
    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidJSON(path, offset, reason): return "\(path): not JSON: \(reason) at byte \(offset)"
        case let .notAList(path, found): return "\(path): expected a JSON list of records, found \(found)"
        case let .notARecord(path, index, found): return "\(path): record \(index): expected an object, found \(found)"
        case let .missingField(path, index, field): return "\(path): record \(index): missing field \"\(field)\""
        case let .invalidField(path, index, field, offset, expected, found):
            return "\(path): record \(index), field \"\(field)\" (byte \(offset)): expected \(expected), found \(found)"
        case let .noPreferences(path, records):
            return "\(path): none of the \(records) records has a preference (all null)"
        }
    }
}
