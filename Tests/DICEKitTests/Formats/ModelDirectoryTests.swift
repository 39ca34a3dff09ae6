// Model directories: the three fixtures (one sharded) read and match expectedWeights and the
// goldens' gradient names; written directories re-read identically (single file, shards, BF16);
// damaged directories fail with errors naming the file and the tensor.

import Foundation
import Testing
@testable import DICEKit

@Suite("ModelDirectory")
struct ModelDirectoryTests {
    @Test("fixture directories load with every expected weight", arguments: Fixtures.modelNames)
    func readFixture(name: String) throws {
        let directory = try ModelDirectory.read(from: Fixtures.model(name))
        let expected = directory.config.expectedWeights()
        #expect(Set(directory.tensors.keys) == Set(expected.map(\.name)))
        for (weight, shape) in expected {
            #expect(directory.tensors[weight]?.shape == shape, "\(weight)")
        }
        #expect(directory.ignoredTensors.isEmpty)
        #expect(directory.generationConfig != nil)
        // Weights are randomised, norms around 1: nothing is left at an initial constant.
        for (weight, tensor) in directory.tensors where tensor.values.count > 1 {
            #expect(Set(tensor.values).count > 1, "\(weight) is constant")
        }
    }

    @Test("golden gradients cover exactly the expected weights, with their shapes", arguments: Fixtures.modelNames)
    func goldenNames(name: String) throws {
        let folder = Fixtures.model(name)
        let config = try ModelConfig.load(contentsOf: folder.appendingPathComponent("config.json"))
        let golden = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("golden.safetensors"))
        let grads = golden.names.filter { $0.hasPrefix("grad.") }
        #expect(Set(grads) == Set(config.expectedWeights().map { "grad." + $0.name }))
        for (weight, shape) in config.expectedWeights() {
            #expect(golden.entries["grad." + weight]?.shape == shape)
        }
        #expect(golden.entries["logprob"]?.shape == [3])
        #expect(golden.entries["logits.0"]?.shape == [12, 96])
        #expect(golden.entries["logits.1"]?.shape == [5, 96])
        #expect(golden.entries["logits.2"]?.shape == [10, 96])
        let logprob = try golden.doubles("logprob")
        #expect(logprob.allSatisfy { $0 < 0 && $0.isFinite })
    }

    @Test("the Qwen2 fixture is sharded")
    func shardedFixture() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.model("qwen2-bias").path)
        #expect(files.contains("model.safetensors.index.json"))
        #expect(files.filter { $0.hasPrefix("model-") }.count >= 2)
        #expect(!files.contains("model.safetensors"))
    }

    @Test("a written directory re-reads identically", arguments: Fixtures.modelNames)
    func writeAndReread(name: String) throws {
        let original = try ModelDirectory.read(from: Fixtures.model(name))
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let out = folder.file(name)
        try original.write(to: out)
        let again = try ModelDirectory.read(from: out)
        #expect(again.config == original.config)
        #expect(again.generationConfig == original.generationConfig)
        #expect(again.tensors == original.tensors)
        // Writing is deterministic, and leaves no temporary files.
        let first = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        try again.write(to: out)
        #expect(try Data(contentsOf: out.appendingPathComponent("model.safetensors")) == first)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == (original.generationConfig == nil ? ["config.json", "model.safetensors"]
                                                            : ["config.json", "generation_config.json", "model.safetensors"]))
        // For interop checks with transformers (Scripts/make_fixtures.py --check-dicekit-dir).
        if let export = ProcessInfo.processInfo.environment["DICEKIT_EXPORT_DIR"] {
            try original.write(to: URL(fileURLWithPath: export).appendingPathComponent(name))
            try original.write(to: URL(fileURLWithPath: export).appendingPathComponent(name + "-sharded"),
                               maxShardBytes: 16_000)
        }
    }

    @Test("sharded writing produces an index and shards that re-read identically; stale files go")
    func shardedWrite() throws {
        let original = try ModelDirectory.read(from: Fixtures.model("gpt2"))
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let out = folder.file("gpt2")
        try original.write(to: out, maxShardBytes: 20_000)
        var files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        let shards = files.filter { $0.hasPrefix("model-") }.sorted()
        #expect(shards.count >= 3 && shards.first == ModelDirectory.shardName(1, of: shards.count))
        #expect(files.contains("model.safetensors.index.json") && !files.contains("model.safetensors"))
        let again = try ModelDirectory.read(from: out)
        #expect(again.tensors == original.tensors)

        // Switching back to one file removes the index and the shards.
        try original.write(to: out)
        files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!files.contains("model.safetensors.index.json") && files.filter { $0.hasPrefix("model-") }.isEmpty)
    }

    @Test("BF16 writing rounds every weight and records the dtype in config.json")
    func bf16Write() throws {
        let original = try ModelDirectory.read(from: Fixtures.model("llama-gqa-tied"))
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try original.write(to: folder.url, dtype: .bf16)
        let again = try ModelDirectory.read(from: folder.url)
        for (name, tensor) in original.tensors {
            #expect(again.tensors[name]?.values == tensor.values.map { float(fromBFloat16Bits: bfloat16Bits(from: $0)) })
        }
        #expect(again.config.torchDtype == "bfloat16")
        #expect((again.config.architecture as? LlamaConfig)?.torchDtype == "bfloat16")
    }

    @Test("writing refuses a directory whose weights disagree with the config")
    func writeValidates() throws {
        var directory = try ModelDirectory.read(from: Fixtures.model("llama-gqa-tied"))
        directory.tensors["model.norm.weight"] = HostTensor(shape: [31], repeating: 1)
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let error = #expect(throws: FormatError.self) { try directory.write(to: folder.url) }
        #expect(error == .shapeMismatch(path: folder.url.path, tensor: "model.norm.weight", expected: [32], actual: [31]))
    }

    // MARK: - Damaged directories

    /// A scratch copy of a fixture directory.
    static func copy(_ name: String) throws -> (ScratchFolder, URL) {
        let folder = try ScratchFolder()
        let target = folder.file(name)
        try FileManager.default.copyItem(at: Fixtures.model(name), to: target)
        return (folder, target)
    }

    @Test("a missing tensor is named, with the file and its expected shape")
    func missingTensor() throws {
        let (folder, dir) = try Self.copy("llama-gqa-tied")
        defer { folder.remove() }
        let weights = dir.appendingPathComponent("model.safetensors")
        var tensors = try SafeTensors.read(contentsOf: weights)
        tensors["model.norm.weight"] = nil
        try SafeTensors.write(tensors, to: weights)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(error == .missingTensor(path: weights.path, tensor: "model.norm.weight", expectedShape: [32]))
    }

    @Test("a shape that disagrees with the config is named, with the file")
    func shapeDisagreesWithConfig() throws {
        let (folder, dir) = try Self.copy("qwen2-bias")
        defer { folder.remove() }
        let shard = dir.appendingPathComponent("model-00001-of-00002.safetensors")
        var tensors = try SafeTensors.read(contentsOf: shard)
        let name = "model.layers.0.self_attn.k_proj.weight"
        #expect(tensors[name]?.shape == [8, 32])
        tensors[name] = HostTensor(shape: [32, 8], values: tensors[name]?.values ?? [])
        try SafeTensors.write(tensors, to: shard)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(error == .shapeMismatch(path: shard.path, tensor: name, expected: [8, 32], actual: [32, 8]))
    }

    @Test("a weight stored with a dtype DICEKit cannot convert is named, with the file")
    func dtypeDisagrees() throws {
        let (folder, dir) = try Self.copy("gpt2")
        defer { folder.remove() }
        // Re-encode model.safetensors with ln_f.bias declared as I32 (same byte size as F32).
        let weights = dir.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(contentsOf: weights)
        let bytes = try Data(contentsOf: weights)
        let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        var header = String(decoding: bytes[8 ..< 8 + n], as: UTF8.self)
        let entry = try file.entry("transformer.ln_f.bias")
        let old = "\"transformer.ln_f.bias\":{\"dtype\":\"F32\""
        #expect(header.contains(old), "python header layout changed: \(header.prefix(200))")
        header = header.replacingOccurrences(of: old, with: "\"transformer.ln_f.bias\":{\"dtype\":\"I32\"")
        try (Data(bytes[0 ..< 8]) + Data(header.utf8) + Data(bytes[(8 + n)...])).write(to: weights)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(error == .unsupportedDType(path: weights.path, tensor: entry.name, dtype: "I32",
                                           supported: ["F32", "F16", "BF16", "F64"]))
    }

    @Test("a missing shard, a shard lacking what the index promises, and no weights at all")
    func damagedShards() throws {
        let (folder, dir) = try Self.copy("qwen2-bias")
        defer { folder.remove() }
        let shard2 = dir.appendingPathComponent("model-00002-of-00002.safetensors")
        let saved = try Data(contentsOf: shard2)
        try FileManager.default.removeItem(at: shard2)
        let e1 = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(e1?.path == shard2.path)

        try SafeTensors.write([:], to: shard2)
        let e2 = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(e2 == .missingTensor(path: shard2.path, tensor: "lm_head.weight", expectedShape: nil))

        // The same tensor in two shards.
        try saved.write(to: shard2)
        let shard1 = dir.appendingPathComponent("model-00001-of-00002.safetensors")
        var first = try SafeTensors.read(contentsOf: shard1)
        first["lm_head.weight"] = try SafeTensors.read(contentsOf: shard2)["lm_head.weight"]
        try SafeTensors.write(first, to: shard1)
        let e3 = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(e3?.tensor == "lm_head.weight")

        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors.index.json"))
        let e4 = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(e4 == .missingFile(path: dir.appendingPathComponent("model.safetensors").path,
                                   expected: "model.safetensors or model.safetensors.index.json"))
    }

    @Test("an index pointing outside the directory is rejected")
    func indexEscapes() throws {
        let (folder, dir) = try Self.copy("qwen2-bias")
        defer { folder.remove() }
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"weight_map": {"lm_head.weight": "../../etc/passwd"}}"#.utf8).write(to: index)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(error?.path == index.path)
    }

    @Test("an unknown model_type in config.json names the file")
    func unknownModelType() throws {
        let (folder, dir) = try Self.copy("gpt2")
        defer { folder.remove() }
        let config = dir.appendingPathComponent("config.json")
        try Data(#"{"model_type": "t5", "architectures": ["T5ForConditionalGeneration"]}"#.utf8).write(to: config)
        let error = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(error == .unsupportedModelType(path: config.path, modelType: "t5", supported: ModelConfig.supportedModelTypes))
        try FileManager.default.removeItem(at: config)
        let e2 = #expect(throws: FormatError.self) { try ModelDirectory.read(from: dir) }
        #expect(e2 == .missingFile(path: config.path, expected: "config.json"))
    }

    @Test("GPT-2 weights without the transformer. prefix (GPT2Model checkpoints) are accepted")
    func gpt2Unprefixed() throws {
        let (folder, dir) = try Self.copy("gpt2")
        defer { folder.remove() }
        let weights = dir.appendingPathComponent("model.safetensors")
        let tensors = try SafeTensors.read(contentsOf: weights)
        var renamed: [String: HostTensor] = [:]
        for (name, tensor) in tensors { renamed[String(name.dropFirst("transformer.".count))] = tensor }
        renamed["h.0.attn.bias"] = HostTensor(shape: [1, 1, 2, 2], values: [1, 0, 1, 1])
        try SafeTensors.write(renamed, to: weights)
        let directory = try ModelDirectory.read(from: dir)
        #expect(directory.tensors == tensors)
        #expect(directory.ignoredTensors == ["transformer.h.0.attn.bias"])
    }
}
