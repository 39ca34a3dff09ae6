// PreTokenizer — tokenizer.json's `pre_tokenizer` section: cutting text into the pieces ("words")
// that the BPE model encodes one at a time.

/// A stretch of text on its way through the pipeline.
struct Piece: Sendable {
    /// The piece's (normalized) scalars.
    var scalars: [Unicode.Scalar]
    /// Whether the piece starts at offset 0 of the original input (Metaspace's
    /// `prepend_scheme: "first"` prepends only to such a piece).
    var atOrigin: Bool
}

/// What `Split` does with the matches of its pattern (tokenizers' `SplitDelimiterBehavior`).
enum SplitBehavior: String, Decodable, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Applies the behavior to `events`, the ordered, gap-free cover of a text by
    /// (range, isMatch); returns the ranges of the resulting pieces (empty ones dropped).
    /// A direct transcription of `NormalizedString::split` in `tokenizers`.
    func apply(_ events: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        var out: [(range: Range<Int>, remove: Bool)] = []
        switch self {
        case .isolated:
            out = events.map { ($0.range, false) }
        case .removed:
            out = events.map { ($0.range, $0.isMatch) }
        case .contiguous:
            var previousMatch = false
            for e in events {
                if e.isMatch == previousMatch, let last = out.last {
                    out[out.count - 1].range = last.range.lowerBound..<e.range.upperBound
                } else {
                    out.append((e.range, false))
                }
                previousMatch = e.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for e in events {
                if e.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1].range = last.range.lowerBound..<e.range.upperBound
                } else {
                    out.append((e.range, false))
                }
                previousMatch = e.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for e in events.reversed() {
                if e.isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1].range = e.range.lowerBound..<last.range.upperBound
                } else {
                    out.append((e.range, false))
                }
                previousMatch = e.isMatch
            }
            out.reverse()
        }
        return out.compactMap { $0.remove || $0.range.isEmpty ? nil : $0.range }
    }

    /// The events of a set of matches: matches and the gaps between them.
    static func events(matches: [Range<Int>], count: Int, invert: Bool = false) -> [(range: Range<Int>, isMatch: Bool)] {
        var events: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for m in matches {
            if previous < m.lowerBound { events.append((previous..<m.lowerBound, invert)) }
            events.append((m, !invert))
            previous = m.upperBound
        }
        if previous < count { events.append((previous..<count, invert)) }
        return events
    }

    /// The events of a per-scalar predicate: each matching scalar is its own match.
    static func events(count: Int, invert: Bool = false, matching: (Int) -> Bool) -> [(range: Range<Int>, isMatch: Bool)] {
        var matches: [Range<Int>] = []
        for i in 0..<count where matching(i) { matches.append(i..<(i + 1)) }
        return events(matches: matches, count: count, invert: invert)
    }
}

