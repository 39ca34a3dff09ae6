// Model configs: the three fixtures' config.json, legacy (transformers 4) keys, validation errors
// naming the file and key, encode → decode round trips, and the expected weight lists.

import Foundation
import Testing
@testable import DICEKit

@Suite("ModelConfig")
struct ModelConfigTests {
    static func decode(_ json: String, path: String = "config.json") throws -> ModelConfig {
        try ModelConfig.decode(Data(json.utf8), path: path)
    }

    @Test("the Llama fixture decodes (GQA, tied, transformers 5 rope_parameters)")
    func llamaFixture() throws {
        let config = try ModelConfig.load(contentsOf: Fixtures.model("llama-gqa-tied").appendingPathComponent("config.json"))
        guard let c = config.architecture as? LlamaConfig else { Issue.record("not llama"); return }
        #expect(c.modelType == .llama)
        #expect(c.vocabSize == 96 && c.hiddenSize == 32 && c.intermediateSize == 48)
        #expect(c.numHiddenLayers == 2 && c.numAttentionHeads == 4 && c.numKeyValueHeads == 2)
        #expect(c.headSize == 8 && c.ropeTheta == 10000 && c.rmsNormEps == 1e-6)
        #expect(c.tieWordEmbeddings && !c.hasQKVBias && !c.hasOutputBias)
        #expect(c.maxPositionEmbeddings == 128 && c.eosTokenId == .single(2))
        #expect(c.torchDtype == "float32")
    }

    @Test("the Qwen2 fixture decodes with q/k/v biases, θ = 1e6 and an EOS list")
    func qwen2Fixture() throws {
        let config = try ModelConfig.load(contentsOf: Fixtures.model("qwen2-bias").appendingPathComponent("config.json"))
        guard let c = config.architecture as? Qwen2Config else { Issue.record("not qwen2"); return }
        #expect(config.modelType == "qwen2" && config.spec.attentionBias && !config.spec.outputBias)
        #expect(c.numKeyValueHeads == 1 && c.ropeTheta == 1e6 && !c.tieWordEmbeddings)
        #expect(c.intermediateSize == 40)
        #expect(c.eosTokenId == .list([2, 3]) && config.eosTokenId?.contains(3) == true)
    }

    @Test("the GPT-2 fixture decodes")
    func gpt2Fixture() throws {
        let config = try ModelConfig.load(contentsOf: Fixtures.model("gpt2").appendingPathComponent("config.json"))
        guard let c = config.architecture as? GPT2Config else { Issue.record("not gpt2"); return }
        #expect(c.vocabSize == 96 && c.nEmbd == 32 && c.nLayer == 2 && c.nHead == 4 && c.nPositions == 64)
        #expect(c.innerSize == 128 && c.layerNormEpsilon == 1e-5 && c.activationFunction == "gelu_new")
    }

    @Test("transformers 4 keys: top-level rope_theta, torch_dtype, no num_key_value_heads")
    func legacyKeys() throws {
        let config = try Self.decode("""
        {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 10,
         "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2,
         "rope_theta": 500000.0, "rope_scaling": null, "torch_dtype": "bfloat16", "sliding_window": 4096,
         "hidden_act": "silu", "eos_token_id": 2}
        """)
        guard let c = config.architecture as? LlamaConfig else { Issue.record("not llama"); return }
        #expect(c.modelType == .mistral && c.numKeyValueHeads == 2 && c.ropeTheta == 500000)
        #expect(c.torchDtype == "bfloat16" && c.slidingWindow == 4096 && !c.hasQKVBias)
    }

    @Test("every fixture config survives encode → decode", arguments: Fixtures.modelNames)
    func roundTrip(name: String) throws {
        let config = try ModelConfig.load(contentsOf: Fixtures.model(name).appendingPathComponent("config.json"))
        let again = try ModelConfig.decode(config.encodedJSON(), path: "re-encoded")
        #expect(again == config)
        let json = try JSONSerialization.jsonObject(with: config.encodedJSON()) as? [String: Any]
        #expect(json?["architectures"] as? [String] != nil)
        #expect(json?["model_type"] as? String == config.modelType)
        #expect(json?["torch_dtype"] as? String == "float32")
    }

