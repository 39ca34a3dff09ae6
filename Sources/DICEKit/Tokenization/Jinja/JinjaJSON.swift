// JinjaJSON — Python's `json.dumps` as transformers' `tojson` filter calls it, and a JSON reader
// that keeps object key order (so template inputs print in the order they were written).

/// Python `json.dumps` settings.
struct JinjaJSON {
    var ensureASCII: Bool
    /// The indent unit (nil: one line).
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys: Bool
    /// Longest output allowed.
    var maxSize: Int

    private func fail(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaPosition(line: 0, column: 0).error(kind, message)
    }

    /// `json.dumps(value, …)`.
    /// - Throws: `JinjaError` (.type) for undefined, namespaces and functions (not serializable);
    ///   (.limit) past `maxSize` or 512 levels of nesting.
    func dumps(_ value: JinjaValue) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        return out
    }

    private func write(_ value: JinjaValue, level: Int, into out: inout String) throws {
        guard level < 512 else { throw fail(.limit, "value nested too deeply for tojson") }
        if out.utf8.count > maxSize { throw fail(.limit, "tojson output exceeds \(maxSize) characters") }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += JinjaValue.pyFloat(d) }
        case .string(let s): quote(s, into: &out)
        case .array(let a):
            guard !a.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in a.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1, into: &out)
                try write(item, level: level + 1, into: &out)
            }
            newline(level, into: &out)
            out += "]"
        case .dict(let d):
            try writeObject(d.items, level: level, into: &out)
        case .namespace:
            throw fail(.type, "Object of type Namespace is not JSON serializable")
        case .undefined:
            throw fail(.type, "Object of type Undefined is not JSON serializable")
        case .callable:
            throw fail(.type, "Object of type function is not JSON serializable")
        }
    }

    private func writeObject(_ items: [(String, JinjaValue)], level: Int, into out: inout String) throws {
        guard !items.isEmpty else { out += "{}"; return }
        var pairs = items
        if sortKeys {
            pairs.sort { a, b in a.0.unicodeScalars.lexicographicallyPrecedes(b.0.unicodeScalars) { $0.value < $1.value } }
        }
        out += "{"
        for (i, (key, item)) in pairs.enumerated() {
            if i > 0 { out += itemSeparator }
            newline(level + 1, into: &out)
            quote(key, into: &out)
            out += keySeparator
            try write(item, level: level + 1, into: &out)
        }
        newline(level, into: &out)
        out += "}"
    }

    private func newline(_ level: Int, into out: inout String) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    private func quote(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 {
                    out += "\\u" + hex4(c.value)
                } else if ensureASCII && c.value > 0x7E {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += "\\u" + hex4(c.value)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    private func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

extension JinjaValue {
    /// The value as one line of JSON, as Python's `json.dumps(value, ensure_ascii=False)` writes
    /// it (keys in insertion order).
    /// - Throws: `JinjaError` for undefined values, namespaces and functions, or nesting deeper
    ///   than 512.
    public func jsonText() throws -> String {
        try JinjaJSON(ensureASCII: false, indent: nil, itemSeparator: ", ", keySeparator: ": ", sortKeys: false,
                      maxSize: Int.max).dumps(self)
    }

    /// Reads a JSON document into a value, keeping each object's key order; integers that fit
    /// become `.int`, other numbers `.double`.
    /// - Throws: `JinjaError` (.syntax, line 1) naming the byte offset of the first problem, or
    ///   (.limit) for nesting deeper than 512.
    public init(jsonText: String) throws {
        var reader = JSONReader(bytes: Array(jsonText.utf8))
        self = try reader.document()
    }
}

/// A strict JSON reader over UTF-8 bytes.
private struct JSONReader {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> JinjaError {
        JinjaError(.syntax, "JSON: \(message) at byte \(i)", line: 1, column: i + 1)
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func document() throws -> JinjaValue {
        let v = try value(depth: 0)
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected trailing data") }
        return v
    }

    private mutating func literal(_ word: String, _ v: JinjaValue) throws -> JinjaValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw fail("unexpected character") }
        i += w.count
        return v
    }

    private mutating func value(depth: Int) throws -> JinjaValue {
        guard depth < 512 else { throw JinjaError(.limit, "JSON nested deeper than 512", line: 1, column: i + 1) }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "n"): return try literal("null", .none)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var items: [JinjaValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected , or ]") }
                i += 1
                return .array(items)
            }
        case UInt8(ascii: "{"):
            i += 1
            var d = JinjaDict()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected :") }
                i += 1
                d[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected , or }") }
                i += 1
                return .dict(d)
            }
        default:
            return try number()
        }
    }

    private mutating func number() throws -> JinjaValue {
        let start = i
        var isInteger = true
        while i < bytes.count {
            let b = bytes[i]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                i += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                isInteger = false
                i += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let n = Int(text) { return .int(n) }
        guard !text.isEmpty, let d = Double(text) else { i = start; throw fail("bad number") }
        return .double(d)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }

    private mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        var runStart = i
        func flush(_ end: Int) { out.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                flush(i)
                i += 1
                return String(out)
            }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") { i += 1; continue }
            flush(i)
            i += 1
            guard i < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append("\"")
            case UInt8(ascii: "\\"): out.append("\\")
            case UInt8(ascii: "/"): out.append("/")
            case UInt8(ascii: "b"): out.append("\u{08}")
            case UInt8(ascii: "f"): out.append("\u{0C}")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800 && v < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append("\u{FFFD}")
                        v = low
                    }
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default: throw fail("bad escape")
            }
            runStart = i
        }
    }
}
