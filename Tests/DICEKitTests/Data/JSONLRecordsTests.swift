// JSONL records: each row keeps its 1-based line (blank lines counted) and its text as written;
// a line that is not JSON names the byte where it stops being JSON.

import Foundation
import Testing
@testable import DICEKit

@Suite("JSONL records")
struct JSONLRecordsTests {
    struct Row: Decodable, Equatable {
        var a: Int
    }

    @Test("records carry line numbers and the line's own bytes (no BOM, no line end)")
    func records() throws {
        let text = "\u{FEFF}{\"a\": 1, \"x\": [1.50]}\r\n\n  \n  {\"a\":2} \n{\"a\": 3}"
        let records = try JSONL.decodeRecords(Row.self, from: Data(text.utf8), path: "r.jsonl")
        #expect(records.map(\.value) == [Row(a: 1), Row(a: 2), Row(a: 3)])
        #expect(records.map(\.line) == [1, 4, 5])
        #expect(records.map { String(decoding: $0.text, as: UTF8.self) } == ["{\"a\": 1, \"x\": [1.50]}", "  {\"a\":2} ", "{\"a\": 3}"])
        #expect(try JSONL.decode(Row.self, from: Data(text.utf8), path: "r.jsonl") == records.map(\.value))
    }

    @Test("invalid JSON names the byte of the line where it breaks", arguments: [
        ("{\"a\": 1,, \"b\": 2}", 8), ("{\"a\": [1, 2", 11), ("{\"a\": 1} x", 9),
    ])
    func syntaxOffset(line: String, offset: Int) {
        let error = #expect(throws: JSONLError.self) {
            try JSONL.decode(Row.self, from: Data(("{\"a\": 0}\n" + line).utf8), path: "r.jsonl")
        }
        guard case .invalidJSON("r.jsonl", 2, let reason) = error else {
            Issue.record("expected invalidJSON on line 2, got \(String(describing: error))")
            return
        }
        #expect(reason.hasSuffix("at byte \(offset) of the line"), "\(reason)")
    }
}
