// ModelDirectory: a Hugging Face model directory — config.json, generation_config.json
// (optional), and the weights as model.safetensors or as shards listed by
// model.safetensors.index.json. Reading checks every weight the config implies against the files;
// writing produces a directory that transformers' `from_pretrained` loads.

import Foundation
import Logging

/// A model as a Hugging Face directory holds it: configuration plus named Float32 weights.
///
/// Weight names are the Hugging Face names (see `ModelConfig.expectedWeights()`); `tensors`
/// holds exactly the expected weights after `read`.
public struct ModelDirectory: Sendable {
    /// config.json.
    public var config: ModelConfig
    /// generation_config.json, if the directory has one (written only when non-nil).
    public var generationConfig: GenerationConfig?
    /// Weights by Hugging Face name, Float32.
    public var tensors: [String: HostTensor]
    /// Tensors the files held that the configuration does not use (e.g. `lm_head.weight` in a
    /// tied checkpoint, GPT-2's `attn.bias` mask buffers), sorted. They are not loaded.
    public var ignoredTensors: [String]

    /// File names of the layout.
    public static let configFile = "config.json"
    /// generation_config.json.
    public static let generationConfigFile = "generation_config.json"
    /// The single-file weights.
    public static let weightsFile = "model.safetensors"
    /// The shard index, `{"metadata": {"total_size": N}, "weight_map": {name: file}}`.
    public static let indexFile = "model.safetensors.index.json"

    /// A directory's contents held in memory.
    public init(config: ModelConfig, generationConfig: GenerationConfig? = nil,
                tensors: [String: HostTensor], ignoredTensors: [String] = []) {
        self.config = config
        self.generationConfig = generationConfig
        self.tensors = tensors
        self.ignoredTensors = ignoredTensors
    }

    // MARK: - Reading

    /// Reads the directory at `url` and checks its weights against the configuration, decoded
    /// by the architecture `registry` maps its `model_type` to.
    ///
    /// Weights come from `model.safetensors.index.json` and its shards when the index exists,
    /// else from `model.safetensors`. Checkpoint names are mapped by the architecture's
    /// `canonicalTensorName` (GPT-2 checkpoints saved from `GPT2Model`, names without the
    /// `transformer.` prefix as in the original openai-community/gpt2 files, are accepted and
    /// renamed).
    ///
    /// - Throws: `FormatError`: `.missingFile` (no config.json, no weights), any config or
    ///   safetensors error, `.invalidConfig` for a layer count above the number of tensors, `.duplicateTensor` (a name in two shards), `.missingTensor` (a
    ///   weight the config needs, or one the index promises in a shard),
    ///   `.shapeMismatch`, `.unsupportedDType` (e.g. an integer tensor where a weight is
    ///   expected) — each naming the file and the tensor.
    ///
    /// A `.gguf` file in place of the directory is read with `GGUFFile.modelDirectory(registry:)`
    /// (and throws `GGUFError`).
    ///
    /// `logger` (label `dicekit.formats` by default, see `LogSubsystem`) gets one `debug`
    /// message per model read: its architecture, weights files, tensors and ignored tensors.
    public static func read(from url: URL, registry: ArchitectureRegistry = .standard,
                            logger: Logger = LogSubsystem.formats.logger) throws -> ModelDirectory {
        if GGUFFile.isGGUF(url) {
            let directory = try GGUFFile(contentsOf: url).modelDirectory(registry: registry)
            logger.debug("model read from GGUF", metadata: [
                "path": "\(url.path)", "tensors": "\(directory.tensors.count)",
                "ignoredTensors": "\(directory.ignoredTensors.count)"])
            return directory
        }
        let located = try locate(url, registry: registry)
        var tensors: [String: HostTensor] = [:]
        for (name, _) in located.config.expectedWeights() {
            guard let (file, entry) = located.weights[name] else { continue }
            tensors[name] = try file.tensor(entry.name)
        }
        logger.debug("model folder read", metadata: [
            "path": "\(url.path)", "modelType": "\(located.config.spec.modelType)", "weightsFiles": "\(located.files)",
            "tensors": "\(tensors.count)", "ignoredTensors": "\(located.ignored.count)"])
        return ModelDirectory(config: located.config, generationConfig: located.generation, tensors: tensors,
                              ignoredTensors: located.ignored)
    }

