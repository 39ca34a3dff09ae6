// The hand-written split-pattern matchers and Split behaviors against tokenizers' own
// pre_tokenize_str output on 300 random strings (Tests/Fixtures/tokenizers/patterns.json).

import Foundation
import Testing
@testable import DICEKit

@Suite("Pre-tokenizer patterns (tokenizers library)")
struct PreTokenizerPatternTests {
    struct Patterns: Decodable {
        var texts: [String]
        var splits: [String: [[String]]]
    }

    static let patterns: Patterns? = {
        let url = TokenizerFixtures.root.appendingPathComponent("tokenizers/patterns.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Patterns.self, from: data)
    }()

    static let preTokenizers: [(String, PreTokenizer)] = [
        ("gpt2", .split(pattern: .gpt2, behavior: .isolated, invert: false)),
        ("llama3", .split(pattern: .llama3(maxDigits: 3), behavior: .isolated, invert: false)),
        ("digits_individual", .digits(individual: true)),
        ("digits_contiguous", .digits(individual: false)),
        ("metaspace_always_split", .metaspace(replacement: "▁", prependScheme: .always, split: true)),
        ("whitespace_split", .whitespaceSplit),
        ("split_literal_removed", .split(pattern: .literal([" "]), behavior: .removed, invert: false)),
        ("split_literal_merged_previous", .split(pattern: .literal(["a"]), behavior: .mergedWithPrevious, invert: false)),
        ("split_literal_merged_next", .split(pattern: .literal(["a"]), behavior: .mergedWithNext, invert: false)),
        ("split_literal_contiguous", .split(pattern: .literal(["a"]), behavior: .contiguous, invert: false)),
        ("split_literal_isolated_invert", .split(pattern: .literal(["a"]), behavior: .isolated, invert: true)),
    ]

    @Test("pieces equal tokenizers' pre_tokenize_str", arguments: preTokenizers.map(\.0))
    func pieces(name: String) throws {
        let patterns = try #require(Self.patterns)
        let preTokenizer = try #require(Self.preTokenizers.first { $0.0 == name }?.1)
        let expected = try #require(patterns.splits[name])
        #expect(expected.count == 300)
        for (text, want) in zip(patterns.texts, expected) {
            let got = preTokenizer.preTokenize([Piece(scalars: Array(text.unicodeScalars), atOrigin: true)])
                .map { String(String.UnicodeScalarView($0.scalars)) }
            #expect(got == want, "\(name): \(text.debugDescription)")
        }
    }

    @Test("regex sources map to the hand-written matchers")
    func regexRecognition() {
        #expect(SplitPattern(regex: SplitPattern.gpt2Source) == .gpt2)
        #expect(SplitPattern(regex: SplitPattern.llama3Source) == .llama3(maxDigits: 3))
        #expect(SplitPattern(regex: SplitPattern.qwen2Source) == .llama3(maxDigits: 1))
        #expect(SplitPattern(regex: "abc") == .literal(Array("abc".unicodeScalars)))
        #expect(SplitPattern(regex: #"\w+|[^\w\s]+"#) == nil)
    }

    @Test("GPT-2 pattern on a hand-checked example")
    func gpt2Example() {
        let text = Array("I'm  here,\tyou'll   see 123!".unicodeScalars)
        let pieces = SplitPattern.gpt2.matches(in: text).map { String(String.UnicodeScalarView(text[$0])) }
        #expect(pieces == ["I", "'m", " ", " here", ",", "\t", "you", "'ll", "  ", " see", " 123", "!"])
    }

    @Test("merge queue agrees with the naive merge oracle on the fixture vocabularies",
          arguments: ["gpt2_bytelevel", "llama2_spm"])
    func mergeOracle(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let model = tokenizer.model
        var rng = SplitMix(seed: 42)
        let alphabet = Array("etaoin shrdlucmfwypvbgkqjxz".unicodeScalars).map { name == "gpt2_bytelevel" && $0 == " " ? "Ġ" : $0 }
        for _ in 0..<500 {
            let length = Int(rng.next() % 24) + 1
            let word = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let symbols = model.initialSymbols(word)
            #expect(BPEModel.mergeAll(symbols, merges: model.merges) == BPEModel.mergeNaive(symbols, merges: model.merges))
        }
    }
}

/// A tiny deterministic generator for test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
