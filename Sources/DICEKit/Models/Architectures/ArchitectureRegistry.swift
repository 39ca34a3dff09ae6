// ArchitectureRegistry: `model_type` → architecture. The architectures DICEKit ships are one
// line each in `standard`; a program adds its own to a copy and passes that copy to the readers.

import Foundation

/// The architectures a reader knows, by config.json `model_type` (and, for those that read
/// GGUF, by `general.architecture`).
///
/// A registry is a value: `standard` holds the built-in architectures, and a program that
/// brings its own makes a copy, `register`s into it and passes it to `ModelConfig.load`,
/// `ModelDirectory.read`, `GGUFFile.modelDirectory`, `TransformerLM(directory:)` and
/// `ModelConfig(_: TransformerSpec)` (each defaults to `standard`). No global state changes, so
/// concurrent readers never see a registry change under them.
public struct ArchitectureRegistry: Sendable {
    /// The registered architectures, in registration order.
    public private(set) var architectures: [any Architecture.Type]

    /// The architectures DICEKit ships, one line each.
    public static let standard = ArchitectureRegistry(builtIn: [
        LlamaConfig.self,  // llama, mistral
        Qwen2Config.self,  // qwen2
        Qwen3Config.self,  // qwen3
        GPT2Config.self,   // gpt2
        Gemma3TextConfig.self,  // gemma3_text, gemma3 (its text part)
    ])

    private init(builtIn: [any Architecture.Type]) {
        architectures = builtIn
    }

    /// Adds an architecture.
    /// - Throws: `ModelError.modelTypeTaken` when one of its `modelTypes` (or its GGUF
    ///   architecture) is registered already; the registry is then unchanged.
    public mutating func register(_ architecture: any Architecture.Type) throws {
        for modelType in architecture.modelTypes {
            if let other = self.architecture(modelType: modelType) {
                throw ModelError.modelTypeTaken(modelType: modelType, by: String(describing: other))
            }
        }
        if let gguf = architecture as? any GGUFArchitecture.Type, let other = ggufArchitecture(named: gguf.ggufArchitecture) {
            throw ModelError.modelTypeTaken(modelType: "GGUF " + gguf.ggufArchitecture, by: String(describing: other))
        }
        architectures.append(architecture)
    }

    /// Every `model_type` registered, in registration order.
    public var modelTypes: [String] { architectures.flatMap { $0.modelTypes } }

    /// Every transformers class (`architectures` entry) registered.
    public var transformersClasses: [String] { architectures.flatMap { $0.transformersClasses } }

    /// The architecture of `modelType`, or nil.
    public func architecture(modelType: String) -> (any Architecture.Type)? {
        architectures.first { $0.modelTypes.contains(modelType) }
    }

    /// Every GGUF `general.architecture` value registered.
    public var ggufArchitectures: [String] {
        architectures.compactMap { ($0 as? any GGUFArchitecture.Type)?.ggufArchitecture }
    }

    /// The architecture reading GGUF files of `general.architecture` `name`, or nil.
    public func ggufArchitecture(named name: String) -> (any GGUFArchitecture.Type)? {
        for case let gguf as any GGUFArchitecture.Type in architectures where gguf.ggufArchitecture == name {
            return gguf
        }
        return nil
    }

    // MARK: - Passing a registry to `Decodable` code

    /// The `JSONDecoder.userInfo` key under which `ModelConfig.init(from:)` finds its registry.
    static let userInfoKey = CodingUserInfoKey(rawValue: "DICEKit.ArchitectureRegistry")!

    /// The registry a decoder carries, else `standard`.
    static func of(_ decoder: any Decoder) -> ArchitectureRegistry {
        decoder.userInfo[userInfoKey] as? ArchitectureRegistry ?? .standard
    }
}