    /// A directory's configuration and where each weight it needs lies, checked (every weight
    /// present with its shape) but not read: `read` converts them all to Float32, a frozen
    /// `TransformerLM` copies them one at a time (see `TransformerLM.init(directory:backend:registry:trainable:)`).
    struct Located {
        /// config.json.
        let config: ModelConfig
        /// generation_config.json, if present.
        let generation: GenerationConfig?
        /// Every expected weight (by canonical name): its file and entry.
        let weights: [String: (file: SafeTensorsFile, entry: SafeTensorsEntry)]
        /// Tensors the files hold that the configuration does not use, sorted.
        let ignored: [String]
        /// The number of weights files.
        let files: Int
    }

    /// The configuration and weight locations of the safetensors directory at `url` (not a
    /// GGUF file), with every check `read` documents.
    /// - Throws: as `read(from:registry:logger:)`.
    static func locate(_ url: URL, registry: ArchitectureRegistry) throws -> Located {
        let configURL = url.appendingPathComponent(configFile)
        let config = try ModelConfig.load(contentsOf: configURL, registry: registry)
        let generationURL = url.appendingPathComponent(generationConfigFile)
        let generation = FileManager.default.fileExists(atPath: generationURL.path)
            ? try GenerationConfig.load(contentsOf: generationURL) : nil

        // name → (file, entry) over every weights file.
        let (files, source) = try openWeights(in: url)
        var located: [String: (file: SafeTensorsFile, entry: SafeTensorsEntry)] = [:]
        for file in files {
            for (name, entry) in file.entries {
                if let other = located[name] {
                    throw FormatError.duplicateTensor(path: file.path, tensor: name, otherPath: other.file.path)
                }
                located[name] = (file, entry)
            }
        }
        let architecture = type(of: config.architecture)
        let names = Set(located.keys)
        var renamed: [String: (file: SafeTensorsFile, entry: SafeTensorsEntry)] = [:]
        for (name, value) in located {
            let canonical = architecture.canonicalTensorName(name, among: names)
            if let other = renamed[canonical] {
                throw FormatError.duplicateTensor(path: value.file.path, tensor: canonical, otherPath: other.file.path)
            }
            renamed[canonical] = value
        }
        located = renamed

        // Each layer has tensors of its own, so the weights cannot hold more layers than tensors;
        // the list of expected weights for a larger claim would cost memory in proportion to it.
        let layers = config.spec.layers
        guard layers <= located.count else {
            throw FormatError.invalidConfig(
                path: configURL.path, key: architecture.layerCountKey,
                reason: "\(layers) layers, but the weights hold \(located.count) tensors (one or more per layer)")
        }
        var weights: [String: (file: SafeTensorsFile, entry: SafeTensorsEntry)] = [:]
        for (name, shape) in config.expectedWeights() {
            guard let (file, entry) = located[name] else {
                throw FormatError.missingTensor(path: source, tensor: name, expectedShape: shape)
            }
            guard entry.shape == shape else {
                throw FormatError.shapeMismatch(path: file.path, tensor: name, expected: shape, actual: entry.shape)
            }
            guard entry.dtype != nil else {
                throw FormatError.unsupportedDType(path: file.path, tensor: entry.name, dtype: entry.dtypeName,
                                                   supported: SafeTensorsDType.allCases.map(\.rawValue))
            }
            weights[name] = (file, entry)
        }
        let ignored = located.keys.filter { weights[$0] == nil }.sorted()
        return Located(config: config, generation: generation, weights: weights, ignored: ignored, files: files.count)
    }

