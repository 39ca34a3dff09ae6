// TokenizerExercise: what the fuzz targets do with a tokenizer that loaded — encode and decode
// short texts, decode every id near the vocabulary's ends — so that a file which parses but
// describes a broken tokenizer is caught at use, not only at load.

import DICEKit

/// Texts that reach the normalizers, pre-tokenizers, byte fallback and added-token matching.
let probeTexts = [
    "Hello, world! 123 4567",
    "  leading spaces\tand\ttabs\n\nnewlines  ",
    "naïve café — 東京 🙂 \u{0301}x",
    "<|im_start|>user\nhi<|im_end|><s></s><unk>",
    "",
]

extension Tokenizer {
    /// Encodes and decodes the probe texts (with and without special tokens) and decodes ids
    /// around both ends of the vocabulary (valid and not). Never throws: the tokenizer API
    /// does not, so any failure here is a crash.
    public func exerciseForFuzzing() {
        for text in probeTexts {
            for special in [false, true] {
                let ids = encode(text, addSpecialTokens: special)
                _ = decode(ids, skipSpecialTokens: special)
            }
        }
        let size = vocabularySize
        let ids = Array(0 ..< min(size, 64)) + Array(max(0, size - 64) ..< size) + [-1, size, size + 1, Int.max, Int.min]
        _ = decode(ids)
        _ = decode(ids, skipSpecialTokens: true)
        for id in ids.prefix(8) { _ = token(forID: id) }
        _ = (bosTokenID, eosTokenID, padTokenID, unkTokenID, specialTokenIDs)
        if let template = try? chatTemplate {
            _ = try? applyChatTemplate([.system("s"), .user("u")], addGenerationPrompt: true, template: template)
        }
    }
}