    @Test("an unsupported model_type names it and lists the supported ones")
    func unsupportedModelType() {
        let error = #expect(throws: FormatError.self) {
            try Self.decode(#"{"model_type": "bert", "vocab_size": 10}"#, path: "/m/config.json")
        }
        #expect(error == .unsupportedModelType(path: "/m/config.json", modelType: "bert",
                                               supported: ["llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma3_text", "gemma3"]))
    }

    @Test("a …ForSequenceClassification class gives a score head: num_labels, else id2label, else transformers' 2")
    func sequenceClassifier() throws {
        let base = #""model_type": "llama", "vocab_size": 10, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2"#
        for (extra, labels) in [("", 2), (#", "num_labels": 1"#, 1), (#", "id2label": {"0": "a", "1": "b", "2": "c"}"#, 3)] {
            let config = try Self.decode(#"{"architectures": ["LlamaForSequenceClassification"], "#  + base + extra + "}",
                                         path: "/m/config.json")
            #expect(config.head == .score(labels: labels))
            #expect(config.expectedWeights().last.map { $0.name } == "score.weight")
            #expect(config.expectedWeights().last.map { $0.shape } == [labels, 16])
            #expect(!config.expectedWeights().contains { $0.name == "lm_head.weight" })
        }
        #expect(try Self.decode("{" + base + "}", path: "/m/config.json").head == .languageModel)
        let error = #expect(throws: FormatError.self) {
            try Self.decode(#"{"architectures": ["LlamaForSequenceClassification"], "num_labels": 0, "# + base + "}",
                            path: "/m/config.json")
        }
        guard case .invalidConfig(_, let key, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(key == "num_labels")
    }

    @Test("an unsupported architecture is named")
    func unsupportedArchitecture() {
        let error = #expect(throws: FormatError.self) {
            try Self.decode("""
            {"architectures": ["LlamaForTokenClassification"], "model_type": "llama", "vocab_size": 10,
             "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2}
            """, path: "/m/config.json")
        }
        guard case .unsupportedArchitecture(let path, let architecture, let supported) = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(path == "/m/config.json" && architecture == "LlamaForTokenClassification")
        #expect(supported.contains("Qwen2ForCausalLM") && supported.contains("GPT2LMHeadModel"))
    }

    static let llamaBase = #""model_type": "llama", "vocab_size": 10, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1"#

    @Test("invalid or unsupported values name the key", arguments: [
        (#", "num_attention_heads": 2, "hidden_act": "gelu""#, "hidden_act"),
        (#", "num_attention_heads": 2, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}"#, "rope_scaling.low_freq_factor"),
        (#", "num_attention_heads": 2, "rope_scaling": {"type": "dynamic", "factor": 2.0}"#, "rope_scaling.rope_type"),
        (#", "num_attention_heads": 2, "rope_scaling": {"rope_type": "linear"}"#, "rope_scaling.factor"),
        (#", "num_attention_heads": 2, "rope_parameters": {"rope_type": "yarn", "rope_theta": 1.0}"#, "rope_parameters.rope_type"),
        (#", "num_attention_heads": 4, "num_key_value_heads": 3"#, "num_key_value_heads"),
        (#", "num_attention_heads": 3"#, "hidden_size"),
        (#", "num_attention_heads": 0"#, "num_attention_heads"),
        (#", "num_attention_heads": "2""#, "num_attention_heads"),
        ("", "num_attention_heads"),
    ])
    func invalidValues(extra: String, key: String) {
        let error = #expect(throws: FormatError.self) {
            try Self.decode("{" + Self.llamaBase + extra + "}", path: "/m/config.json")
        }
        guard case .invalidConfig(let path, let errorKey, _) = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(path == "/m/config.json" && errorKey == key)
    }

    @Test("GPT-2 rejects other activations and untied heads")
    func gpt2Invalid() {
        let base = #""model_type": "gpt2", "vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2"#
        let e1 = #expect(throws: FormatError.self) {
            try Self.decode("{" + base + #", "activation_function": "relu"}"#)
        }
        #expect(e1 == .invalidConfig(path: "config.json", key: "activation_function",
                                     reason: "\"relu\" is not supported (expected gelu_new or gelu_pytorch_tanh)"))
        #expect(throws: FormatError.self) { try Self.decode("{" + base + #", "tie_word_embeddings": false}"#) }
    }

    @Test("config.json that is not JSON, or lacks model_type, is rejected naming the file")
    func notJSON() {
        let e1 = #expect(throws: FormatError.self) { try Self.decode("nope", path: "/c.json") }
        #expect(e1?.path == "/c.json")
        let e2 = #expect(throws: FormatError.self) { try Self.decode(#"{"vocab_size": 3}"#, path: "/c.json") }
        #expect(e2 == .invalidConfig(path: "/c.json", key: "model_type", reason: "missing field \"model_type\""))
    }

    @Test("generation_config.json decodes int or list EOS and round-trips")
    func generationConfig() throws {
        let g = try GenerationConfig.load(contentsOf: Fixtures.model("qwen2-bias").appendingPathComponent("generation_config.json"))
        #expect(g.eosTokenId == .list([2, 3]) && g.bosTokenId == .single(1) && g.temperature == nil)
        let custom = GenerationConfig(eosTokenId: .single(7), temperature: 0.7, topP: 0.9, topK: 50,
                                      maxNewTokens: 64, doSample: true, repetitionPenalty: 1.1)
        let again = try JSONDecoder().decode(GenerationConfig.self, from: custom.encodedJSON())
        #expect(again == custom)
        let text = String(decoding: try custom.encodedJSON(), as: UTF8.self)
        #expect(text.contains("\"max_new_tokens\" : 64") && text.contains("\"top_p\" : 0.9"))
    }

    // MARK: - Expected weights

    @Test("expected weights: Llama with GQA and tied embeddings")
    func llamaWeights() {
        let config = ModelConfig(LlamaConfig(vocabSize: 96, hiddenSize: 32, intermediateSize: 48,
                                                   numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
                                                   tieWordEmbeddings: true))
        let weights = Dictionary(uniqueKeysWithValues: config.expectedWeights().map { ($0.name, $0.shape) })
        #expect(weights.count == 1 + 2 * 9 + 1)
        #expect(weights["model.embed_tokens.weight"] == [96, 32])
        #expect(weights["model.layers.1.self_attn.k_proj.weight"] == [16, 32])
        #expect(weights["model.layers.0.self_attn.o_proj.weight"] == [32, 32])
        #expect(weights["model.layers.0.mlp.down_proj.weight"] == [32, 48])
        #expect(weights["lm_head.weight"] == nil)
    }

    @Test("expected weights: Qwen2 has q/k/v biases and an untied head")
    func qwen2Weights() {
        let config = ModelConfig(Qwen2Config(vocabSize: 96, hiddenSize: 32, intermediateSize: 40,
                                                  numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 1))
        let weights = Dictionary(uniqueKeysWithValues: config.expectedWeights().map { ($0.name, $0.shape) })
        #expect(weights["model.layers.0.self_attn.q_proj.bias"] == [32])
        #expect(weights["model.layers.0.self_attn.v_proj.bias"] == [8])
        #expect(weights["model.layers.0.self_attn.o_proj.bias"] == nil)
        #expect(weights["lm_head.weight"] == [96, 32])
    }

    @Test("expected weights: GPT-2 Conv1D layouts")
    func gpt2Weights() {
        let config = ModelConfig(GPT2Config(vocabSize: 96, nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 64))
        let weights = Dictionary(uniqueKeysWithValues: config.expectedWeights().map { ($0.name, $0.shape) })
        #expect(weights.count == 2 + 2 * 12 + 2)
        #expect(weights["transformer.h.0.attn.c_attn.weight"] == [32, 96])
        #expect(weights["transformer.h.1.mlp.c_fc.weight"] == [32, 128])
        #expect(weights["transformer.h.1.mlp.c_proj.weight"] == [128, 32])
        #expect(weights["transformer.wpe.weight"] == [64, 32])
    }
}
