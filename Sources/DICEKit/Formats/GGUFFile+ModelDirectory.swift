// GGUFFile+ModelDirectory: a GGUF model file as a Hugging Face model directory — the
// architecture named by `general.architecture` (looked up in an `ArchitectureRegistry`) supplies
// the configuration from the metadata and the tensor names; every tensor is dequantised.

import Foundation

extension GGUFFile {
    /// The `general.architecture` values `modelDirectory()` maps with the standard registry.
    public static var supportedArchitectures: [String] { ArchitectureRegistry.standard.ggufArchitectures }

    /// The model as a `ModelDirectory`: `config` from the metadata (see the architecture's
    /// `init(gguf:)`, e.g. `LlamaConfig.init(gguf:)`), `generationConfig` (BOS/EOS/padding ids
    /// from `tokenizer.ggml.*_token_id`) and every weight dequantised to Float32 under its
    /// Hugging Face name. Tensors the model does not use (e.g. `rope_freqs.weight`) are listed in
    /// `ignoredTensors`.
    ///
    /// - Throws: `GGUFError.missingMetadata` (no `general.architecture`),
    ///   `.unsupportedArchitecture` (listing the registry's GGUF architectures), what the
    ///   architecture's `init(gguf:)` throws, `.invalidMetadata` for a layer count above the
    ///   number of tensors, `.missingTensor`, `.shapeMismatch`, `.unsupportedTensorType`.
    public func modelDirectory(registry: ArchitectureRegistry = .standard) throws -> ModelDirectory {
        guard let name = try optionalString("general.architecture") else {
            throw GGUFError.missingMetadata(path: path, key: "general.architecture")
        }
        guard let architecture = registry.ggufArchitecture(named: name) else {
            throw GGUFError.unsupportedArchitecture(path: path, architecture: name, supported: registry.ggufArchitectures)
        }
        return try modelDirectory(as: architecture)
    }

    private func modelDirectory<A: GGUFArchitecture>(as architecture: A.Type) throws -> ModelDirectory {
        let config = try A(gguf: self)
        // Each layer has tensors of its own, so a file cannot hold more layers than tensors; the
        // list of expected weights for a larger claim would cost memory in proportion to it.
        let layers = config.spec.layers
        guard layers <= tensors.count else {
            throw GGUFError.invalidMetadata(
                path: path, key: A.ggufMetadataKey(forConfigKey: A.layerCountKey),
                expected: "at most \(tensors.count) layers (one tensor or more each; the file has \(tensors.count) tensors), found \(layers)")
        }
        var tensors: [String: HostTensor] = [:]
        var ignored: [String] = []
        for info in self.tensors {
            guard let hfName = A.huggingFaceName(ggufName: info.name) else {
                ignored.append(info.name)
                continue
            }
            tensors[hfName] = try config.huggingFaceTensor(tensor(info.name), ggufName: info.name,
                                                           huggingFaceName: hfName, in: self)
        }
        for (name, shape) in config.layout.weights {
            let ggufName = A.ggufName(huggingFaceName: name) ?? name
            guard let tensor = tensors[name] else {
                throw GGUFError.missingTensor(path: path, tensor: ggufName)
            }
            guard tensor.shape == shape else {
                throw GGUFError.shapeMismatch(path: path, tensor: ggufName, expected: shape, actual: tensor.shape)
            }
        }
        let generation = GenerationConfig(bosTokenId: try optionalInt("tokenizer.ggml.bos_token_id").map(TokenIDs.single),
                                          eosTokenId: try optionalInt("tokenizer.ggml.eos_token_id").map(TokenIDs.single),
                                          padTokenId: try optionalInt("tokenizer.ggml.padding_token_id"))
        return ModelDirectory(config: ModelConfig(config), generationConfig: generation, tensors: tensors,
                              ignoredTensors: ignored.sorted())
    }
}
