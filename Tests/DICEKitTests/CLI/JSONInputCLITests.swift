// The `dice` tool on JSON that does not fit (a token id of 1.5 or 2⁶⁴, a vocab_size of 96.5),
// invalid UTF-8, and model files that are not regular files (a FIFO, /dev/zero): exit code 1 and
// one line `error: …` naming the file, the key or line, and the byte — never a hang. And
// `dice generate` ends its failures the same way as the other commands.

import DICEKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("dice: JSON numbers, UTF-8, special files; dice generate's errors")
struct JSONInputCLITests {
    enum BadInput: String, CaseIterable, CustomStringConvertible {
        case idFraction, idBeyond64Bits, idOverflowsDouble, invalidUTF8, configFraction
        case weightsFIFO, configDevZero, tokenizerFIFO, ggufFIFO
        var description: String { rawValue }
    }

    static let goodLine = "{\"prompt_ids\": [1, 2, 3], \"response_ids\": [4, 5]}"

    /// The byte offset of `needle` in `haystack`.
    static func offset(of needle: String, in haystack: String) -> Int {
        JSONInputErrorTests.offset(of: needle, in: haystack) ?? -1
    }

    @Test("dice logprobs: exit 1 and one line naming the file and the key, line or byte", arguments: BadInput.allCases)
    func logprobs(_ bad: BadInput) throws {
        let folder = try ScratchFolder("dice-json-input")
        defer { folder.remove() }
        var model = try LogProbsCommandTests.modelFolder(
            "llama-gqa-tied", tokenizer: LogProbsCommandTests.cliFixtures.appendingPathComponent("tokenizer96"), in: folder)
        let weights = model.appendingPathComponent("model.safetensors")
        let config = model.appendingPathComponent("config.json")
        var lines: [Data] = [Data(Self.goodLine.utf8), Data(), Data(Self.goodLine.utf8)]
        let expected: [String]

        func idLine(_ literal: String) -> [String] {
            let line = "{\"prompt_ids\": [1, \(literal)], \"response_ids\": [3]}"
            lines[2] = Data(line.utf8)
            return ["in.jsonl:3:", "\"prompt_ids[1]\"", "expected an integer token id, found \(literal)",
                    "at byte \(Self.offset(of: literal, in: line)) of the line"]
        }
        func replace(_ url: URL, with make: (URL) throws -> Void) throws {
            try FileManager.default.removeItem(at: url)
            try make(url)
        }
        let fifo: (URL) throws -> Void = { url in
            guard mkfifo(url.path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }

        switch bad {
        case .idFraction: expected = idLine("1.5")
        case .idBeyond64Bits: expected = idLine("18446744073709551616")
        case .idOverflowsDouble: expected = idLine("1e309")
        case .invalidUTF8:
            let prefix = "{\"prompt\": \"the c"
            lines[2] = Data(prefix.utf8) + Data([0xFF]) + Data("at\", \"response\": \"sat\"}".utf8)
            expected = ["in.jsonl:3:", "invalid UTF-8", "at byte \(prefix.utf8.count) of the line"]
        case .configFraction:
            let text = try String(contentsOf: config, encoding: .utf8)
                .replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": 96.5")
            try Data(text.utf8).write(to: config)
            expected = [config.path, "\"vocab_size\"", "expected an integer, found 96.5",
                        "at byte \(Self.offset(of: "96.5", in: text))"]
        case .weightsFIFO:
            try replace(weights, with: fifo)
            expected = [weights.path, "not a regular file", "FIFO"]
        case .configDevZero:
            try replace(config) { try FileManager.default.createSymbolicLink(atPath: $0.path, withDestinationPath: "/dev/zero") }
            expected = [config.path, "not a regular file", "character device"]
        case .tokenizerFIFO:
            let tokenizer = model.appendingPathComponent("tokenizer.json")
            try replace(tokenizer, with: fifo)
            lines = [Data("{\"prompt\": \"the cat\", \"response\": \"sat\"}".utf8)]
            expected = [tokenizer.path, "not a regular file", "FIFO"]
        case .ggufFIFO:
            model = folder.file("model.gguf")
            try fifo(model)
            expected = [model.path, "not a regular file", "FIFO"]
        }

        let input = folder.file("in.jsonl"), output = folder.file("out.jsonl")
        try Data(lines.joined(separator: Data([0x0A]))).write(to: input)
        guard let result = try DiceTool.run(["logprobs", "--model", model.path, "--input", input.path,
                                             "--output", output.path], in: folder.url) else { return }
        #expect(result.status == 1)
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errorLines.count == 1, "stderr: \(result.stderr)")
        let message = String(errorLines.first ?? "")
        for fragment in expected {
            #expect(message.contains(fragment), "\(message) lacks \(fragment)")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// One way `dice generate` can fail, and what its one line must hold.
    enum GenerateFailure: String, CaseIterable, CustomStringConvertible {
        case idFraction, idOutOfVocabulary, missingInput, missingOutputFolder, weightsFIFO
        var description: String { rawValue }
    }

    @Test("dice generate: one line `error: <file>: …` (the file named once), exit 1, like the other commands",
          arguments: GenerateFailure.allCases)
    func generate(_ failure: GenerateFailure) throws {
        let folder = try ScratchFolder("dice-generate-errors")
        defer { folder.remove() }
        let model = try LogProbsCommandTests.modelFolder("llama-gqa-tied", tokenizer: nil, in: folder)
        var input = folder.file("in.jsonl"), output = folder.file("out.jsonl")
        var lines = ["{\"prompt_ids\": [1, 2]}", "{\"prompt_ids\": [3]}"]
        var named: String
        let expected: [String]
        switch failure {
        case .idFraction:
            lines[1] = "{\"prompt_ids\": [3, 4.5]}"
            named = input.path
            expected = [":2: field \"prompt_ids[1]\": expected an integer token id, found 4.5 at byte 19 of the line"]
        case .idOutOfVocabulary:
            lines[1] = "{\"prompt_ids\": [3, 96]}"
            named = input.path
            expected = [":2: ", "96", "0..<96"]
        case .missingInput:
            input = folder.file("absent.jsonl")
            named = input.path
            expected = ["cannot read"]
        case .missingOutputFolder:
            output = folder.file("absent/out.jsonl")
            named = output.path
            expected = ["does not exist"]
        case .weightsFIFO:
            let weights = model.appendingPathComponent("model.safetensors")
            try FileManager.default.removeItem(at: weights)
            guard mkfifo(weights.path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
            named = weights.path
            expected = ["not a regular file"]
        }
        if failure != .missingInput {
            try Data(lines.joined(separator: "\n").utf8).write(to: input)
        }
        guard let result = try DiceTool.run(["generate", "--model", model.path, "--input", input.path,
                                             "--output", output.path, "--samples", "2", "--max-new-tokens", "3",
                                             "--seed", "1"], in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(!result.stderr.contains("Error:"), "stderr: \(result.stderr)")
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errorLines.count == 1, "stderr: \(result.stderr)")
        let message = String(errorLines.first ?? "")
        #expect(message.hasPrefix("error: \(named)"), "\(message)")
        #expect(message.components(separatedBy: named).count == 2, "the path is named once: \(message)")
        for fragment in expected {
            #expect(message.contains(fragment), "\(message) lacks \(fragment)")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
