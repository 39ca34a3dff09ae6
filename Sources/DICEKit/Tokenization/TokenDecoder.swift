// TokenDecoder — tokenizer.json's `decoder` section: token strings back to text.
//
// Decoders work as tokenizers' `decode_chain`: each takes the list of token strings and returns
// a new list; the final list is concatenated.

/// A decoder, one case per supported tokenizer.json `type`.
indirect enum TokenDecoder: Decodable, Sendable {
    /// `Sequence`: chain each decoder.
    case sequence([TokenDecoder])
    /// `Replace` with a literal pattern, in every token.
    case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
    /// `ByteFallback`: runs of `<0xNN>` tokens become the UTF-8 text they spell (one U+FFFD per
    /// byte when the run is not valid UTF-8).
    case byteFallback
    /// `Fuse`: concatenate all tokens into one.
    case fuse
    /// `Strip`: remove up to `start` leading and `stop` trailing `content` scalars per token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// `Metaspace`: `replacement` → space; in the first token the replacement is dropped
    /// (unless `prependScheme` is `never`).
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
    /// `ByteLevel`: stand-in scalars back to bytes, then lossy UTF-8 over the whole text.
    case byteLevel

    enum CodingKeys: String, CodingKey {
        case decoders, pattern, content, start, stop, replacement
        case prependScheme = "prepend_scheme"
        case addPrefixSpace = "add_prefix_space"
    }

    init(from decoder: any Decoder) throws {
        let type = try decoder.componentType()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func single(_ key: CodingKeys, default value: String) throws -> Unicode.Scalar {
            let s = try c.decodeIfPresent(String.self, forKey: key) ?? value
            guard s.unicodeScalars.count == 1, let scalar = s.unicodeScalars.first else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a single character")
            }
            return scalar
        }
        switch type {
        case "Sequence": self = .sequence(try c.decode([TokenDecoder].self, forKey: .decoders))
        case "Replace":
            self = .replace(pattern: try c.decode(PatternJSON.self, forKey: .pattern).literal(),
                            content: Array(try c.decode(String.self, forKey: .content).unicodeScalars))
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            self = .strip(content: try single(.content, default: " "),
                          start: max(0, try c.decodeIfPresent(Int.self, forKey: .start) ?? 0),
                          stop: max(0, try c.decodeIfPresent(Int.self, forKey: .stop) ?? 0))
        case "Metaspace":
            self = .metaspace(replacement: try single(.replacement, default: "▁"),
                              prependScheme: try c.prependScheme(scheme: .prependScheme, legacy: .addPrefixSpace))
        case "ByteLevel": self = .byteLevel
        default: throw UnsupportedComponent.decoder(type)
        }
    }

    /// The decoded form of `tokens`, still as a list (tokenizers' `decode_chain`).
    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        case let .replace(pattern, content):
            return tokens.map { token in
                String(String.UnicodeScalarView(Normalizer.replacing(pattern, with: content, in: Array(token.unicodeScalars))))
            }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validating: pending, as: UTF8.self) {
                    out.append(text)
                } else {
                    out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Self.fallbackByte(token) {
                    pending.append(byte)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lo = 0
                while lo < min(start, scalars.count) && scalars[lo] == content { lo += 1 }
                var hi = scalars.count
                while scalars.count - hi < stop && hi > lo && scalars[hi - 1] == content { hi -= 1 }
                return String(String.UnicodeScalarView(scalars[lo..<hi]))
            }
        case let .metaspace(replacement, prependScheme):
            return tokens.enumerated().map { i, token in
                var out = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar == replacement {
                        if i == 0 && prependScheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(scalar)
                    }
                }
                return String(out)
            }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes.append(contentsOf: ByteLevel.bytes(ofToken: token)) }
            return [String(decoding: bytes, as: UTF8.self)]
        }
    }

    /// The byte of a `<0xNN>` token (exactly six characters, two hex digits), else nil.
    static func fallbackByte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }
}
