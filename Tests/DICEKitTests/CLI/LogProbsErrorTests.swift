// `dice logprobs` on bad input: damaged model directories, malformed tokenizers, bad JSONL rows
// and ids — each ends with exit code 1 and one line on stderr naming the file and the line or
// byte offset, never a crash, and no output file.

import DICEKit
import Foundation
import Testing

@Suite("dice logprobs: bad input")
struct LogProbsErrorTests {
    /// One way the input can be wrong.
    enum BadInput: String, CaseIterable, CustomStringConvertible {
        case truncatedWeights, truncatedHeader, headerLengthBeyondFile, corruptedHeader, dtypeDisagrees
        case shapeDisagrees, missingTensor, missingConfig, malformedTokenizer, missingTokenizer
        case unmappedChatTemplate, unknownTemplateName, lineNotAnObject, lineNotJSON, missingIDField
        case missingTextField, idsNotIntegers, idOutOfRange, negativeID, emptyPrompt, tooLong
        case outputFieldPresent, missingInputFile, missingOutputFolder

        var description: String { rawValue }
    }

    static let goodLine = "{\"prompt_ids\": [1, 2, 3], \"response_ids\": [4, 5]}"
    static let textLine = "{\"prompt\": \"the cat\", \"response\": \"sat\"}"

