// JinjaMethods — the methods templates call on values: str (strip, split, startswith, …),
// dict (items, keys, values, get) and list (refused, as transformers' ImmutableSandbox does).

enum JinjaMethods {
    private static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "upper", "lower", "title",
        "capitalize", "replace", "find", "count", "join", "isdigit", "isalpha", "isspace", "islower", "isupper",
        "splitlines",
    ]
    private static let dictMethods: Set<String> = ["items", "keys", "values", "get"]
    /// Methods of Python lists; the immutable sandbox refuses the mutating ones when called.
    private static let listMethods: Set<String> = [
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "index", "count",
    ]

    /// Whether `value.name` is a method.
    static func has(_ value: JinjaValue, _ name: String) -> Bool {
        switch value {
        case .string: return stringMethods.contains(name)
        case .dict: return dictMethods.contains(name)
        case .array: return listMethods.contains(name)
        default: return false
        }
    }

    private static func fail(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaPosition(line: 0, column: 0).error(kind, message)
    }

    private static func string(_ v: JinjaValue?, _ what: String) throws -> String? {
        guard let v, v != .none else { return nil }
        guard case .string(let s) = v else { throw fail(.type, "\(what) must be a string, not \(v.typeName)") }
        return s
    }

    /// Calls `receiver.name(positional…, keyword…)`.
    static func call(_ receiver: JinjaValue, _ name: String, _ positional: [JinjaValue],
                     _ keyword: [(String, JinjaValue)], renderer: JinjaRenderer) throws -> JinjaValue {
        func arg(_ i: Int, _ key: String) -> JinjaValue? {
            i < positional.count ? positional[i] : keyword.first { $0.0 == key }?.1
        }
        switch receiver {
        case .string(let s):
            switch name {
            case "strip", "lstrip", "rstrip":
                return .string(JinjaText.strip(s, try string(arg(0, "chars"), "chars"),
                                               leading: name != "rstrip", trailing: name != "lstrip"))
            case "split", "rsplit":
                let sep = try string(arg(0, "sep"), "sep")
                if sep == "" { throw fail(.type, "empty separator") }
                let maxSplit = arg(1, "maxsplit")?.integer ?? -1
                if name == "rsplit" && maxSplit >= 0 {
                    let reversed = String(s.unicodeScalars.reversed().map(Character.init))
                    let sepReversed = sep.map { String($0.unicodeScalars.reversed().map(Character.init)) }
                    let parts = JinjaText.split(reversed, sepReversed, maxSplit: maxSplit)
                    return .array(parts.reversed().map { .string(String($0.unicodeScalars.reversed().map(Character.init))) })
                }
                return .array(JinjaText.split(s, sep, maxSplit: maxSplit).map { .string($0) })
            case "splitlines":
                var lines = JinjaText.split(s, "\n")
                if lines.last == "" { lines.removeLast() }
                return .array(lines.map { .string($0) })
            case "startswith", "endswith":
                let candidates: [JinjaValue]
                if case .array(let a)? = arg(0, "prefix") { candidates = a } else { candidates = arg(0, "prefix").map { [$0] } ?? [] }
                guard !candidates.isEmpty else { throw fail(.type, "\(name) takes at least 1 argument") }
                for c in candidates {
                    guard case .string(let t) = c else { throw fail(.type, "\(name) first arg must be str or a tuple of str") }
                    let (h, n) = (Array(s.unicodeScalars), Array(t.unicodeScalars))
                    if n.count <= h.count && (name == "startswith" ? Array(h.prefix(n.count)) == n : Array(h.suffix(n.count)) == n) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            case "upper": return .string(JinjaText.upper(s))
            case "lower": return .string(JinjaText.lower(s))
            case "title": return .string(JinjaText.title(s))
            case "capitalize": return .string(JinjaText.capitalize(s))
            case "replace":
                guard let old = try string(arg(0, "old"), "old"), let new = try string(arg(1, "new"), "new") else {
                    throw fail(.type, "replace takes 2 string arguments")
                }
                let result = JinjaText.replace(s, old, new, count: arg(2, "count")?.integer ?? -1)
                try renderer.checkSize(result.unicodeScalars.count)
                return .string(result)
            case "find":
                guard let needle = try string(arg(0, "sub"), "sub") else { throw fail(.type, "find takes 1 argument") }
                return .int(JinjaText.find(needle, in: s) ?? -1)
            case "count":
                guard let needle = try string(arg(0, "sub"), "sub") else { throw fail(.type, "count takes 1 argument") }
                return .int(needle.isEmpty ? s.unicodeScalars.count + 1 : JinjaText.split(s, needle).count - 1)
            case "join":
                guard let items = arg(0, "iterable") else { throw fail(.type, "join takes 1 argument") }
                let parts = try renderer.iterate(items, at: JinjaPosition(line: 0, column: 0)).map { item -> String in
                    guard case .string(let t) = item else { throw fail(.type, "sequence item: expected str instance, \(item.typeName) found") }
                    return t
                }
                let result = parts.joined(separator: s)
                try renderer.checkSize(result.unicodeScalars.count)
                return .string(result)
            case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
            case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
            case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(JinjaText.isSpace))
            case "islower": return .bool(s.contains { $0.isCased } && s == s.lowercased())
            case "isupper": return .bool(s.contains { $0.isCased } && s == s.uppercased())
            default: break
            }
        case .dict(let d):
            switch name {
            case "items": return .array(d.items.map { .array([.string($0.0), $0.1]) })
            case "keys": return .array(d.keys.map { .string($0) })
            case "values": return .array(d.items.map { $0.1 })
            case "get":
                guard case .string(let key)? = arg(0, "key") else { return arg(1, "default") ?? .none }
                return d[key] ?? arg(1, "default") ?? .none
            default: break
            }
        case .array(let a):
            switch name {
            case "index":
                guard let x = arg(0, "value") else { throw fail(.type, "index takes 1 argument") }
                for (i, y) in a.enumerated() where try y.pyEquals(x) { return .int(i) }
                throw fail(.type, "value is not in list")
            case "count":
                guard let x = arg(0, "value") else { throw fail(.type, "count takes 1 argument") }
                return .int(try a.filter { try $0.pyEquals(x) }.count)
            default:
                throw fail(.security, "access to attribute '\(name)' of 'list' object is unsafe.")
            }
        default: break
        }
        throw fail(.type, "'\(receiver.typeName)' object has no method '\(name)'")
    }
}
