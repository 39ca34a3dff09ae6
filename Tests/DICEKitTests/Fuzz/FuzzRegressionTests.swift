// Regression tests for what fuzzing the parsers found (`make fuzz`, Documentation/Fuzzing.md).
// Each input is also kept in the fuzz corpus (Fuzz/Corpus/<Target>/crash-*), so that every
// fuzzing run starts from it.

import Foundation
import Testing
@testable import DICEKit

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: - tokenizer.json: a large id allocated a table entry for every smaller id

    /// Fuzz/Corpus/FuzzTokenizerJSON/crash-large-id.json: 59 bytes that cost 800 MB (a dense id →
    /// token table of 50 million entries) before the table became sparse.
    static let largeIDTokenizer = #"{"model":{"type":"BPE","vocab":{"a":49999999},"merges":[]}}"#

    @Test("a large token id costs one table entry, and still sets the vocabulary size")
    func largeTokenID() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Data(Self.largeIDTokenizer.utf8), config: nil)
        #expect(tokenizer.tokens.count == 1)
        #expect(tokenizer.vocabularySize == 50_000_000)
        #expect(tokenizer.token(forID: 49_999_999) == "a")
        for id in [-1, 0, 49_999_998, 50_000_000, Int.max] { #expect(tokenizer.token(forID: id) == nil) }
        #expect(tokenizer.encode("aa") == [49_999_999, 49_999_999])
        #expect(tokenizer.decode([0, 49_999_999, 50_000_000]) == "a")
    }

    // MARK: - tokenizer.json: chains that lengthen text exponentially

    /// A tokenizer.json whose `section` is a Sequence of `count` copies of `step`.
    static func chainTokenizer(_ section: String, _ step: String, count: Int) -> String {
        let key = ["normalizer": "normalizers", "pre_tokenizer": "pretokenizers", "decoder": "decoders"][section] ?? section
        let steps = Array(repeating: step, count: count).joined(separator: ",")
        return #"{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]},"\#(section)":{"type":"Sequence","\#(key)":[\#(steps)]}}"#
    }

    /// Fuzz/Corpus/FuzzTokenizerJSON/crash-replace-chain.json (2.4 kB: 40 × Replace "a" → "aa")
    /// made `encode("a")` build a text of 2^40 scalars; the same in the pre-tokenizer
    /// (ByteLevel doubles a byte-level text) and the decoder.
    @Test("chains that lengthen text beyond 4096× are refused when the tokenizer loads",
          .timeLimit(.minutes(1)),
          arguments: [("normalizer", #"{"type":"Replace","pattern":{"String":"a"},"content":"aa"}"#),
                      ("pre_tokenizer", #"{"type":"ByteLevel","add_prefix_space":false}"#),
                      ("decoder", #"{"type":"Replace","pattern":{"String":"a"},"content":"aa"}"#)])
    func exponentialChains(section: String, step: String) throws {
        #expect {
            try Tokenizer(tokenizerJSON: Data(Self.chainTokenizer(section, step, count: 40).utf8), config: nil,
                          tokenizerPath: "chain.json")
        } throws: { error in
            guard case let TokenizerError.malformedJSON(path, codingPath, reason)? = error as? TokenizerError else { return false }
            return path == "chain.json" && codingPath == section && reason.contains("limit 4096×")
        }
        // A short chain of the same step still loads and works.
        let tokenizer = try Tokenizer(tokenizerJSON: Data(Self.chainTokenizer(section, step, count: 2).utf8), config: nil)
        _ = tokenizer.decode(tokenizer.encode("ab a"))
    }

    /// Texts that reach the largest expansions: U+FDFA (18 scalars under NFKD), İ (2 when
    /// lowercased), é, spaces, and 4-byte UTF-8.
    static let growthAlphabet: [Unicode.Scalar] = ["a", "b", " ", "\u{FDFA}", "\u{130}", "\u{E9}", "\u{1F642}", "\u{2581}"]

    @Test("the growth bound holds for random normalizer and pre-tokenizer chains", arguments: 0..<20)
    func growthBoundHolds(seed: UInt64) {
        var rng = SplitMix64(seed: 0x6B0 &+ seed)
        let normalizers: [Normalizer] = [.prepend(["\u{2581}"]), .replace(pattern: [" "], content: ["\u{2581}"]),
                                         .replace(pattern: ["a"], content: ["b", "b", "b"]), .nfc, .nfd, .nfkc, .nfkd,
                                         .lowercase, .strip(left: true, right: true), .byteLevel]
        let preTokenizers: [PreTokenizer] = [.byteLevel(addPrefixSpace: true, useRegex: true),
                                             .byteLevel(addPrefixSpace: true, useRegex: false),
                                             .metaspace(replacement: "\u{2581}", prependScheme: .always, split: true),
                                             .digits(individual: true), .whitespaceSplit]
        let normalizer = Normalizer.sequence((0..<(1 + Int(rng.next() % 4))).map { _ in normalizers[Int(rng.next() % UInt64(normalizers.count))] })
        let preTokenizer = PreTokenizer.sequence((0..<(1 + Int(rng.next() % 3))).map { _ in preTokenizers[Int(rng.next() % UInt64(preTokenizers.count))] })
        for _ in 0..<20 {
            let text = (0..<Int(rng.next() % 12)).map { _ in Self.growthAlphabet[Int(rng.next() % UInt64(Self.growthAlphabet.count))] }
            let normalized = normalizer.normalize(text)
            let bound = normalizer.growth
            #expect(normalized.count <= bound.factor * text.count + bound.extra, "\(normalizer) on \(text)")
            let pieces = preTokenizer.preTokenize([Piece(scalars: normalized, atOrigin: true)])
            let preBound = preTokenizer.growth
            #expect(pieces.reduce(0) { $0 + $1.scalars.count } <= preBound.factor * normalized.count + preBound.extra,
                    "\(preTokenizer) on \(normalized)")
        }
    }

    // MARK: - Chat templates: a format with many open braces took quadratic time

    /// Fuzz/Corpus/FuzzChatTemplate/crash-open-braces.txt: "{prompt}" and 20 000 "{" (73 s in a
    /// debug build before the fix: each "{" looked for a "}" to the end of the format).
    @Test("a format with 100000 open braces renders in linear time", .timeLimit(.minutes(1)))
    func openBraces() throws {
        let braces = String(repeating: "{", count: 100_000)
        let template = try ChatTemplate(parsing: "{prompt}" + braces + "{system}}")
        let start = ContinuousClock.now
        let text = try template.render([.system("S"), .user("P")], addGenerationPrompt: true)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(text == "P" + braces + "S}")
    }

    /// `fill` against its definition: at each "{", the text up to the first "}" after it is
    /// replaced when it names a value; everything else is copied.
    @Test("format filling equals the brace-by-brace definition", arguments: 0..<20)
    func fillMatchesDefinition(seed: UInt64) {
        var rng = SplitMix64(seed: 0xB2AC &+ seed)
        let pieces = ["{", "}", "{prompt}", "{system}", "{bos}", "x", "{eos", "prompt}", "{{prompt}}", " "]
        let format = (0..<Int(rng.next() % 16)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
        let values = ["prompt": "P{system}", "system": "S", "bos": "<s>", "eos": "</s>"]
        let chars = Array(format)
        var expected = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "{", let close = chars[(i + 1)...].firstIndex(of: "}"),
               let value = values[String(chars[(i + 1)..<close])] {
                expected += value
                i = close + 1
            } else {
                expected.append(chars[i])
                i += 1
            }
        }
        #expect(ChatTemplate.fill(format, values) == expected, "\(format)")
    }

    // MARK: - GGUF: merges rebuilt from scores took time quadratic in a token's length

    /// A GGUF file with a SentencePiece ("llama") vocabulary and no merges, whose last token is
    /// `"a"` repeated `length` times (Fuzz/Corpus/FuzzGGUF/crash-long-token.gguf has length
    /// 20000: 112 s in a debug build before the fix).
    static func longTokenGGUF(length: Int) -> Data {
        var file = GGUFBytes()
        let tokens = ["<unk>", "<s>", "</s>", "a", String(repeating: "a", count: length)]
        file.header(tensors: 0, kvs: 3)
        file.string("tokenizer.ggml.model")
        file.u32(8)
        file.string("llama")
        file.string("tokenizer.ggml.tokens")
        file.u32(9)
        file.u32(8)
        file.u64(UInt64(tokens.count))
        for token in tokens { file.string(token) }
        file.string("tokenizer.ggml.scores")
        file.u32(9)
        file.u32(6)
        file.u64(UInt64(tokens.count))
        for _ in tokens { file.u32(Float(0).bitPattern) }
        return file.data
    }

    @Test("a 100000-character token rebuilds its merges in linear time", .timeLimit(.minutes(1)))
    func longTokenMerges() throws {
        let file = try GGUFFile(data: Self.longTokenGGUF(length: 100_000), path: "long-token.gguf")
        let start = ContinuousClock.now
        let tokenizer = try Tokenizer(gguf: file)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(tokenizer.vocabularySize == 5)
        #expect(tokenizer.token(forID: 4)?.unicodeScalars.count == 100_000)
    }

    // MARK: - Layer counts: the expected-weight list grew with a claimed layer count

    /// Fuzz/Corpus/FuzzGGUF/crash-block-count.gguf: tokenizer-bpe.gguf with `llama.block_count`
    /// = 2^24 (the largest the configuration accepts) and no tensors. Before the check,
    /// `modelDirectory()` listed 150 million expected weights first: 22 GB, minutes.
    @Test("a GGUF block count above the tensor count is refused by key", .timeLimit(.minutes(1)))
    func ggufBlockCount() throws {
        var data = try Data(contentsOf: Fixtures.gguf("tokenizer-bpe.gguf"))
        let key = Array("llama.block_count".utf8)
        var needle = withUnsafeBytes(of: UInt64(key.count).littleEndian, Array.init) + key
        needle += withUnsafeBytes(of: UInt32(4).littleEndian, Array.init)  // UINT32
        let at = try #require(data.firstRange(of: needle)).upperBound
        data.replaceSubrange(at ..< at + 4, with: withUnsafeBytes(of: UInt32(1 << 24).littleEndian, Array.init))
        let file = try GGUFFile(data: data, path: "block-count.gguf")
        #expect(try LlamaConfig(gguf: file).numHiddenLayers == 1 << 24)
        #expect {
            try file.modelDirectory()
        } throws: { error in
            guard case let GGUFError.invalidMetadata(path, key, expected)? = error as? GGUFError else { return false }
            return path == "block-count.gguf" && key == "llama.block_count" && expected.contains("found 16777216")
        }
    }

    @Test("a config.json layer count above the tensor count is refused by key", .timeLimit(.minutes(1)))
    func configLayerCount() throws {
        let folder = try ScratchFolder("fuzz-layers")
        defer { folder.remove() }
        let source = Fixtures.model("llama-gqa-tied")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json")))
            as? [String: Any] ?? [:]
        config["num_hidden_layers"] = 1 << 24
        try JSONSerialization.data(withJSONObject: config).write(to: folder.file("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.file("model.safetensors"))
        #expect {
            try ModelDirectory.read(from: folder.url)
        } throws: { error in
            guard case let FormatError.invalidConfig(path, key, reason)? = error as? FormatError else { return false }
            return path == folder.file("config.json").path && key == "num_hidden_layers" && reason.hasPrefix("16777216 layers")
        }
    }

    /// `generate_merges` as transformers writes it (the algorithm the tries replaced, as the
    /// oracle): every cut of every token, the parts looked up by their scalars as Python's `in`
    /// looks up `str` keys, ids from {token: id} (last occurrence wins).
    static func naiveMerges(tokens: [String], scores: [Double]) -> [[String]] {
        let key = { (s: String) in s.unicodeScalars.map(\.value) }
        var idOf: [[UInt32]: Int] = [:]
        for (id, token) in tokens.enumerated() { idOf[key(token)] = id }
        var scoreOf: [[UInt32]: Double] = [:]
        var order: [[UInt32]] = []
        for (token, score) in zip(tokens, scores) {
            if scoreOf[key(token)] == nil { order.append(key(token)) }
            scoreOf[key(token)] = score
        }
        var merges: [(left: [UInt32], right: [UInt32], score: Double)] = []
        for merge in order {
            guard let score = scoreOf[merge] else { continue }
            var local: [(left: [UInt32], right: [UInt32], leftID: Int, rightID: Int)] = []
            for index in 1..<max(1, merge.count) {
                let left = Array(merge[..<index]), right = Array(merge[index...])
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
        let text = { (v: [UInt32]) in String(String.UnicodeScalarView(v.compactMap(Unicode.Scalar.init))) }
        return ranked.map { [text(merges[$0].left), text(merges[$0].right)] }
    }

    @Test("merges rebuilt with the tries equal every cut tried", arguments: 0..<20)
    func mergesMatchNaive(seed: UInt64) {
        var rng = SplitMix64(seed: 0xF022 &+ seed)
        // "é" and "e\u{301}" (equal as Swift Strings, different to Python) among the pieces.
        let alphabet: [String] = ["a", "b", "e", "\u{301}", "é", "▁"]
        var tokens: [String] = []
        for _ in 0..<(20 + Int(rng.next() % 40)) {
            let length = 1 + Int(rng.next() % 5)
            tokens.append((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined())
        }
        let scores = tokens.map { _ in Double(rng.next() % 4) }
        #expect(GGUFFile.generateMerges(tokens: tokens, scores: scores) == Self.naiveMerges(tokens: tokens, scores: scores))
    }

    /// transformers 5's `generate_merges` on canonically equivalent tokens (printed by
    /// tokenization_utils_base.generate_merges): "ae\u{301}" has no cut into two tokens, "aé" has one.
    @Test("canonically equivalent tokens stay apart, as in transformers")
    func mergesCompareScalars() {
        let tokens = ["a", "e", "\u{301}", "\u{E9}", "ae\u{301}", "a\u{E9}"]
        let merges = GGUFFile.generateMerges(tokens: tokens, scores: [0, 0, 0, 0, -1, -2])
        #expect(merges.map { $0.map { Array($0.unicodeScalars) } } == [[["a"], ["\u{E9}"]]])
    }
}
