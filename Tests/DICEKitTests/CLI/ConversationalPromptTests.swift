// Prompt rows in TRL's conversational format (`{"prompt": [{"role", "content"}…]}`): rendered
// with the model's chat template and the generation prompt. Oracle: the same prompt given as the
// ids of `Tokenizer.applyChatTemplate` + `encode` (itself checked against transformers in
// JinjaGoldenTests) must give the same greedy answer.

import Foundation
import Testing
@testable import DICEKit

@Suite("Conversational prompt rows")
struct ConversationalPromptTests {
    /// The ids a conversation becomes: rendered with the model's template and the generation
    /// prompt, encoded without special tokens (as transformers' chat path does).
    static func ids(_ messages: [ChatMessage], tokenizer: Tokenizer) throws -> [Int] {
        tokenizer.encode(try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true), addSpecialTokens: false)
    }

    /// The greedy responses' ids of each output row of `dice generate` on `lines`, or nil (an
    /// issue recorded) when it fails.
    static func generate(model: URL, lines: [String], in folder: ScratchFolder) throws -> [[Int]]? {
        let input = folder.file("in-\(UUID().uuidString).jsonl")
        let output = folder.file("out-\(UUID().uuidString).jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)
        guard let result = try DiceTool.run(["generate", "--model", model.path, "--input", input.path, "--output", output.path,
                                             "--samples", "1", "--max-new-tokens", "6", "--greedy", "--seed", "0"], in: folder.url)
        else { return nil }
        #expect(result.status == 0, "dice failed: \(result.stderr)")
        guard result.status == 0 else { return nil }
        struct Row: Decodable {
            struct Response: Decodable { let ids: [Int] }
            let responses: [Response]
        }
        return try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONDecoder().decode(Row.self, from: Data($0.utf8)).responses.first).ids
        }
    }

    @Test("dice generate: a conversation answers as its rendered ids; one user message as the plain text prompt")
    func generateConversation() throws {
        let folder = try ScratchFolder("dice-conversation")
        defer { folder.remove() }
        let model = try LogProbsCommandTests.modelFolder("llama-gqa-tied", tokenizer: LogProbsCommandTests.cliFixtures
            .appendingPathComponent("tokenizer96"), in: folder)
        let tokenizer = try Tokenizer(directory: model)
        let conversation: [ChatMessage] = [.system("be brief"), .user("the cat sat"), .assistant("on the mat"), .user("and then?")]
        let conversationIDs = try Self.ids(conversation, tokenizer: tokenizer)
        let lines = [
            #"{"prompt": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "the cat sat"}, {"role": "assistant", "content": "on the mat"}, {"role": "user", "content": "and then?"}]}"#,
            "{\"prompt_ids\": \(conversationIDs)}",
            #"{"prompt": [{"role": "user", "content": "the cat sat"}]}"#,
            #"{"prompt": "the cat sat"}"#,
        ]
        guard let responses = try Self.generate(model: model, lines: lines, in: folder) else { return }
        try #require(responses.count == 4)
        #expect(responses[0] == responses[1])
        #expect(responses[2] == responses[3])
        #expect(responses.allSatisfy { !$0.isEmpty })
    }

    @Test("a prompt that is neither text nor messages, or an empty conversation, is an error naming the line",
          arguments: [#"{"prompt": [{"role": "user", "content": 5}]}"#, #"{"prompt": []}"#, #"{"prompt": 7}"#])
    func badRows(row: String) throws {
        let folder = try ScratchFolder("dice-conversation")
        defer { folder.remove() }
        let model = try LogProbsCommandTests.modelFolder("llama-gqa-tied", tokenizer: LogProbsCommandTests.cliFixtures
            .appendingPathComponent("tokenizer96"), in: folder)
        let input = folder.file("in.jsonl")
        try Data((#"{"prompt": "fine"}"# + "\n" + row).utf8).write(to: input)
        guard let result = try DiceTool.run(["generate", "--model", model.path, "--input", input.path,
                                             "--output", folder.file("out.jsonl").path, "--samples", "1",
                                             "--max-new-tokens", "2", "--seed", "0"], in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.contains("in.jsonl:2"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.jsonl").path))
    }
}
