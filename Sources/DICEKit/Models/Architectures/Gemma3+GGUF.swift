// Gemma3+GGUF: Gemma 3's GGUF mapping — llama.cpp's `gemma3.*` metadata as a gemma3_text
// config.json, its tensor names as transformers' names, and the +1 that convert_hf_to_gguf.py
// adds to every Gemma norm weight taken off again.

import Foundation

extension Gemma3TextConfig: GGUFArchitecture {
    /// GGUF files of `general.architecture` "gemma3".
    public static var ggufArchitecture: String { "gemma3" }

    /// The configuration in a GGUF file's metadata (model_type gemma3_text).
    ///
    /// Metadata used: `gemma3.context_length`, `.embedding_length`, `.block_count`,
    /// `.feed_forward_length`, `.attention.head_count`, `.attention.head_count_kv` (default:
    /// head_count), `.attention.key_length` (head_dim, default 256),
    /// `.attention.layer_norm_rms_epsilon`, `.rope.freq_base` (global layers, default 1 000 000),
    /// `.attention.sliding_window` (default 4096), `.rope.scaling.type` / `.rope.scaling.factor`
    /// (linear, global layers); the vocabulary size is the length of `tokenizer.ggml.tokens`
    /// (else the embedding's rows); `tokenizer.ggml.{bos,eos,padding}_token_id`. What llama.cpp
    /// does not store takes its fixed value there (and transformers' default): local RoPE base
    /// 10 000, every sixth layer global, and `query_pre_attn_scalar` = head_dim, or
    /// hidden / heads for 62 layers (llama.cpp's scale for the 27B, as its config.json). The LM
    /// head is tied to the embedding when the file has no `output.weight`.
    ///
    /// - Throws: `GGUFError.unsupportedArchitecture` (another `general.architecture`),
    ///   `.missingMetadata` / `.invalidMetadata` naming the key (a RoPE scaling other than
    ///   none or linear).
    public init(gguf file: GGUFFile) throws {
        let path = file.path
        guard let architecture = try file.optionalString("general.architecture") else {
            throw GGUFError.missingMetadata(path: path, key: "general.architecture")
        }
        guard architecture == Self.ggufArchitecture else {
            throw GGUFError.unsupportedArchitecture(path: path, architecture: architecture, supported: [Self.ggufArchitecture])
        }
        let prefix = architecture + "."
        func number(_ key: String) throws -> Double? {
            guard let value = file.metadata[key] else { return nil }
            guard let number = value.double, number.isFinite else {
                throw GGUFError.invalidMetadata(path: path, key: key, expected: "a finite number, found \(value)")
            }
            return number
        }
        var vocab: Int
        if let tokens = file.metadata["tokenizer.ggml.tokens"]?.array {
            vocab = tokens.count
        } else if let embedding = file.tensorInfo("token_embd.weight"), embedding.dimensions.count == 2 {
            vocab = embedding.dimensions[1]
        } else {
            throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.tokens")
        }
        let heads = try file.requiredInt(prefix + "attention.head_count")
        let headDim = try file.optionalInt(prefix + "attention.key_length") ?? 256
        let hidden = try file.requiredInt(prefix + "embedding_length"), layers = try file.requiredInt(prefix + "block_count")
        // llama.cpp (llm_build_gemma3): 1/√(hidden / heads) for its LLM_TYPE_27B (62 layers),
        // 1/√head_dim otherwise — as Gemma-3-27B's config.json (query_pre_attn_scalar 168).
        let queryScalar = layers == 62 && heads > 0 ? hidden / heads : headDim
        var json: [String: Any] = [
            "model_type": "gemma3_text",
            "vocab_size": vocab,
            "hidden_size": hidden,
            "intermediate_size": try file.requiredInt(prefix + "feed_forward_length"),
            "num_hidden_layers": layers,
            "num_attention_heads": heads,
            "num_key_value_heads": try file.optionalInt(prefix + "attention.head_count_kv") ?? heads,
            "head_dim": headDim,
            "query_pre_attn_scalar": queryScalar,
            "max_position_embeddings": try file.optionalInt(prefix + "context_length") ?? 131_072,
            "rms_norm_eps": try number(prefix + "attention.layer_norm_rms_epsilon") ?? 1e-6,
            "rope_theta": try number(prefix + "rope.freq_base") ?? 1_000_000,
            "rope_local_base_freq": 10000.0,
            "sliding_window": try file.optionalInt(prefix + "attention.sliding_window") ?? 4096,
            "tie_word_embeddings": file.tensorInfo("output.weight") == nil,
        ]
        if let scaling = try file.optionalString(prefix + "rope.scaling.type"), scaling != "none" {
            guard scaling == "linear", let factor = try number(prefix + "rope.scaling.factor") else {
                throw GGUFError.invalidMetadata(path: path, key: prefix + "rope.scaling.type",
                                                expected: "none or linear with rope.scaling.factor (found \"\(scaling)\")")
            }
            json["rope_scaling"] = ["rope_type": "linear", "factor": factor]
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
            self = try ConfigJSON.decode(Gemma3TextConfig.self, from: data, path: path)
        } catch let error as FormatError {
            if case .invalidConfig(_, let key, let reason) = error {
                throw GGUFError.invalidMetadata(path: path, key: Self.ggufMetadataKey(forConfigKey: key), expected: reason)
            }
            throw GGUFError.invalidMetadata(path: path, key: prefix + "*", expected: error.description)
        }
    }

