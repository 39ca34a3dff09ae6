// Constraint: a verifiable instruction appended to a prompt, IFEval-style ("answer in at most
// 25 words", "no commas", "end with the word X"), its programmatic check, and its JSON form in
// prompt files (`{"type": "max_words", "limit": 25}`).

/// What a check found: whether the response meets the constraint, and how far off it is.
public struct ConstraintCheck: Sendable, Hashable, Codable {
    /// The constraint is met.
    public var satisfied: Bool
    /// How far the response is from meeting it, in [0, 1]: 0 when satisfied, 1 when as far off
    /// as the scale allows. The judge uses it only to break ties in the count of satisfied
    /// constraints.
    public var violation: Double

    /// A check result from its fields.
    public init(satisfied: Bool, violation: Double) {
        self.satisfied = satisfied
        self.violation = violation
    }
}

/// One verifiable constraint. Each case says how it reads (`instruction`) and how it is checked
/// on the response text (`check`); the checks are deliberately literal, like IFEval's.
///
/// JSON form (prompt files of `dice eval --judge constraints`; the example's run files): an
/// object with `"type"` and the case's parameters — `{"type": "max_words", "limit": 25}`,
/// `{"type": "bullet_points", "count": 3}`, `{"type": "no_commas"}`,
/// `{"type": "include_keywords", "words": ["example"]}`, `{"type": "end_with", "word": "done"}`,
/// `{"type": "lowercase"}`.
public enum Constraint: Sendable, Hashable, Codable {
    /// At most `limit` words (a word: a whitespace-separated run holding a letter or digit).
    /// Violation: (words − limit) / limit, capped at 1.
    case maxWords(limit: Int)
    /// Exactly `count` Markdown bullet lines (a line whose first non-blank characters are
    /// "- ", "* " or "• "). Violation: |bullets − count| / count, capped at 1.
    case bulletPoints(count: Int)
    /// No comma anywhere. Violation: commas / 5, capped at 1.
    case noCommas
    /// Every keyword appears as a whole word (case-insensitive). Violation: the share missing.
    case includeKeywords(words: [String])
    /// The last word, ignoring trailing punctuation and quotes, is `word` (case-insensitive).
    /// Violation: 0.5 when the word appears elsewhere, 1 when nowhere.
    case endWith(word: String)
    /// No uppercase letter. Violation: the share of letters that are uppercase.
    case lowercase

