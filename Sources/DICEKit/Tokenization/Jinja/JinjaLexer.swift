// JinjaLexer — splits a template into text and tag tokens, applying whitespace control as
// transformers' environment does (trim_blocks=True, lstrip_blocks=True, `-`/`+` modifiers, one
// trailing newline of the source dropped), and tokenizes the expressions inside tags.

/// One token of a template.
struct JinjaToken: Equatable {
    enum Kind: Equatable {
        /// Literal template text, after whitespace control.
        case text(String)
        /// `{{` … and the matching `}}`.
        case variableBegin, variableEnd
        /// `{%` … and the matching `%}`.
        case blockBegin, blockEnd
        /// An identifier (keywords included).
        case name(String)
        /// A string literal, escapes resolved.
        case string(String)
        /// An integer literal.
        case int(Int)
        /// A float literal.
        case float(Double)
        /// An operator or punctuation (`+`, `//`, `(`, `.`, `|`, …).
        case op(String)
        /// End of the template.
        case eof
    }

    var kind: Kind
    var position: JinjaPosition
}

/// The tokenizer of one template source.
struct JinjaLexer {
    private let s: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]

    /// A lexer over `source`, with `\r\n` and `\r` normalised to `\n` and one trailing newline
    /// removed (Jinja's `keep_trailing_newline=False`).
    init(_ source: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var previousCR = false
        for c in source.unicodeScalars {
            if c == "\r" {
                scalars.append("\n")
                previousCR = true
                continue
            }
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = false
            scalars.append(c)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        s = scalars
        for (i, c) in s.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    /// Line and column of offset `i`.
    func position(_ i: Int) -> JinjaPosition {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return JinjaPosition(line: lo + 1, column: i - lineStarts[lo] + 1)
    }

    private func at(_ i: Int, _ text: String) -> Bool {
        var j = i
        for c in text.unicodeScalars {
            guard j < s.count, s[j] == c else { return false }
            j += 1
        }
        return true
    }

    private func string(_ range: Range<Int>) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s[range])
        return String(out)
    }

    /// All tokens of the template, ending with `.eof`.
    /// - Throws: `JinjaError` (.syntax) for an unclosed tag or string, or an unknown character.
    func tokenize() throws -> [JinjaToken] {
        var tokens: [JinjaToken] = []
        var i = 0
        while i < s.count {
            // Find the next tag opener.
            var j = i
            var opener: Unicode.Scalar? = nil
            while j + 1 < s.count {
                if s[j] == "{", s[j + 1] == "{" || s[j + 1] == "%" || s[j + 1] == "#" { opener = s[j + 1]; break }
                j += 1
            }
            guard let kind = opener else {
                tokens.append(JinjaToken(kind: .text(string(i..<s.count)), position: position(i)))
                break
            }
            var textEnd = j
            let modifier: Unicode.Scalar? = j + 2 < s.count && (s[j + 2] == "-" || s[j + 2] == "+") ? s[j + 2] : nil
            if modifier == "-" {
                while textEnd > i && JinjaText.isSpace(s[textEnd - 1]) { textEnd -= 1 }
            } else if kind != "{" && modifier != "+" {
                // lstrip_blocks: spaces and tabs between the line start and a block or comment tag.
                var k = textEnd
                while k > i && (s[k - 1] == " " || s[k - 1] == "\t") { k -= 1 }
                if (k > i && s[k - 1] == "\n") || (k == i && (i == 0 || s[i - 1] == "\n")) { textEnd = k }
            }
            if textEnd > i { tokens.append(JinjaToken(kind: .text(string(i..<textEnd)), position: position(i))) }
            var p = j + 2 + (modifier == nil ? 0 : 1)
            switch kind {
            case "#":
                var end = p
                while end + 1 < s.count && !(s[end] == "#" && s[end + 1] == "}") { end += 1 }
                guard end + 1 < s.count else { throw position(j).error(.syntax, "comment is not closed with #}") }
                p = end + 2
                if end > j + 2 && s[end - 1] == "-" {
                    while p < s.count && JinjaText.isSpace(s[p]) { p += 1 }
                } else if !(end > j + 2 && s[end - 1] == "+") && p < s.count && s[p] == "\n" {
                    p += 1
                }
            default:
                let isBlock = kind == "%"
                tokens.append(JinjaToken(kind: isBlock ? .blockBegin : .variableBegin, position: position(j)))
                p = try expressionTokens(from: p, block: isBlock, opener: j, into: &tokens)
            }
            i = p
        }
        tokens.append(JinjaToken(kind: .eof, position: position(s.count)))
        return tokens
    }

    /// Tokenizes a tag's expression from `start` through its closing `}}`/`%}` (only outside
    /// brackets); returns the offset after the closer and any whitespace control consumes.
    private func expressionTokens(from start: Int, block: Bool, opener: Int,
                                  into tokens: inout [JinjaToken]) throws -> Int {
        var i = start
        var depth = 0
        let close: Unicode.Scalar = block ? "%" : "}"
        while true {
            while i < s.count && JinjaText.isSpace(s[i]) { i += 1 }
            guard i < s.count else {
                throw position(opener).error(.syntax, "tag is not closed with " + (block ? "%}" : "}}"))
            }
            if depth == 0 {
                var closer: (length: Int, strip: Bool, keep: Bool)? = nil
                if at(i, "-" + String(close) + "}") { closer = (3, true, false) }
                else if block && at(i, "+%}") { closer = (3, false, true) }
                else if at(i, String(close) + "}") { closer = (2, false, false) }
                if let closer {
                    tokens.append(JinjaToken(kind: block ? .blockEnd : .variableEnd, position: position(i)))
                    var p = i + closer.length
                    if closer.strip {
                        while p < s.count && JinjaText.isSpace(s[p]) { p += 1 }
                    } else if block && !closer.keep && p < s.count && s[p] == "\n" {
                        p += 1
                    }
                    return p
                }
            }
            let c = s[i]
            let here = position(i)
            if c == "_" || c.properties.isAlphabetic {
                var j = i
                while j < s.count && (s[j] == "_" || s[j].properties.isAlphabetic || s[j].properties.numericType != nil) { j += 1 }
                tokens.append(JinjaToken(kind: .name(string(i..<j)), position: here))
                i = j
            } else if c.value >= 0x30 && c.value <= 0x39 {
                i = try number(at: i, into: &tokens)
            } else if c == "'" || c == "\"" {
                i = try stringLiteral(at: i, into: &tokens)
            } else {
                let ops = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")",
                           "[", "]", "{", "}", ",", ".", ":", "|", "="]
                guard let op = ops.first(where: { at(i, $0) }) else {
                    throw here.error(.syntax, "unexpected character '\(Character(c))'")
                }
                if op == "(" || op == "[" || op == "{" { depth += 1 }
                if op == ")" || op == "]" || op == "}" { depth = max(0, depth - 1) }
                tokens.append(JinjaToken(kind: .op(op), position: here))
                i += op.unicodeScalars.count
            }
        }
    }

    private func isDigit(_ i: Int) -> Bool { i < s.count && s[i].value >= 0x30 && s[i].value <= 0x39 }

    private func number(at start: Int, into tokens: inout [JinjaToken]) throws -> Int {
        var i = start
        while isDigit(i) || (i < s.count && s[i] == "_" && isDigit(i + 1)) { i += 1 }
        var isFloat = false
        if i < s.count && s[i] == "." && isDigit(i + 1) {
            isFloat = true
            i += 1
            while isDigit(i) || (i < s.count && s[i] == "_" && isDigit(i + 1)) { i += 1 }
        }
        if i < s.count && (s[i] == "e" || s[i] == "E") {
            var j = i + 1
            if j < s.count && (s[j] == "+" || s[j] == "-") { j += 1 }
            if isDigit(j) {
                isFloat = true
                i = j
                while isDigit(i) { i += 1 }
            }
        }
        let text = string(start..<i).replacingOccurrences(of: "_", with: "")
        if isFloat {
            guard let d = Double(text) else { throw position(start).error(.syntax, "bad number \(text)") }
            tokens.append(JinjaToken(kind: .float(d), position: position(start)))
        } else {
            guard let n = Int(text) else { throw position(start).error(.syntax, "integer \(text) is too large") }
            tokens.append(JinjaToken(kind: .int(n), position: position(start)))
        }
        return i
    }

    /// A quoted literal with Python's escapes (`\n`, `\t`, `\xhh`, `\uXXXX`, …; unknown escapes
    /// keep their backslash).
    private func stringLiteral(at start: Int, into tokens: inout [JinjaToken]) throws -> Int {
        let quote = s[start]
        var out = String.UnicodeScalarView()
        var i = start + 1
        while true {
            guard i < s.count else { throw position(start).error(.syntax, "string literal is not closed") }
            let c = s[i]
            if c == quote { break }
            if c == "\\", i + 1 < s.count {
                let e = s[i + 1]
                i += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\", "'", "\"": out.append(e)
                case "a": out.append("\u{07}")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    guard i + width <= s.count, let v = UInt32(string(i..<i + width), radix: 16),
                          let scalar = Unicode.Scalar(v) else {
                        throw position(i - 2).error(.syntax, "bad \\\(e) escape in string literal")
                    }
                    out.append(scalar)
                    i += width
                case "0"..."7":
                    var v = e.value - 0x30
                    var n = 1
                    while n < 3, i < s.count, s[i].value >= 0x30, s[i].value <= 0x37 {
                        v = v * 8 + s[i].value - 0x30
                        i += 1
                        n += 1
                    }
                    out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default:
                    out.append("\\")
                    out.append(e)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        tokens.append(JinjaToken(kind: .string(String(out)), position: position(start)))
        return i + 1
    }
}
