// AddedTokens — tokenizer.json's `added_tokens`: strings that are cut out of the text whole,
// before the normalizer and the model see it (special tokens such as <|im_start|>, and
// user-added words).

/// One entry of `added_tokens`.
struct AddedToken: Decodable, Sendable, Equatable {
    /// The token's id.
    var id: Int
    /// The exact text of the token.
    var content: String
    /// Match only when not inside a word (no alphanumeric character on either side).
    var singleWord: Bool
    /// Also swallow the whitespace to the left of a match.
    var lstrip: Bool
    /// Also swallow the whitespace to the right of a match.
    var rstrip: Bool
    /// Match in the normalized text (true) or in the raw text (false).
    var normalized: Bool
    /// A special token: skipped by `decode(skipSpecialTokens: true)`.
    var special: Bool

    enum CodingKeys: String, CodingKey {
        case id, content, lstrip, rstrip, normalized, special
        case singleWord = "single_word"
    }

    init(id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
         normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        content = try c.decode(String.self, forKey: .content)
        special = try c.decodeIfPresent(Bool.self, forKey: .special) ?? false
        singleWord = try c.decodeIfPresent(Bool.self, forKey: .singleWord) ?? false
        lstrip = try c.decodeIfPresent(Bool.self, forKey: .lstrip) ?? false
        rstrip = try c.decodeIfPresent(Bool.self, forKey: .rstrip) ?? false
        normalized = try c.decodeIfPresent(Bool.self, forKey: .normalized) ?? !special
    }
}

/// A stretch of input: either an added token already resolved to its id, or text still to encode.
enum Segment: Sendable {
    case token(Int)
    case text(Piece)
}

/// The added tokens and the two matchers that cut them out of text (tokenizers' `AddedVocabulary`).
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    /// id → token.
    let byID: [Int: AddedToken]
    /// content → id.
    let byContent: [String: Int]
    /// Tokens matched in the raw text (`normalized: false`).
    let rawMatcher: TokenMatcher
    /// Tokens matched in the normalized text (`normalized: true`), by their normalized content.
    let normalizedMatcher: TokenMatcher

    init(_ tokens: [AddedToken], normalizer: Normalizer?) {
        self.tokens = tokens
        var byID: [Int: AddedToken] = [:]
        var byContent: [String: Int] = [:]
        for token in tokens {
            byID[token.id] = token
            byContent[token.content] = token.id
        }
        self.byID = byID
        self.byContent = byContent
        rawMatcher = TokenMatcher(tokens.filter { !$0.normalized }.map { ($0, Array($0.content.unicodeScalars)) })
        normalizedMatcher = TokenMatcher(tokens.filter { $0.normalized }.map { token in
            let scalars = Array(token.content.unicodeScalars)
            return (token, normalizer?.normalize(scalars) ?? scalars)
        })
    }

    /// Whether `id` is a special added token.
    func isSpecial(_ id: Int) -> Bool { byID[id]?.special ?? false }

    /// Cuts the matches of `matcher` out of `piece` (tokenizers' `find_matches`), keeping the
    /// text between them; empty text pieces are dropped.
    func split(_ piece: Piece, with matcher: TokenMatcher) -> [Segment] {
        let text = piece.scalars
        guard !matcher.isEmpty, !text.isEmpty else { return text.isEmpty ? [] : [.text(piece)] }
        var segments: [Segment] = []
        var startOffset = 0
        func emitText(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            segments.append(.text(Piece(scalars: Array(text[range]), atOrigin: piece.atOrigin && range.lowerBound == 0)))
        }
        for (token, match) in matcher.matches(in: text) {
            var start = match.lowerBound
            var stop = match.upperBound
            if token.singleWord {
                let startSpace = start == 0 || !Self.isWordCharacter(text[start - 1])
                let stopSpace = stop == text.count || !Self.isWordCharacter(text[stop])
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0 && UnicodeClass.isWhitespace(text[newStart - 1]) { newStart -= 1 }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < text.count && UnicodeClass.isWhitespace(text[stop]) { stop += 1 }
            }
            if startOffset < start { emitText(startOffset..<start) }
            segments.append(.token(token.id))
            startOffset = max(stop, startOffset)
        }
        if startOffset < text.count { emitText(startOffset..<text.count) }
        return segments
    }

    /// Rust's `char::is_alphanumeric`: Alphabetic or Numeric.
    private static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || UnicodeClass.isNumber(c)
    }
}

/// Leftmost-longest matching of a set of strings (aho-corasick's `LeftmostLongest`), returning
/// non-overlapping matches left to right.
struct TokenMatcher: Sendable {
    /// First scalar → (token, pattern) candidates, longest pattern first.
    private let candidates: [Unicode.Scalar: [(token: AddedToken, pattern: [Unicode.Scalar])]]

    var isEmpty: Bool { candidates.isEmpty }

    init(_ patterns: [(AddedToken, [Unicode.Scalar])]) {
        var candidates: [Unicode.Scalar: [(token: AddedToken, pattern: [Unicode.Scalar])]] = [:]
        for (token, pattern) in patterns {
            guard let first = pattern.first else { continue }
            candidates[first, default: []].append((token, pattern))
        }
        for key in candidates.keys {
            // Longest first; equal lengths keep file order (the first pattern wins, as in aho-corasick).
            candidates[key] = candidates[key]?.enumerated()
                .sorted { $0.element.pattern.count != $1.element.pattern.count
                    ? $0.element.pattern.count > $1.element.pattern.count : $0.offset < $1.offset }
                .map(\.element)
        }
        self.candidates = candidates
    }

    /// Non-overlapping matches, leftmost first, longest at each position.
    func matches(in text: [Unicode.Scalar]) -> [(token: AddedToken, range: Range<Int>)] {
        var result: [(token: AddedToken, range: Range<Int>)] = []
        var i = 0
        let n = text.count
        outer: while i < n {
            if let list = candidates[text[i]] {
                for (token, pattern) in list where i + pattern.count <= n {
                    if text[i..<(i + pattern.count)].elementsEqual(pattern) {
                        result.append((token, i..<(i + pattern.count)))
                        i += pattern.count
                        continue outer
                    }
                }
            }
            i += 1
        }
        return result
    }
}
