// A FIFO, /dev/zero or a directory where a model file belongs (model.safetensors, config.json,
// tokenizer.json, a GGUF) is refused by name as "not a regular file", at once: nothing is read,
// and opening a FIFO that no process writes to does not block.

import Foundation
import Testing
@testable import DICEKit
#if canImport(Glibc)
import Glibc
#endif

@Suite("Model files that are not regular files")
struct SpecialFileTests {
    /// The kinds of non-regular file put in place of a model file.
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case fifo, devZero, directory
        var description: String { rawValue }

        /// What `ModelFile.kindName` calls it.
        var found: String {
            switch self {
            case .fifo: return "a FIFO (named pipe)"
            case .devZero: return "a character device"
            case .directory: return "a directory"
            }
        }

        /// Makes one at `url` (for /dev/zero: a symbolic link to it).
        func make(at url: URL) throws {
            switch self {
            case .fifo:
                guard mkfifo(url.path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
            case .devZero:
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: "/dev/zero")
            case .directory:
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            }
        }
    }

    @Test("safetensors, config.json and generation_config.json: FormatError.notRegularFile", arguments: Kind.allCases)
    func formatFiles(kind: Kind) throws {
        let folder = try ScratchFolder("special-file")
        defer { folder.remove() }
        let weights = folder.file("model.safetensors"), config = folder.file("config.json")
        try kind.make(at: weights)
        try kind.make(at: config)
        let e1 = #expect(throws: FormatError.self) { try SafeTensorsFile(contentsOf: weights) }
        #expect(e1 == .notRegularFile(path: weights.path, found: kind.found))
        #expect(e1?.description == "\(weights.path): not a regular file (found \(kind.found)); expected a file to read")
        let e2 = #expect(throws: FormatError.self) { try ModelConfig.load(contentsOf: config) }
        #expect(e2 == .notRegularFile(path: config.path, found: kind.found))
        let generation = folder.file("generation_config.json")
        try kind.make(at: generation)
        let e3 = #expect(throws: FormatError.self) { try GenerationConfig.load(contentsOf: generation) }
        #expect(e3 == .notRegularFile(path: generation.path, found: kind.found))
    }

    @Test("a model folder whose weights are a FIFO names the weights file")
    func modelDirectory() throws {
        let folder = try ScratchFolder("special-file")
        defer { folder.remove() }
        let model = folder.file("m")
        try FileManager.default.copyItem(at: Fixtures.model("llama-gqa-tied"), to: model)
        let weights = model.appendingPathComponent("model.safetensors")
        try FileManager.default.removeItem(at: weights)
        try Kind.fifo.make(at: weights)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: model) }
        #expect(error == .notRegularFile(path: weights.path, found: Kind.fifo.found))
    }

    @Test("tokenizer.json and tokenizer_config.json: TokenizerError.unreadableFile saying not a regular file",
          arguments: Kind.allCases)
    func tokenizerFiles(kind: Kind) throws {
        let folder = try ScratchFolder("special-file")
        defer { folder.remove() }
        let tokenizer = folder.file("tokenizer.json")
        try kind.make(at: tokenizer)
        let e1 = #expect(throws: TokenizerError.self) { try Tokenizer(directory: folder.url) }
        #expect(e1 == .unreadableFile(path: tokenizer.path, reason: "not a regular file (found \(kind.found)); expected a file to read"))

        try FileManager.default.removeItem(at: tokenizer)
        try Data(#"{"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#.utf8).write(to: tokenizer)
        let config = folder.file("tokenizer_config.json")
        try kind.make(at: config)
        let e2 = #expect(throws: TokenizerError.self) { try Tokenizer(directory: folder.url) }
        #expect(e2 == .unreadableFile(path: config.path, reason: "not a regular file (found \(kind.found)); expected a file to read"))
    }

    @Test("a GGUF path that is a FIFO or /dev/zero: GGUFError.io naming it", arguments: [Kind.fifo, .devZero])
    func gguf(kind: Kind) throws {
        let folder = try ScratchFolder("special-file")
        defer { folder.remove() }
        let file = folder.file("model.gguf")
        try kind.make(at: file)
        #expect(GGUFFile.isGGUF(file))
        let error = #expect(throws: GGUFError.self) { try GGUFFile(contentsOf: file) }
        #expect(error == .io(path: file.path, reason: "not a regular file (found \(kind.found)); expected a file to read"))
    }

    @Test("a regular file behind a symbolic link is read; a missing one is missingFile")
    func regularAndMissing() throws {
        let folder = try ScratchFolder("special-file")
        defer { folder.remove() }
        let target = folder.file("real.json"), link = folder.file("config.json")
        try Data("{}".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(try ModelFile.contents(of: link, expected: "config.json") == Data("{}".utf8))
        #expect(try ModelFile.contents(of: link, expected: "config.json", mapped: true) == Data("{}".utf8))
        let missing = folder.file("absent.json")
        #expect(throws: FormatError.missingFile(path: missing.path, expected: "absent.json")) {
            try ModelFile.contents(of: missing, expected: "absent.json")
        }
    }
}
