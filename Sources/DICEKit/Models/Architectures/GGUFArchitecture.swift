// GGUFArchitecture: what an architecture that reads llama.cpp's GGUF files adds — its
// configuration from the file's metadata and the mapping of llama.cpp tensor names (and
// layouts) to its Hugging Face ones. `GGUFFile.modelDirectory` does the rest generically.

/// An architecture that reads GGUF files whose `general.architecture` is `ggufArchitecture`.
public protocol GGUFArchitecture: Architecture {
    /// The `general.architecture` value, e.g. "llama".
    static var ggufArchitecture: String { get }

    /// The configuration the file's metadata describes.
    /// - Throws: `GGUFError.missingMetadata` / `.invalidMetadata` naming the metadata key.
    init(gguf file: GGUFFile) throws

    /// The metadata key that holds config.json's `key` (named in errors), e.g.
    /// `num_hidden_layers` → `llama.block_count`.
    static func ggufMetadataKey(forConfigKey key: String) -> String

    /// The Hugging Face name of a llama.cpp tensor name, or nil for tensors the model does not
    /// use.
    static func huggingFaceName(ggufName: String) -> String?

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of `huggingFaceName`).
    static func ggufName(huggingFaceName: String) -> String?

    /// The tensor as transformers stores it, from the file's tensor `ggufName` (already
    /// dequantised, named `huggingFaceName`): llama.cpp reorders some rows (see Llama's Q/K).
    /// - Throws: `GGUFError.shapeMismatch` naming `ggufName` when the tensor cannot be reordered.
    func huggingFaceTensor(_ tensor: HostTensor, ggufName: String, huggingFaceName: String,
                           in file: GGUFFile) throws -> HostTensor
}
