// Normalizer — tokenizer.json's `normalizer` section: text rewrites applied before splitting.

import Foundation

/// A text normalizer, one case per supported tokenizer.json `type`.
///
/// Normalizers act on each stretch of text between added tokens (as `tokenizers` does), so
/// `Prepend("▁")` prefixes every such stretch, not only the start of the input.
indirect enum Normalizer: Decodable, Sendable, Equatable {
    /// `Sequence`: apply each in order.
    case sequence([Normalizer])
    /// `Prepend`: put `prefix` in front of non-empty text (Llama-2's "▁").
    case prepend([Unicode.Scalar])
    /// `Replace` with a literal pattern: replace every occurrence, left to right.
    case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
    /// `NFC`, `NFD`, `NFKC`, `NFKD`: Unicode normalization forms.
    case nfc, nfd, nfkc, nfkd
    /// `Lowercase`: Unicode lowercase mapping.
    case lowercase
    /// `Strip`: remove leading and/or trailing whitespace.
    case strip(left: Bool, right: Bool)
    /// `ByteLevel`: replace each UTF-8 byte by its byte-level stand-in scalar.
    case byteLevel

    enum CodingKeys: String, CodingKey {
        case normalizers, prepend, pattern, content
        case stripLeft = "strip_left"
        case stripRight = "strip_right"
    }

    init(from decoder: any Decoder) throws {
        let type = try decoder.componentType()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence": self = .sequence(try c.decode([Normalizer].self, forKey: .normalizers))
        case "Prepend": self = .prepend(Array(try c.decode(String.self, forKey: .prepend).unicodeScalars))
        case "Replace":
            let pattern = try c.decode(PatternJSON.self, forKey: .pattern).literal()
            self = .replace(pattern: pattern, content: Array(try c.decode(String.self, forKey: .content).unicodeScalars))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip":
            self = .strip(left: try c.decodeIfPresent(Bool.self, forKey: .stripLeft) ?? true,
                          right: try c.decodeIfPresent(Bool.self, forKey: .stripRight) ?? true)
        case "ByteLevel": self = .byteLevel
        default: throw UnsupportedComponent.normalizer(type)
        }
    }

    /// The normalized form of `text`.
    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(text) { $1.normalize($0) }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content):
            return Self.replacing(pattern, with: content, in: text)
        case .nfc: return Array(String(String.UnicodeScalarView(text)).precomposedStringWithCanonicalMapping.unicodeScalars)
        case .nfd: return Array(String(String.UnicodeScalarView(text)).decomposedStringWithCanonicalMapping.unicodeScalars)
        case .nfkc: return Array(String(String.UnicodeScalarView(text)).precomposedStringWithCompatibilityMapping.unicodeScalars)
        case .nfkd: return Array(String(String.UnicodeScalarView(text)).decomposedStringWithCompatibilityMapping.unicodeScalars)
        case .lowercase:
            var out: [Unicode.Scalar] = []
            for scalar in text { out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
            return out
        case let .strip(left, right):
            var lo = 0, hi = text.count
            if left { while lo < hi && UnicodeClass.isWhitespace(text[lo]) { lo += 1 } }
            if right { while hi > lo && UnicodeClass.isWhitespace(text[hi - 1]) { hi -= 1 } }
            return Array(text[lo..<hi])
        case .byteLevel:
            return ByteLevel.encode(text)
        }
    }

    /// `text` with every non-overlapping occurrence of `pattern` (left to right) replaced.
    static func replacing(_ pattern: [Unicode.Scalar], with content: [Unicode.Scalar],
                          in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !pattern.isEmpty else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var last = 0
        for range in SplitPattern.literal(pattern).matches(in: text) {
            out.append(contentsOf: text[last..<range.lowerBound])
            out.append(contentsOf: content)
            last = range.upperBound
        }
        out.append(contentsOf: text[last...])
        return out
    }
}
