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

/// llama.cpp's tensor names for a decoder whose blocks live under `model.layers.N` (Llama's and
/// Gemma 3's layouts): `token_embd`, `output_norm`, `output` and `blk.N.<short>.weight|bias`,
/// the short block names mapped by `blockModules`.
struct LlamaStyleGGUFNames {
    /// llama.cpp block tensor → transformers module inside `model.layers.N`.
    let blockModules: [String: String]

    /// The Hugging Face name of a llama.cpp tensor name, or nil for tensors outside the table.
    func huggingFaceName(ggufName: String) -> String? {
        switch ggufName {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "output_norm.weight": return "model.norm.weight"
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = ggufName.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0,
              String(layer) == parts[1], parts[3] == "weight" || parts[3] == "bias",
              let module = blockModules[String(parts[2])] else { return nil }
        return "model.layers.\(layer).\(module).\(parts[3])"
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of `huggingFaceName`).
    func ggufName(huggingFaceName: String) -> String? {
        switch huggingFaceName {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let parts = huggingFaceName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
              let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return nil }
        let module = parts[3..<(parts.count - 1)].joined(separator: ".")
        guard let short = blockModules.first(where: { $0.value == module })?.key else { return nil }
        return "blk.\(layer).\(short).\(suffix)"
    }
}
