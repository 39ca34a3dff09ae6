import Foundation
import Testing
@testable import DICEKit

/// Gemma 3's GGUF mapping on Tests/Fixtures/gguf/tiny-gemma3.gguf (the gemma3 model fixture
/// written as convert_hf_to_gguf.py writes a Gemma 3, by Scripts/make-arch-fixtures.py): the
/// configuration from `gemma3.*` metadata, llama.cpp's names, the +1 on norm weights taken off,
/// and logits equal to the Hugging Face fixture's weights under the configuration GGUF implies
/// (llama.cpp fixes what GGUF does not store: every sixth layer global, local base 10000,
/// query_pre_attn_scalar = head_dim).
@Suite("GGUF Gemma 3 models")
struct GGUFGemma3Tests {
    @Test func configFromMetadata() throws {
        let c = try Gemma3TextConfig(gguf: GGUFFile(contentsOf: Fixtures.gguf("tiny-gemma3.gguf")))
        #expect(c.vocabSize == 96 && c.hiddenSize == 32 && c.intermediateSize == 48 && c.numHiddenLayers == 3)
        #expect(c.numAttentionHeads == 4 && c.numKeyValueHeads == 2 && c.headDim == 16)
        #expect(c.queryPreAttnScalar == 16 && c.slidingWindow == 4 && c.maxPositionEmbeddings == 128)
        #expect(c.ropeTheta == 1e6 && c.ropeScaling == .linear(factor: 2) && c.ropeLocalBaseFreq == 10000)
        #expect(c.layerTypes == [.slidingAttention, .slidingAttention, .slidingAttention])
        #expect(c.tieWordEmbeddings && c.rmsNormEps == Double(Float(1e-6)))
        #expect(c.bosTokenId == .single(1) && c.eosTokenId == .single(2))
    }

    /// llama.cpp scales a 62-layer Gemma 3 (its 27B) by 1/√(hidden / heads), as that model's
    /// config.json (query_pre_attn_scalar 168 = 5376 / 32); every other size by 1/√head_dim.
    @Test(arguments: [(62, 168), (26, 128)])
    func queryScalarOf27B(_ layers: Int, _ scalar: Int) throws {
        var b = GGUFBytes()
        let keys: [(String, UInt32)] = [
            ("gemma3.embedding_length", 5376), ("gemma3.block_count", UInt32(layers)),
            ("gemma3.feed_forward_length", 21504), ("gemma3.attention.head_count", 32),
            ("gemma3.attention.head_count_kv", 16), ("gemma3.attention.key_length", 128),
        ]
        b.header(tensors: 1, kvs: UInt64(keys.count + 1))
        b.kvString("general.architecture", "gemma3")
        for (key, value) in keys { b.kvU32(key, value) }
        b.tensor("token_embd.weight", dims: [5376, 2], type: 0, offset: 0)
        b.padAndData(count: 5376 * 2 * 4)
        let c = try Gemma3TextConfig(gguf: GGUFFile(data: b.data, path: "gemma3-\(layers).gguf"))
        #expect(c.queryPreAttnScalar == Double(scalar) && c.headDim == 128 && c.numHiddenLayers == layers)
    }

    @Test(arguments: [
        ("token_embd.weight", "model.embed_tokens.weight"), ("output_norm.weight", "model.norm.weight"),
        ("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"),
        ("blk.1.attn_q_norm.weight", "model.layers.1.self_attn.q_norm.weight"),
        ("blk.1.attn_k_norm.weight", "model.layers.1.self_attn.k_norm.weight"),
        ("blk.2.post_attention_norm.weight", "model.layers.2.post_attention_layernorm.weight"),
        ("blk.2.ffn_norm.weight", "model.layers.2.pre_feedforward_layernorm.weight"),
        ("blk.17.post_ffw_norm.weight", "model.layers.17.post_feedforward_layernorm.weight"),
        ("blk.0.attn_output.weight", "model.layers.0.self_attn.o_proj.weight"),
        ("blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight"),
    ])
    func names(_ gguf: String, _ hf: String) {
        #expect(Gemma3TextConfig.huggingFaceName(ggufName: gguf) == hf)
        #expect(Gemma3TextConfig.ggufName(huggingFaceName: hf) == gguf)
    }

    @Test func weightsAndLogitsEqualTheHuggingFaceFixture() throws {
        let gguf = try ModelDirectory.read(from: Fixtures.gguf("tiny-gemma3.gguf"))
        let hf = try ModelDirectory.read(from: Fixtures.model("gemma3"))
        #expect(Set(gguf.tensors.keys) == Set(hf.tensors.keys) && gguf.ignoredTensors.isEmpty)
        for (name, tensor) in hf.tensors {
            let got = try #require(gguf.tensors[name])
            #expect(got.shape == tensor.shape, "\(name)")
            // (w + 1) − 1 in Float32 is w up to the rounding of w + 1.
            let tolerance: Float = name.hasSuffix("norm.weight") ? Float(1).ulp : 0
            #expect(zip(got.values, tensor.values).allSatisfy { abs($0 - $1) <= tolerance }, "\(name)")
        }
        let expected = ModelDirectory(config: gguf.config, generationConfig: nil, tensors: hf.tensors, ignoredTensors: [])
        let sequences = [[3, 17, 42, 8, 61, 9, 0, 95, 12], [5, 6]]
        let want = try TransformerLM(expected, backend: CPUBackend()).logits(sequences)
        let got = try TransformerLM(gguf, backend: CPUBackend()).logits(sequences)
        for (g, w) in zip(got, want) {
            #expect(DecodingTests.maxError(g[...], w[...]) < 1e-5)
        }
    }
}
