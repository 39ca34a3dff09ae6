// Architecture: what one architecture file provides — the config.json of its `model_type`s
// (Hugging Face keys), the weights that configuration implies, and how its blocks are assembled
// from the shared layers. Everything else (loading, saving, GGUF, the CUDA path) reads these.
// Documentation/Architectures.md walks through adding one.

/// A model architecture, as its configuration: a `Codable` struct whose coding keys are
/// config.json's Hugging Face keys (optional keys read with `decodeIfPresent` and a default).
///
/// Conforming types are registered by `model_type` in an `ArchitectureRegistry`;
/// `ModelConfig` decodes config.json with the type its `model_type` names. Requirements:
/// - `init(from:)` validates what the DICEKit layers implement and throws
///   `FormatError.invalidConfig` naming the key (the file path is filled in by
///   `ModelConfig.load`), `.unsupportedModelType` for a `model_type` not in `modelTypes`, or
///   `.unsupportedArchitecture` for an `architectures` entry not in `transformersClasses`;
///   `encode(to:)` writes a config.json that transformers' `from_pretrained` loads, with
///   `architectures` and `model_type`.
/// - `layout` declares every weight (Hugging Face name and shape, in storage order) and the
///   layers each block is built from; `TransformerLM`, `ModelDirectory` and the GGUF reader all
///   use it, so weight names are written once.
/// - `spec` and `init(spec:)` translate to and from `TransformerSpec`, the format-independent
///   summary the engine (KV cache, batching, generation) reads.
public protocol Architecture: Codable, Sendable, Hashable {
    /// The `model_type` values this configuration reads, in the order errors list them.
    static var modelTypes: [String] { get }
    /// The transformers classes (config.json `architectures` entries) it reads and writes.
    static var transformersClasses: [String] { get }
    /// The config.json key of the layer count, named when a file claims more layers than its
    /// weights hold tensors.
    static var layerCountKey: String { get }

    /// The configuration of a spec whose `modelType` is one of `modelTypes`.
    /// - Throws: `ModelError.invalidSpec` naming what the architecture cannot express.
    init(spec: TransformerSpec) throws

    /// The engine's summary of this configuration (`spec.modelType` is config.json's
    /// `model_type`); `init(spec:)` of it gives back an equivalent configuration.
    var spec: TransformerSpec { get }
    /// Every weight and the layers built from them.
    var layout: ModelLayout { get }
    /// `eos_token_id`, if the configuration states it.
    var eosTokenId: TokenIDs? { get }
    /// `torch_dtype`: the dtype the weights are stored in ("float32", "bfloat16", …);
    /// `ModelDirectory.write` sets it to the dtype it writes.
    var torchDtype: String { get set }

    /// The layout's name of a tensor a checkpoint stores as `name`, given every name in the
    /// checkpoint (GPT-2 files saved from `GPT2Model` lack the `transformer.` prefix). The
    /// default keeps the name.
    static func canonicalTensorName(_ name: String, among names: Set<String>) -> String
}

extension Architecture {
    /// Checkpoint names are the layout's names.
    public static func canonicalTensorName(_ name: String, among names: Set<String>) -> String { name }
}