    /// Sets up `bad` in `folder`: the model folder (llama-gqa-tied with the tokenizer96 fixture,
    /// then damaged), the input lines, the extra arguments, and the fragments the message must hold.
    static func setUp(_ bad: BadInput, in folder: ScratchFolder) throws
        -> (model: URL, lines: [String], arguments: [String], expected: [String]) {
        let model = try LogProbsCommandTests.modelFolder(
            "llama-gqa-tied", tokenizer: LogProbsCommandTests.cliFixtures.appendingPathComponent("tokenizer96"), in: folder)
        let weights = model.appendingPathComponent("model.safetensors")
        let config = model.appendingPathComponent("config.json")
        var bytes = try Data(contentsOf: weights)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var lines = [goodLine, "", goodLine]
        var arguments: [String] = []
        var expected: [String]

        func editConfig(_ from: String, _ to: String) throws {
            let text = try String(contentsOf: config, encoding: .utf8)
            #expect(text.contains(from))
            try Data(text.replacingOccurrences(of: from, with: to).utf8).write(to: config)
        }

        switch bad {
        case .truncatedWeights:
            try bytes.prefix(bytes.count - 100).write(to: weights)
            expected = [weights.path, "byte"]
        case .truncatedHeader:
            try bytes.prefix(20).write(to: weights)
            expected = [weights.path, "byte"]
        case .headerLengthBeyondFile:
            bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(bytes.count * 2).littleEndian) { Data($0) })
            try bytes.write(to: weights)
            expected = [weights.path, "at byte 0", "header length"]
        case .corruptedHeader:
            bytes.replaceSubrange(9..<13, with: Data("@@@@".utf8))
            try bytes.write(to: weights)
            expected = [weights.path, "invalid JSON at byte 9:"]
        case .dtypeDisagrees:
            let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
            let changed = header.replacingOccurrences(of: "\"F32\"", with: "\"I32\"")
            #expect(changed.utf8.count == header.utf8.count && changed != header)
            bytes.replaceSubrange(8..<(8 + headerLength), with: Data(changed.utf8))
            try bytes.write(to: weights)
            expected = [weights.path, "I32"]
        case .shapeDisagrees:
            try editConfig("\"vocab_size\": 96", "\"vocab_size\": 97")
            expected = [weights.path, "model.embed_tokens.weight", "[97, 32]"]
        case .missingTensor:
            try editConfig("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3")
            expected = [weights.path, "missing tensor", "model.layers.2."]
        case .missingConfig:
            try FileManager.default.removeItem(at: config)
            expected = [config.path]
        case .malformedTokenizer:
            let tokenizer = model.appendingPathComponent("tokenizer.json")
            try Data(contentsOf: tokenizer).prefix(300).write(to: tokenizer)
            lines = [textLine]
            expected = [tokenizer.path, "malformed JSON", "at byte 300"]
        case .missingTokenizer:
            try FileManager.default.removeItem(at: model.appendingPathComponent("tokenizer.json"))
            lines = [goodLine, textLine]
            expected = ["in.jsonl:2:", "tokenizer.json", "prompt_ids"]
        case .unmappedChatTemplate:
            try Data("{\"chat_template\": \"{{ messages[0]['content'] ###\"}".utf8)
                .write(to: model.appendingPathComponent("tokenizer_config.json"))
            lines = [textLine]
            expected = [model.path, "chat template line 1, column", "syntax error"]
        case .unknownTemplateName:
            arguments = ["--template", "vicuna"]
            expected = ["vicuna", "--template"]
        case .lineNotAnObject:
            lines[2] = "[1, 2]"
            expected = ["in.jsonl:3:", "expected a JSON object, found an array"]
        case .lineNotJSON:
            lines[2] = "{\"prompt_ids\": [1, 2"
            expected = ["in.jsonl:3:", "invalid JSON", "at byte 20 of the line"]
        case .missingIDField:
            lines[2] = "{\"prompt_ids\": [1, 2]}"
            expected = ["in.jsonl:3:", "missing field \"response_ids\""]
        case .missingTextField:
            lines[2] = "{\"prompt\": \"the cat\", \"answer\": \"sat\"}"
            expected = ["in.jsonl:3:", "missing field \"response\""]
        case .idsNotIntegers:
            lines[2] = "{\"prompt_ids\": \"1 2\", \"response_ids\": [3]}"
            expected = ["in.jsonl:3:", "prompt_ids"]
        case .idOutOfRange:
            lines[2] = "{\"prompt_ids\": [1], \"response_ids\": [3, 96]}"
            expected = ["in.jsonl:3:", "token id 96", "0..<96"]
        case .negativeID:
            lines[2] = "{\"prompt_ids\": [-1], \"response_ids\": [3]}"
            expected = ["in.jsonl:3:", "token id -1"]
        case .emptyPrompt:
            lines[2] = "{\"prompt_ids\": [], \"response_ids\": [3]}"
            expected = ["in.jsonl:3:", "prompt is empty"]
        case .tooLong:
            lines[2] = "{\"prompt_ids\": \(Array(repeating: 1, count: 120)), \"response_ids\": \(Array(repeating: 2, count: 9))}"
            expected = ["in.jsonl:3:", "129 tokens", "128"]
        case .outputFieldPresent:
            lines[2] = "{\"prompt_ids\": [1], \"response_ids\": [3], \"logprob\": -1.5}"
            expected = ["in.jsonl:3:", "\"logprob\""]
        case .missingInputFile, .missingOutputFolder:
            expected = []
        }
        return (model, lines, arguments, expected)
    }

    @Test("exit code 1 and one line naming the file and the line or offset", arguments: BadInput.allCases)
    func rejects(_ bad: BadInput) throws {
        let folder = try ScratchFolder("dice-logprobs-bad")
        defer { folder.remove() }
        var (model, lines, arguments, expected) = try Self.setUp(bad, in: folder)
        var input = folder.file("in.jsonl")
        var output = folder.file("out.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)
        switch bad {
        case .missingInputFile:
            input = folder.file("absent.jsonl")
            expected = [input.path]
        case .missingOutputFolder:
            output = folder.file("absent/out.jsonl")
            expected = [output.path]
        default:
            break
        }
        guard let result = try DiceTool.run(["logprobs", "--model", model.path, "--input", input.path,
                                             "--output", output.path] + arguments, in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errorLines.count == 1, "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
        let message = String(errorLines.first ?? "")
        for fragment in expected {
            #expect(message.contains(fragment), "\(message) lacks \(fragment)")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test("a zero batch size is a usage error")
    func zeroBatchSize() throws {
        let folder = try ScratchFolder("dice-logprobs-bad")
        defer { folder.remove() }
        guard let result = try DiceTool.run(["logprobs", "--model", "m", "--input", "i", "--output", "o",
                                             "--batch-size", "0"], in: folder.url) else { return }
        #expect(result.status != 0)
        #expect(result.stderr.contains("--batch-size 0: expected a number ≥ 1"))
    }
}
