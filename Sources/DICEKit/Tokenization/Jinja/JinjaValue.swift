// JinjaValue — the values a chat template computes with, with Python's semantics for truth,
// equality, `str()` and `repr()` (what Jinja2 prints).

import Foundation

/// A value seen or produced by a Jinja template: the JSON types (what messages and template
/// variables are made of) plus the objects that exist only during a render.
public enum JinjaValue: Sendable, Equatable {
    /// An undefined variable, attribute or item; the payload names it for error messages.
    /// Prints as "", is false, iterates as empty; attributes of it and arithmetic on it throw.
    case undefined(String)
    /// Python's `None` (JSON null).
    case none
    /// A boolean.
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// A string.
    case string(String)
    /// A list (or tuple).
    case array([JinjaValue])
    /// A dictionary with string keys, in insertion order.
    case dict(JinjaDict)
    /// A `namespace()` object of the current render (an index into the render's namespaces).
    case namespace(Int)
    /// A function, method or macro of the current render.
    indirect case callable(JinjaCallable)

    /// Python truthiness: undefined, None, False, 0, 0.0, "", [] and {} are false.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .namespace, .callable: return true
        }
    }

    /// Whether this is `.undefined`.
    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .callable: return "function"
        }
    }
}

/// A string-keyed dictionary that keeps insertion order (Python's dict).
public struct JinjaDict: Sendable, Equatable {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    /// An empty dictionary.
    public init() {}

    /// The value for `key`; setting a new key appends it, setting nil removes it.
    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Number of entries.
    public var count: Int { keys.count }
    /// Whether there are no entries.
    public var isEmpty: Bool { keys.isEmpty }
    /// The (key, value) pairs in insertion order.
    public var items: [(String, JinjaValue)] { keys.map { ($0, storage[$0] ?? .none) } }

    /// Order-insensitive equality, as Python's dict.
    public static func == (a: JinjaDict, b: JinjaDict) -> Bool { a.storage == b.storage }
}

/// Something a template can call.
public enum JinjaCallable: Sendable, Equatable {
    /// A global function (`range`, `namespace`, `dict`, `raise_exception`, `strftime_now`).
    case global(String)
    /// A method bound to its receiver (`'x'.strip`, `d.items`).
    case method(JinjaValue, String)
    /// A macro of the current render (index into the render's macros).
    case macro(Int)
    /// `loop.cycle` over these values at this iteration index.
    case cycle(Int)
}

// MARK: - Python semantics

extension JinjaValue {
    /// Python `==`: numbers compare by value across int/float/bool, strings by code points,
    /// lists and dicts element-wise; undefined equals only undefined.
    func pyEquals(_ other: JinjaValue, depth: Int = 0) throws -> Bool {
        guard depth < 512 else { throw JinjaPosition(line: 0, column: 0).error(.limit, "values nested too deeply to compare") }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !(try x.pyEquals(y, depth: depth + 1)) { return false }
            return true
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.items {
                guard let v = b[key], try value.pyEquals(v, depth: depth + 1) else { return false }
            }
            return true
        case (.namespace(let a), .namespace(let b)): return a == b
        case (.callable(let a), .callable(let b)): return a == b
        default:
            if let x = numeric, let y = other.numeric { return x == y }
            return false
        }
    }

    /// The value as a number (bool, int, float), for arithmetic and comparison.
    var numeric: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as an integer (bool or int).
    var integer: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }

    /// Python's `str()`: what `{{ value }}` prints (undefined prints "").
    func pyStr() throws -> String {
        switch self {
        case .undefined: return ""
        case .string(let s): return s
        default: return try pyRepr()
        }
    }

    /// Python's `repr()` (used for values inside printed lists and dicts).
    func pyRepr(depth: Int = 0) throws -> String {
        guard depth < 512 else { throw JinjaPosition(line: 0, column: 0).error(.limit, "values nested too deeply to print") }
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JinjaValue.pyFloat(d)
        case .string(let s): return JinjaValue.pyQuote(s)
        case .array(let a): return "[" + (try a.map { try $0.pyRepr(depth: depth + 1) }).joined(separator: ", ") + "]"
        case .dict(let d):
            return "{" + (try d.items.map { JinjaValue.pyQuote($0.0) + ": " + (try $0.1.pyRepr(depth: depth + 1)) })
                .joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .callable: return "<function>"
        }
    }

    /// Python's float repr: the shortest round-tripping digits, positional for exponents in
    /// [-4, 16), else `d.ddde±XX`; always with a fractional part or exponent ("1.0").
    static func pyFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description gives the same shortest digits; re-lay them out as Python does.
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var digits = text.replacingOccurrences(of: ".", with: "")
        let pointIndex = (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count)
        // value = 0.digits × 10^(pointIndex + exponent)
        var decimalExponent = pointIndex + exponent
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst(); decimalExponent -= 1 }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let sciExponent = decimalExponent - 1
        let sign = d < 0 ? "-" : ""
        if sciExponent >= 16 || sciExponent < -4 {
            let mantissa = digits.count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
            let expText = String(abs(sciExponent))
            return sign + mantissa + "e" + (sciExponent < 0 ? "-" : "+") + (expText.count < 2 ? "0" + expText : expText)
        }
        if decimalExponent <= 0 {
            return sign + "0." + String(repeating: "0", count: -decimalExponent) + digits
        }
        if decimalExponent >= digits.count {
            return sign + digits + String(repeating: "0", count: decimalExponent - digits.count) + ".0"
        }
        let cut = digits.index(digits.startIndex, offsetBy: decimalExponent)
        return sign + digits[..<cut] + "." + digits[cut...]
    }

    /// Python's `repr()` of a string: single quotes unless the text has ' and no ", escapes for
    /// the quote, backslash and non-printable characters.
    static func pyQuote(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(c) == quote {
                    out += "\\" + String(quote)
                } else if c.value < 0x20 || c.value == 0x7F {
                    out += "\\x" + String(format: "%02x", c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.append(quote)
        return out
    }
}
