// JSONDocument: a strict RFC 8259 JSON parser whose values remember their byte offsets, so that
// every later complaint ("expected an integer, found 1.5") can say where it is. Duplicate object
// keys follow Python's json module and transformers: the last value wins.

import Foundation

/// A JSON text parsed into values that keep their byte offsets.
///
/// Rules (those of RFC 8259, which Python's `json` also follows, with two exceptions noted):
/// whitespace is space, tab, LF and CR; strings must be valid UTF-8 without raw control
/// characters; `\u` escapes must pair surrogates (Python would keep a lone surrogate, which a
/// Swift `String` cannot hold); numbers keep their literal text and are converted only when a
/// type asks for one (so a value that does not fit is reported with its key path); `NaN` and
/// `Infinity` (which Python accepts) are rejected; nothing may follow the top-level value.
/// An object with the same key twice keeps the key's first position and its **last** value, as
/// `json.loads` does. Nesting is limited to `maximumDepth` levels.
struct JSONDocument {
    /// A value and the byte offset where it starts.
    struct Node {
        /// The value.
        var value: Value
        /// 0-based byte offset of its first byte in the document.
        var offset: Int

        /// Whether the value is `null`.
        var isNull: Bool {
            if case .null = value { return true }
            return false
        }
    }

    /// A JSON value.
    enum Value {
        case null
        case bool(Bool)
        /// The number's literal text, as written (`"1.5"`, `"1e309"`).
        case number(String)
        case string(String)
        case array([Node])
        case object(Object)

        /// "a number", "a string", … for messages.
        var kindName: String {
            switch self {
            case .null: return "null"
            case .bool: return "a boolean"
            case .number: return "a number"
            case .string: return "a string"
            case .array: return "an array"
            case .object: return "an object"
            }
        }
    }

    /// An object: its keys in order of first appearance, each with its last value.
    struct Object {
        /// Keys in order of first appearance, each once.
        var keys: [String] = []
        /// The value of each key (the last one written for a repeated key). Keys are told apart
        /// by their exact scalars, as Python's json module does: "é" and "e\u{301}" are two keys.
        var members: [ExactString: Node] = [:]
    }

    /// Deepest nesting of arrays and objects accepted (that of Foundation's JSONDecoder).
    static let maximumDepth = 512

    /// Parses `data` as one JSON value.
    ///
    /// - Throws: `JSONInputError` (`.syntax` or `.invalidUTF8`) with the byte offset of the
    ///   first problem.
    static func parse(_ data: Data) throws -> Node {
        try data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            let root = try parser.value(depth: 0)
            parser.skipSpace()
            if parser.position < parser.bytes.count {
                throw parser.syntax("unexpected \(parser.describe(parser.position)) after the JSON value")
            }
            return root
        }
    }
}

