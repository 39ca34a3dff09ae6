// TokenizerConfig — the parts of transformers' tokenizer_config.json that DICEKit uses.

/// Settings from `tokenizer_config.json`.
///
/// Special tokens may be written as plain strings or as AddedToken objects
/// (`{"content": "<s>", "lstrip": false, …}`); both decode to the token's content. Unknown keys
/// are ignored.
public struct TokenizerConfig: Decodable, Sendable, Equatable {
    /// Beginning-of-sequence token text (`bos_token`), if any.
    public var bosToken: String?
    /// End-of-sequence token text (`eos_token`), if any.
    public var eosToken: String?
    /// Padding token text (`pad_token`), if any.
    public var padToken: String?
    /// Unknown token text (`unk_token`), if any.
    public var unkToken: String?
    /// The Jinja `chat_template` source. When the file holds a list of named templates, the one
    /// named "default" (else the first).
    public var chatTemplate: String?
    /// `add_bos_token` (Llama tokenizers), if present. Informational: `Tokenizer.encode` adds
    /// special tokens through tokenizer.json's post-processor.
    public var addBOSToken: Bool?
    /// `add_eos_token`, if present. Informational, like `addBOSToken`.
    public var addEOSToken: Bool?
    /// `model_max_length` (often an enormous sentinel such as 1e30), if present and numeric.
    public var modelMaxLength: Double?

    /// A configuration with every field unset.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token"
        case eosToken = "eos_token"
        case padToken = "pad_token"
        case unkToken = "unk_token"
        case chatTemplate = "chat_template"
        case addBOSToken = "add_bos_token"
        case addEOSToken = "add_eos_token"
        case modelMaxLength = "model_max_length"
    }

    /// A special token: a string, an AddedToken object, or null.
    private struct TokenValue: Decodable {
        var content: String?
        private enum Keys: String, CodingKey { case content }
        init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                content = nil
            } else if let s = try? single.decode(String.self) {
                content = s
            } else {
                content = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .content)
            }
        }
    }

    /// A chat template: a string, or a list of `{"name": …, "template": …}`.
    private struct TemplateValue: Decodable {
        var source: String?
        private struct Named: Decodable { var name: String?; var template: String }
        init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                source = nil
            } else if let s = try? single.decode(String.self) {
                source = s
            } else {
                let list = try single.decode([Named].self)
                source = (list.first { $0.name == "default" } ?? list.first)?.template
            }
        }
    }

    /// Decodes tokenizer_config.json; throws `DecodingError` for wrong types of the known keys.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bosToken = try c.decodeIfPresent(TokenValue.self, forKey: .bosToken)?.content
        eosToken = try c.decodeIfPresent(TokenValue.self, forKey: .eosToken)?.content
        padToken = try c.decodeIfPresent(TokenValue.self, forKey: .padToken)?.content
        unkToken = try c.decodeIfPresent(TokenValue.self, forKey: .unkToken)?.content
        chatTemplate = try c.decodeIfPresent(TemplateValue.self, forKey: .chatTemplate)?.source
        addBOSToken = try c.decodeIfPresent(Bool.self, forKey: .addBOSToken)
        addEOSToken = try c.decodeIfPresent(Bool.self, forKey: .addEOSToken)
        modelMaxLength = try? c.decodeIfPresent(Double.self, forKey: .modelMaxLength)
    }
}
