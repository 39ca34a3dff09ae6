// The architecture registry: the standard registry lists exactly the supported model types;
// each architecture's declared weights are the ones its built model holds and uses; unknown
// model types are refused with the supported list; and an architecture defined here, in a test,
// registers at run time and round-trips (build, save, load) — the claim of
// Documentation/Architectures.md.

import Foundation
import Testing
@testable import DICEKit

/// A test-only architecture built from the shared layers in a combination no shipped one uses:
/// RMSNorm, one fused bias-free q/k/v projection in `[out, in]` layout, learned positions, a GELU
/// MLP and a tied head, under names of its own (`tok`, `pos`, `blocks.{i}.…`, `norm`).
struct TinyConfig: Architecture {
    var vocabSize: Int
    var width: Int
    var depth: Int
    var heads: Int
    var positions: Int
    var eosTokenId: TokenIDs?
    var torchDtype = "float32"

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case width, depth, heads, positions
        case eosTokenId = "eos_token_id"
        case torchDtype = "torch_dtype"
    }

    static var modelTypes: [String] { ["tiny"] }
    static var transformersClasses: [String] { ["TinyForCausalLM"] }
    static var layerCountKey: String { "depth" }

    init(vocabSize: Int, width: Int, depth: Int, heads: Int, positions: Int, eosTokenId: TokenIDs? = nil) {
        self.vocabSize = vocabSize
        self.width = width
        self.depth = depth
        self.heads = heads
        self.positions = positions
        self.eosTokenId = eosTokenId
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        width = try c.decode(Int.self, forKey: .width)
        depth = try c.decode(Int.self, forKey: .depth)
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? 1
        positions = try c.decodeIfPresent(Int.self, forKey: .positions) ?? 64
        eosTokenId = try c.decodeIfPresent(TokenIDs.self, forKey: .eosTokenId)
        torchDtype = try c.decodeIfPresent(String.self, forKey: .torchDtype) ?? "float32"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("tiny", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(width, forKey: .width)
        try c.encode(depth, forKey: .depth)
        try c.encode(heads, forKey: .heads)
        try c.encode(positions, forKey: .positions)
        try c.encodeIfPresent(eosTokenId, forKey: .eosTokenId)
        try c.encode(torchDtype, forKey: .torchDtype)
    }

    init(spec: TransformerSpec) throws {
        guard spec.modelType == "tiny", spec.tiedEmbeddings, spec.kvHeads == spec.heads,
              spec.heads * spec.headSize == spec.hiddenSize, spec.intermediateSize == 2 * spec.hiddenSize else {
            throw ModelError.invalidSpec("tiny: tied, no grouping, I = 2C")
        }
        self.init(vocabSize: spec.vocabularySize, width: spec.hiddenSize, depth: spec.layers, heads: spec.heads,
                  positions: spec.maxPositions)
    }

    var spec: TransformerSpec {
        TransformerSpec(modelType: "tiny", vocabularySize: vocabSize, hiddenSize: width, intermediateSize: 2 * width,
                        layers: depth, heads: heads, kvHeads: heads, maxPositions: positions, tiedEmbeddings: true)
    }

    var layout: ModelLayout {
        let c = width, d = width / heads
        let blocks = (0..<depth).map { l in
            let p = "blocks.\(l)."
            return ModelLayout.Block(
                attentionNorm: ModelLayout.Norm(.rms, module: p + "norm1", width: c, epsilon: 1e-5),
                attention: ModelLayout.Attention(
                    projections: .fused(qkv: ModelLayout.Linear(module: p + "attn.qkv", inputs: c, outputs: 3 * c, hasBias: false)),
                    output: ModelLayout.Linear(module: p + "attn.out", inputs: c, outputs: c, hasBias: true),
                    heads: heads, kvHeads: heads, headSize: d),
                feedForwardNorm: ModelLayout.Norm(.rms, module: p + "norm2", width: c, epsilon: 1e-5),
                feedForward: .gelu(fc: ModelLayout.Linear(module: p + "mlp.fc", inputs: c, outputs: 2 * c, hasBias: true),
                                   proj: ModelLayout.Linear(module: p + "mlp.proj", inputs: 2 * c, outputs: c, hasBias: false)))
        }
        return ModelLayout(tokenEmbedding: ModelLayout.Table(module: "tok", rows: vocabSize, width: c),
                           positionEmbedding: ModelLayout.Table(module: "pos", rows: positions, width: c),
                           blocks: blocks, finalNorm: ModelLayout.Norm(.rms, module: "norm", width: c, epsilon: 1e-5),
                           outputProjection: nil)
    }
}

