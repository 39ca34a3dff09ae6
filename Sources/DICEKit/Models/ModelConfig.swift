// ModelConfig: a model's config.json, decoded by the architecture its `model_type` names in an
// `ArchitectureRegistry` (Llama, Mistral, Qwen2, GPT-2, or one a program registers).

import Foundation

/// A model configuration: config.json as the architecture of its `model_type` reads it.
public struct ModelConfig: Codable, Sendable, Hashable {
    /// The architecture's configuration (`LlamaConfig`, `Qwen2Config`, `GPT2Config`, or a
    /// registered type); cast it to read architecture-specific keys.
    public var architecture: any Architecture
    /// What the final hidden state is projected to (config.json's `architectures`: a causal
    /// class, or a `…ForSequenceClassification` one).
    public var head: OutputHead

    /// Wraps an architecture's configuration.
    public init(_ architecture: any Architecture, head: OutputHead = .languageModel) {
        self.architecture = architecture
        self.head = head
    }

    /// The configuration of `spec`, by the architecture registered for `spec.modelType`.
    /// - Throws: `ModelError.invalidSpec` for unusable sizes, an unregistered model type
    ///   (listing the registered ones) or a spec the architecture cannot express.
    public init(_ spec: TransformerSpec, registry: ArchitectureRegistry = .standard) throws {
        try spec.validate()
        guard let type = registry.architecture(modelType: spec.modelType) else {
            throw ModelError.invalidSpec("model type \"\(spec.modelType)\" is not one of \(registry.modelTypes)")
        }
        self.init(try type.init(spec: spec))
    }

    /// Every `model_type` the standard registry reads.
    public static var supportedModelTypes: [String] { ArchitectureRegistry.standard.modelTypes }
    /// Every `architectures` entry the standard registry reads.
    public static var supportedArchitectures: [String] { ArchitectureRegistry.standard.transformersClasses }