// MARK: - Parser

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipSpace() {
        while position < bytes.count {
            let b = bytes[position]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            position += 1
        }
    }

    func syntax(_ reason: String, at offset: Int? = nil) -> JSONInputError {
        JSONInputError(kind: .syntax, offset: offset ?? position, reason: reason)
    }

    /// The byte at `offset` in words: "'x'" for printable ASCII, else "byte 0xNN", or "the end".
    func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of data" }
        let b = bytes[offset]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
    }

    mutating func value(depth: Int) throws -> JSONDocument.Node {
        skipSpace()
        let start = position
        guard position < bytes.count else { throw syntax("unexpected end of data, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            guard depth < JSONDocument.maximumDepth else {
                throw syntax("nesting deeper than \(JSONDocument.maximumDepth) levels")
            }
            return .init(value: .object(try object(depth: depth + 1)), offset: start)
        case UInt8(ascii: "["):
            guard depth < JSONDocument.maximumDepth else {
                throw syntax("nesting deeper than \(JSONDocument.maximumDepth) levels")
            }
            return .init(value: .array(try array(depth: depth + 1)), offset: start)
        case UInt8(ascii: "\""):
            return .init(value: .string(try string()), offset: start)
        case UInt8(ascii: "t"):
            try literal("true")
            return .init(value: .bool(true), offset: start)
        case UInt8(ascii: "f"):
            try literal("false")
            return .init(value: .bool(false), offset: start)
        case UInt8(ascii: "n"):
            try literal("null")
            return .init(value: .null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"):
            return .init(value: .number(try number()), offset: start)
        default:
            throw syntax("unexpected \(describe(position)), expected a value")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        for i in 0 ..< word.utf8CodeUnitCount {
            guard position < bytes.count, bytes[position] == word.utf8Start[i] else {
                throw syntax("unexpected \(describe(position)) in what looks like `\(word)`", at: position)
            }
            position += 1
        }
    }

    mutating func object(depth: Int) throws -> JSONDocument.Object {
        position += 1  // {
        var object = JSONDocument.Object()
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return object
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw syntax("unexpected \(describe(position)), expected a string key")
            }
            let key = try string()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw syntax("unexpected \(describe(position)), expected ':' after the key \"\(key)\"")
            }
            position += 1
            let member = try value(depth: depth)
            if object.members.updateValue(member, forKey: ExactString(key)) == nil { object.keys.append(key) }
            skipSpace()
            guard position < bytes.count else { throw syntax("unexpected end of data, expected ',' or '}'") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return object
            default: throw syntax("unexpected \(describe(position)), expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws -> [JSONDocument.Node] {
        position += 1  // [
        var elements: [JSONDocument.Node] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            elements.append(try value(depth: depth))
            skipSpace()
            guard position < bytes.count else { throw syntax("unexpected end of data, expected ',' or ']'") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return elements
            default: throw syntax("unexpected \(describe(position)), expected ',' or ']'")
            }
        }
    }

    /// A number literal per RFC 8259: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    mutating func number() throws -> String {
        let start = position
        func digits(_ parser: inout Parser) throws {
            guard parser.position < parser.bytes.count, isDigit(parser.bytes[parser.position]) else {
                throw parser.syntax("unexpected \(parser.describe(parser.position)) in a number, expected a digit")
            }
            while parser.position < parser.bytes.count, isDigit(parser.bytes[parser.position]) { parser.position += 1 }
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) {
                throw syntax("a number may not have a leading zero")
            }
        } else {
            try digits(&self)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            try digits(&self)
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            try digits(&self)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< position]), as: UTF8.self)
    }

    /// A string starting at the opening quote; escapes decoded, UTF-8 validated.
    mutating func string() throws -> String {
        position += 1  // "
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< position]), as: UTF8.self)
                position += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            try character()
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start ..< position]))
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try escape(into: &out)
            } else {
                let from = position
                try character()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from ..< position]))
            }
        }
        throw syntax("unexpected end of data inside a string (opened at byte \(start - 1))")
    }

    /// Steps over one unescaped character (one UTF-8 sequence), validating it.
    mutating func character() throws {
        let b = bytes[position]
        if b < 0x20 {
            throw syntax("a control character (byte 0x\(String(b, radix: 16, uppercase: true).leftPadded(to: 2))) inside a string; write it as an escape")
        }
        if b < 0x80 {
            position += 1
            return
        }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch b {
        case 0xC2 ... 0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1 ... 0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw invalidUTF8()
        }
        guard position + length <= bytes.count else { throw invalidUTF8() }
        let second = bytes[position + 1]
        guard second >= low && second <= high else { throw invalidUTF8() }
        for k in 2 ..< length where bytes[position + k] & 0xC0 != 0x80 { throw invalidUTF8() }
        position += length
    }

    func invalidUTF8() -> JSONInputError {
        JSONInputError(kind: .invalidUTF8, offset: position,
                       reason: "invalid UTF-8 (\(describe(position)))")
    }

    /// Decodes the escape at `position` (a backslash) onto `out`.
    mutating func escape(into out: inout [UInt8]) throws {
        let start = position
        position += 1
        guard position < bytes.count else { throw syntax("unexpected end of data in an escape") }
        let c = bytes[position]
        position += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800 ..< 0xDC00).contains(scalar) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw syntax("a lone surrogate escape \\u\(String(scalar, radix: 16, uppercase: true)) (expected a low surrogate to follow)", at: start)
                }
                position += 2
                let low = try hex4()
                guard (0xDC00 ..< 0xE000).contains(low) else {
                    throw syntax("a high surrogate escape followed by \\u\(String(low, radix: 16, uppercase: true)), not a low surrogate", at: start)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00 ..< 0xE000).contains(scalar) {
                throw syntax("a lone low surrogate escape \\u\(String(scalar, radix: 16, uppercase: true))", at: start)
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw syntax("an escape that is not a Unicode scalar", at: start)
            }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw syntax("unknown escape \\\(describe(position - 1))", at: start)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw syntax("unexpected end of data in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw syntax("unexpected \(describe(position)) in a \\u escape, expected a hex digit")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
