// `dice logprobs` end to end: the built executable scores id rows as PyTorch does (the models'
// golden log-probs) and as TransformerLM.logProbs does, and text rows — chat template, separate
// tokenisation, --append-eos — as transformers + tokenizers do (Tests/Fixtures/cli, made by
// Scripts/make_cli_fixtures.py).

import DICEKit
import Foundation
import Testing

@Suite("dice logprobs")
struct LogProbsCommandTests {
    /// One output row's added fields.
    struct Scored: Decodable {
        var logprob: Double
        var response_tokens: Int
    }

    struct ModelGolden: Decodable {
        var prompts: [[Int]]
        var responses: [[Int]]
    }

    struct TextGolden: Decodable {
        struct Row: Codable { var prompt: String; var response: String }
        struct Case: Decodable {
            var name: String
            var arguments: [String]
            var prompt_ids: [[Int]]
            var response_ids: [[Int]]
            var logprob: [Double]
        }
        var rows: [Row]
        var cases: [Case]
    }

    static let cliFixtures = Fixtures.root.appendingPathComponent("cli")

    /// Runs `dice logprobs` on `lines` (written as the input file) and returns the output lines.
    static func score(model: URL, lines: [String], arguments: [String] = [], in folder: ScratchFolder,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> [String]? {
        let input = folder.file("in-\(UUID().uuidString).jsonl")
        let output = folder.file("out-\(UUID().uuidString).jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)
        guard let result = try DiceTool.run(["logprobs", "--model", model.path, "--input", input.path,
                                             "--output", output.path] + arguments,
                                            in: folder.url, sourceLocation: sourceLocation) else { return nil }
        #expect(result.status == 0, "dice failed: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        guard result.status == 0 else { return nil }
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\n"), sourceLocation: sourceLocation)
        return text.split(separator: "\n").map(String.init)
    }

    static func scored(_ line: String) throws -> Scored {
        try JSONDecoder().decode(Scored.self, from: Data(line.utf8))
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    /// A model folder: the fixture `model` plus, optionally, the files of `tokenizer`.
    static func modelFolder(_ model: String, tokenizer: URL?, in folder: ScratchFolder) throws -> URL {
        let url = folder.file(model)
        try FileManager.default.copyItem(at: Fixtures.model(model), to: url)
        if let tokenizer {
            for name in try FileManager.default.contentsOfDirectory(atPath: tokenizer.path) {
                try FileManager.default.copyItem(at: tokenizer.appendingPathComponent(name),
                                                 to: url.appendingPathComponent(name))
            }
        }
        return url
    }

    @Test("id rows: PyTorch's golden log-probs and TransformerLM.logProbs, for every batch size; fields kept as written",
          arguments: Fixtures.modelNames, [1, 2, 8])
    func idRows(model: String, batchSize: Int) throws {
        let folder = try ScratchFolder("dice-logprobs")
        defer { folder.remove() }
        let directory = Fixtures.model(model)
        let golden = try JSONDecoder().decode(ModelGolden.self,
                                              from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
        let expected = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("golden.safetensors")).doubles("logprob")
        let pairs = zip(golden.prompts, golden.responses).map { TokenPair(prompt: $0, response: $1) }
        let library = try TransformerLM(directory: directory, backend: CPUBackend()).logProbs(pairs)

        // Extra fields of every JSON kind, odd spacing and a trailing space survive unchanged.
        let lines = pairs.enumerated().map { i, pair in
            "{\"id\": \(i), \"prompt_ids\":\(pair.prompt),  \"meta\": {\"n\": [1.50, null, true], \"s\": \"é\\u00e9\"},"
                + "\"response_ids\": \(pair.response)} "
        }
        guard let output = try Self.score(model: directory, lines: lines, arguments: ["--batch-size", "\(batchSize)"],
                                          in: folder) else { return }
        try #require(output.count == pairs.count)
        for (i, line) in output.enumerated() {
            let row = try Self.scored(line)
            #expect(Self.close(row.logprob, expected[i], 1e-4), "row \(i): \(row.logprob) vs PyTorch \(expected[i])")
            #expect(Self.close(row.logprob, library[i], 1e-6), "row \(i): \(row.logprob) vs TransformerLM \(library[i])")
            #expect(row.response_tokens == pairs[i].response.count)
            let kept = String(lines[i].dropLast(2))
            #expect(line.hasPrefix(kept + ",\"logprob\":"), "\(line)")
        }
    }

    @Test("text rows: chat template, separate tokenisation and --append-eos as transformers + PyTorch",
          arguments: try JSONDecoder().decode(TextGolden.self,
              from: Data(contentsOf: cliFixtures.appendingPathComponent("logprobs_golden.json"))).cases.indices)
    func textRows(caseIndex: Int) throws {
        let golden = try JSONDecoder().decode(TextGolden.self,
            from: Data(contentsOf: Self.cliFixtures.appendingPathComponent("logprobs_golden.json")))
        let goldenCase = golden.cases[caseIndex]
        let folder = try ScratchFolder("dice-logprobs")
        defer { folder.remove() }
        let model = try Self.modelFolder("llama-gqa-tied", tokenizer: Self.cliFixtures.appendingPathComponent("tokenizer96"),
                                         in: folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try golden.rows.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        guard let output = try Self.score(model: model, lines: lines, arguments: goldenCase.arguments + ["--batch-size", "2"],
                                          in: folder) else { return }
        try #require(output.count == golden.rows.count)
        let pairs = zip(goldenCase.prompt_ids, goldenCase.response_ids).map { TokenPair(prompt: $0, response: $1) }
        let library = try TransformerLM(directory: model, backend: CPUBackend()).logProbs(pairs)
        for (i, line) in output.enumerated() {
            let row = try Self.scored(line)
            #expect(row.response_tokens == goldenCase.response_ids[i].count, "\(goldenCase.name), row \(i)")
            #expect(Self.close(row.logprob, goldenCase.logprob[i], 1e-4),
                    "\(goldenCase.name), row \(i): \(row.logprob) vs PyTorch \(goldenCase.logprob[i])")
            #expect(Self.close(row.logprob, library[i], 1e-6), "\(goldenCase.name), row \(i): ids differ from transformers'?")
        }
    }

    @Test("a format template wraps the prompt as ChatTemplate renders it; ids win over text in a row with both")
    func formatTemplate() throws {
        let folder = try ScratchFolder("dice-logprobs")
        defer { folder.remove() }
        let model = try Self.modelFolder("llama-gqa-tied", tokenizer: Self.cliFixtures.appendingPathComponent("tokenizer96"),
                                         in: folder)
        let format = "Q: {prompt}\\nA:"
        let tokenizer = try Tokenizer(directory: model)
        let rendered = try ChatTemplate(parsing: format).render([.user("the cat sat")], addGenerationPrompt: true)
        #expect(rendered == "Q: the cat sat\nA:")
        let pair = TokenPair(prompt: tokenizer.encode(rendered), response: tokenizer.encode("on the mat"))
        let idsPair = TokenPair(prompt: [5, 6], response: [7, 8, 9])
        let expected = try TransformerLM(directory: model, backend: CPUBackend()).logProbs([pair, idsPair])
        let lines = ["{\"prompt\": \"the cat sat\", \"response\": \"on the mat\"}",
                     "{\"prompt\": \"x\", \"response\": \"y\", \"prompt_ids\": [5, 6], \"response_ids\": [7, 8, 9]}"]
        guard let output = try Self.score(model: model, lines: lines, arguments: ["--template", format], in: folder) else { return }
        try #require(output.count == 2)
        for i in 0..<2 {
            #expect(Self.close(try Self.scored(output[i]).logprob, expected[i], 1e-6))
        }
        #expect(try Self.scored(output[1]).response_tokens == 3)
    }

    @Test("a tokenizer without a chat template scores as --template none")
    func noChatTemplate() throws {
        let folder = try ScratchFolder("dice-logprobs")
        defer { folder.remove() }
        let model = try Self.modelFolder("llama-gqa-tied", tokenizer: Self.cliFixtures.appendingPathComponent("tokenizer96"),
                                         in: folder)
        try Data("{\"eos_token\": \"<|im_end|>\"}".utf8).write(to: model.appendingPathComponent("tokenizer_config.json"))
        let lines = ["{\"prompt\": \"rank the answers\", \"response\": \"then train on the pairs\"}"]
        guard let plain = try Self.score(model: model, lines: lines, in: folder),
              let none = try Self.score(model: model, lines: lines, arguments: ["--template", "none"], in: folder),
              let chatml = try Self.score(model: model, lines: lines, arguments: ["--template", "chatml"], in: folder)
        else { return }
        #expect(plain == none)
        #expect(plain != chatml)
    }

    @Test("an empty input gives an empty output file")
    func emptyInput() throws {
        let folder = try ScratchFolder("dice-logprobs")
        defer { folder.remove() }
        let output = try Self.score(model: Fixtures.model("gpt2"), lines: ["", "  "], in: folder)
        #expect(output == [])
    }
}
