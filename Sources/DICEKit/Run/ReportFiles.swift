// ReportFiles: how every report (round, run, demo) is written — JSON beside Markdown, atomically.

import Foundation

enum ReportFiles {
    /// Writes `report` as sorted, pretty-printed JSON to `json` and `markdown` to `markdownURL`,
    /// each atomically.
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` naming `name` when the report
    ///   cannot be encoded as JSON (a non-finite number).
    static func write<Report: Encodable>(_ report: Report, named name: String, json: URL,
                                         markdown: String, markdownURL: URL) throws {
        try writeJSON(report, named: name, to: json)
        try AtomicFile.write(Data(markdown.utf8), to: markdownURL)
    }

    /// Writes `report` as sorted, pretty-printed JSON to `json`, atomically.
    /// - Throws: as `write(_:named:json:markdown:markdownURL:)`.
    static func writeJSON<Report: Encodable>(_ report: Report, named name: String, to json: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(report)
        } catch {
            throw DICEError.invalidParameter(name: "report", value: name, expected: "finite numbers (\(error))")
        }
        try AtomicFile.write(data, to: json)
    }
}
