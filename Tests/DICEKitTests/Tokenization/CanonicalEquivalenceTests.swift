// Regression tests: tokens that Swift's String calls equal (canonically equivalent) but Python and
// `tokenizers` tell apart. Gemma's vocabulary holds both "é" (U+00E9) and "e\u{301}", and
// "Å" (U+00C5) beside "Å" (U+212B ANGSTROM SIGN) is possible in any vocabulary; keyed by String,
// one token silently replaced the other (wrong ids, a token that decoded to nothing).

import Foundation
import Testing
@testable import DICEKit

@Suite("Canonically equivalent tokens stay distinct")
struct CanonicalEquivalenceTests {
    /// A WhitespaceSplit BPE whose vocabulary has both spellings of é and of Å.
    static let json = """
        {"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
         "post_processor": null, "decoder": null,
         "model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0, "\\u00e9": 1, "e": 2, "\\u0301": 3,
                   "e\\u0301": 4, "\\u00c5": 5, "\\u212b": 6, "x": 7, "x\\u00e9": 8},
                   "merges": [["e", "\\u0301"], ["x", "\\u00e9"]]}}
        """

    @Test func vocabularyKeepsBothSpellings() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Data(Self.json.utf8), config: nil)
        #expect(tokenizer.vocabularySize == 9)
        #expect(tokenizer.token(forID: 1)?.unicodeScalars.map(\.value) == [0xE9])
        #expect(tokenizer.token(forID: 4)?.unicodeScalars.map(\.value) == [0x65, 0x301])
        #expect(tokenizer.tokenID("\u{E9}") == 1)
        #expect(tokenizer.tokenID("e\u{301}") == 4)
        #expect(tokenizer.tokenID("\u{212B}") == 6)
    }

    /// Each spelling encodes to its own token, including through the word cache (the second
    /// spelling of a word must not hit the cache entry of the first).
    @Test func encodingFollowsTheExactScalars() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Data(Self.json.utf8), config: nil)
        #expect(tokenizer.encode("\u{E9}") == [1])
        #expect(tokenizer.encode("e\u{301}") == [4])
        #expect(tokenizer.encode("\u{E9} e\u{301} \u{E9}") == [1, 4, 1])
        #expect(tokenizer.encode("\u{C5} \u{212B}") == [5, 6])
        #expect(tokenizer.encode("x\u{E9} xe\u{301}") == [8, 7, 4])
        #expect(tokenizer.decode([1, 4, 6]).unicodeScalars.map(\.value) == [0xE9, 0x20, 0x65, 0x301, 0x20, 0x212B])  // no decoder: joined by spaces
    }

    /// JSON objects read by DICEKit keep keys that differ only by canonical equivalence, as
    /// Python's json module does.
    @Test func jsonObjectKeysAreExact() throws {
        let root = try JSONDocument.parse(Data(#"{"\u00e9": 1, "e\u0301": 2}"#.utf8))
        guard case .object(let object) = root.value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys.count == 2)
        #expect(object.members.count == 2)
    }
}
