import Foundation
import Testing
@testable import DICEKit

/// Tokenizers embedded in GGUF files against transformers' `AutoTokenizer.from_pretrained(dir,
/// gguf_file=…)` (Tests/Fixtures/gguf/tokenizers.golden.json by Scripts/make_gguf_fixtures.py):
/// byte-level BPE with the default and the Llama-3 split, and a SentencePiece vocabulary whose
/// merges are rebuilt from scores.
@Suite("GGUF tokenizers")
struct GGUFTokenizerTests {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids_with_special: [Int]
        let decoded: String
        let decoded_skip: String
    }

    struct Golden: Decodable {
        let cases: [Case]
        let bos_token: String?
        let eos_token: String?
        let pad_token: String?
        let unk_token: String?
        let vocab_size: Int
        let chat_template: String?
    }

    static let files = ["tiny-llama.gguf", "tokenizer-bpe.gguf", "tokenizer-spm.gguf", "tokenizer-gemma.gguf"]

    static func golden(_ file: String) throws -> Golden {
        let all = try JSONDecoder().decode([String: Golden].self,
                                           from: Data(contentsOf: Fixtures.gguf("tokenizers.golden.json")))
        return try #require(all[file])
    }

    @Test(arguments: files)
    func encodesLikeTransformers(_ file: String) throws {
        let golden = try Self.golden(file)
        let tokenizer = try Tokenizer(directory: Fixtures.gguf(file))
        for c in golden.cases {
            #expect(tokenizer.encode(c.text) == c.ids, "\(file): \(c.text.debugDescription)")
            #expect(tokenizer.encode(c.text, addSpecialTokens: true) == c.ids_with_special, "\(file): \(c.text.debugDescription)")
            #expect(tokenizer.decode(c.ids) == c.decoded, "\(file): \(c.text.debugDescription)")
            #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip, "\(file): \(c.text.debugDescription)")
        }
    }

    @Test(arguments: files)
    func specialTokensAndTemplate(_ file: String) throws {
        let golden = try Self.golden(file)
        let tokenizer = try Tokenizer(directory: Fixtures.gguf(file))
        #expect(tokenizer.config.bosToken == golden.bos_token)
        #expect(tokenizer.config.eosToken == golden.eos_token)
        #expect(tokenizer.config.padToken == golden.pad_token)
        #expect(tokenizer.config.unkToken == golden.unk_token)
        #expect(tokenizer.vocabularySize == golden.vocab_size)
        #expect(tokenizer.config.chatTemplate == golden.chat_template)
    }

    @Test func chatTemplateIsDetected() throws {
        let tokenizer = try Tokenizer(directory: Fixtures.gguf("tiny-llama.gguf"))
        let source = try #require(tokenizer.config.chatTemplate)
        #expect(try tokenizer.chatTemplate == .jinja(JinjaTemplate(source: source)))
        #expect(try tokenizer.applyChatTemplate([.user("Hi")], addGenerationPrompt: true)
            == ChatTemplate.chatml.render([.user("Hi")], addGenerationPrompt: true))
    }

    /// transformers' `generate_merges` on a small vocabulary (expected list printed by
    /// transformers 5.24): higher score first, then longer left part, then longer right part.
    @Test func generateMerges() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"]
        let scores: [Double] = [0, 0, 0, -1, -2, -1]
        let merges = GGUFFile.generateMerges(tokens: tokens, scores: scores)
        #expect(merges == [["ab", "c"], ["a", "bc"], ["a", "b"], ["b", "c"]])
    }

    @Test func missingTokenizerIsNamed() throws {
        let file = try GGUFFile(contentsOf: Fixtures.gguf("dequant.gguf"))
        #expect(throws: GGUFError.missingMetadata(path: file.path, key: "tokenizer.ggml.model")) { try Tokenizer(gguf: file) }
    }
}