    /// The kinds (raw values: the JSON `"type"`), for drawing distinct constraints per prompt.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// `.maxWords`.
        case maxWords = "max_words"
        /// `.bulletPoints`.
        case bulletPoints = "bullet_points"
        /// `.noCommas`.
        case noCommas = "no_commas"
        /// `.includeKeywords`.
        case includeKeywords = "include_keywords"
        /// `.endWith`.
        case endWith = "end_with"
        /// `.lowercase`.
        case lowercase
    }

    /// This constraint's kind.
    public var kind: Kind {
        switch self {
        case .maxWords: return .maxWords
        case .bulletPoints: return .bulletPoints
        case .noCommas: return .noCommas
        case .includeKeywords: return .includeKeywords
        case .endWith: return .endWith
        case .lowercase: return .lowercase
        }
    }

    /// The sentence appended to the instruction.
    public var instruction: String {
        switch self {
        case .maxWords(let limit):
            return "Answer in at most \(limit) words."
        case .bulletPoints(let count):
            return "Answer with exactly \(count) bullet points, each on its own line starting with \"- \"."
        case .noCommas:
            return "Do not use any commas in your answer."
        case .includeKeywords(let words):
            let quoted = words.map { "\"\($0)\"" }
            return quoted.count == 1
                ? "Include the word \(quoted[0]) in your answer."
                : "Include the words \(quoted.dropLast().joined(separator: ", ")) and \(quoted.last ?? "") in your answer."
        case .endWith(let word):
            return "End your answer with the word \"\(word)\"."
        case .lowercase:
            return "Write your entire answer in lowercase letters, with no capital letters."
        }
    }

    /// Checks `response` (the decoded answer, without special tokens).
    public func check(_ response: String) -> ConstraintCheck {
        func scaled(_ x: Double) -> Double { min(1, max(0, x)) }
        switch self {
        case .maxWords(let limit):
            let n = Self.words(response).count
            return ConstraintCheck(satisfied: n <= limit, violation: scaled(Double(n - limit) / Double(max(1, limit))))
        case .bulletPoints(let count):
            let bullets = response.split(separator: "\n", omittingEmptySubsequences: true).count { line in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                return trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") || trimmed.hasPrefix("• ")
            }
            return ConstraintCheck(satisfied: bullets == count,
                                   violation: scaled(Double(abs(bullets - count)) / Double(max(1, count))))
        case .noCommas:
            let commas = response.count { $0 == "," }
            return ConstraintCheck(satisfied: commas == 0, violation: scaled(Double(commas) / 5))
        case .includeKeywords(let keywords):
            let present = Set(Self.words(response).map(Self.bare))
            let missing = keywords.count { !present.contains($0.lowercased()) }
            return ConstraintCheck(satisfied: missing == 0,
                                   violation: keywords.isEmpty ? 0 : Double(missing) / Double(keywords.count))
        case .endWith(let word):
            let words = Self.words(response).map(Self.bare)
            if words.last == word.lowercased() { return ConstraintCheck(satisfied: true, violation: 0) }
            return ConstraintCheck(satisfied: false, violation: words.contains(word.lowercased()) ? 0.5 : 1)
        case .lowercase:
            let letters = response.unicodeScalars.filter { $0.properties.isAlphabetic }
            let upper = letters.count { $0.properties.isUppercase }
            return ConstraintCheck(satisfied: upper == 0,
                                   violation: letters.isEmpty ? 0 : Double(upper) / Double(letters.count))
        }
    }

    /// Whitespace-separated runs that hold at least one letter or digit.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace }).filter { $0.contains { $0.isLetter || $0.isNumber } }
    }

    /// A word lowercased, without the punctuation, quotes and Markdown marks around it.
    static func bare(_ word: Substring) -> String {
        let isEdge: (Character) -> Bool = { !($0.isLetter || $0.isNumber) }
        return String(word.drop(while: isEdge).reversed().drop(while: isEdge).reversed()).lowercased()
    }

    // MARK: - JSON

    private enum Keys: String, CodingKey {
        case type, limit, count, words, word
    }

    /// Decodes the JSON form above.
    /// - Throws: `DecodingError` naming the unknown `type` (and listing the known ones), a
    ///   missing parameter, or a parameter out of range (a limit or count below 1, no keywords,
    ///   an empty word).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let name = try c.decode(String.self, forKey: .type)
        guard let kind = Kind(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription:
                "unknown constraint type \"\(name)\"; known: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func positive(_ key: Keys) throws -> Int {
            let n = try c.decode(Int.self, forKey: key)
            guard n >= 1 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a number ≥ 1, found \(n)")
            }
            return n
        }
        func word(_ text: String, _ key: Keys) throws -> String {
            guard Self.words(text).count == 1 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription:
                    "expected one word (letters or digits), found \"\(text)\"")
            }
            return text
        }
        switch kind {
        case .maxWords: self = .maxWords(limit: try positive(.limit))
        case .bulletPoints: self = .bulletPoints(count: try positive(.count))
        case .noCommas: self = .noCommas
        case .includeKeywords:
            let words = try c.decode([String].self, forKey: .words)
            guard !words.isEmpty else {
                throw DecodingError.dataCorruptedError(forKey: .words, in: c, debugDescription: "expected at least one keyword")
            }
            self = .includeKeywords(words: try words.map { try word($0, .words) })
        case .endWith: self = .endWith(word: try word(try c.decode(String.self, forKey: .word), .word))
        case .lowercase: self = .lowercase
        }
    }

    /// Encodes the JSON form above.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind.rawValue, forKey: .type)
        switch self {
        case .maxWords(let limit): try c.encode(limit, forKey: .limit)
        case .bulletPoints(let count): try c.encode(count, forKey: .count)
        case .includeKeywords(let words): try c.encode(words, forKey: .words)
        case .endWith(let word): try c.encode(word, forKey: .word)
        case .noCommas, .lowercase: break
        }
    }
}