/// A pre-tokenizer, one case per supported tokenizer.json `type`.
indirect enum PreTokenizer: Decodable, Sendable {
    /// `Sequence`: each pre-tokenizer splits the pieces of the previous one.
    case sequence([PreTokenizer])
    /// `Split`: split on `pattern` with `behavior`; `invert` swaps matches and gaps.
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool)
    /// `ByteLevel`: optional prefix space, GPT-2 regex split when `useRegex`, then the byte map.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Digits`: isolate each digit (`individual`) or each run of digits.
    case digits(individual: Bool)
    /// `Metaspace`: spaces become `replacement`, prepended per `prependScheme`; when `split`,
    /// the text is cut before each replacement.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    /// `WhitespaceSplit`: split on whitespace, dropping it.
    case whitespaceSplit

    enum CodingKeys: String, CodingKey {
        case pretokenizers, pattern, behavior, invert, replacement
        case addPrefixSpace = "add_prefix_space"
        case useRegex = "use_regex"
        case individualDigits = "individual_digits"
        case prependScheme = "prepend_scheme"
        case split
    }

    init(from decoder: any Decoder) throws {
        let type = try decoder.componentType()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case "Sequence":
            self = .sequence(try c.decode([PreTokenizer].self, forKey: .pretokenizers))
        case "Split":
            let pattern: SplitPattern
            switch try c.decode(PatternJSON.self, forKey: .pattern) {
            case .string(let s): pattern = .literal(Array(s.unicodeScalars))
            case .regex(let r):
                guard let p = SplitPattern(regex: r) else { throw UnsupportedComponent.pattern(r) }
                pattern = p
            }
            self = .split(pattern: pattern,
                          behavior: try c.decode(SplitBehavior.self, forKey: .behavior),
                          invert: try c.decodeIfPresent(Bool.self, forKey: .invert) ?? false)
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: try c.decodeIfPresent(Bool.self, forKey: .addPrefixSpace) ?? true,
                              useRegex: try c.decodeIfPresent(Bool.self, forKey: .useRegex) ?? true)
        case "Digits":
            self = .digits(individual: try c.decodeIfPresent(Bool.self, forKey: .individualDigits) ?? false)
        case "Metaspace":
            let replacement = try c.decodeIfPresent(String.self, forKey: .replacement) ?? "▁"
            guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                throw DecodingError.dataCorruptedError(forKey: .replacement, in: c,
                                                       debugDescription: "expected a single character")
            }
            self = .metaspace(replacement: scalar,
                              prependScheme: try c.prependScheme(scheme: .prependScheme, legacy: .addPrefixSpace),
                              split: try c.decodeIfPresent(Bool.self, forKey: .split) ?? true)
        case "WhitespaceSplit":
            self = .whitespaceSplit
        default:
            throw UnsupportedComponent.preTokenizer(type)
        }
    }

    /// The pieces of `pieces` after this pre-tokenizer (empty pieces dropped).
    func preTokenize(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.preTokenize($0) }
        case let .split(pattern, behavior, invert):
            return pieces.flatMap { piece in
                let events = SplitBehavior.events(matches: pattern.matches(in: piece.scalars),
                                                  count: piece.scalars.count, invert: invert)
                return Self.cut(piece, behavior.apply(events))
            }
        case let .byteLevel(addPrefixSpace, useRegex):
            return pieces.flatMap { piece -> [Piece] in
                var piece = piece
                // tokenizers' `NormalizedString::prepend` is a no-op on empty text.
                if addPrefixSpace, let first = piece.scalars.first, first != " " { piece.scalars.insert(" ", at: 0) }
                let parts: [Piece]
                if useRegex {
                    let events = SplitBehavior.events(matches: SplitPattern.gpt2.matches(in: piece.scalars),
                                                      count: piece.scalars.count)
                    parts = Self.cut(piece, SplitBehavior.isolated.apply(events))
                } else {
                    parts = piece.scalars.isEmpty ? [] : [piece]
                }
                return parts.map { Piece(scalars: ByteLevel.encode($0.scalars), atOrigin: $0.atOrigin) }
            }
        case .digits(let individual):
            return pieces.flatMap { piece in
                let events = SplitBehavior.events(count: piece.scalars.count) { UnicodeClass.isNumber(piece.scalars[$0]) }
                return Self.cut(piece, (individual ? SplitBehavior.isolated : .contiguous).apply(events))
            }
        case let .metaspace(replacement, prependScheme, split):
            return pieces.flatMap { piece -> [Piece] in
                var scalars = piece.scalars.map { $0 == " " ? replacement : $0 }
                let startsWithReplacement = scalars.first == replacement || scalars.isEmpty  // prepend skips empty text
                switch prependScheme {
                case .always where !startsWithReplacement: scalars.insert(replacement, at: 0)
                case .first where !startsWithReplacement && piece.atOrigin: scalars.insert(replacement, at: 0)
                default: break
                }
                let replaced = Piece(scalars: scalars, atOrigin: piece.atOrigin)
                guard split else { return scalars.isEmpty ? [] : [replaced] }
                let events = SplitBehavior.events(count: scalars.count) { scalars[$0] == replacement }
                return Self.cut(replaced, SplitBehavior.mergedWithNext.apply(events))
            }
        case .whitespaceSplit:
            return pieces.flatMap { piece in
                let events = SplitBehavior.events(count: piece.scalars.count) { UnicodeClass.isWhitespace(piece.scalars[$0]) }
                return Self.cut(piece, SplitBehavior.removed.apply(events))
            }
        }
    }

    /// Sub-pieces of `piece` at `ranges`.
    private static func cut(_ piece: Piece, _ ranges: [Range<Int>]) -> [Piece] {
        ranges.map { Piece(scalars: Array(piece.scalars[$0]), atOrigin: piece.atOrigin && $0.lowerBound == 0) }
    }
}
