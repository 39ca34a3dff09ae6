// ModelConfig: a model's config.json, decoded by the architecture its `model_type` names in an
// `ArchitectureRegistry` (Llama, Mistral, Qwen2, GPT-2, or one a program registers).

import Foundation

/// A model configuration: config.json as the architecture of its `model_type` reads it.
public struct ModelConfig: Codable, Sendable, Hashable {
    /// The architecture's configuration (`LlamaConfig`, `Qwen2Config`, `GPT2Config`, or a
    /// registered type); cast it to read architecture-specific keys.
    public var architecture: any Architecture

    /// Wraps an architecture's configuration.
    public init(_ architecture: any Architecture) {
        self.architecture = architecture
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

    /// Encodes the architecture's configuration (its own keys, `model_type` included).
    public func encode(to encoder: any Encoder) throws {
        try architecture.encode(to: encoder)
    }

    /// Equal when the configurations are of one type and equal.
    public static func == (lhs: ModelConfig, rhs: ModelConfig) -> Bool {
        AnyHashable(lhs.architecture) == AnyHashable(rhs.architecture)
    }

    /// Hashes the configuration.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(architecture))
    }

    /// Reads and validates config.json at `url` with the architectures of `registry`.
    ///
    /// - Throws: `FormatError.missingFile`, `.io`, `.invalidJSON`, `.invalidConfig` (naming the
    ///   key), `.unsupportedModelType`, `.unsupportedArchitecture` — all naming the file.
    public static func load(contentsOf url: URL, registry: ArchitectureRegistry = .standard) throws -> ModelConfig {
        try decode(ConfigJSON.read(url), path: url.path, registry: registry)
    }

    /// Decodes config.json bytes; `path` is used in errors. Throws as `load`.
    public static func decode(_ data: Data, path: String, registry: ArchitectureRegistry = .standard) throws -> ModelConfig {
        try ConfigJSON.decode(ModelConfig.self, from: data, path: path,
                              userInfo: [ArchitectureRegistry.userInfoKey: registry])
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
    /// (embeddings, then block by block, then the final norm and head): `layout.weights`. Each
    /// architecture's type documents its names (`LlamaConfig`, `Qwen2Config`, `GPT2Config`).
    public func expectedWeights() -> [(name: String, shape: [Int])] {
        layout.weights
    }
}
