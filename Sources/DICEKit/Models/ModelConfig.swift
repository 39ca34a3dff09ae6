// ModelConfig: a model's config.json, dispatched on `model_type` to the family DICEKit
// implements — the Llama family (llama, mistral, qwen2) or GPT-2.

import Foundation

/// A supported model configuration, chosen by config.json's `model_type`.
public enum ModelConfig: Codable, Sendable, Hashable {
    /// model_type llama, mistral or qwen2.
    case llama(LlamaConfig)
    /// model_type gpt2.
    case gpt2(GPT2Config)

    /// Every `model_type` DICEKit reads.
    public static let supportedModelTypes: [String] = LlamaConfig.ModelType.allCases.map(\.rawValue) + ["gpt2"]
    /// Every `architectures` entry DICEKit reads.
    public static let supportedArchitectures: [String] =
        LlamaConfig.ModelType.allCases.map(\.architecture) + [GPT2Config.architecture]

    private enum Keys: String, CodingKey {
        case modelType = "model_type"
    }

    /// Decodes by `model_type`.
    ///
    /// - Throws: `FormatError.unsupportedModelType` (listing the supported ones),
    ///   `.unsupportedArchitecture`, `.invalidConfig` (path filled in by `load` / `decode`), or a
    ///   `DecodingError` (missing `model_type` among them).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let modelType = try c.decode(String.self, forKey: .modelType)
        if modelType == "gpt2" {
            self = .gpt2(try GPT2Config(from: decoder))
        } else if LlamaConfig.ModelType(rawValue: modelType) != nil {
            self = .llama(try LlamaConfig(from: decoder))
        } else {
            throw FormatError.unsupportedModelType(path: "", modelType: modelType,
                                                   supported: ModelConfig.supportedModelTypes)
        }
    }

    /// Encodes the wrapped configuration (its own keys, `model_type` included).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .llama(let config): try config.encode(to: encoder)
        case .gpt2(let config): try config.encode(to: encoder)
        }
    }

    /// Reads and validates config.json at `url`.
    ///
    /// - Throws: `FormatError.missingFile`, `.io`, `.invalidJSON`, `.invalidConfig` (naming the
    ///   key), `.unsupportedModelType`, `.unsupportedArchitecture` — all naming the file.
    public static func load(contentsOf url: URL) throws -> ModelConfig {
        try decode(ConfigJSON.read(url), path: url.path)
    }

    /// Decodes config.json bytes; `path` is used in errors. Throws as `load`.
    public static func decode(_ data: Data, path: String) throws -> ModelConfig {
        try ConfigJSON.decode(ModelConfig.self, from: data, path: path)
    }

    /// The config.json text (pretty-printed, sorted keys) that transformers' `from_pretrained`
    /// accepts.
    public func encodedJSON() throws -> Data {
        try ConfigJSON.encode(self)
    }

    /// `model_type` as written in config.json.
    public var modelType: String {
        switch self {
        case .llama(let config): return config.modelType.rawValue
        case .gpt2: return "gpt2"
        }
    }

    /// The vocabulary size V.
    public var vocabSize: Int {
        switch self {
        case .llama(let config): return config.vocabSize
        case .gpt2(let config): return config.vocabSize
        }
    }

    /// The EOS token id(s), if the config states them.
    public var eosTokenId: TokenIDs? {
        switch self {
        case .llama(let config): return config.eosTokenId
        case .gpt2(let config): return config.eosTokenId
        }
    }
}
