// Locating and reading the committed tokenizer fixtures (made by Scripts/make_tokenizer_fixtures.py).

import Foundation
@testable import DICEKit

enum TokenizerFixtures {
    /// The fixture tokenizers, one directory each under Tests/Fixtures/tokenizers.
    static let names = ["gpt2_bytelevel", "llama3_split", "llama2_spm", "mistral_metaspace", "digits_bytelevel",
                        "qwen2_split", "gemma_spm"]

    /// Tests/Fixtures, found by walking up from this source file.
    static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent("Fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("tokenizers").path) {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    static func directory(_ name: String) -> URL {
        root.appendingPathComponent("tokenizers").appendingPathComponent(name)
    }

    struct Case: Decodable {
        var text: String
        var ids: [Int]
        var ids_with_special: [Int]
        var tokens: [String]
        var decoded: String
        var decoded_skip_special: String
    }

    struct DecodeCase: Decodable {
        var ids: [Int]
        var decoded: String
        var decoded_skip_special: String
    }

    struct Chat: Decodable {
        var messages: [ChatMessage]
        var add_generation_prompt: Bool
        var rendered: String
    }

    struct Golden: Decodable {
        var vocab_size: Int
        var bos_token_id: Int?
        var eos_token_id: Int?
        var pad_token_id: Int?
        var cases: [Case]
        var decode_cases: [DecodeCase]
        var chats: [Chat]
    }

    static func golden(_ name: String) throws -> Golden {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("golden.json"))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(directory: directory(name))
    }

    static func tokenizerJSON(_ name: String) throws -> Data {
        try Data(contentsOf: directory(name).appendingPathComponent("tokenizer.json"))
    }
}
