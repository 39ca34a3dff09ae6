// Chat template parsing, rendering, and special tokens inside text.

import Foundation
import Testing
@testable import DICEKit

@Suite("Chat templates")
struct TokenizerChatTemplateTests {
    /// The Jinja source in a fixture's tokenizer_config.json.
    func jinja(_ name: String) throws -> String {
        try #require(try TokenizerFixtures.tokenizer(name).config.chatTemplate)
    }

    @Test("the built-in templates render as the real Jinja templates they stand for", arguments: [
        ("gpt2_bytelevel", ChatTemplate.chatml),
        ("llama3_split", .llama3),
        ("llama2_spm", .zephyr),
        ("mistral_metaspace", .chatml),
    ])
    func builtInsMatchJinja(name: String, expected: ChatTemplate) throws {
        // The model's own template is the default, and the built-in renders as it does.
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        #expect(try tokenizer.chatTemplate == .jinja(JinjaTemplate(source: jinja(name))))
        let bos = tokenizer.config.bosToken ?? "", eos = tokenizer.config.eosToken ?? ""
        for conversation: [ChatMessage] in [[.user(" Hi ")], [.system("S"), .user("u"), .assistant("a "), .user("v")]] {
            for generation in [false, true] {
                #expect(try tokenizer.applyChatTemplate(conversation, addGenerationPrompt: generation)
                    == expected.render(conversation, addGenerationPrompt: generation, bosToken: bos, eosToken: eos))
            }
        }
    }

    @Test("chat_template.jinja beside the config supplies the template (transformers ≥ 4.43 layout)")
    func jinjaFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dicekit-jinja-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try TokenizerFixtures.tokenizerJSON("llama3_split").write(to: dir.appendingPathComponent("tokenizer.json"))
        try Data(#"{"bos_token": "<|begin_of_text|>"}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        #expect(throws: TokenizerError.self) { _ = try Tokenizer(directory: dir).chatTemplate }
        try Data(jinja("llama3_split").utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        let tokenizer = try Tokenizer(directory: dir)
        #expect(try tokenizer.chatTemplate == .jinja(JinjaTemplate(source: jinja("llama3_split"))))
        #expect(try tokenizer.applyChatTemplate([.user("x")], addGenerationPrompt: false)
            == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>")
    }

    @Test("a tokenizer without chat_template reports its config file")
    func missingTemplate() throws {
        let data = try TokenizerFixtures.tokenizerJSON("gpt2_bytelevel")
        let tokenizer = try Tokenizer(tokenizerJSON: data, config: Data("{}".utf8), configPath: "m/tokenizer_config.json")
        #expect(throws: TokenizerError.missingChatTemplate(path: "m/tokenizer_config.json")) {
            _ = try tokenizer.chatTemplate
        }
        // An explicit template still works.
        #expect(try tokenizer.applyChatTemplate([.user("hi")], addGenerationPrompt: true, template: .chatml)
            == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test("parsing command-line choices")
    func parsing() throws {
        #expect(try ChatTemplate(parsing: "chatml") == .chatml)
        #expect(try ChatTemplate(parsing: "Zephyr") == .zephyr)
        #expect(try ChatTemplate(parsing: "llama3") == .llama3)
        #expect(try ChatTemplate(parsing: "none") == ChatTemplate.none)
        #expect(try ChatTemplate(parsing: #"Q: {prompt}\nA:"#) == .format("Q: {prompt}\nA:"))
        #expect(try ChatTemplate(parsing: #"{system}\t{prompt}\\n"#) == .format("{system}\t{prompt}\\n"))
        #expect(throws: TokenizerError.unknownChatTemplate(template: "alpaca")) { try ChatTemplate(parsing: "alpaca") }
    }

    @Test("format and none templates render as documented")
    func customRendering() throws {
        let conversation: [ChatMessage] = [.system("Be kind."), .user("Hi"), .assistant("Hello!"), .user("Bye")]
        let format = ChatTemplate.format("{bos}[{system}] Q: {prompt}\nA:")
        #expect(try format.render(conversation, addGenerationPrompt: true, bosToken: "<s>")
            == "<s>[Be kind.] Q: Hi\nA:Hello!<s>[] Q: Bye\nA:")
        #expect(try ChatTemplate.none.render(conversation, addGenerationPrompt: true) == "Be kind.\nHi\nHello!\nBye")
        // Substituted text is not re-scanned; unknown braces stay.
        #expect(try ChatTemplate.format("{x} {system}|{prompt}").render([.system("{prompt}"), .user("{system}")],
                                                                  addGenerationPrompt: false) == "{x} {prompt}|{system}")
        #expect(try ChatTemplate.none.render([.user("just the prompt")], addGenerationPrompt: true) == "just the prompt")
    }

    @Test("built-ins on edge cases: empty conversation, unknown roles, trimming")
    func builtInEdges() throws {
        #expect(try ChatTemplate.zephyr.render([], addGenerationPrompt: true, eosToken: "</s>") == "")
        #expect(try ChatTemplate.chatml.render([], addGenerationPrompt: true) == "<|im_start|>assistant\n")
        #expect(try ChatTemplate.zephyr.render([.init(role: "tool", content: "x")], addGenerationPrompt: false) == "")
        #expect(try ChatTemplate.llama3.render([.user(" \n\t x \u{3000}")], addGenerationPrompt: false, bosToken: "<B>")
            == "<B><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|>")
    }
}

@Suite("Special tokens inside text")
struct TokenizerSpecialTokensTests {
    @Test("ChatML markers encode to their ids and are skipped on request")
    func chatMLMarkers() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2_bytelevel")
        let start = try #require(tokenizer.tokenID("<|im_start|>"))
        let end = try #require(tokenizer.tokenID("<|im_end|>"))
        let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
        #expect(ids.first == start)
        #expect(ids.last == end)
        #expect(ids.filter { $0 == start || $0 == end }.count == 2)
        #expect(tokenizer.decode(ids) == "<|im_start|>user\nHi<|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "user\nHi")
        #expect(tokenizer.specialTokenIDs.isSuperset(of: [start, end]))
    }

    @Test("partial markers are ordinary text")
    func partialMarker() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2_bytelevel")
        let start = try #require(tokenizer.tokenID("<|im_start|>"))
        #expect(!tokenizer.encode("<|im_start|").contains(start))
        #expect(!tokenizer.encode("<|im_star|>").contains(start))
    }

    @Test("Llama-3 BOS is added only with addSpecialTokens, and a rendered chat needs none")
    func llama3BOS() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3_split")
        let bos = try #require(tokenizer.bosTokenID)
        #expect(tokenizer.encode("Hi").first != bos)
        #expect(tokenizer.encode("Hi", addSpecialTokens: true).first == bos)
        #expect(tokenizer.encode("", addSpecialTokens: true) == [bos])
        let prompt = try tokenizer.applyChatTemplate([.user("Hi")], addGenerationPrompt: true)
        let ids = tokenizer.encode(prompt)
        #expect(ids.first == bos)
        #expect(ids.filter { $0 == bos }.count == 1)
        #expect(ids.last == tokenizer.encode("\n\n").last)
    }

    @Test("SentencePiece <s> and </s> split out of the text")
    func sentencePieceSpecials() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2_spm")
        let ids = tokenizer.encode("<s>Hello</s>")
        #expect(ids.first == 1)
        #expect(ids.last == 2)
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "Hello")
    }
}
