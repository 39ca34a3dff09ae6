// Llama+GGUF: Llama's GGUF mapping — llama.cpp's `llama.*` metadata as a config.json, its tensor
// names as transformers' names, and the row permutation that convert_hf_to_gguf.py applies to
// the Q and K projections undone.

import Foundation

extension LlamaConfig: GGUFArchitecture {
    /// GGUF files of `general.architecture` "llama".
    public static var ggufArchitecture: String { "llama" }

    /// The configuration in a GGUF file's metadata (model_type llama).
    ///
    /// Metadata used: `llama.context_length`, `llama.embedding_length`, `llama.block_count`,
    /// `llama.feed_forward_length`, `llama.attention.head_count`, `llama.attention.head_count_kv`
    /// (default: head_count), `llama.attention.layer_norm_rms_epsilon`, `llama.rope.freq_base`
    /// (default 10000), `llama.rope.dimension_count` (the head size, when it differs from
    /// embedding_length / head_count); the vocabulary size is the length of
    /// `tokenizer.ggml.tokens` (else `llama.vocab_size`, else the embedding's rows);
    /// `tokenizer.ggml.{bos,eos,padding}_token_id`. The LM head is tied to the embedding when the
    /// file has no `output.weight`.
    ///
    /// - Throws: `GGUFError.unsupportedArchitecture` (another `general.architecture`),
    ///   `.missingMetadata` / `.invalidMetadata` naming the key (RoPE scaling metadata other
    ///   than none/linear factor 1 is refused; a `rope_freqs.weight` tensor — llama.cpp's form of
    ///   Llama 3.1's `llama3` scaling — becomes `rope_scaling`, and is refused, naming it, when
    ///   its factors are not of that form: see `RotaryEmbedding.Scaling(llamaCppFactors:…)`).
    public init(gguf file: GGUFFile) throws {
        let path = file.path
        let architecture = try file.optionalString("general.architecture")
        guard let architecture else { throw GGUFError.missingMetadata(path: path, key: "general.architecture") }
        guard architecture == Self.ggufArchitecture else {
            throw GGUFError.unsupportedArchitecture(path: path, architecture: architecture, supported: [Self.ggufArchitecture])
        }
        let prefix = architecture + "."
        if let scaling = try file.optionalString(prefix + "rope.scaling.type"), scaling != "none" {
            let factor = file.metadata[prefix + "rope.scaling.factor"]?.double
            if !(scaling == "linear" && factor == 1) {
                throw GGUFError.invalidMetadata(path: path, key: prefix + "rope.scaling.type",
                                                expected: "none (RoPE scaling \"\(scaling)\" is not supported)")
            }
        }
        func number(_ key: String) throws -> Double? {
            guard let value = file.metadata[key] else { return nil }
            guard let number = value.double, number.isFinite else {
                throw GGUFError.invalidMetadata(path: path, key: key, expected: "a finite number, found \(value)")
            }
            return number
        }
        let hidden = try file.requiredInt(prefix + "embedding_length")
        let heads = try file.requiredInt(prefix + "attention.head_count")
        var vocab: Int
        if let tokens = file.metadata["tokenizer.ggml.tokens"]?.array {
            vocab = tokens.count
        } else if let size = try file.optionalInt(prefix + "vocab_size") {
            vocab = size
        } else if let embedding = file.tensorInfo("token_embd.weight"), embedding.dimensions.count == 2 {
            vocab = embedding.dimensions[1]
        } else {
            throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.tokens")
        }
        var json: [String: Any] = [
            "model_type": "llama",
            "vocab_size": vocab,
            "hidden_size": hidden,
            "intermediate_size": try file.requiredInt(prefix + "feed_forward_length"),
            "num_hidden_layers": try file.requiredInt(prefix + "block_count"),
            "num_attention_heads": heads,
            "num_key_value_heads": try file.optionalInt(prefix + "attention.head_count_kv") ?? heads,
            "max_position_embeddings": try file.optionalInt(prefix + "context_length") ?? 2048,
            "rms_norm_eps": try number(prefix + "attention.layer_norm_rms_epsilon") ?? 1e-6,
            "rope_theta": try number(prefix + "rope.freq_base") ?? 10000,
            "tie_word_embeddings": file.tensorInfo("output.weight") == nil,
        ]
        if let ropeDimensions = try file.optionalInt(prefix + "rope.dimension_count"), heads > 0, ropeDimensions != hidden / heads {
            json["head_dim"] = ropeDimensions
        }
        if file.tensorInfo("rope_freqs.weight") != nil {
            let headSize = try file.optionalInt(prefix + "rope.dimension_count") ?? (heads > 0 ? hidden / heads : 0)
            let theta = try number(prefix + "rope.freq_base") ?? 10000
            let factors = try file.tensor("rope_freqs.weight").values
            let scaling: RotaryEmbedding.Scaling
            do {
                scaling = try RotaryEmbedding.Scaling(llamaCppFactors: factors, theta: theta, headSize: headSize)
            } catch let mismatch as RotaryEmbedding.Scaling.FactorsMismatch {
                throw GGUFError.invalidMetadata(path: path, key: "rope_freqs.weight", expected: mismatch.description)
            }
            let rope = RopeParameters(RotaryEmbedding(theta: theta, scaling: scaling))
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(rope))
            json["rope_scaling"] = encoded
        }
        for (key, name) in [("bos_token_id", "bos"), ("eos_token_id", "eos"), ("pad_token_id", "padding")] {
            if let id = try file.optionalInt("tokenizer.ggml.\(name)_token_id") { json[key] = id }
        }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        } catch {
            throw GGUFError.invalidMetadata(path: path, key: prefix + "*", expected: "values that form a config: \(error)")
        }
        do {
            self = try ConfigJSON.decode(LlamaConfig.self, from: data, path: path)
        } catch let error as FormatError {
            // The config's validation names the Hugging Face key; report the GGUF metadata key.
            if case .invalidConfig(_, let key, let reason) = error {
                throw GGUFError.invalidMetadata(path: path, key: Self.ggufMetadataKey(forConfigKey: key), expected: reason)
            }
            throw GGUFError.invalidMetadata(path: path, key: prefix + "*", expected: error.description)
        }
    }

    /// `llama.` + the metadata name of a config.json key (`tokenizer.ggml.tokens` for
    /// `vocab_size`; the key itself when it has no counterpart).
    public static func ggufMetadataKey(forConfigKey key: String) -> String {
        let map = [
            "hidden_size": "embedding_length", "intermediate_size": "feed_forward_length",
            "num_hidden_layers": "block_count", "num_attention_heads": "attention.head_count",
            "num_key_value_heads": "attention.head_count_kv", "max_position_embeddings": "context_length",
            "rms_norm_eps": "attention.layer_norm_rms_epsilon", "rope_theta": "rope.freq_base",
            "head_dim": "rope.dimension_count",
        ]
        if key == "vocab_size" { return "tokenizer.ggml.tokens" }
        return map[key].map { ggufArchitecture + "." + $0 } ?? key
    }

    // MARK: - Names

    /// The Hugging Face name of a llama.cpp tensor name, or nil for tensors the Llama model does
    /// not use (e.g. `rope_freqs.weight`).
    public static func huggingFaceName(ggufName: String) -> String? {
        names.huggingFaceName(ggufName: ggufName)
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of `huggingFaceName`).
    public static func ggufName(huggingFaceName: String) -> String? {
        names.ggufName(huggingFaceName: huggingFaceName)
    }

    /// llama.cpp block tensor → transformers module inside `model.layers.N`.
    private static let names = LlamaStyleGGUFNames(blockModules: [
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    ])

    // MARK: - Q/K permutation

    /// The Q and K projection weights with llama.cpp's row order undone (see `unpermute`);
    /// every other tensor unchanged.
    /// - Throws: `GGUFError.shapeMismatch` naming `ggufName` unless the rows divide into the
    ///   heads, each of even size.
    public func huggingFaceTensor(_ tensor: HostTensor, ggufName: String, huggingFaceName: String,
                                  in file: GGUFFile) throws -> HostTensor {
        let heads: Int
        if huggingFaceName.hasSuffix("self_attn.q_proj.weight") {
            heads = numAttentionHeads
        } else if huggingFaceName.hasSuffix("self_attn.k_proj.weight") {
            heads = numKeyValueHeads
        } else {
            return tensor
        }
        guard let rows = tensor.shape.first, heads > 0, rows % (2 * heads) == 0 else {
            throw GGUFError.shapeMismatch(path: file.path, tensor: ggufName, expected: [2 * heads, tensor.shape.last ?? 0],
                                          actual: tensor.shape)
        }
        return Self.unpermute(tensor, heads: heads)
    }

    /// Undoes convert_hf_to_gguf.py's `permute(w, n_head)`: llama.cpp stores each head's rows
    /// interleaved (pairs (x_i, x_{i+D/2}) adjacent, for its rotary kernel); transformers keeps the
    /// two halves apart. GGUF row `h·D + 2i + j` is Hugging Face row `h·D + j·D/2 + i`.
    /// `precondition`: rows divisible by 2·heads.
    static func unpermute(_ tensor: HostTensor, heads: Int) -> HostTensor {
        let rows = tensor.shape.first ?? 0
        precondition(heads > 0 && rows % (2 * heads) == 0, "unpermute: \(rows) rows for \(heads) heads")
        let columns = rows == 0 ? 0 : tensor.values.count / rows
        let headSize = rows / heads
        let half = headSize / 2
        var out = [Float](repeating: 0, count: tensor.values.count)
        tensor.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for h in 0..<heads {
                    for i in 0..<half {
                        for j in 0..<2 {
                            let from = (h * headSize + 2 * i + j) * columns
                            let to = (h * headSize + j * half + i) * columns
                            for c in 0..<columns { dst[to + c] = src[from + c] }
                        }
                    }
                }
            }
        }
        return HostTensor(shape: tensor.shape, values: out)
    }
}
