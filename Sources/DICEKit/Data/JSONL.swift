// JSONL: JSON Lines files — one JSON object per line — decoded into any Decodable row type, and
// written atomically. Errors name the file and the 1-based line.

import Foundation

/// Reading and writing JSON Lines (one JSON object per line, UTF-8).
///
/// Reading skips empty and whitespace-only lines (line numbers still count them), accepts `\r\n`
/// line ends and a leading UTF-8 byte-order mark. Every non-empty line must be a JSON object.
public enum JSONL {
    /// Decodes every non-empty line of the file at `url` as `T`.
    ///
    /// Lines are decoded as Python's `json.loads` reads them, strictly: a repeated key takes its
    /// last value; invalid UTF-8, control characters in strings, `NaN` and trailing commas are
    /// errors; a number that does not fit the field's type (`1.5`, `1e309` or 2⁶⁴ as a token id)
    /// is reported with its key path and literal.
    ///
    /// - Throws: `JSONLError` naming the file and the 1-based line: `.io`, `.invalidJSON` (with
    ///   the byte of the line where it stops being JSON, e.g. "invalid UTF-8 (byte 0xFF) at
    ///   byte 14 of the line"), `.notAnObject`, `.missingField`, `.wrongType`,
    ///   `.invalidValue` (a number that does not fit, with its byte of the line).
    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
        try readRecords(type, from: url).map(\.value)
    }

    /// Decodes JSONL bytes held in memory; `path` is used only in errors. Throws as `read`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> [T] {
        try decodeRecords(type, from: data, path: path).map(\.value)
    }

    /// One decoded line: the row, its 1-based line number and the line's own bytes.
    public struct Record<T> {
        /// The decoded row.
        public var value: T
        /// The 1-based line it came from (blank lines count), for errors found after decoding.
        public var line: Int
        /// The line's bytes as written, without the line end (`\n` or `\r\n`) or a leading
        /// byte-order mark: a JSON object, possibly with surrounding spaces.
        public var text: Data
    }

    /// Like `read`, keeping each row's line number and text (to report later problems by line,
    /// or to pass a row's fields through unchanged).
    /// - Throws: as `read`.
    public static func readRecords<T: Decodable>(_ type: T.Type, from url: URL) throws -> [Record<T>] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw JSONLError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decodeRecords(type, from: data, path: url.path)
    }

    /// Like `decode`, keeping each row's line number and text. Throws as `read`.
    public static func decodeRecords<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> [Record<T>] {
        var rows: [Record<T>] = []
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var lineNumber = 0
        for var line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.last == 0x0D { line = line.dropLast() }
            guard let first = line.first(where: { !isSpace($0) }) else { continue }
            guard first == UInt8(ascii: "{") else {
                throw JSONLError.notAnObject(path: path, line: lineNumber, found: jsonKind(first))
            }
            let text = Data(line)
            do {
                rows.append(Record(value: try JSONInputDecoder.decode(T.self, from: text), line: lineNumber, text: text))
            } catch let error as JSONLError {
                throw error
            } catch {
                throw jsonlError(error, path: path, line: lineNumber)
            }
        }
        return rows
    }

    /// The JSONL bytes for `rows`: one compact JSON object per line, each line ending in `\n`.
    ///
    /// - Parameters:
    ///   - rows: the rows, one line each, in order.
    ///   - encoder: by default a `JSONEncoder` with `.sortedKeys` (the same rows give the same
    ///     bytes). A caller's encoder must not use `.prettyPrinted`.
    /// - Throws: `JSONLError.unencodable` naming the row (path ""), also when the encoder's
    ///   output spans several lines.
    public static func encode<T: Encodable>(_ rows: [T], encoder: JSONEncoder = sortedEncoder()) throws -> Data {
        var out = Data()
        for (i, row) in rows.enumerated() {
            let line: Data
            do {
                line = try encoder.encode(row)
            } catch {
                throw JSONLError.unencodable(path: "", row: i, reason: "\(error)")
            }
            guard !line.contains(0x0A) else {
                throw JSONLError.unencodable(path: "", row: i, reason: "the encoder's output spans several lines (do not use .prettyPrinted)")
            }
            out.append(line)
            out.append(0x0A)
        }
        return out
    }

    /// Writes `rows` to `url` atomically (temp file, fsync, rename; see `AtomicFile`).
    ///
    /// - Throws: `JSONLError.unencodable` or `.io`, naming `url`.
    public static func write<T: Encodable>(_ rows: [T], to url: URL, encoder: JSONEncoder = sortedEncoder()) throws {
        let data: Data
        do {
            data = try encode(rows, encoder: encoder)
        } catch JSONLError.unencodable(_, let row, let reason) {
            throw JSONLError.unencodable(path: url.path, row: row, reason: reason)
        }
        do {
            try AtomicFile.write(data, to: url)
        } catch let error as FormatError {
            throw JSONLError.io(path: url.path, reason: error.description)
        }
    }

    /// A `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`: the writers' default.
    public static func sortedEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    // MARK: - Helpers

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    private static func jsonKind(_ first: UInt8) -> String {
        switch first {
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return "a number"
        default: return "text that is not JSON"
        }
    }

    private static func jsonlError(_ error: any Error, path: String, line: Int) -> JSONLError {
        guard let problem = DecodingProblem(error) else {
            return .invalidValue(path: path, line: line, field: "", reason: "\(error)")
        }
        let at = problem.offset.map { " at byte \($0) of the line" } ?? ""
        switch problem.kind {
        case .notJSON: return .invalidJSON(path: path, line: line, reason: problem.reason + at)
        case .missingKey: return .missingField(path: path, line: line, field: problem.key)
        case .wrongType: return .wrongType(path: path, line: line, field: problem.key, expected: problem.reason)
        case .invalidValue: return .invalidValue(path: path, line: line, field: problem.key, reason: problem.reason + at)
        }
    }
}

extension JSONL.Record: Sendable where T: Sendable {}
extension JSONL.Record: Equatable where T: Equatable {}
