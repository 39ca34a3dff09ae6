// TextGrowth: how much longer the normalizer, pre-tokenizer and decoder chains of a
// tokenizer.json can make a text, at most — checked when a tokenizer loads, so that a file of a
// few kilobytes cannot describe a chain (40 × Replace "a" → "aa") that turns one character into
// 2^40 and never returns from `encode`.

/// An upper bound `length ↦ factor · length + extra` on the output length (in Unicode scalars)
/// of a text rewrite, composed along a chain with saturating arithmetic.
struct TextGrowth: Equatable, CustomStringConvertible {
    /// Multiplier on the input length.
    var factor: Int
    /// Scalars added regardless of the input length (e.g. a prepended "▁").
    var extra: Int

    /// The bound a tokenizer's chains must stay within: real tokenizers reach NFKD (18×) ·
    /// Lowercase (3×) · ByteLevel (4×) = 216×.
    static let limit = TextGrowth(factor: 1 << 12, extra: 1 << 20)
    /// No change in length.
    static let identity = TextGrowth(factor: 1, extra: 0)

    /// Multiplies the length by `factor`.
    static func times(_ factor: Int) -> TextGrowth { TextGrowth(factor: factor, extra: 0) }

    /// `self` applied first, then `next`.
    func then(_ next: TextGrowth) -> TextGrowth {
        TextGrowth(factor: Self.product(factor, next.factor),
                   extra: Self.sum(Self.product(extra, next.factor), next.extra))
    }

    /// Whether this bound stays within `limit`.
    var isWithinLimit: Bool { factor <= Self.limit.factor && extra <= Self.limit.extra }

    var description: String { extra == 0 ? "\(factor)×" : "\(factor)× + \(extra)" }

    private static func product(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : value
    }

    private static func sum(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : value
    }

    /// The factor of replacing each occurrence of `pattern` by `content`.
    static func replacing(_ pattern: [Unicode.Scalar], with content: [Unicode.Scalar]) -> TextGrowth {
        guard !pattern.isEmpty else { return .identity }
        return .times(max(1, (content.count + pattern.count - 1) / pattern.count))
    }
}

extension Normalizer {
    /// How much longer this normalizer can make a text (Unicode's maximum expansions: NFC 3×,
    /// NFD 4×, NFKC/NFKD 18×; full lowercase mapping 3×; UTF-8 bytes per scalar 4×).
    var growth: TextGrowth {
        switch self {
        case .sequence(let steps): return steps.reduce(.identity) { $0.then($1.growth) }
        case .prepend(let prefix): return TextGrowth(factor: 1, extra: prefix.count)
        case let .replace(pattern, content): return .replacing(pattern, with: content)
        case .nfc: return .times(3)
        case .nfd: return .times(4)
        case .nfkc, .nfkd: return .times(18)
        case .lowercase: return .times(3)
        case .strip: return .identity
        case .byteLevel: return .times(4)
        }
    }
}

extension PreTokenizer {
    /// How much longer this pre-tokenizer can make a text, all pieces together. A prefix is added
    /// per (non-empty) piece, so at most once per scalar: Metaspace 2×, ByteLevel (prefix space,
    /// then up to 4 UTF-8 bytes per scalar) 8×.
    var growth: TextGrowth {
        switch self {
        case .sequence(let steps): return steps.reduce(.identity) { $0.then($1.growth) }
        case .split, .digits, .whitespaceSplit: return .identity
        case .byteLevel: return .times(8)
        case .metaspace: return .times(2)
        }
    }
}

extension TokenDecoder {
    /// How much longer this decoder can make the tokens' text (a byte-level token's bytes are at
    /// most 4 per scalar, each decoding to at most one scalar).
    var growth: TextGrowth {
        switch self {
        case .sequence(let steps): return steps.reduce(.identity) { $0.then($1.growth) }
        case let .replace(pattern, content): return .replacing(pattern, with: content)
        case .byteFallback, .fuse, .strip, .metaspace: return .identity
        case .byteLevel: return .times(4)
        }
    }
}