    /// `gemma3.` + the metadata name of a config.json key (`tokenizer.ggml.tokens` for
    /// `vocab_size`; the key itself when it has no counterpart).
    public static func ggufMetadataKey(forConfigKey key: String) -> String {
        let map = [
            "hidden_size": "embedding_length", "intermediate_size": "feed_forward_length",
            "num_hidden_layers": "block_count", "num_attention_heads": "attention.head_count",
            "num_key_value_heads": "attention.head_count_kv", "max_position_embeddings": "context_length",
            "rms_norm_eps": "attention.layer_norm_rms_epsilon", "rope_theta": "rope.freq_base",
            "head_dim": "attention.key_length", "sliding_window": "attention.sliding_window",
        ]
        if key == "vocab_size" { return "tokenizer.ggml.tokens" }
        return map[key].map { ggufArchitecture + "." + $0 } ?? key
    }

    // MARK: - Names

    /// The Hugging Face name of a llama.cpp tensor name, or nil for tensors the model does not
    /// use.
    public static func huggingFaceName(ggufName: String) -> String? {
        names.huggingFaceName(ggufName: ggufName)
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of `huggingFaceName`).
    public static func ggufName(huggingFaceName: String) -> String? {
        names.ggufName(huggingFaceName: huggingFaceName)
    }

    /// llama.cpp block tensor → transformers module inside `model.layers.N` (gguf-py's
    /// MODEL_ARCH.GEMMA3 tensors).
    private static let names = LlamaStyleGGUFNames(blockModules: [
        "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
        "attn_k_norm": "self_attn.k_norm", "post_attention_norm": "post_attention_layernorm",
        "ffn_norm": "pre_feedforward_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj", "post_ffw_norm": "post_feedforward_layernorm",
    ])

    // MARK: - Norm weights

    /// Norm weights with the +1 of convert_hf_to_gguf.py taken off (llama.cpp multiplies by the
    /// stored weight; transformers' Gemma RMSNorm by 1 + weight), in Float32 as transformers'
    /// GGUF loader does (`weights - 1`); every other tensor unchanged.
    public func huggingFaceTensor(_ tensor: HostTensor, ggufName: String, huggingFaceName: String,
                                  in file: GGUFFile) throws -> HostTensor {
        guard huggingFaceName.hasSuffix("norm.weight") else { return tensor }
        return HostTensor(shape: tensor.shape, values: tensor.values.map { $0 - 1 })
    }
}
