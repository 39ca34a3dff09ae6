// JSONInputError: where and why bytes read as JSON were rejected — the byte offset and the reason.

/// A problem in JSON input found by `JSONDocument` (bytes that are not JSON: syntax, invalid
/// UTF-8, nesting too deep) or by `JSONInputDecoder` (a value that does not fit, such as `1.5`
/// where an integer is expected; then carried as the `underlyingError` of a `DecodingError`).
///
/// Readers turn it into their own typed errors (`JSONLError`, `FormatError`, `TokenizerError`),
/// adding the file and, for JSONL, the line.
struct JSONInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    enum Kind: Sendable, Hashable {
        /// The bytes are not JSON (a syntax error, nesting too deep).
        case syntax
        /// A string (or the text around it) is not valid UTF-8.
        case invalidUTF8
        /// A value is JSON but does not fit what was expected (a number out of range, a fraction
        /// where an integer is expected, a wrong type).
        case value
    }

    /// What kind of problem it is.
    let kind: Kind
    /// 0-based byte offset in the document where the problem is (the first byte of the value,
    /// or of the invalid UTF-8 sequence).
    let offset: Int
    /// What was expected and what was found, without the offset ("expected an integer, found 1.5").
    let reason: String

    /// "REASON at byte N".
    var description: String { "\(reason) at byte \(offset)" }
}
