// TokenizerJSON — the Codable shape of Hugging Face's tokenizer.json, section by section.
//
// Each pipeline stage (Normalizer, PreTokenizer, BPEModel, PostProcessor, TokenDecoder) decodes
// its own section, dispatching on the `type` string. A `type` DICEKit does not implement throws
// `UnsupportedComponent`, which `Tokenizer` turns into a `TokenizerError` naming the file.

import Foundation

/// The top level of tokenizer.json (`truncation` and `padding` are ignored).
struct TokenizerJSON: Decodable {
    var addedTokens: [AddedToken]
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor?
    var decoder: TokenDecoder?
    var model: BPEModelJSON

    enum CodingKeys: String, CodingKey {
        case addedTokens = "added_tokens"
        case normalizer
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
        case decoder
        case model
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addedTokens = try c.decodeIfPresent([AddedToken].self, forKey: .addedTokens) ?? []
        normalizer = try c.decodeIfPresent(Normalizer.self, forKey: .normalizer)
        preTokenizer = try c.decodeIfPresent(PreTokenizer.self, forKey: .preTokenizer)
        postProcessor = try c.decodeIfPresent(PostProcessor.self, forKey: .postProcessor)
        self.decoder = try c.decodeIfPresent(TokenDecoder.self, forKey: .decoder)
        model = try c.decode(BPEModelJSON.self, forKey: .model)
    }
}

/// A pipeline component whose `type` (or regex) DICEKit does not implement; thrown while
/// decoding and reported as the matching `TokenizerError` case.
enum UnsupportedComponent: Error {
    case model(String)
    case normalizer(String)
    case preTokenizer(String)
    case pattern(String)
    case postProcessor(String)
    case decoder(String)
    case missingMerges
}

/// `{"String": "…"}` or `{"Regex": "…"}`, the pattern of Split, Replace and the Replace decoder.
enum PatternJSON: Decodable, Equatable {
    case string(String)
    case regex(String)

    enum CodingKeys: String, CodingKey {
        case string = "String"
        case regex = "Regex"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let s = try c.decodeIfPresent(String.self, forKey: .string) {
            self = .string(s)
        } else if let r = try c.decodeIfPresent(String.self, forKey: .regex) {
            self = .regex(r)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected an object with a \"String\" or \"Regex\" key"))
        }
    }

    /// The literal scalars this pattern matches; a regex only when it has no metacharacters.
    func literal() throws -> [Unicode.Scalar] {
        switch self {
        case .string(let s): return Array(s.unicodeScalars)
        case .regex(let r):
            guard case .literal(let scalars)? = SplitPattern(regex: r) else {
                throw UnsupportedComponent.pattern(r)
            }
            return scalars
        }
    }
}

/// The `type` key every component object carries.
enum TypeKey: String, CodingKey { case type }

extension Decoder {
    /// The component's `type` string.
    func componentType() throws -> String {
        try container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
    }
}

/// Prepend scheme of the Metaspace pre-tokenizer and decoder.
enum PrependScheme: String, Decodable, Sendable {
    /// Prepend the replacement to every piece that does not start with it.
    case always
    /// Prepend only to the piece that starts the original text.
    case first
    /// Never prepend.
    case never
}

extension KeyedDecodingContainer {
    /// Metaspace's prepend scheme: `prepend_scheme`, or the legacy `add_prefix_space` boolean.
    func prependScheme(scheme: K, legacy: K) throws -> PrependScheme {
        if let scheme = try decodeIfPresent(PrependScheme.self, forKey: scheme) { return scheme }
        return try (decodeIfPresent(Bool.self, forKey: legacy) ?? true) ? .always : .never
    }
}