    /// The weights files (validated) and the path to name when a tensor is missing.
    private static func openWeights(in url: URL) throws -> ([SafeTensorsFile], String) {
        let indexURL = url.appendingPathComponent(indexFile)
        let singleURL = url.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: indexURL.path) else {
            guard FileManager.default.fileExists(atPath: singleURL.path) else {
                throw FormatError.missingFile(path: singleURL.path, expected: "\(weightsFile) or \(indexFile)")
            }
            return ([try SafeTensorsFile(contentsOf: singleURL)], singleURL.path)
        }
        let index = try ConfigJSON.decode(ShardIndex.self, from: ConfigJSON.read(indexURL), path: indexURL.path)
        for (name, file) in index.weightMap.sorted(by: { $0.key < $1.key }) where !isPlainFileName(file) {
            throw FormatError.invalidConfig(path: indexURL.path, key: "weight_map.\(name)",
                                            reason: "\"\(file)\" is not a file name in the directory")
        }
        let shardNames = Set(index.weightMap.values).sorted()
        var files: [SafeTensorsFile] = []
        for shard in shardNames {
            let file = try SafeTensorsFile(contentsOf: url.appendingPathComponent(shard))
            for name in index.weightMap.keys.sorted() where index.weightMap[name] == shard && file.entries[name] == nil {
                throw FormatError.missingTensor(path: file.path, tensor: name, expectedShape: nil)
            }
            files.append(file)
        }
        return (files, indexURL.path)
    }

    private static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
            && !name.contains("\0")
    }

    // MARK: - Writing

    /// Writes config.json, generation_config.json (when set) and the weights to the folder
    /// `url` (created if needed), every file atomically (see `AtomicFile`).
    ///
    /// The weights go to `model.safetensors`, or — when `maxShardBytes` is set and the weights
    /// exceed it — to `model-0000k-of-0000n.safetensors` shards (tensors sorted by name, packed
    /// greedily; a tensor larger than the limit gets a shard of its own) plus
    /// `model.safetensors.index.json`, written after the shards. Weights files of the other
    /// layout left by an earlier write are removed afterwards, so `from_pretrained` cannot pick up
    /// stale weights. The config's `torch_dtype` is set to match `dtype`.
    ///
    /// - Parameters:
    ///   - url: the folder to write (created if needed).
    ///   - dtype: `.f32` (default), `.bf16` or `.f16` (round to nearest even).
    ///   - maxShardBytes: shard size limit in bytes; nil writes one file.
    /// - Throws: `FormatError.missingTensor` / `.shapeMismatch` (path: the folder) if a weight the
    ///   config needs is absent or misshapen, `.invalidTensor`, `.io`.
    public func write(to url: URL, dtype: SafeTensorsDType = .f32, maxShardBytes: Int? = nil) throws {
        let tensors = self.tensors
        try Self.write(config: config, generationConfig: generationConfig, shapes: tensors.mapValues(\.shape),
                       values: { tensors[$0]?.values ?? [] }, to: url, dtype: dtype, maxShardBytes: maxShardBytes)
    }

    /// Writes a model directory as `write(to:dtype:maxShardBytes:)` does, with one tensor in
    /// memory at a time: `values` is asked for each tensor's values (in name order, once each)
    /// just before they are written, so a model on a device can be saved without a host copy
    /// of all its weights (`TransformerLM.write(to:config:generationConfig:dtype:maxShardBytes:)`).
    ///
    /// - Parameters:
    ///   - config: written as config.json (its `torch_dtype` set to match `dtype`).
    ///   - generationConfig: written as generation_config.json when set.
    ///   - shapes: name → shape of every weight to write.
    ///   - values: the named weight's values, row-major.
    ///   - url: the folder to write (created if needed).
    ///   - dtype: `.f32` (default), `.bf16` or `.f16` (round to nearest even).
    ///   - maxShardBytes: shard size limit in bytes; nil writes one file.
    /// - Throws: as `write(to:dtype:maxShardBytes:)`, and what `values` throws.
    public static func write(config: ModelConfig, generationConfig: GenerationConfig?, shapes: [String: [Int]],
                             values: (String) throws -> [Float], to url: URL, dtype: SafeTensorsDType = .f32,
                             maxShardBytes: Int? = nil) throws {
        let folder = url.path
        for (name, shape) in config.expectedWeights() {
            guard let actual = shapes[name] else {
                throw FormatError.missingTensor(path: folder, tensor: name, expectedShape: shape)
            }
            guard actual == shape else {
                throw FormatError.shapeMismatch(path: folder, tensor: name, expected: shape, actual: actual)
            }
        }
        if let maxShardBytes, maxShardBytes <= 0 {
            throw FormatError.invalidTensor(tensor: "", reason: "maxShardBytes must be positive, got \(maxShardBytes)")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FormatError.io(path: folder, reason: "cannot create folder: \(error.localizedDescription)")
        }

        // Weights first, then the index, then the configs.
        let names = shapes.keys.sorted()
        let sizes = try names.map { try SafeTensors.elementCount(shapes[$0] ?? [], name: $0) * dtype.byteSize }
        let total = sizes.reduce(0, +)
        let metadata = ["format": "pt"]
        var written: Set<String> = []
        if let limit = maxShardBytes, total > limit {
            var shards: [[String]] = [[]]
            var current = 0
            for (name, size) in zip(names, sizes) {
                if !(shards[shards.count - 1].isEmpty) && current + size > limit {
                    shards.append([])
                    current = 0
                }
                shards[shards.count - 1].append(name)
                current += size
            }
            var weightMap: [String: String] = [:]
            for (k, shard) in shards.enumerated() {
                let file = Self.shardName(k + 1, of: shards.count)
                var part: [String: [Int]] = [:]
                for name in shard {
                    part[name] = shapes[name]
                    weightMap[name] = file
                }
                try SafeTensors.write(shapes: part, values: values, to: url.appendingPathComponent(file), dtype: dtype,
                                      metadata: metadata)
                written.insert(file)
            }
            let index = ShardIndex(totalSize: total, weightMap: weightMap)
            try AtomicFile.write(ConfigJSON.encode(index), to: url.appendingPathComponent(Self.indexFile))
            written.insert(Self.indexFile)
        } else {
            try SafeTensors.write(shapes: shapes, values: values, to: url.appendingPathComponent(Self.weightsFile),
                                  dtype: dtype, metadata: metadata)
            written.insert(Self.weightsFile)
        }

        var config = config
        let dtypeName: String
        switch dtype {
        case .f32, .f64: dtypeName = "float32"
        case .f16: dtypeName = "float16"
        case .bf16: dtypeName = "bfloat16"
        }
        config.torchDtype = dtypeName
        try AtomicFile.write(config.encodedJSON(), to: url.appendingPathComponent(Self.configFile))
        if let generationConfig {
            try AtomicFile.write(generationConfig.encodedJSON(), to: url.appendingPathComponent(Self.generationConfigFile))
        }
        try removeStaleWeights(in: url, keeping: written)
    }

    /// `model-0000k-of-0000n.safetensors`, as transformers names shards.
    static func shardName(_ k: Int, of n: Int) -> String {
        func five(_ v: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, 5 - s.count)) + s
        }
        return "model-\(five(k))-of-\(five(n)).safetensors"
    }

    private static func removeStaleWeights(in url: URL, keeping written: Set<String>) throws {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in contents where !written.contains(name) {
            let isShard = name.hasPrefix("model-") && name.hasSuffix(".safetensors") && name.contains("-of-")
            guard isShard || name == Self.weightsFile || name == Self.indexFile else { continue }
            let path = url.appendingPathComponent(name).path
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw FormatError.io(path: path, reason: "cannot remove stale weights file: \(error.localizedDescription)")
            }
        }
        AtomicFile.syncFolder(url.path)
    }
}

/// model.safetensors.index.json.
struct ShardIndex: Codable {
    var totalSize: Int?
    var weightMap: [String: String]

    enum CodingKeys: String, CodingKey {
        case metadata
        case weightMap = "weight_map"
    }

    enum MetadataKeys: String, CodingKey {
        case totalSize = "total_size"
    }

    init(totalSize: Int, weightMap: [String: String]) {
        self.totalSize = totalSize
        self.weightMap = weightMap
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weightMap = try c.decode([String: String].self, forKey: .weightMap)
        // total_size is informative; some writers store it as a float.
        if c.contains(.metadata), try !c.decodeNil(forKey: .metadata) {
            let m = try c.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata)
            totalSize = (try? m.decodeIfPresent(Int.self, forKey: .totalSize)) ?? nil
        } else {
            totalSize = nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var m = c.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata)
        try m.encodeIfPresent(totalSize, forKey: .totalSize)
        try c.encode(weightMap, forKey: .weightMap)
    }
}
