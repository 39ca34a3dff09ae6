// Tokenizer — a Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) that encodes and
// decodes exactly as the `tokenizers` library does, for BPE models.
//
// Pipeline, mirroring tokenizer.json's sections:
//   added tokens (raw)  → normalizer → added tokens (normalized) → pre-tokenizer → BPE model
//   → post-processor (only with addSpecialTokens)
// and for decoding: ids → token strings (skipping special ones on request) → decoder chain.

import Foundation

/// A byte-level or SentencePiece-style BPE tokenizer read from Hugging Face files.
///
/// Supported: model `BPE` (merges as "a b" strings or [a, b] pairs, `byte_fallback`,
/// `ignore_merges`, `unk_token`/`fuse_unk`, `continuing_subword_prefix`, `end_of_word_suffix`);
/// normalizers Sequence, Prepend, Replace (literal), NFC/NFD/NFKC/NFKD, Lowercase, Strip,
/// ByteLevel; pre-tokenizers Sequence, Split (literal, GPT-2, Llama-3 and Qwen-2 regexes),
/// ByteLevel, Digits, Metaspace, WhitespaceSplit; post-processors TemplateProcessing (single),
/// ByteLevel, RobertaProcessing, BertProcessing, Sequence; decoders Sequence, Replace (literal),
/// ByteFallback, Fuse, Strip, Metaspace, ByteLevel. Anything else is rejected at load time with a
/// `TokenizerError` naming the type.
///
/// A `Tokenizer` is an immutable value; copies share one internal word cache (thread-safe).
public struct Tokenizer: Sendable {
    let model: BPEModel
    let added: AddedVocabulary
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    /// id → token string, for the model vocabulary and the added tokens (one entry per token, so
    /// that a file naming a few large ids costs no more than its tokens).
    let tokens: [Int: String]

    /// The settings read from tokenizer_config.json (all unset when there was none).
    public private(set) var config: TokenizerConfig
    /// The name errors use for tokenizer_config.json.
    let configPath: String

    /// Number of token ids: one more than the largest id of the vocabulary or the added tokens.
    /// This is the row count an embedding matrix needs.
    public let vocabularySize: Int

    /// Id of `config.bosToken`, if set and known.
    public var bosTokenID: Int? { config.bosToken.flatMap(tokenID) }
    /// Id of `config.eosToken`, if set and known.
    public var eosTokenID: Int? { config.eosToken.flatMap(tokenID) }
    /// Id of `config.padToken`, if set and known.
    public var padTokenID: Int? { config.padToken.flatMap(tokenID) }
    /// Id of `config.unkToken` (else the model's unknown token), if known.
    public var unkTokenID: Int? { config.unkToken.flatMap(tokenID) ?? model.unkID }

    /// Ids of the special added tokens (those `decode(skipSpecialTokens: true)` drops).
    public var specialTokenIDs: Set<Int> { Set(added.tokens.filter(\.special).map(\.id)) }

    /// Loads `tokenizer.json` and, when present, `tokenizer_config.json` from a model directory.
    /// When the config has no `chat_template`, a `chat_template.jinja` file beside it (the layout
    /// transformers ≥ 4.43 saves) supplies it.
    /// - Throws: `TokenizerError` naming the file: `.unreadableFile` when tokenizer.json is
    ///   missing or a file is not a regular file (a FIFO, a device: refused unread, without
    ///   blocking), `.malformedJSON` (with the byte offset for bytes that are not JSON or a
    ///   number that does not fit; a repeated key takes its last value, as in Python) (also for a normalizer, pre-tokenizer or decoder chain that can
    ///   make a text more than 4096 times longer), `.unsupported…`, `.invalidMerge`, `.unknownToken`.
    ///   A `.gguf` file in place of the directory gives its embedded tokenizer (`init(gguf:)`).
    public init(directory: URL) throws {
        if GGUFFile.isGGUF(directory) {
            try self.init(gguf: GGUFFile(contentsOf: directory))
            return
        }
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let tokenizerData = try Self.readFile(tokenizerURL)
        let configData = FileManager.default.fileExists(atPath: configURL.path) ? try Self.readFile(configURL) : nil
        try self.init(tokenizerJSON: tokenizerData, config: configData,
                      tokenizerPath: tokenizerURL.path, configPath: configURL.path)
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        if config.chatTemplate == nil, FileManager.default.fileExists(atPath: jinjaURL.path) {
            guard let template = String(data: try Self.readFile(jinjaURL), encoding: .utf8) else {
                throw TokenizerError.unreadableFile(path: jinjaURL.path, reason: "not valid UTF-8 text")
            }
            config.chatTemplate = template
        }
    }

