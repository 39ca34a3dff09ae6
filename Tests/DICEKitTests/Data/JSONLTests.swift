// JSONL: rows decode with blank lines and CRLF; errors carry the file, the 1-based line and the
// field; writing is atomic and round-trips.

import Foundation
import Testing
@testable import DICEKit

@Suite("JSONL")
struct JSONLTests {
    struct Row: Codable, Equatable {
        var prompt: String
        var chosen: String
        var score: Double?
    }

    struct Message: Codable, Equatable {
        var role: String
        var content: String
    }

    struct Conversation: Codable, Equatable {
        var messages: [Message]
    }

    static func decode<T: Decodable>(_ text: String, as type: T.Type = Row.self) throws -> [T] {
        try JSONL.decode(type, from: Data(text.utf8), path: "/d/rows.jsonl")
    }

    @Test("rows decode; blank lines, CRLF and a BOM are accepted")
    func decodes() throws {
        let text = "\u{FEFF}{\"prompt\": \"a\", \"chosen\": \"b\"}\r\n\n   \n{\"prompt\": \"c\", \"chosen\": \"d\", \"score\": 0.5}"
        #expect(try Self.decode(text) == [Row(prompt: "a", chosen: "b"), Row(prompt: "c", chosen: "d", score: 0.5)])
        #expect(try Self.decode("").isEmpty)
    }

    @Test("a line that is not an object names its line and what it is", arguments: [
        ("[1, 2]", "an array"), ("\"text\"", "a string"), ("42", "a number"), ("null", "null"), ("hello", "text that is not JSON"),
    ])
    func notAnObject(line: String, kind: String) {
        let text = "{\"prompt\": \"a\", \"chosen\": \"b\"}\n\n" + line + "\n"
        let error = #expect(throws: JSONLError.self) { try Self.decode(text) }
        #expect(error == .notAnObject(path: "/d/rows.jsonl", line: 3, found: kind))
        #expect(error?.description.hasPrefix("/d/rows.jsonl:3:") == true)
    }

    @Test("invalid JSON names its line")
    func invalidJSON() {
        let error = #expect(throws: JSONLError.self) {
            try Self.decode("{\"prompt\": \"a\", \"chosen\": \"b\"}\n{\"prompt\": \"a\",")
        }
        guard case .invalidJSON(let path, let line, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == "/d/rows.jsonl" && line == 2)
    }

    @Test("a missing field names its line and the field")
    func missingField() {
        let error = #expect(throws: JSONLError.self) {
            try Self.decode("{\"prompt\": \"a\", \"chosen\": \"b\"}\r\n{\"prompt\": \"a\"}\n")
        }
        #expect(error == .missingField(path: "/d/rows.jsonl", line: 2, field: "chosen"))
    }

    @Test("a missing nested field is named with its path")
    func missingNestedField() {
        let text = #"{"messages": [{"role": "user", "content": "hi"}, {"content": "yo"}]}"#
        let error = #expect(throws: JSONLError.self) { try Self.decode(text, as: Conversation.self) }
        #expect(error == .missingField(path: "/d/rows.jsonl", line: 1, field: "messages[1].role"))
    }

    @Test("a wrong type or a null names line and field")
    func wrongType() {
        let e1 = #expect(throws: JSONLError.self) { try Self.decode(#"{"prompt": 3, "chosen": "b"}"#) }
        guard case .wrongType(_, 1, "prompt", let expected) = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(expected.hasPrefix("expected a string"))
        let e2 = #expect(throws: JSONLError.self) { try Self.decode("\n\n" + #"{"prompt": "a", "chosen": null}"#) }
        #expect(e2 == .wrongType(path: "/d/rows.jsonl", line: 3, field: "chosen", expected: "expected a string, found null"))
    }

    @Test("write → read round trip, atomically, deterministic bytes")
    func roundTrip() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("rows.jsonl")
        let rows = [Row(prompt: "line\nbreak \"quoted\"", chosen: "é ✓", score: -1.25), Row(prompt: "p", chosen: "c")]
        try JSONL.write(rows, to: url)
        #expect(try JSONL.read(Row.self, from: url) == rows)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        #expect(text.split(separator: "\n").count == 2 && text.hasSuffix("\n"))
        #expect(text.hasPrefix(#"{"chosen":"é ✓","prompt":"line\nbreak \"quoted\"","score":-1.25}"#))
        try JSONL.write(rows, to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["rows.jsonl"])
    }

    @Test("a pretty-printing encoder is refused rather than writing broken lines")
    func prettyRefused() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .prettyPrinted
        let error = #expect(throws: JSONLError.self) { try JSONL.encode([Row(prompt: "a", chosen: "b")], encoder: encoder) }
        guard case .unencodable(_, 0, _) = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("a missing file is an I/O error naming it")
    func missingFile() {
        let error = #expect(throws: JSONLError.self) {
            try JSONL.read(Row.self, from: URL(fileURLWithPath: "/nonexistent/rows.jsonl"))
        }
        #expect(error?.path == "/nonexistent/rows.jsonl" && error?.line == nil)
    }
}
