// Normalizers, decoders and BPE model options, each decoded from the JSON `tokenizers` itself
// serialises and checked against its outputs (Tests/Fixtures/tokenizers/patterns.json).

import Foundation
import Testing
@testable import DICEKit

@Suite("Tokenizer components (tokenizers library)")
struct TokenizerComponentTests {
    struct Components: Decodable, Sendable {
        var normalizer_texts: [String]
        var normalized: [String: [String]]
        var normalizer_json: [String: JSONValue]
        var token_lists: [[String]]
        var decoded: [String: [String]]
        var decoder_json: [String: JSONValue]
        var models: [String: ModelCase]
    }

    struct ModelCase: Decodable, Sendable {
        var tokenizer: JSONValue
        var texts: [String]
        var ids: [[Int]]
        var decoded: [String]
    }

    static let components: Components? = {
        let url = TokenizerFixtures.root.appendingPathComponent("tokenizers/patterns.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Components.self, from: data)
    }()

    @Test("normalizers equal tokenizers' normalize_str",
          arguments: ["nfc", "nfd", "nfkc", "nfkd", "lowercase", "strip", "strip_left", "prepend_replace"])
    func normalizers(name: String) throws {
        let c = try #require(Self.components)
        let spec = try #require(c.normalizer_json[name])
        let normalizer = try JSONDecoder().decode(Normalizer.self, from: JSONEncoder().encode(spec))
        let expected = try #require(c.normalized[name])
        #expect(expected.count == c.normalizer_texts.count)
        for (text, want) in zip(c.normalizer_texts, expected) {
            let got = String(String.UnicodeScalarView(normalizer.normalize(Array(text.unicodeScalars))))
            #expect(Array(got.unicodeScalars) == Array(want.unicodeScalars), "\(name): \(text.debugDescription)")
        }
    }

    @Test("decoders equal tokenizers' decode",
          arguments: ["byte_fallback", "fuse", "strip", "strip_right", "replace", "metaspace_first",
                      "metaspace_never", "byte_level", "llama2"])
    func decoders(name: String) throws {
        let c = try #require(Self.components)
        let spec = try #require(c.decoder_json[name])
        let decoder = try JSONDecoder().decode(TokenDecoder.self, from: JSONEncoder().encode(spec))
        let expected = try #require(c.decoded[name])
        #expect(expected.count == 150)
        for (tokens, want) in zip(c.token_lists, expected) {
            #expect(decoder.decodeChain(tokens).joined() == want, "\(name): \(tokens)")
        }
    }

    @Test("BPE options: unk_token, fuse_unk, no unk, continuing_subword_prefix, end_of_word_suffix",
          arguments: ["unk_fused", "unk_unfused", "no_unk", "prefix", "suffix"])
    func models(name: String) throws {
        let c = try #require(Self.components)
        let model = try #require(c.models[name])
        let tokenizer = try Tokenizer(tokenizerJSON: JSONEncoder().encode(model.tokenizer), config: nil)
        for (i, text) in model.texts.enumerated() {
            #expect(tokenizer.encode(text) == model.ids[i], "\(name): \(text.debugDescription)")
            #expect(tokenizer.decode(model.ids[i]) == model.decoded[i], "\(name): \(text.debugDescription)")
        }
    }
}