    private enum Keys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case numLabels = "num_labels"
        case id2label
        case label2id
    }

    /// Decodes with the architecture registered for `model_type` (in the registry the decoder
    /// carries, else `ArchitectureRegistry.standard`).
    ///
    /// - Throws: `FormatError.unsupportedModelType` (listing the registered ones),
    ///   `.unsupportedArchitecture`, `.invalidConfig` (path filled in by `load` / `decode`), or a
    ///   `DecodingError` (missing `model_type` among them).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let modelType = try c.decode(String.self, forKey: .modelType)
        let registry = ArchitectureRegistry.of(decoder)
        guard let type = registry.architecture(modelType: modelType) else {
            throw FormatError.unsupportedModelType(path: "", modelType: modelType, supported: registry.modelTypes)
        }
        self.init(try type.init(from: decoder))
    }

    /// Encodes the architecture's configuration (its own keys, `model_type` included); a score
    /// head replaces `architectures` with the `…ForSequenceClassification` class and adds
    /// `num_labels`, `id2label` and `label2id` as transformers writes them.
    public func encode(to encoder: any Encoder) throws {
        try architecture.encode(to: encoder)
        guard case let .score(labels) = head else { return }
        var c = encoder.container(keyedBy: Keys.self)
        let causal = type(of: architecture).transformersClasses.first ?? ""
        try c.encode([Self.sequenceClassifierClass(ofCausal: causal)], forKey: .architectures)
        try c.encode(labels, forKey: .numLabels)
        let names = (0..<labels).map { "LABEL_\($0)" }
        try c.encode(Dictionary(uniqueKeysWithValues: names.enumerated().map { ("\($0.offset)", $0.element) }), forKey: .id2label)
        try c.encode(Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) }), forKey: .label2id)
    }

    /// Equal when the configurations are of one type and equal, with the same head.
    public static func == (lhs: ModelConfig, rhs: ModelConfig) -> Bool {
        AnyHashable(lhs.architecture) == AnyHashable(rhs.architecture) && lhs.head == rhs.head
    }

    /// Hashes the configuration.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(architecture))
        hasher.combine(head)
    }

    /// Reads and validates config.json at `url` with the architectures of `registry`.
    ///
    /// - Throws: `FormatError.missingFile`, `.io`, `.invalidJSON`, `.invalidConfig` (naming the
    ///   key), `.unsupportedModelType`, `.unsupportedArchitecture` — all naming the file.
    public static func load(contentsOf url: URL, registry: ArchitectureRegistry = .standard) throws -> ModelConfig {
        try decode(ConfigJSON.read(url), path: url.path, registry: registry)
    }

    /// Decodes config.json bytes; `path` is used in errors. Throws as `load`.
    ///
    /// A `…ForSequenceClassification` class in `architectures` (the prefix of a registered
    /// causal class) gives a `.score` head: the architecture decodes the file as its causal class,
    /// and the label count comes from `num_labels`, else `id2label`, else 2 (transformers'
    /// default); `.invalidConfig` names `num_labels` when it is below 1.
    public static func decode(_ data: Data, path: String, registry: ArchitectureRegistry = .standard) throws -> ModelConfig {
        let head = try ConfigJSON.decode(HeadKeys.self, from: data, path: path)
        guard let classifier = head.architectures?.first(where: { $0.hasSuffix(OutputHead.sequenceClassificationSuffix) }) else {
            return try ConfigJSON.decode(ModelConfig.self, from: data, path: path,
                                         userInfo: [ArchitectureRegistry.userInfoKey: registry])
        }
        let prefix = String(classifier.dropLast(OutputHead.sequenceClassificationSuffix.count))
        guard !prefix.isEmpty, let causal = registry.transformersClasses.first(where: {
            $0 == prefix + "ForCausalLM" || $0 == prefix + "LMHeadModel"
        }) else {
            throw FormatError.unsupportedArchitecture(
                path: path, architecture: classifier,
                supported: registry.transformersClasses + registry.transformersClasses.map(sequenceClassifierClass(ofCausal:)))
        }
        let labels = head.numLabels ?? head.id2label?.count ?? 2
        guard labels >= 1 else {
            throw FormatError.invalidConfig(path: path, key: "num_labels", reason: "\(labels) labels (expected ≥ 1)")
        }
        // The architecture reads the file as its causal class: the quoted class name is
        // replaced in the bytes, which leaves every other value exactly as written.
        let text = String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "\"\(classifier)\"", with: "\"\(causal)\"")
        var config = try ConfigJSON.decode(ModelConfig.self, from: Data(text.utf8), path: path,
                                           userInfo: [ArchitectureRegistry.userInfoKey: registry])
        config.head = .score(labels: labels)
        return config
    }

    /// The keys that name the head.
    private struct HeadKeys: Decodable {
        var architectures: [String]?
        var numLabels: Int?
        var id2label: [String: String]?

        enum CodingKeys: String, CodingKey {
            case architectures
            case numLabels = "num_labels"
            case id2label
        }
    }

    /// `LlamaForCausalLM` → `LlamaForSequenceClassification`, `GPT2LMHeadModel` →
    /// `GPT2ForSequenceClassification`.
    static func sequenceClassifierClass(ofCausal causal: String) -> String {
        for suffix in ["ForCausalLM", "LMHeadModel"] where causal.hasSuffix(suffix) {
            return String(causal.dropLast(suffix.count)) + OutputHead.sequenceClassificationSuffix
        }
        return causal + OutputHead.sequenceClassificationSuffix
    }

    /// The config.json text (pretty-printed, sorted keys) that transformers' `from_pretrained`
    /// accepts.
    public func encodedJSON() throws -> Data {
        try ConfigJSON.encode(self)
    }

    /// `model_type` as written in config.json.
    public var modelType: String { architecture.spec.modelType }

    /// The engine's summary of the architecture.
    public var spec: TransformerSpec { architecture.spec }

    /// The weights and blocks the configuration implies.
    public var layout: ModelLayout { architecture.layout }

    /// The vocabulary size V.
    public var vocabSize: Int { architecture.spec.vocabularySize }

    /// The EOS token id(s), if the config states them.
    public var eosTokenId: TokenIDs? { architecture.eosTokenId }

    /// `torch_dtype`: the dtype the weights are stored in.
    public var torchDtype: String {
        get { architecture.torchDtype }
        set { architecture.torchDtype = newValue }
    }

    /// Every weight the model needs, with its Hugging Face name and shape, in storage order
    /// (embeddings, then block by block, then the final norm and head): `layout.weights`, with a
    /// score head's `score.weight` `[labels, C]` in place of `lm_head.weight`. Each
    /// architecture's type documents its names (`LlamaConfig`, `Qwen2Config`, `GPT2Config`).
    public func expectedWeights() -> [(name: String, shape: [Int])] {
        guard case let .score(labels) = head else { return layout.weights }
        let lmHead = layout.outputProjection.map { $0.module + ".weight" }
        return layout.weights.filter { $0.name != lmHead } + [(OutputHead.scoreWeightName, [labels, spec.hiddenSize])]
    }
}
