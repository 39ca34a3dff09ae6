// SplitPattern — hand-written matchers for the regexes that real tokenizer.json files split with.
//
// `tokenizers` runs these patterns with Oniguruma (leftmost-first alternation, backtracking). A
// general regex engine is not needed: each pattern below is an alternation of simple runs, and
// each matcher tries the alternatives in the pattern's order with the same backtracking outcome.
// Character classes follow Oniguruma's Unicode definitions:
//   \p{L}  General_Category L* (Lu Ll Lt Lm Lo)      \p{N}  N* (Nd Nl No)
//   \s     White_Space (U+0009–000D, 0020, 0085, 00A0, 1680, 2000–200A, 2028, 2029, 202F, 205F, 3000)

/// A pattern the `Split` pre-tokenizer (and the `ByteLevel` pre-tokenizer's built-in regex)
/// finds matches of.
enum SplitPattern: Sendable, Equatable {
    /// A literal string (`{"String": "…"}` in tokenizer.json).
    case literal([Unicode.Scalar])
    /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Llama-3's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`; `maxDigits` is the `{1,3}` bound
    /// (Qwen-2 uses the same pattern with a single `\p{N}`, i.e. `maxDigits` 1).
    case llama3(maxDigits: Int)

    static let gpt2Source =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The matcher for a regex source, or nil when the regex is not one of the known patterns.
    /// A regex without metacharacters is treated as a literal.
    init?(regex: String) {
        switch regex {
        case Self.gpt2Source: self = .gpt2
        case Self.llama3Source: self = .llama3(maxDigits: 3)
        case Self.qwen2Source: self = .llama3(maxDigits: 1)
        default:
            let meta = Set(#"\^$.|?*+()[]{}"#.unicodeScalars)
            guard !regex.unicodeScalars.contains(where: { meta.contains($0) }) else { return nil }
            self = .literal(Array(regex.unicodeScalars))
        }
    }

    /// All non-overlapping matches in `text`, leftmost first, as scalar-index ranges (Rust's
    /// `find_iter`). Empty matches are never produced.
    func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var i = 0
        let n = text.count
        switch self {
        case .literal(let needle):
            guard !needle.isEmpty else { return [] }
            while i + needle.count <= n {
                if text[i] == needle[0] && text[i..<(i + needle.count)].elementsEqual(needle) {
                    result.append(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return result
        case .gpt2:
            while i < n {
                if let end = Self.matchGPT2(text, at: i) { result.append(i..<end); i = end } else { i += 1 }
            }
        case .llama3(let maxDigits):
            while i < n {
                if let end = Self.matchLlama3(text, at: i, maxDigits: maxDigits) {
                    result.append(i..<end); i = end
                } else { i += 1 }
            }
        }
        return result
    }

    // MARK: - Matchers

    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive; returns the end index.
    private static func matchContraction(_ s: [Unicode.Scalar], at i: Int, ignoreCase: Bool) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
            guard ignoreCase else { return c }
            if c.value >= 0x41 && c.value <= 0x5A { return Unicode.Scalar(c.value + 0x20) ?? c }
            if c == "\u{17F}" { return "s" }  // LATIN SMALL LETTER LONG S case-folds to "s"
            return c
        }
        let a = lower(s[i + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return i + 2 }
        guard i + 2 < s.count else { return nil }
        let b = lower(s[i + 2])
        if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return i + 3 }
        return nil
    }

    /// A run of `cls` starting at `i` (at least one); returns its end.
    @inline(__always)
    private static func run(_ s: [Unicode.Scalar], from i: Int, _ cls: (Unicode.Scalar) -> Bool) -> Int? {
        guard i < s.count, cls(s[i]) else { return nil }
        var j = i + 1
        while j < s.count && cls(s[j]) { j += 1 }
        return j
    }

    /// ` ?X+`: an optional U+0020 then a run of `cls`.
    @inline(__always)
    private static func spaceThenRun(_ s: [Unicode.Scalar], at i: Int, _ cls: (Unicode.Scalar) -> Bool) -> Int? {
        if s[i] == " ", let end = run(s, from: i + 1, cls) { return end }
        return run(s, from: i, cls)
    }

    /// `\s+(?!\S)|\s+`: whitespace up to (not including) the last one before a non-space, or the
    /// whole run when it reaches the end or is one scalar long.
    @inline(__always)
    private static func whitespace(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard let end = run(s, from: i, UnicodeClass.isWhitespace) else { return nil }
        if end == s.count || end - i == 1 { return end }
        return end - 1
    }

    static func matchGPT2(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        if let end = matchContraction(s, at: i, ignoreCase: false) { return end }
        if let end = spaceThenRun(s, at: i, UnicodeClass.isLetter) { return end }
        if let end = spaceThenRun(s, at: i, UnicodeClass.isNumber) { return end }
        if let end = spaceThenRun(s, at: i, UnicodeClass.isOther) { return end }
        return whitespace(s, at: i)
    }

    static func matchLlama3(_ s: [Unicode.Scalar], at i: Int, maxDigits: Int) -> Int? {
        let c = s[i]
        if let end = matchContraction(s, at: i, ignoreCase: true) { return end }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c != "\r" && c != "\n" && !UnicodeClass.isLetter(c) && !UnicodeClass.isNumber(c),
           let end = run(s, from: i + 1, UnicodeClass.isLetter) {
            return end
        }
        if let end = run(s, from: i, UnicodeClass.isLetter) { return end }
        // \p{N}{1,maxDigits}
        if UnicodeClass.isNumber(c) {
            var j = i + 1
            while j < s.count && j - i < maxDigits && UnicodeClass.isNumber(s[j]) { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        if var end = spaceThenRun(s, at: i, UnicodeClass.isOther) {
            while end < s.count && (s[end] == "\r" || s[end] == "\n") { end += 1 }
            return end
        }
        // \s*[\r\n]+ : through the last CR/LF of the whitespace run.
        if let runEnd = run(s, from: i, UnicodeClass.isWhitespace) {
            var k = runEnd - 1
            while k >= i {
                if s[k] == "\r" || s[k] == "\n" { return k + 1 }
                k -= 1
            }
        }
        return whitespace(s, at: i)
    }
}

/// The Unicode classes the split patterns use, with an ASCII fast path.
enum UnicodeClass {
    /// `\p{L}`: General_Category Lu, Ll, Lt, Lm or Lo.
    @inline(__always)
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}` (and Rust's `char::is_numeric`): General_Category Nd, Nl or No.
    @inline(__always)
    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v >= 0x30 && v <= 0x39 }
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// `\s` (and Rust's `char::is_whitespace`): the White_Space property.
    @inline(__always)
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return c.properties.isWhitespace
    }

    /// `[^\s\p{L}\p{N}]`.
    @inline(__always)
    static func isOther(_ c: Unicode.Scalar) -> Bool {
        !isWhitespace(c) && !isLetter(c) && !isNumber(c)
    }
}
