// DocumentationCoverage: which public symbols of a module lack a doc comment of their own, read
// from the compiler's symbol graph (swift-symbolgraph-extract's JSON).
//
// The rule, as DICEKit's house rules put it ("doc comment on every public symbol"):
// - every public or open symbol that has a source location under the checked folder must carry a
//   `///` (or `/** */`) comment of its own, with some text;
// - a comment the symbol graph *inherits* does not count: the docs of a protocol requirement
//   that an implementation repeats (e.g. `CPUBackend.matmul` showing `Backend.matmul`'s comment),
//   or the standard library's docs of `description`, `next()`, `init(from:)`, `encode(to:)`.
//   An implementation says what is particular to it (threads, SIMD levels, formats); a
//   repeated comment would say nothing new, but a missing one hides that there is nothing to say.
//   An inherited comment is recognised by its origin: it comes from another module, from
//   another file, or from lines above another public declaration of the same file;
// - symbols without a source location are synthesized by the compiler (memberwise `==`,
//   `hash(into:)`, `Codable` conformances, protocol extension members shown on the conforming
//   type) and are skipped: there is no line to write a comment on.

import Foundation

/// A symbol the checker reports: where it is and why.
struct UndocumentedSymbol: Hashable, CustomStringConvertible {
    /// The symbol's path, e.g. `CPUBackend.matmul(_:transposeA:…)`.
    var path: String
    /// The symbol kind, e.g. `swift.method`.
    var kind: String
    /// The source file (a path) and its 1-based line.
    var file: String
    var line: Int
    /// Why it is reported: "no doc comment" or "only an inherited doc comment (from …)".
    var reason: String

    var description: String { "\(file):\(line): \(kind) \(path): \(reason)" }
}

/// The parts of a symbol-graph file the checker reads.
struct SymbolGraphFile: Decodable {
    struct Module: Decodable { var name: String }
    struct Position: Decodable { var line: Int }
    struct Location: Decodable {
        var uri: String
        var position: Position
    }
    struct Range: Decodable {
        var start: Position
        var end: Position
    }
    struct Line: Decodable {
        var text: String
        var range: Range?
    }
    struct DocComment: Decodable {
        var uri: String?
        var module: String?
        var lines: [Line]
    }
    struct Kind: Decodable { var identifier: String }
    struct Symbol: Decodable {
        var kind: Kind
        var pathComponents: [String]
        var accessLevel: String
        var location: Location?
        var docComment: DocComment?
    }

    var module: Module
    var symbols: [Symbol]
}

enum DocumentationCoverage {
    /// The public symbols of `graphs` located in a file under `sourceFolder` (an absolute path)
    /// that lack a doc comment of their own, sorted by file and line.
    static func undocumented(in graphs: [SymbolGraphFile], sourceFolder: String) -> [UndocumentedSymbol] {
        let folder = sourceFolder.hasSuffix("/") ? sourceFolder : sourceFolder + "/"
        let symbols = graphs.flatMap { graph in graph.symbols.map { (graph.module.name, $0) } }
        // 0-based lines of every located public declaration, per file: a comment that ends
        // above another declaration (between the comment and the symbol) is not the symbol's.
        var declarationLines: [String: [Int]] = [:]
        for (_, symbol) in symbols {
            guard let location = symbol.location else { continue }
            declarationLines[location.uri, default: []].append(location.position.line)
        }
        var out: Set<UndocumentedSymbol> = []
        for (module, symbol) in symbols {
            guard ["public", "open"].contains(symbol.accessLevel), let location = symbol.location else { continue }
            let file = path(of: location.uri)
            guard file.hasPrefix(folder) else { continue }
            let line = location.position.line
            func report(_ reason: String) {
                out.insert(UndocumentedSymbol(path: symbol.pathComponents.joined(separator: "."),
                                              kind: symbol.kind.identifier, file: file, line: line + 1,
                                              reason: reason))
            }
            guard let doc = symbol.docComment,
                  !doc.lines.map(\.text).joined().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                report("no doc comment")
                continue
            }
            if let docModule = doc.module, docModule != module {
                report("only a doc comment inherited from \(docModule)")
            } else if let uri = doc.uri, uri != location.uri {
                report("only a doc comment inherited from \(path(of: uri))")
            } else if doc.uri == nil {
                report("only an inherited doc comment")
            } else if let end = doc.lines.compactMap({ $0.range?.end.line }).max(),
                      end >= line || declarationLines[location.uri, default: []].contains(where: { $0 > end && $0 < line }) {
                report("only a doc comment inherited from line \(end + 1)")
            }
        }
        return out.sorted { ($0.file, $0.line, $0.path) < ($1.file, $1.line, $1.path) }
    }

    /// The file path of a `file://` URI (the URI itself when it is not one).
    static func path(of uri: String) -> String {
        guard let url = URL(string: uri), url.isFileURL else { return uri }
        return url.path
    }
}
