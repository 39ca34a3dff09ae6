// TokenizerError — every way loading or configuring a tokenizer can fail, each naming the file.

/// An error from loading a Hugging Face tokenizer (`tokenizer.json`, `tokenizer_config.json`) or
/// from choosing a chat template.
///
/// Every case that comes from a file carries `path`: the file's path, or a placeholder such as
/// `"<tokenizer.json data>"` when the tokenizer was built from in-memory `Data`.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist or could not be read. `reason` is the system's message.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid JSON, or a value has the wrong type or is missing.
    /// `codingPath` is the dotted JSON path of the offending value (`model.merges[3]`, empty for
    /// the document itself); `reason` says what was expected.
    case malformedJSON(path: String, codingPath: String, reason: String)
    /// `model.type` names a model other than `BPE`.
    case unsupportedModel(path: String, type: String)
    /// A normalizer `type` that DICEKit does not implement.
    case unsupportedNormalizer(path: String, type: String)
    /// A pre-tokenizer `type` that DICEKit does not implement.
    case unsupportedPreTokenizer(path: String, type: String)
    /// A `Split` pre-tokenizer or `Replace` normalizer/decoder whose regex is not one of the
    /// recognised patterns (GPT-2's, Llama-3's, Qwen-2's). `pattern` is the regex source.
    case unsupportedPattern(path: String, pattern: String)
    /// A post-processor `type` that DICEKit does not implement.
    case unsupportedPostProcessor(path: String, type: String)
    /// A decoder `type` that DICEKit does not implement.
    case unsupportedDecoder(path: String, type: String)
    /// A BPE model without a `merges` list.
    case missingMerges(path: String)
    /// Merge number `index` (0-based rank) is malformed or names a token missing from the
    /// vocabulary; `reason` says which.
    case invalidMerge(path: String, index: Int, reason: String)
    /// A token the configuration refers to (`unk_token`, a post-processor's special token, …)
    /// has no id in the vocabulary. `context` names where it was referenced.
    case unknownToken(path: String, token: String, context: String)
    /// The tokenizer has no `chat_template`, so no built-in template could be chosen.
    case missingChatTemplate(path: String)
    /// A chat template that does not map to a built-in. `template` is an excerpt of the Jinja
    /// source, or the name that was asked for.
    case unknownChatTemplate(template: String)

    /// What to pass to choose a template explicitly (part of the unknown-template messages).
    public static let templateChoiceHint =
        "choose one with --template chatml|zephyr|llama3|none|'<format with {prompt}>'"

    /// A one-line, human-readable description naming the file and what was wrong.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .malformedJSON(path, codingPath, reason):
            let at = codingPath.isEmpty ? "" : " at \(codingPath)"
            return "\(path): malformed JSON\(at): \(reason)"
        case let .unsupportedModel(path, type):
            return "\(path): unsupported model type '\(type)' (expected 'BPE')"
        case let .unsupportedNormalizer(path, type):
            return "\(path): unsupported normalizer type '\(type)'"
        case let .unsupportedPreTokenizer(path, type):
            return "\(path): unsupported pre-tokenizer type '\(type)'"
        case let .unsupportedPattern(path, pattern):
            return "\(path): unsupported regex pattern '\(pattern)' (supported: the GPT-2, Llama-3 and Qwen-2 split patterns)"
        case let .unsupportedPostProcessor(path, type):
            return "\(path): unsupported post-processor type '\(type)'"
        case let .unsupportedDecoder(path, type):
            return "\(path): unsupported decoder type '\(type)'"
        case let .missingMerges(path):
            return "\(path): BPE model has no 'merges' list"
        case let .invalidMerge(path, index, reason):
            return "\(path): merge #\(index) is invalid: \(reason)"
        case let .unknownToken(path, token, context):
            return "\(path): token '\(token)' (\(context)) is not in the vocabulary"
        case let .missingChatTemplate(path):
            return "\(path): no chat_template; \(Self.templateChoiceHint)"
        case let .unknownChatTemplate(template):
            return "unrecognised chat template '\(template)'; \(Self.templateChoiceHint)"
        }
    }
}
