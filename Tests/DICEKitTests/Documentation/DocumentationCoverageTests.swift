// Every public symbol of DICEKit and DICEKitCUDA has a doc comment of its own, checked on the
// compiler's symbol graph of the modules this test build produced (rule: DocumentationCoverage).
// The checker is shown to fail on a fixture graph and on a small module compiled on the spot.

import Foundation
import Testing

@Suite("Documentation coverage")
struct DocumentationCoverageTests {
    static let skipReason = SymbolGraphExtractor.unavailableReason ?? ""

    /// The undocumented public symbols of `module` whose source is in Sources/`folder`.
    static func undocumented(_ module: String, folder: String) throws -> [UndocumentedSymbol] {
        let extractor = try #require(SymbolGraphExtractor.current)
        let graphs = try extractor.symbolGraphs(of: module)
        #expect(graphs.contains { $0.symbols.count > 100 }, "the graph of \(module) is implausibly small")
        let sources = extractor.packageRoot.appendingPathComponent("Sources").appendingPathComponent(folder).path
        return DocumentationCoverage.undocumented(in: graphs, sourceFolder: sources)
    }

    @Test("every public symbol of DICEKit has a doc comment of its own",
          .enabled(if: SymbolGraphExtractor.unavailableReason == nil, Comment(rawValue: skipReason)))
    func dicekit() throws {
        let missing = try Self.undocumented("DICEKit", folder: "DICEKit")
        #expect(missing.isEmpty, "\(missing.count) public symbols without a doc comment:\n\(missing.map(\.description).joined(separator: "\n"))")
    }

    @Test("every public symbol of DICEKitCUDA has a doc comment of its own",
          .enabled(if: SymbolGraphExtractor.unavailableReason == nil, Comment(rawValue: skipReason)))
    func dicekitCUDA() throws {
        let missing = try Self.undocumented("DICEKitCUDA", folder: "DICEKitCUDA")
        #expect(missing.isEmpty, "\(missing.count) public symbols without a doc comment:\n\(missing.map(\.description).joined(separator: "\n"))")
    }

