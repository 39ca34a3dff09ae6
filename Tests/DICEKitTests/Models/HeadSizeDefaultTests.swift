import Foundation
import Testing
@testable import DICEKit

/// A config.json without `head_dim`: Llama derives D = C / H (and refuses C not divisible by H);
/// Qwen3 uses transformers' `Qwen3Config` default D = 128 whatever C and H are.
@Suite("Head size without head_dim")
struct HeadSizeDefaultTests {
    static func json(_ modelType: String) -> Data {
        Data("""
        {"model_type": "\(modelType)", "vocab_size": 64, "hidden_size": 40, "intermediate_size": 48,
         "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 1,
         "max_position_embeddings": 32}
        """.utf8)
    }

    @Test func qwen3DefaultsTo128() throws {
        let c = try ConfigJSON.decode(Qwen3Config.self, from: Self.json("qwen3"), path: "config.json")
        #expect(c.headDim == nil && c.headSize == 128)
        #expect(c.spec.headSize == 128)
    }

    @Test func llamaNeedsHiddenDivisibleByHeads() {
        #expect {
            _ = try ConfigJSON.decode(LlamaConfig.self, from: Self.json("llama"), path: "config.json")
        } throws: { error in
            "\(error)".contains("hidden_size")
        }
    }
}
