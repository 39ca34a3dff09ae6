// Tokenizer+GGUF: the tokenizer a GGUF file embeds (`tokenizer.ggml.*`, `tokenizer.chat_template`)
// rebuilt as the tokenizer.json + tokenizer_config.json that transformers' GGUF loader builds
// (`AutoTokenizer.from_pretrained(dir, gguf_file=…)`, transformers 5: integrations/gguf/
// gguf_tokenizer_mapping.py), then read by `Tokenizer(tokenizerJSON:config:)`.
//
//   tokenizer.ggml.model "gpt2"  byte-level BPE: tokens respelled in the byte alphabet where they
//        use other characters, merges "a b"; ByteLevel pre-tokenizer (GPT-2 regex), or
//        Split(regex) + ByteLevel for a known `tokenizer.ggml.pre` (llama-bpe, qwen2, …);
//        ByteLevel decoder; "<|endoftext|>" added when absent (GPT2Tokenizer's default).
//   tokenizer.ggml.model "llama" SentencePiece BPE: byte fallback, fused unknowns, merges from
//        the file or rebuilt from the scores (transformers' `generate_merges`); Metaspace
//        pre-tokenizer (prepend first, no split); decoders Replace ▁→" ", ByteFallback, Fuse,
//        Strip(1 left); "<s>", "</s>", "<unk>" added when absent (LlamaTokenizer's defaults).
//   tokenizer.ggml.model "llama" with general.architecture gemma, gemma2 or gemma3 (transformers'
//        `gemma_tokenizer`, i.e. GemmaTokenizer): tokens made only of whitespace with a space in
//        them respelled as that many "▁"; merges from the file or rebuilt with the (respelled)
//        token's position as its score (earlier is better), not the file's scores; normalizer
//        Replace " "→"▁", pre-tokenizer Split(" ", MergedWithPrevious) (a no-op after the
//        normalizer), BPE with byte fallback, fused unknowns and unk "<unk>"; decoders Replace ▁→" ",
//        ByteFallback, Fuse (no Strip); "<pad>", "<eos>", "<bos>", "<unk>", "<mask>" added when
//        absent (GemmaTokenizer's defaults).
// In all, tokens typed CONTROL (3) are special added tokens (in a byte-level vocabulary only
// those spelled in the byte alphabet), USER_DEFINED (4) ones plain added tokens when the
// vocabulary has them as spelled (so not Gemma's respelled space runs), and the BOS,
// EOS, unknown and padding tokens special; the post-processor adds BOS when `add_bos_token`
// (default: true for "llama", false for "gpt2") and EOS when `add_eos_token`.

import Foundation

extension Tokenizer {
    /// The tokenizer embedded in a GGUF file (see `GGUFFile.tokenizerFiles()`).
    /// - Throws: `GGUFError` for missing or malformed `tokenizer.ggml.*` metadata,
    ///   `TokenizerError` (e.g. `.unsupportedPattern` for a `tokenizer.ggml.pre` whose split
    ///   regex DICEKit does not implement).
    public init(gguf: GGUFFile) throws {
        let files = try gguf.tokenizerFiles()
        try self.init(tokenizerJSON: files.tokenizerJSON, config: files.tokenizerConfig,
                      tokenizerPath: gguf.path + " (tokenizer.ggml.*)", configPath: gguf.path + " (tokenizer.*)")
    }
}

