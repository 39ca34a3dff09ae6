import Foundation
import Testing
@testable import DICEKit

/// A tiny quantised Llama GGUF (Tests/Fixtures/gguf/tiny-llama.gguf) against transformers'
/// `from_pretrained(dir, gguf_file=…)` (goldens by Scripts/make_gguf_fixtures.py): configuration,
/// names, Q/K un-permutation, and logits within 1e-4.
@Suite("GGUF Llama models")
struct GGUFLlamaTests {
    struct Golden: Decodable { let sequences: [[Int]] }

    @Test func configFromMetadata() throws {
        let c = try LlamaConfig(gguf: GGUFFile(contentsOf: Fixtures.gguf("tiny-llama.gguf")))
        #expect(c.vocabSize == 702)
        #expect(c.hiddenSize == 256)
        #expect(c.intermediateSize == 256)
        #expect(c.numHiddenLayers == 1)
        #expect(c.numAttentionHeads == 4)
        #expect(c.numKeyValueHeads == 2)
        #expect(c.headSize == 64)
        #expect(c.maxPositionEmbeddings == 128)
        #expect(c.rmsNormEps == Double(Float(1e-5)))
        #expect(c.ropeTheta == 50000)
        #expect(!c.tieWordEmbeddings)
        #expect(c.bosTokenId == .single(0))
        #expect(c.eosTokenId == .single(2))
        #expect(c.padTokenId == 0)
    }

    @Test(arguments: [
        ("token_embd.weight", "model.embed_tokens.weight"), ("output.weight", "lm_head.weight"),
        ("output_norm.weight", "model.norm.weight"), ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"),
        ("blk.12.attn_k.weight", "model.layers.12.self_attn.k_proj.weight"),
        ("blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"),
        ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
        ("blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight"),
        ("blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight"),
        ("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"),
        ("blk.29.attn_norm.weight", "model.layers.29.input_layernorm.weight"),
        ("blk.29.ffn_norm.weight", "model.layers.29.post_attention_layernorm.weight"),
    ])
    func names(_ gguf: String, _ hf: String) {
        #expect(LlamaConfig.huggingFaceName(ggufName: gguf) == hf)
        #expect(LlamaConfig.ggufName(huggingFaceName: hf) == gguf)
    }

    @Test func unknownNamesAreNotMapped() {
        for name in ["rope_freqs.weight", "blk.x.attn_q.weight", "blk.01.attn_q.weight", "blk.0.attn_q", "blk.0.foo.weight"] {
            #expect(LlamaConfig.huggingFaceName(ggufName: name) == nil, "\(name)")
        }
    }

    /// convert_hf_to_gguf.py's `permute` applied by the fixture script to row indices, undone.
    @Test(arguments: [("q", 4), ("k", 2)])
    func unpermuteUndoesLlamaCppPermute(_ which: String, _ heads: Int) throws {
        let golden = try SafeTensorsFile(contentsOf: Fixtures.gguf("permute.safetensors"))
        let permuted = try golden.tensor("\(which).gguf")
        let original = try golden.tensor("\(which).hf")
        #expect(permuted != original)
        #expect(LlamaConfig.unpermute(permuted, heads: heads) == original)
    }

    @Test func directoryHasEveryWeight() throws {
        let directory = try ModelDirectory.read(from: Fixtures.gguf("tiny-llama.gguf"))
        #expect(Set(directory.tensors.keys) == Set(directory.config.expectedWeights().map(\.0)))
        #expect(directory.ignoredTensors.isEmpty)
        #expect(directory.generationConfig?.eosTokenId == .single(2))
    }

    @Test func logitsMatchTransformers() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Fixtures.gguf("tiny-llama.json")))
        let logitsFile = try SafeTensorsFile(contentsOf: Fixtures.gguf("tiny-llama.golden.safetensors"))
        let model = try TransformerLM(directory: Fixtures.gguf("tiny-llama.gguf"), backend: CPUBackend())
        let logits = try model.logits(golden.sequences)
        for (i, got) in logits.enumerated() {
            let want = try logitsFile.doubles("logits.\(i)")
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(worst < 1e-4, "sequence \(i): max error \(worst)")
        }
    }

    /// The directory written from the GGUF (what `dice convert` writes) reads back to the same
    /// weights, in f32 exactly.
    @Test func convertedDirectoryRoundTrips() throws {
        let scratch = try ScratchFolder("gguf-convert")
        defer { scratch.remove() }
        let gguf = try GGUFFile(contentsOf: Fixtures.gguf("tiny-llama.gguf"))
        let directory = try gguf.modelDirectory()
        try directory.write(to: scratch.url)
        let back = try ModelDirectory.read(from: scratch.url)
        #expect(back.config == directory.config)
        #expect(back.tensors == directory.tensors)
    }

    @Test func unsupportedArchitecture() throws {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("general.architecture")
        b.u32(8)
        b.string("mamba")
        let file = try GGUFFile(data: b.data, path: "m.gguf")
        #expect(throws: GGUFError.unsupportedArchitecture(path: "m.gguf", architecture: "mamba", supported: ["llama", "gemma3"])) {
            try file.modelDirectory()
        }
    }

    @Test func missingMetadataIsNamed() throws {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 2)
        b.string("general.architecture")
        b.u32(8)
        b.string("llama")
        b.kvU32("llama.attention.head_count", 4)
        let file = try GGUFFile(data: b.data, path: "m.gguf")
        #expect(throws: GGUFError.missingMetadata(path: "m.gguf", key: "llama.embedding_length")) { try LlamaConfig(gguf: file) }
    }
}
