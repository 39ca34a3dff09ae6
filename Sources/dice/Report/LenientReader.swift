// LenientReader: reads a run folder's JSON and JSONL files for `dice report` without giving up —
// a missing, unreadable or damaged file (or line) becomes a ReportProblem, and whatever could be
// read is kept.

import DICEKit
import Foundation

/// Reads the files under one folder leniently, collecting what went wrong.
///
/// JSONL rows are decoded with `JSONL` (strict, as the loop reads them); a bad line is skipped
/// and recorded with its 1-based line number, so a file cut off in the middle of its last line
/// still shows every complete row. At most `maxProblemsPerFile` bad lines are listed per file,
/// then one line that counts the rest.
struct LenientReader {
    /// The folder that file names in problems are relative to.
    let root: URL
    /// What could not be read, in the order found.
    private(set) var problems: [ReportProblem] = []
    /// How many bad lines of one file are listed one by one.
    var maxProblemsPerFile = 5

    /// A reader for files under `root`.
    init(root: URL) {
        self.root = root
    }

    /// `url`'s path relative to `root` (its full path when it is not under `root`).
    func relative(_ url: URL) -> String {
        let base = root.standardizedFileURL.path, path = url.standardizedFileURL.path
        if path.hasPrefix(base + "/") { return String(path.dropFirst(base.count + 1)) }
        return path
    }

    /// Records a problem with `url`.
    mutating func record(_ url: URL, line: Int? = nil, _ message: String) {
        problems.append(ReportProblem(file: relative(url), line: line, message: message))
    }

    /// Whether `url` exists (as a file or a folder).
    static func exists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    /// The file's bytes; nil (and, when `required`, a problem "missing") when it does not exist,
    /// nil and a problem when it cannot be read.
    mutating func data(at url: URL, required: Bool) -> Data? {
        guard Self.exists(url) else {
            if required { record(url, "missing") }
            return nil
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            record(url, "cannot be read: \(error.localizedDescription)")
            return nil
        }
    }

    /// The JSON file at `url` decoded as `T`; nil (with a problem when it exists or is
    /// `required`) when it is missing, unreadable or not a `T`.
    mutating func json<T: Decodable>(_ type: T.Type, at url: URL, required: Bool) -> T? {
        guard let data = data(at: url, required: required) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            record(url, Self.describe(error, size: data.count))
            return nil
        }
    }

    /// The JSON object at `url` (for files whose keys may grow, read by name); nil with a
    /// problem as `json`.
    mutating func jsonObject(at url: URL, required: Bool) -> [String: Any]? {
        guard let data = data(at: url, required: required) else { return nil }
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                record(url, "expected a JSON object")
                return nil
            }
            return object
        } catch {
            record(url, "invalid JSON (\(data.count) bytes; truncated?): \(oneLineMessage(for: error))")
            return nil
        }
    }

    /// The rows of the JSONL file at `url` that decode as `T`, each with its 1-based line; nil
    /// when the file is missing or unreadable. Bad lines are skipped and recorded.
    mutating func jsonl<T: Decodable>(_ type: T.Type, at url: URL, required: Bool) -> [(line: Int, value: T)]? {
        guard let data = data(at: url, required: required) else { return nil }
        let path = relative(url)
        // Fast path: the whole file at once; line by line only when something is wrong.
        if let records = try? JSONL.decodeRecords(T.self, from: data, path: path) {
            return records.map { ($0.line, $0.value) }
        }
        var rows: [(line: Int, value: T)] = []
        var bad = 0
        let newline = UInt8(ascii: "\n")
        var start = data.startIndex, line = 1
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: newline) ?? data.endIndex
            let text = data[start ..< end]
            if !text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                do {
                    if let value = try JSONL.decode(T.self, from: Data(text), path: path).first { rows.append((line, value)) }
                } catch {
                    bad += 1
                    if bad <= maxProblemsPerFile {
                        let cutOff = end == data.endIndex ? " (the file ends inside this line: truncated?)" : ""
                        record(url, line: line, Self.reason(error) + cutOff)
                    }
                }
            }
            start = end < data.endIndex ? data.index(after: end) : end
            line += 1
        }
        if bad > maxProblemsPerFile {
            record(url, "\(bad - maxProblemsPerFile) more bad lines not listed (\(bad) in all; \(rows.count) rows read)")
        }
        return rows
    }

    /// A JSONL error without its "path:line:" prefix (the report adds its own).
    static func reason(_ error: any Error) -> String {
        guard let e = error as? JSONLError else { return oneLineMessage(for: error) }
        switch e {
        case .invalidJSON(_, _, let r): return "invalid JSON: \(r)"
        case .notAnObject(_, _, let found): return "expected a JSON object, found \(found)"
        case .missingField(_, _, let field): return "missing field \"\(field)\""
        case .wrongType(_, _, let field, let expected): return "field \"\(field)\": \(expected)"
        case .invalidValue(_, _, let field, let r): return "field \"\(field)\": \(r)"
        case .io(_, let r), .unencodable(_, _, let r): return r
        }
    }

    /// A `JSONDecoder` error in words: the field path and what was expected.
    static func describe(_ error: any Error, size: Int) -> String {
        guard let e = error as? DecodingError else { return oneLineMessage(for: error) }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch e {
        case .dataCorrupted(let c) where c.codingPath.isEmpty:
            return "invalid JSON (\(size) bytes; truncated?)"
        case .dataCorrupted(let c):
            return "field \"\(path(c.codingPath))\": \(c.debugDescription)"
        case .keyNotFound(let key, let c):
            return "missing field \"\(path(c.codingPath + [key]))\""
        case .typeMismatch(let type, let c):
            return "field \"\(path(c.codingPath))\": expected \(type)"
        case .valueNotFound(let type, let c):
            return "field \"\(path(c.codingPath))\": expected \(type), found null"
        @unknown default:
            return oneLineMessage(for: error)
        }
    }
}