extension GGUFFile {
    /// Split regexes of `tokenizer.ggml.pre` values, as transformers maps them; other values use
    /// the ByteLevel pre-tokenizer's GPT-2 regex.
    static let preTokenizerPatterns: [String: String] = {
        var map: [String: String] = [:]
        for pre in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                    "jina-v5-nano", "dbrx", "smaug-bpe"] {
            map[pre] = SplitPattern.llama3Source
        }
        for pre in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"] { map[pre] = SplitPattern.qwen2Source }
        return map
    }()

    /// `tokenizer.ggml.pre` values whose split regex transformers knows but DICEKit does not
    /// implement (rejected rather than tokenised differently).
    static let unsupportedPreTokenizers: Set<String> = ["tekken", "qwen35", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"]

    /// tokenizer.json and tokenizer_config.json equivalent to the tokenizer transformers builds
    /// from this file's `tokenizer.ggml.*` metadata (see the file comment for the rules), with
    /// `chat_template`, the special tokens, `add_bos_token`/`add_eos_token` and
    /// `tokenizer_class` "PreTrainedTokenizerFast" in the config.
    /// - Throws: `GGUFError.missingMetadata` (`tokenizer.ggml.model`, `.tokens`; `.scores` for a
    ///   "llama" vocabulary without merges), `.invalidMetadata` (wrong types, ids out of range, a
    ///   merge that is not two tokens, an unsupported model or architecture), and
    ///   `TokenizerError.unsupportedPattern` for a `tokenizer.ggml.pre` listed in
    ///   `unsupportedPreTokenizers`.
    public func tokenizerFiles() throws -> (tokenizerJSON: Data, tokenizerConfig: Data) {
        guard let model = try optionalString("tokenizer.ggml.model") else {
            throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.model")
        }
        let architecture = try optionalString("general.architecture") ?? ""
        guard model == "gpt2" || model == "llama" else {
            throw GGUFError.invalidMetadata(path: path, key: "tokenizer.ggml.model",
                                            expected: "\"gpt2\" or \"llama\", found \"\(model)\"")
        }
        if model == "llama", architecture == "phi3" {
            throw GGUFError.invalidMetadata(path: path, key: "general.architecture",
                                            expected: "an architecture whose SentencePiece tokenizer DICEKit rebuilds (not \(architecture))")
        }
        let byteLevel = model == "gpt2"
        let gemma = model == "llama" && Self.gemmaArchitectures.contains(architecture)
        guard let tokenValues = metadata["tokenizer.ggml.tokens"] else {
            throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.tokens")
        }
        let fileTokens = try strings(tokenValues, key: "tokenizer.ggml.tokens")
        let tokens = gemma ? fileTokens.map(Self.gemmaSpelling) : fileTokens
        let types = try metadata["tokenizer.ggml.token_type"].map { try ints($0, key: "tokenizer.ggml.token_type") } ?? []

        // Vocabulary (last occurrence wins, as in a Python dict comprehension; tokens told apart by
        // their exact scalars, as Python's str: Gemma has both "é" and "e\u{301}").
        var vocab: [ExactString: Int] = [:]
        var vocabOrder: [String] = []
        let alphabet = Set(ByteLevel.scalarForByte)
        for (id, token) in tokens.enumerated() {
            let spelling = byteLevel && !token.unicodeScalars.allSatisfy(alphabet.contains)
                ? String(String.UnicodeScalarView(ByteLevel.encode(Array(token.unicodeScalars)))) : token
            if vocab.updateValue(id, forKey: ExactString(spelling)) == nil { vocabOrder.append(spelling) }
        }

        // Merges.
        var merges: [[String]]
        if let mergeValues = metadata["tokenizer.ggml.merges"] {
            merges = []
            for (index, merge) in try strings(mergeValues, key: "tokenizer.ggml.merges").enumerated() {
                let parts = merge.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2 else {
                    throw GGUFError.invalidMetadata(path: path, key: "tokenizer.ggml.merges[\(index)]",
                                                    expected: "two tokens separated by one space, found \"\(merge)\"")
                }
                merges.append(parts)
            }
        } else if byteLevel {
            throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.merges")
        } else {
            guard let scoreValues = metadata["tokenizer.ggml.scores"] else {
                throw GGUFError.missingMetadata(path: path, key: "tokenizer.ggml.scores")
            }
            let scores = try numbers(scoreValues, key: "tokenizer.ggml.scores")
            guard scores.count >= tokens.count else {
                throw GGUFError.invalidMetadata(path: path, key: "tokenizer.ggml.scores",
                                                expected: "\(tokens.count) scores, found \(scores.count)")
            }
            // Gemma's merges follow the order of its tokens, not its scores.
            merges = Self.generateMerges(tokens: tokens, scores: gemma ? tokens.indices.map { -Double($0) } : scores)
        }

        // Added tokens: builder defaults (new ids when absent), control / user-defined tokens, then
        // the special tokens of the configuration.
        var added: [Int: (content: String, special: Bool)] = [:]
        var nextID = tokens.count
        let defaults = byteLevel ? ["<|endoftext|>"] : gemma ? ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"] : ["<s>", "</s>", "<unk>"]
        var extraTokens: [String: Int] = [:]
        for token in defaults {
            if let id = vocab[ExactString(token)] {
                added[id] = (token, true)
            } else if extraTokens[token] == nil {
                extraTokens[token] = nextID
                added[nextID] = (token, true)
                nextID += 1
            }
        }
        for (id, type) in types.enumerated() where id < tokens.count {
            let token = fileTokens[id]
            if type == 3, !byteLevel || token.unicodeScalars.allSatisfy(alphabet.contains) {
                added[vocab[ExactString(token)] ?? id] = (token, true)
            } else if type == 4, let existing = vocab[ExactString(token)] {
                added[existing] = (token, added[existing]?.special ?? false)
            }
        }
        var special: [String: String] = [:]
        for (key, name) in [("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unknown"), ("pad_token", "padding")] {
            let metadataKey = "tokenizer.ggml.\(name)_token_id"
            guard let id = try optionalInt(metadataKey) else { continue }
            guard id >= 0, id < tokens.count else {
                throw GGUFError.invalidMetadata(path: path, key: metadataKey,
                                                expected: "a token id in 0..<\(tokens.count), found \(id)")
            }
            special[key] = fileTokens[id]
            added[vocab[ExactString(fileTokens[id])] ?? id] = (fileTokens[id], true)
        }

        let addBOS = try flag("tokenizer.ggml.add_bos_token") ?? !byteLevel
        let addEOS = try flag("tokenizer.ggml.add_eos_token") ?? false

        // tokenizer.json. The model section is written by hand: a `[String: Any]` vocabulary would
        // merge canonically equivalent tokens.
        var modelJSON = "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":\(gemma ? "\"<unk>\"" : "null")"
        modelJSON += ",\"fuse_unk\":\(!byteLevel),\"byte_fallback\":\(!byteLevel),\"ignore_merges\":false"
        modelJSON += byteLevel ? ",\"continuing_subword_prefix\":\"\",\"end_of_word_suffix\":\"\""
            : ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null"
        modelJSON += ",\"vocab\":{"
        for (index, token) in vocabOrder.enumerated() {
            if index > 0 { modelJSON += "," }
            modelJSON += Self.jsonString(token) + ":" + String(vocab[ExactString(token)] ?? 0)
        }
        modelJSON += "},\"merges\":["
        for (index, merge) in merges.enumerated() {
            if index > 0 { modelJSON += "," }
            modelJSON += "[" + merge.map(Self.jsonString).joined(separator: ",") + "]"
        }
        modelJSON += "]}"

        var normalizer: Any = NSNull()
        let preTokenizer: [String: Any]
        let decoder: [String: Any]
        if gemma {
            normalizer = ["type": "Replace", "pattern": ["String": " "], "content": "\u{2581}"]
            preTokenizer = ["type": "Split", "pattern": ["String": " "], "behavior": "MergedWithPrevious", "invert": false]
            decoder = ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                ["type": "ByteFallback"], ["type": "Fuse"],
            ]]
        } else if byteLevel {
            let pre = try optionalString("tokenizer.ggml.pre") ?? "default"
            if Self.unsupportedPreTokenizers.contains(pre) {
                throw TokenizerError.unsupportedPattern(path: path + " (tokenizer.ggml.pre)", pattern: pre)
            }
            if let pattern = Self.preTokenizerPatterns[pre] {
                preTokenizer = ["type": "Sequence", "pretokenizers": [
                    ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false],
                    ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
                ]]
            } else {
                preTokenizer = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
            }
            decoder = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
        } else {
            preTokenizer = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false]
            decoder = ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0],
            ]]
        }

        var single: [[String: Any]] = []
        var specialTokens: [String: Any] = [:]
        func specialPiece(_ token: String) -> [String: Any] {
            let id = vocab[ExactString(token)] ?? extraTokens[token] ?? 0
            specialTokens[token] = ["id": token, "ids": [id], "tokens": [token]]
            return ["SpecialToken": ["id": token, "type_id": 0]]
        }
        if addBOS, let bos = special["bos_token"] { single.append(specialPiece(bos)) }
        single.append(["Sequence": ["id": "A", "type_id": 0]])
        if addEOS, let eos = special["eos_token"] { single.append(specialPiece(eos)) }
        let postProcessor: [String: Any] = ["type": "TemplateProcessing", "single": single, "pair": single,
                                            "special_tokens": specialTokens]

        let addedJSON: [[String: Any]] = added.keys.sorted().compactMap { id in
            guard let entry = added[id] else { return nil }
            return ["id": id, "content": entry.content, "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": entry.special]
        }
        let tokenizerJSON: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": addedJSON,
            "normalizer": normalizer, "pre_tokenizer": preTokenizer, "post_processor": postProcessor,
            "decoder": decoder,
        ]

        // tokenizer_config.json.
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": addBOS, "add_eos_token": addEOS,
            "clean_up_tokenization_spaces": false,
        ]
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] { config[key] = special[key] ?? NSNull() }
        if let template = try optionalString("tokenizer.chat_template") { config["chat_template"] = template }

        do {
            // The other sections, then `"model": …` before the closing brace.
            var tokenizer = try JSONSerialization.data(withJSONObject: tokenizerJSON, options: [.sortedKeys])
            guard tokenizer.last == UInt8(ascii: "}") else {
                throw GGUFError.invalidMetadata(path: path, key: "tokenizer.ggml.*", expected: "a tokenizer that serializes")
            }
            tokenizer.removeLast()
            tokenizer.append(contentsOf: Array((",\"model\":" + modelJSON + "}").utf8))
            return (tokenizer, try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted]))
        } catch let error as GGUFError {
            throw error
        } catch {
            throw GGUFError.invalidMetadata(path: path, key: "tokenizer.ggml.*", expected: "values that form a tokenizer: \(error)")
        }
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped, every
    /// other scalar as is (UTF-8).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The `general.architecture` values whose "llama" vocabulary transformers rebuilds as Gemma's.
    static let gemmaArchitectures: Set<String> = ["gemma", "gemma2", "gemma3"]

    /// A Gemma token as GemmaTokenizer looks it up: one made only of whitespace (Python's
    /// `str.strip`) with at least one U+0020 becomes as many "▁" as it has scalars ("  " → "▁▁").
    static func gemmaSpelling(_ token: String) -> String {
        let scalars = token.unicodeScalars
        guard scalars.contains(" "), scalars.allSatisfy(Self.isPythonWhitespace) else { return token }
        return String(repeating: "\u{2581}", count: scalars.count)
    }

    /// Python's `str.isspace` for one scalar: the White_Space property plus the separators
    /// U+001C…U+001F, which Python also strips.
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(scalar.value) || scalar.properties.isWhitespace
    }

    /// transformers' `generate_merges(vocab, vocab_scores)` with `vocab` = {token: id} (the last
    /// occurrence's id): for every token (file order), each split into two vocabulary tokens,
    /// ordered within the token by the parts' ids; then all merges stably sorted by (score, left
    /// length, right length), highest first. Tokens are compared and measured by Unicode scalars,
    /// as Python compares and measures `str` (Swift's `String ==` would also match canonically
    /// equivalent spellings). The candidate cuts of a token come from two tries (vocabulary
    /// prefixes and suffixes), so a long token costs its length, not its length squared.
    static func generateMerges(tokens: [String], scores: [Double]) -> [[String]] {
        typealias Scalars = [Unicode.Scalar]
        var idOf: [Scalars: Int] = [:]
        for (id, token) in tokens.enumerated() { idOf[Array(token.unicodeScalars)] = id }
        // Python's dict(zip(tokens, scores)): one entry per distinct token, at its first position,
        // with the score of its last occurrence.
        var scoreOf: [Scalars: Double] = [:]
        var order: [Scalars] = []
        for (token, score) in zip(tokens, scores) {
            let scalars = Array(token.unicodeScalars)
            if scoreOf[scalars] == nil { order.append(scalars) }
            scoreOf[scalars] = score
        }
        let prefixes = ScalarTrie(idOf.keys)
        let suffixes = ScalarTrie(idOf.keys.map { $0.reversed() })
        var merges: [(left: Scalars, right: Scalars, score: Double)] = []
        for scalars in order {
            guard scalars.count > 1, let score = scoreOf[scalars] else { continue }
            let rightLengths = Set(suffixes.prefixLengths(of: scalars.reversed()))
            var local: [(left: Scalars, right: Scalars, leftID: Int, rightID: Int)] = []
            for cut in prefixes.prefixLengths(of: scalars)
            where cut > 0 && cut < scalars.count && rightLengths.contains(scalars.count - cut) {
                let left = Array(scalars[..<cut]), right = Array(scalars[cut...])
                if let l = idOf[left], let r = idOf[right] { local.append((left, right, l, r)) }
            }
            local.sort { ($0.leftID, $0.rightID) < ($1.leftID, $1.rightID) }
            merges += local.map { ($0.left, $0.right, score) }
        }
        let ranked = merges.indices.sorted { a, b in
            let x = merges[a], y = merges[b]
            if x.score != y.score { return x.score > y.score }
            if x.left.count != y.left.count { return x.left.count > y.left.count }
            if x.right.count != y.right.count { return x.right.count > y.right.count }
            return a < b
        }
        return ranked.map { [String(String.UnicodeScalarView(merges[$0].left)), String(String.UnicodeScalarView(merges[$0].right))] }
    }

    // MARK: - Typed metadata arrays

    private func strings(_ value: GGUFValue, key: String) throws -> [String] {
        guard let array = value.array else {
            throw GGUFError.invalidMetadata(path: path, key: key, expected: "an array of strings")
        }
        return try array.enumerated().map { index, element in
            guard let s = element.string else {
                throw GGUFError.invalidMetadata(path: path, key: "\(key)[\(index)]", expected: "a string, found \(element)")
            }
            return s
        }
    }

    private func ints(_ value: GGUFValue, key: String) throws -> [Int] {
        guard let array = value.array else {
            throw GGUFError.invalidMetadata(path: path, key: key, expected: "an array of integers")
        }
        return try array.enumerated().map { index, element in
            guard let i = element.int else {
                throw GGUFError.invalidMetadata(path: path, key: "\(key)[\(index)]", expected: "an integer, found \(element)")
            }
            return i
        }
    }

    private func numbers(_ value: GGUFValue, key: String) throws -> [Double] {
        guard let array = value.array else {
            throw GGUFError.invalidMetadata(path: path, key: key, expected: "an array of numbers")
        }
        return try array.enumerated().map { index, element in
            guard let d = element.double, !d.isNaN else {
                throw GGUFError.invalidMetadata(path: path, key: "\(key)[\(index)]", expected: "a number, found \(element)")
            }
            return d
        }
    }

    private func flag(_ key: String) throws -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let bool = value.bool else { throw GGUFError.invalidMetadata(path: path, key: key, expected: "a BOOL, found \(value)") }
        return bool
    }
}