    /// Builds a tokenizer from the contents of tokenizer.json and (optionally) tokenizer_config.json.
    /// - Parameters:
    ///   - tokenizerJSON: the bytes of tokenizer.json.
    ///   - config: the bytes of tokenizer_config.json, or nil.
    ///   - tokenizerPath: the name errors use for tokenizer.json.
    ///   - configPath: the name errors use for tokenizer_config.json.
    /// - Throws: `TokenizerError` (see `init(directory:)`).
    public init(tokenizerJSON: Data, config: Data?,
                tokenizerPath: String = "<tokenizer.json data>",
                configPath: String = "<tokenizer_config.json data>") throws {
        let spec: TokenizerJSON = try Self.decodeJSON(TokenizerJSON.self, from: tokenizerJSON, path: tokenizerPath)
        let parsedConfig = try config.map { try Self.decodeJSON(TokenizerConfig.self, from: $0, path: configPath) }
            ?? TokenizerConfig()
        try self.init(spec, config: parsedConfig, path: tokenizerPath, configPath: configPath)
    }

    private init(_ spec: TokenizerJSON, config: TokenizerConfig, path: String, configPath: String) throws {
        self.configPath = configPath
        model = try BPEModel(spec.model, path: path)
        normalizer = spec.normalizer
        preTokenizer = spec.preTokenizer
        postProcessor = spec.postProcessor
        decoder = spec.decoder
        added = AddedVocabulary(spec.addedTokens, normalizer: spec.normalizer)
        self.config = config
        let chains: [(String, TextGrowth?)] = [("normalizer", spec.normalizer?.growth),
                                               ("pre_tokenizer", spec.preTokenizer?.growth),
                                               ("decoder", spec.decoder?.growth)]
        for case let (section, growth?) in chains where !growth.isWithinLimit {
            throw TokenizerError.malformedJSON(
                path: path, codingPath: section,
                reason: "the steps can make a text up to \(growth) longer (limit \(TextGrowth.limit))")
        }

        var maxID = -1
        for id in spec.model.vocab.values { maxID = max(maxID, id) }
        for token in spec.addedTokens { maxID = max(maxID, token.id) }
        for (what, id) in spec.model.vocab.map({ ("model.vocab['\($0.key.value)']", $0.value) })
            + spec.addedTokens.map({ ("added_tokens '\($0.content)'", $0.id) }) where id < 0 || id > 50_000_000 {
            throw TokenizerError.malformedJSON(path: path, codingPath: what,
                                               reason: "token id \(id) is outside 0..<50000000")
        }
        var tokens = [Int: String](minimumCapacity: spec.model.vocab.count + spec.addedTokens.count)
        for (token, id) in spec.model.vocab { tokens[id] = token.value }
        for token in spec.addedTokens { tokens[token.id] = token.content }
        self.tokens = tokens
        vocabularySize = maxID + 1
    }