@Suite("Architecture registry")
struct ArchitectureRegistryTests {
    @Test("the standard registry lists exactly the supported model types, classes and GGUF architectures")
    func standardRegistry() throws {
        let registry = ArchitectureRegistry.standard
        #expect(registry.modelTypes == ["llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma3_text", "gemma3"])
        #expect(registry.transformersClasses == ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
                                                 "GPT2LMHeadModel", "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration"])
        #expect(registry.ggufArchitectures == ["llama", "gemma3"])
        func id(_ type: (any Architecture.Type)?) -> ObjectIdentifier? { type.map { ObjectIdentifier($0) } }
        #expect(id(registry.architecture(modelType: "llama")) == ObjectIdentifier(LlamaConfig.self))
        #expect(id(registry.architecture(modelType: "mistral")) == ObjectIdentifier(LlamaConfig.self))
        #expect(id(registry.architecture(modelType: "qwen2")) == ObjectIdentifier(Qwen2Config.self))
        #expect(id(registry.architecture(modelType: "gpt2")) == ObjectIdentifier(GPT2Config.self))
        #expect(id(registry.architecture(modelType: "qwen3")) == ObjectIdentifier(Qwen3Config.self))
        #expect(id(registry.architecture(modelType: "gemma3_text")) == ObjectIdentifier(Gemma3TextConfig.self))
        #expect(id(registry.architecture(modelType: "gemma3")) == ObjectIdentifier(Gemma3TextConfig.self))
        #expect(id(registry.architecture(modelType: "t5")) == nil)
        #expect(id(registry.ggufArchitecture(named: "gemma3")) == ObjectIdentifier(Gemma3TextConfig.self))
        #expect(id(registry.ggufArchitecture(named: "llama")) == ObjectIdentifier(LlamaConfig.self))
        #expect(id(registry.ggufArchitecture(named: "gpt2")) == nil)
        #expect(ModelConfig.supportedModelTypes == registry.modelTypes)
    }

    @Test("registering a model type twice is refused and leaves the registry unchanged")
    func duplicateRegistration() throws {
        var registry = ArchitectureRegistry.standard
        try registry.register(TinyConfig.self)
        #expect(throws: ModelError.modelTypeTaken(modelType: "tiny", by: "TinyConfig")) {
            try registry.register(TinyConfig.self)
        }
        #expect(throws: ModelError.modelTypeTaken(modelType: "llama", by: "LlamaConfig")) {
            try registry.register(LlamaConfig.self)
        }
        #expect(registry.modelTypes == ["llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma3_text", "gemma3", "tiny"])
        #expect(ArchitectureRegistry.standard.modelTypes == ["llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma3_text", "gemma3"])
    }

    @Test("an unsupported model_type is refused naming it and listing the supported ones")
    func unsupportedModelType() throws {
        let error = #expect(throws: FormatError.self) {
            try ModelConfig.decode(Data(#"{"model_type": "tiny", "vocab_size": 10, "width": 8, "depth": 1}"#.utf8),
                                   path: "/m/config.json")
        }
        #expect(error == .unsupportedModelType(path: "/m/config.json", modelType: "tiny",
                                               supported: ["llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma3_text", "gemma3"]))
        let spec = TransformerSpec(modelType: "t5", vocabularySize: 10, hiddenSize: 8, intermediateSize: 16,
                                   layers: 1, heads: 2, kvHeads: 2)
        #expect(throws: ModelError.invalidSpec("model type \"t5\" is not one of [\"llama\", \"mistral\", \"qwen2\", \"qwen3\", \"gpt2\", \"gemma3_text\", \"gemma3\"]")) {
            try TransformerLM(spec: spec, backend: CPUBackend())
        }
    }

    /// Every weight the architecture declares is a parameter of the built model, in the order
    /// of the checkpoint's names (from PyTorch), and every parameter receives a gradient: no
    /// declared weight is left out of the blocks. (Key biases are the exception: adding one
    /// vector to every key leaves the softmax unchanged, so their exact gradient is zero.)
    @Test("declared weights are exactly the built model's parameters, and all are used", arguments: Fixtures.modelNames)
    func declaredWeightsAreUsed(name: String) throws {
        let directory = try ModelDirectory.read(from: Fixtures.model(name))
        let model = try TransformerLM(directory, backend: CPUBackend())
        let declared = directory.config.layout.weights
        #expect(model.parameters.entries.map(\.name) == declared.map(\.name))
        #expect(model.parameters.entries.map(\.shape) == declared.map(\.shape))
        #expect(Set(declared.map(\.name)) == Set(directory.tensors.keys))
        try model.parameters.zeroGradients()
        let pairs = [TokenPair(prompt: [1, 2, 3], response: [4, 5]), TokenPair(prompt: [6], response: [7, 8, 9])]
        let (_, pullback) = try model.logProbsWithPullback(pairs)
        try pullback([1, 1])
        for entry in model.parameters.entries where !entry.name.hasSuffix("k_proj.bias") {
            let gradient = try model.parameters.gradient(entry).toArray()
            #expect(gradient.contains { $0 != 0 }, "\(name): \(entry.name) gets no gradient")
        }
    }

    @Test("the benchmark model has the parameter count of its closed form")
    func smallParameterCount() throws {
        let (v, c, i, l, kv) = (8192, 512, 1536, 8, 4 * 64)
        let perLayer = 2 * c + 2 * c * c + 2 * kv * c + 3 * i * c
        let model = try TransformerLM(spec: .small, backend: CPUBackend())
        #expect(model.parameters.count == 2 * v * c + l * perLayer + c)
        #expect(model.config.modelType == "llama" && model.spec == .small)
    }

    @Test("each shipped architecture's spec maps to its config and back", arguments: [
        TransformerSpec(modelType: "llama", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 2,
                        heads: 4, kvHeads: 2, tiedEmbeddings: true, attentionBias: true, outputBias: true, mlpBias: true),
        TransformerSpec(modelType: "mistral", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 1, headSize: 4, ropeTheta: 1e6),
        TransformerSpec(modelType: "qwen2", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 4, kvHeads: 1, attentionBias: true),
        TransformerSpec(modelType: "gpt2", vocabularySize: 20, hiddenSize: 16, intermediateSize: 64, layers: 2,
                        heads: 4, kvHeads: 4, maxPositions: 32, tiedEmbeddings: true),
        TransformerSpec(modelType: "qwen3", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 4, kvHeads: 1, headSize: 8),
        TransformerSpec(modelType: "gemma3_text", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 7,
                        heads: 4, kvHeads: 1, headSize: 8, normEpsilon: 1e-6, ropeTheta: 1e6, tiedEmbeddings: true),
    ])
    func specRoundTrip(spec: TransformerSpec) throws {
        let config = try ModelConfig(spec)
        #expect(config.spec == spec)
        #expect(config.modelType == spec.modelType)
        let again = try ModelConfig.decode(config.encodedJSON(), path: "config.json")
        #expect(again == config)
    }

    @Test("a spec an architecture cannot express is refused", arguments: [
        TransformerSpec(modelType: "llama", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 2, attentionBias: true),
        TransformerSpec(modelType: "mistral", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 2, mlpBias: true),
        TransformerSpec(modelType: "qwen2", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 2),
        TransformerSpec(modelType: "qwen3", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 2, attentionBias: true),
        TransformerSpec(modelType: "gemma3_text", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 2, kvHeads: 2, mlpBias: true),
        TransformerSpec(modelType: "gpt2", vocabularySize: 20, hiddenSize: 16, intermediateSize: 24, layers: 1,
                        heads: 4, kvHeads: 2, tiedEmbeddings: true),
        TransformerSpec(modelType: "llama", vocabularySize: 20, hiddenSize: 12, intermediateSize: 24, layers: 1,
                        heads: 4, kvHeads: 2),
    ])
    func inexpressibleSpec(spec: TransformerSpec) {
        #expect(throws: ModelError.self) { try ModelConfig(spec) }
    }

    @Test("a test-only architecture registers at run time and round-trips: build, save, load")
    func customArchitectureRoundTrip() throws {
        var registry = ArchitectureRegistry.standard
        try registry.register(TinyConfig.self)
        let config = ModelConfig(TinyConfig(vocabSize: 11, width: 8, depth: 2, heads: 2, positions: 16, eosTokenId: .single(10)))
        let model = try TransformerLM(config: config, backend: CPUBackend())
        try model.initializeRandomly(seed: 5)
        #expect(try model.parameters.get("blocks.1.norm2.weight") == [Float](repeating: 1, count: 8))
        #expect(try model.parameters.get("blocks.0.attn.out.bias") == [Float](repeating: 0, count: 8))
        #expect(Set(try model.parameters.get("blocks.0.attn.qkv.weight")).count > 1)
        let sequences = [[1, 2, 3, 4], [5, 6, 10]]
        let logits = try model.logits(sequences)
        #expect(logits.map(\.count) == [4 * 11, 3 * 11] && logits.joined().allSatisfy(\.isFinite))

        let scratch = try ScratchFolder("tiny-architecture")
        defer { scratch.remove() }
        try model.modelDirectory(config: config).write(to: scratch.url)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.file("config.json"))) as? [String: Any]
        #expect(json?["model_type"] as? String == "tiny" && json?["depth"] as? Int == 2)
        let stored = try SafeTensorsFile(contentsOf: scratch.file("model.safetensors"))
        #expect(Set(stored.names) == Set(config.layout.weights.map(\.name)))
        #expect(stored.names.contains("pos.weight") && !stored.names.contains("lm_head.weight"))

        let loaded = try TransformerLM(directory: scratch.url, backend: CPUBackend(), registry: registry)
        #expect(loaded.config == config)
        #expect(try loaded.logits(sequences) == logits)
        #expect(throws: FormatError.self) { try ModelDirectory.read(from: scratch.url) }

        // The spec path goes through the registry too.
        let fromSpec = try TransformerLM(spec: config.spec, backend: CPUBackend(), registry: registry)
        #expect(fromSpec.config == config.withoutTokenIDs)
    }
}

extension ModelConfig {
    /// The tiny configuration without its EOS id (what a spec carries).
    fileprivate var withoutTokenIDs: ModelConfig {
        guard var tiny = architecture as? TinyConfig else { return self }
        tiny.eosTokenId = nil
        return ModelConfig(tiny)
    }
}
