// JinjaFilters — the filters templates use (`|trim`, `|tojson`, `|selectattr`, …), with Jinja2's
// definitions and transformers' `tojson` (ensure_ascii=False, indent, separators, sort_keys).

enum JinjaFilters {
    private static func fail(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaPosition(line: 0, column: 0).error(kind, message)
    }

    /// Applies filter `name` to `value`.
    /// - Throws: `JinjaError` (.syntax) for an unknown filter, (.type) for wrong arguments.
    static func apply(_ name: String, _ value: JinjaValue, _ positional: [JinjaValue],
                      _ keyword: [(String, JinjaValue)], renderer: JinjaRenderer) throws -> JinjaValue {
        func arg(_ i: Int, _ key: String) -> JinjaValue? {
            i < positional.count ? positional[i] : keyword.first { $0.0 == key }?.1
        }
        func text(_ v: JinjaValue?, _ what: String) throws -> String? {
            guard let v, v != .none else { return nil }
            guard case .string(let s) = v else { throw fail(.type, "\(name): \(what) must be a string") }
            return s
        }
        let origin = JinjaPosition(line: 0, column: 0)
        switch name {
        case "trim", "strip":
            return .string(JinjaText.strip(try value.pyStr(), try text(arg(0, "chars"), "chars"), leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .undefined: return .int(0)
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            case .namespace(let id): return .int(renderer.namespaces[id].count)
            default: throw fail(.type, "object of type '\(value.typeName)' has no len()")
            }
        case "string":
            return .string(try value.pyStr())
        case "list":
            return .array(try renderer.iterate(value, at: origin))
        case "join":
            var items = try renderer.iterate(value, at: origin)
            if let attribute = try text(arg(1, "attribute"), "attribute") {
                items = try items.map { try lookup($0, attribute, renderer) }
            }
            let result = try items.map { try $0.pyStr() }.joined(separator: try text(arg(0, "d"), "separator") ?? "")
            try renderer.checkSize(result.unicodeScalars.count)
            return .string(result)
        case "default", "d":
            let boolean = arg(1, "boolean")?.truthy ?? false
            if value.isUndefined || (boolean && !value.truthy) { return arg(0, "default_value") ?? .string("") }
            return value
        case "upper": return .string(JinjaText.upper(try value.pyStr()))
        case "lower": return .string(JinjaText.lower(try value.pyStr()))
        case "capitalize": return .string(JinjaText.capitalize(try value.pyStr()))
        case "title": return .string(titleFilter(try value.pyStr()))
        case "replace":
            guard let old = try text(arg(0, "old"), "old"), let new = try text(arg(1, "new"), "new") else {
                throw fail(.type, "replace needs old and new strings")
            }
            let result = JinjaText.replace(try value.pyStr(), old, new, count: arg(2, "count")?.integer ?? -1)
            try renderer.checkSize(result.unicodeScalars.count)
            return .string(result)
        case "first":
            return try renderer.iterate(value, at: origin).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            return try renderer.iterate(value, at: origin).last ?? .undefined("No last item, sequence was empty.")
        case "selectattr", "rejectattr", "select", "reject":
            let byAttribute = name.hasSuffix("attr")
            var rest = positional
            var attribute: String? = nil
            if byAttribute {
                guard case .string(let a)? = rest.first else { throw fail(.type, "\(name) needs an attribute name") }
                attribute = a
                rest.removeFirst()
            }
            var kept: [JinjaValue] = []
            for item in try renderer.iterate(value, at: origin) {
                let subject = try attribute.map { try lookup(item, $0, renderer) } ?? item
                var passes: Bool
                if case .string(let test)? = rest.first {
                    passes = try JinjaTestFunctions.apply(test, subject, Array(rest.dropFirst()), renderer: renderer)
                } else {
                    passes = subject.truthy
                }
                if name.hasPrefix("reject") { passes.toggle() }
                if passes { kept.append(item) }
            }
            return .array(kept)
        case "map":
            let items = try renderer.iterate(value, at: origin)
            if let attribute = try text(keyword.first { $0.0 == "attribute" }?.1, "attribute") {
                let fallback = keyword.first { $0.0 == "default" }?.1
                return .array(try items.map { item in
                    let v = try lookup(item, attribute, renderer)
                    return v.isUndefined ? (fallback ?? v) : v
                })
            }
            guard case .string(let filter)? = positional.first else { throw fail(.type, "map needs a filter name or attribute=") }
            let rest = Array(positional.dropFirst())
            return .array(try items.map { try apply(filter, $0, rest, [], renderer: renderer) })
        case "items":
            switch value {
            case .undefined: return .array([])
            case .dict(let d): return .array(d.items.map { .array([.string($0.0), $0.1]) })
            default: throw fail(.type, "items: can only get item pairs from a mapping")
            }
        case "dictsort":
            guard case .dict(let d) = value else { throw fail(.type, "dictsort needs a mapping") }
            let caseSensitive = arg(0, "case_sensitive")?.truthy ?? false
            let byValue = try text(arg(1, "by"), "by") == "value"
            let reverse = arg(2, "reverse")?.truthy ?? false
            var pairs = d.items.map { ($0.0, $0.1) }
            var failure: JinjaError? = nil
            pairs.sort { a, b in
                func key(_ p: (String, JinjaValue)) -> JinjaValue {
                    let k = byValue ? p.1 : .string(p.0)
                    if !caseSensitive, case .string(let s) = k { return .string(s.lowercased()) }
                    return k
                }
                do {
                    let o = try JinjaOperators.ordering(key(a), key(b))
                    return reverse ? o > 0 : o < 0
                } catch {
                    failure = error as? JinjaError
                    return false
                }
            }
            if let failure { throw failure }
            return .array(pairs.map { .array([.string($0.0), $0.1]) })
        case "safe":
            return value
        case "escape", "e", "forceescape":
            var out = ""
            for c in try value.pyStr() {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return .string(out)
        case "int":
            let fallback = arg(0, "default") ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite && abs(d) < 9.2e18 ? .int(Int(d)) : fallback
            case .string(let s):
                let t = JinjaText.strip(s, nil, leading: true, trailing: true)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = arg(0, "default") ?? .double(0)
            switch value {
            case .double: return value
            case .int, .bool: return .double(value.numeric ?? 0)
            case .string(let s): return Double(JinjaText.strip(s, nil, leading: true, trailing: true)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let i) where i != Int.min: return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw fail(.type, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "unique":
            var out: [JinjaValue] = []
            for item in try renderer.iterate(value, at: origin) where !(try out.contains { try $0.pyEquals(item) }) {
                out.append(item)
            }
            return .array(out)
        case "sort", "min", "max":
            let reverse = name == "sort" ? (arg(0, "reverse")?.truthy ?? false) : false
            let caseSensitive = arg(name == "sort" ? 1 : 0, "case_sensitive")?.truthy ?? false
            let attribute = try text(arg(name == "sort" ? 2 : 1, "attribute"), "attribute")
            let items = try renderer.iterate(value, at: origin)
            var keyed: [(JinjaValue, JinjaValue)] = []
            for item in items {
                var k = try attribute.map { try lookup(item, $0, renderer) } ?? item
                if !caseSensitive, case .string(let s) = k { k = .string(s.lowercased()) }
                keyed.append((k, item))
            }
            var failure: JinjaError? = nil
            keyed.sort { a, b in
                do {
                    let o = try JinjaOperators.ordering(a.0, b.0)
                    return reverse ? o > 0 : o < 0
                } catch {
                    failure = error as? JinjaError
                    return false
                }
            }
            if let failure { throw failure }
            if name == "min" { return keyed.first?.1 ?? .undefined("No aggregated item, sequence was empty.") }
            if name == "max" { return keyed.last?.1 ?? .undefined("No aggregated item, sequence was empty.") }
            return .array(keyed.map(\.1))
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .array(try renderer.iterate(value, at: origin).reversed())
        case "sum":
            let attribute = try text(arg(0, "attribute"), "attribute")
            var total = arg(1, "start") ?? .int(0)
            for item in try renderer.iterate(value, at: origin) {
                total = try JinjaOperators.binary("+", total, try attribute.map { try lookup(item, $0, renderer) } ?? item, renderer: renderer)
            }
            return total
        case "indent":
            let width: String
            if case .string(let w)? = arg(0, "width") { width = w } else { width = String(repeating: " ", count: max(0, arg(0, "width")?.integer ?? 4)) }
            let first = arg(1, "first")?.truthy ?? false
            let blank = arg(2, "blank")?.truthy ?? false
            let lines = JinjaText.split(try value.pyStr(), "\n")
            var out: [String] = []
            for (i, line) in lines.enumerated() {
                let indentIt = (i > 0 || first) && (blank || !line.isEmpty)
                out.append(indentIt ? width + line : line)
            }
            let result = out.joined(separator: "\n")
            try renderer.checkSize(result.unicodeScalars.count)
            return .string(result)
        case "wordcount":
            return .int(JinjaText.split(try value.pyStr(), nil).count)
        case "tojson":
            let indent: String?
            switch arg(1, "indent") ?? keyword.first(where: { $0.0 == "indent" })?.1 {
            case .int(let n)?: indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            default: indent = nil
            }
            var separators = (indent == nil ? ", " : ",", ": ")
            if case .array(let s)? = arg(2, "separators"), s.count == 2, case .string(let a) = s[0], case .string(let b) = s[1] {
                separators = (a, b)
            }
            let json = JinjaJSON(ensureASCII: arg(0, "ensure_ascii")?.truthy ?? false, indent: indent,
                                 itemSeparator: separators.0, keySeparator: separators.1,
                                 sortKeys: arg(3, "sort_keys")?.truthy ?? false, maxSize: renderer.options.limits.maxOutput)
            return .string(try json.dumps(value))
        default:
            throw fail(.syntax, "no filter named '\(name)'")
        }
    }

    /// `item.a.b` for selectattr/map/join/sort: each dotted part as an item (integers as indices).
    private static func lookup(_ item: JinjaValue, _ path: String, _ renderer: JinjaRenderer) throws -> JinjaValue {
        var v = item
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if v.isUndefined { return v }
            v = try renderer.item(v, Int(part).map { .int($0) } ?? .string(String(part)))
        }
        return v
    }

    /// Jinja's `title` filter: each piece after a run of `-`, whitespace, `(`, `{`, `[` or `<`
    /// starts upper-case, the rest lower-case.
    private static func titleFilter(_ s: String) -> String {
        var out = ""
        var atStart = true
        for c in s {
            if c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || c.unicodeScalars.allSatisfy(JinjaText.isSpace) {
                out.append(c)
                atStart = true
            } else {
                out += atStart ? String(c).uppercased() : String(c).lowercased()
                atStart = false
            }
        }
        return out
    }
}