    /// The bytes of a regular file of the model directory (`ModelFile`), or
    /// `TokenizerError.unreadableFile` naming it.
    private static func readFile(_ url: URL) throws -> Data {
        do {
            return try ModelFile.contents(of: url, expected: url.lastPathComponent)
        } catch let error as FormatError {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.reasonWithoutPath)
        }
    }

    /// Decodes JSON with `JSONInputDecoder` (a repeated key takes its last value, as in Python),
    /// turning decoding failures into `TokenizerError` with the file, the JSON path and, for
    /// bytes that are not JSON or a number that does not fit, the byte offset.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
        do {
            return try JSONInputDecoder.decode(type, from: data)
        } catch let error as UnsupportedComponent {
            switch error {
            case .model(let t): throw TokenizerError.unsupportedModel(path: path, type: t)
            case .normalizer(let t): throw TokenizerError.unsupportedNormalizer(path: path, type: t)
            case .preTokenizer(let t): throw TokenizerError.unsupportedPreTokenizer(path: path, type: t)
            case .pattern(let p): throw TokenizerError.unsupportedPattern(path: path, pattern: p)
            case .postProcessor(let t): throw TokenizerError.unsupportedPostProcessor(path: path, type: t)
            case .decoder(let t): throw TokenizerError.unsupportedDecoder(path: path, type: t)
            case .missingMerges: throw TokenizerError.missingMerges(path: path)
            }
        } catch let error as TokenizerError {
            throw error
        } catch {
            guard let problem = DecodingProblem(error) else {
                throw TokenizerError.malformedJSON(path: path, codingPath: "", reason: "\(error)")
            }
            let at = problem.offset.map { " (at byte \($0))" } ?? ""
            throw TokenizerError.malformedJSON(path: path, codingPath: problem.key, reason: problem.reason + at)
        }
    }

    // MARK: - Vocabulary

    /// The id of `token` (an added token or a vocabulary entry), or nil.
    public func tokenID(_ token: String) -> Int? {
        added.byContent[token] ?? model.vocab[ExactString(token)]
    }

    /// The token string of `id`, or nil when `id` is out of range or unused.
    public func token(forID id: Int) -> String? {
        tokens[id]
    }

    // MARK: - Encoding

    /// Encodes `text` into token ids, exactly as `tokenizers`' `Tokenizer.encode(text,
    /// add_special_tokens=…)` does.
    /// - Parameters:
    ///   - text: any string (empty gives no ids, apart from special tokens).
    ///   - addSpecialTokens: apply the post-processor (e.g. prepend BOS).
    /// - Returns: token ids, each in `0..<vocabularySize`.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var ids: [Int] = []
        let rawSegments = added.split(Piece(scalars: Array(text.unicodeScalars), atOrigin: true), with: added.rawMatcher)
        for segment in rawSegments {
            guard case .text(var piece) = segment else {
                if case .token(let id) = segment { ids.append(id) }
                continue
            }
            if let normalizer { piece.scalars = normalizer.normalize(piece.scalars) }
            for inner in added.split(piece, with: added.normalizedMatcher) {
                switch inner {
                case .token(let id):
                    ids.append(id)
                case .text(let text):
                    let words = preTokenizer?.preTokenize([text]) ?? [text]
                    for word in words { ids.append(contentsOf: model.tokenize(word.scalars)) }
                }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.process(ids) }
        return ids
    }

    // MARK: - Decoding

    /// Decodes ids to text, exactly as `tokenizers`' `Tokenizer.decode(ids, skip_special_tokens=…)`.
    /// Unknown ids are skipped; invalid UTF-8 becomes U+FFFD.
    /// - Parameters:
    ///   - ids: token ids.
    ///   - skipSpecialTokens: leave out special added tokens (BOS, EOS, <|im_end|>, …).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var strings: [String] = []
        strings.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(forID: id) else { continue }
            if skipSpecialTokens && added.isSpecial(id) { continue }
            strings.append(token)
        }
        guard let decoder else { return strings.joined(separator: " ") }
        return decoder.decodeChain(strings).joined()
    }

    // MARK: - Chat templates

    /// The model's own template: `config.chatTemplate` (tokenizer_config.json, chat_template.jinja
    /// or GGUF `tokenizer.chat_template`) as a Jinja template.
    /// - Throws: `TokenizerError.missingChatTemplate` when the model has none; `JinjaError` when
    ///   it does not parse (naming line and column).
    public var chatTemplate: ChatTemplate {
        get throws {
            guard let source = config.chatTemplate else {
                throw TokenizerError.missingChatTemplate(path: configPath)
            }
            return .jinja(try JinjaTemplate(source: source))
        }
    }

    /// The template a model's text is rendered with when none is chosen: the model's own
    /// (`chatTemplate`), or `.none` when the model ships no template.
    /// - Throws: `JinjaError` (naming line and column) when the model's template does not parse:
    ///   a broken template is reported, never silently replaced.
    public var defaultChatTemplate: ChatTemplate {
        get throws { config.chatTemplate == nil ? .none : try chatTemplate }
    }

    /// The special tokens a chat template sees, as transformers passes them: `bos_token`,
    /// `eos_token`, `unk_token`, `pad_token` where the config sets them.
    public var chatTemplateVariables: [String: JinjaValue] {
        var variables: [String: JinjaValue] = [:]
        for (name, value) in [("bos_token", config.bosToken), ("eos_token", config.eosToken),
                              ("unk_token", config.unkToken), ("pad_token", config.padToken)] {
            if let value { variables[name] = .string(value) }
        }
        return variables
    }

    /// Renders `messages` with `template` (default: the model's own `chatTemplate`), passing this
    /// tokenizer's special tokens and then `variables` (e.g. `enable_thinking`).
    /// - Throws: what `chatTemplate` throws, when `template` is nil; `JinjaError` from rendering.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                                  template: ChatTemplate? = nil,
                                  variables: [String: JinjaValue] = [:]) throws -> String {
        let chosen = try template ?? chatTemplate
        return try chosen.render(messages, addGenerationPrompt: addGenerationPrompt,
                                 bosToken: config.bosToken ?? "", eosToken: config.eosToken ?? "",
                                 variables: chatTemplateVariables.merging(variables) { _, given in given })
    }
}