    /// A graph as swift-symbolgraph-extract writes it (0-based lines), trimmed to what the
    /// checker reads: one symbol of each case the rule distinguishes.
    static let fixture = #"""
    {"module": {"name": "Fixture"}, "symbols": [
      {"kind": {"identifier": "swift.struct"}, "pathComponents": ["Documented"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/A.swift", "position": {"line": 3, "character": 7}},
       "docComment": {"uri": "file:///p/Sources/Fixture/A.swift", "module": "Fixture",
                      "lines": [{"text": "A documented type.", "range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 22}}}]}},
      {"kind": {"identifier": "swift.property"}, "pathComponents": ["Documented", "bare"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/A.swift", "position": {"line": 4, "character": 15}}},
      {"kind": {"identifier": "swift.property"}, "pathComponents": ["Documented", "blank"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/A.swift", "position": {"line": 6, "character": 15}},
       "docComment": {"uri": "file:///p/Sources/Fixture/A.swift", "module": "Fixture",
                      "lines": [{"text": "  ", "range": {"start": {"line": 5, "character": 4}, "end": {"line": 5, "character": 6}}}]}},
      {"kind": {"identifier": "swift.property"}, "pathComponents": ["Documented", "description"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/A.swift", "position": {"line": 7, "character": 15}},
       "docComment": {"module": "Swift", "lines": [{"text": "A textual representation of this instance."}]}},
      {"kind": {"identifier": "swift.method"}, "pathComponents": ["Impl", "run()"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/B.swift", "position": {"line": 9, "character": 16}},
       "docComment": {"uri": "file:///p/Sources/Fixture/P.swift", "module": "Fixture",
                      "lines": [{"text": "Runs.", "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 9}}}]}},
      {"kind": {"identifier": "swift.method"}, "pathComponents": ["P", "go()"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/P.swift", "position": {"line": 5, "character": 9}},
       "docComment": {"uri": "file:///p/Sources/Fixture/P.swift", "module": "Fixture",
                      "lines": [{"text": "Goes.", "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 9}}}]}},
      {"kind": {"identifier": "swift.method"}, "pathComponents": ["P", "go()"], "accessLevel": "public",
       "location": {"uri": "file:///p/Sources/Fixture/P.swift", "position": {"line": 12, "character": 16}},
       "docComment": {"uri": "file:///p/Sources/Fixture/P.swift", "module": "Fixture",
                      "lines": [{"text": "Goes.", "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 9}}}]}},
      {"kind": {"identifier": "swift.func.op"}, "pathComponents": ["Documented", "==(_:_:)"], "accessLevel": "public"},
      {"kind": {"identifier": "swift.struct"}, "pathComponents": ["Elsewhere"], "accessLevel": "public",
       "location": {"uri": "file:///p/Tests/Other.swift", "position": {"line": 0, "character": 7}}},
      {"kind": {"identifier": "swift.struct"}, "pathComponents": ["Hidden"], "accessLevel": "internal",
       "location": {"uri": "file:///p/Sources/Fixture/A.swift", "position": {"line": 20, "character": 7}}}
    ]}
    """#

    @Test("the checker reports missing, blank and inherited comments, and nothing else, on a fixture graph")
    func fixtureGraph() throws {
        let graph = try JSONDecoder().decode(SymbolGraphFile.self, from: Data(Self.fixture.utf8))
        let found = DocumentationCoverage.undocumented(in: [graph], sourceFolder: "/p/Sources/Fixture")
        #expect(found.map(\.path) == ["Documented.bare", "Documented.blank", "Documented.description", "Impl.run()", "P.go()"])
        #expect(found.map(\.line) == [5, 7, 8, 10, 13])
        #expect(found.map(\.reason) == [
            "no doc comment", "no doc comment", "only a doc comment inherited from Swift",
            "only a doc comment inherited from /p/Sources/Fixture/P.swift", "only a doc comment inherited from line 5",
        ])
    }

    @Test("the checker fails on a module compiled with an undocumented public symbol",
          .enabled(if: SymbolGraphExtractor.unavailableReason == nil, Comment(rawValue: skipReason)))
    func compiledFixture() throws {
        let extractor = try #require(SymbolGraphExtractor.current)
        let swiftc = extractor.tool.deletingLastPathComponent().appendingPathComponent("swiftc")
        try #require(FileManager.default.isExecutableFile(atPath: swiftc.path), "no swiftc beside \(extractor.tool.path)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doc-fixture-\(UUID().uuidString)")
        let sources = folder.appendingPathComponent("Sources/Fixture")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = sources.appendingPathComponent("Fixture.swift")
        try """
        /// Runs.
        public protocol Runner {
            /// Runs once.
            func run()
        }

        /// A documented type.
        public struct Documented: Runner, CustomStringConvertible {
            /// A documented property.
            public var documented = 1
            public var undocumented = 2
            public var description: String { "x" }
            public func run() {}
            var hidden = 3
        }
        """.write(to: file, atomically: true, encoding: .utf8)
        let (status, log) = try SymbolGraphExtractor.run(swiftc, [
            "-emit-module", "-module-name", "Fixture", "-parse-as-library", "-emit-module-path",
            folder.appendingPathComponent("Fixture.swiftmodule").path, file.path,
        ])
        try #require(status == 0, "swiftc failed: \(log)")
        let fixture = SymbolGraphExtractor(tool: extractor.tool, modules: folder, packageRoot: folder)
        let found = DocumentationCoverage.undocumented(in: try fixture.symbolGraphs(of: "Fixture"),
                                                       sourceFolder: sources.path)
        #expect(found.map(\.path) == ["Documented.undocumented", "Documented.description", "Documented.run()"])
        #expect(found.map(\.line) == [11, 12, 13])
    }
}
