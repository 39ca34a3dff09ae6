// JinjaOperators — arithmetic, concatenation, comparison, membership and slicing with Python's
// semantics (int overflow is an error rather than a big integer).

import Foundation

enum JinjaOperators {
    private static func fail(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaPosition(line: 0, column: 0).error(kind, message)
    }

    /// `a op b` for + - * / // % ** ~.
    static func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue, renderer: JinjaRenderer) throws -> JinjaValue {
        if op == "~" {
            let text = try a.pyStr() + b.pyStr()
            try renderer.checkSize(text.unicodeScalars.count)
            return .string(text)
        }
        try renderer.requireDefined(a)
        try renderer.requireDefined(b)
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)):
            try renderer.checkSize(x.unicodeScalars.count + y.unicodeScalars.count)
            return .string(x + y)
        case ("+", .array(let x), .array(let y)):
            try renderer.checkSize(x.count + y.count)
            return .array(x + y)
        case ("*", .string(let x), _) where b.integer != nil, ("*", _, .string(let x)) where a.integer != nil:
            // str * int and int * str (never str * str: Python's TypeError, below).
            let n = max(0, b.integer ?? a.integer ?? 0)
            try renderer.checkSize(x.unicodeScalars.count.multipliedReportingOverflow(by: n).overflow ? Int.max : x.unicodeScalars.count * n)
            return .string(String(repeating: x, count: n))
        case ("*", .array(let x), _) where b.integer != nil, ("*", _, .array(let x)) where a.integer != nil:
            let n = max(0, b.integer ?? a.integer ?? 0)
            try renderer.checkSize(x.count.multipliedReportingOverflow(by: n).overflow ? Int.max : x.count * n)
            return .array(Array([[JinjaValue]](repeating: x, count: n).joined()))
        default: break
        }
        if let x = a.integer, let y = b.integer {
            return try integer(op, x, y)
        }
        guard let x = a.numeric, let y = b.numeric else {
            throw fail(.type, "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw fail(.type, "float division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw fail(.type, "float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw fail(.type, "float modulo by zero") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**": return .double(pow(x, y))
        default: throw fail(.syntax, "unknown operator \(op)")
        }
    }

    private static func integer(_ op: String, _ x: Int, _ y: Int) throws -> JinjaValue {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
            guard !r.overflow else { throw fail(.limit, "integer overflow in \(op)") }
            return .int(r.partialValue)
        }
        switch op {
        case "+": return try checked(x.addingReportingOverflow(y))
        case "-": return try checked(x.subtractingReportingOverflow(y))
        case "*": return try checked(x.multipliedReportingOverflow(by: y))
        case "/":
            guard y != 0 else { throw fail(.type, "division by zero") }
            return .double(Double(x) / Double(y))
        case "//", "%":
            guard y != 0 else { throw fail(.type, "integer division or modulo by zero") }
            guard !(x == Int.min && y == -1) else { throw fail(.limit, "integer overflow in \(op)") }
            var q = x / y
            var r = x % y
            if r != 0 && (r < 0) != (y < 0) { q -= 1; r += y }
            return .int(op == "//" ? q : r)
        case "**":
            if y < 0 { return .double(pow(Double(x), Double(y))) }
            var result = 1, base = x, e = y
            while e > 0 {
                if e & 1 == 1 {
                    let m = result.multipliedReportingOverflow(by: base)
                    guard !m.overflow else { throw fail(.limit, "integer overflow in **") }
                    result = m.partialValue
                }
                e >>= 1
                if e > 0 {
                    let m = base.multipliedReportingOverflow(by: base)
                    guard !m.overflow else { throw fail(.limit, "integer overflow in **") }
                    base = m.partialValue
                }
            }
            return .int(result)
        default: throw fail(.syntax, "unknown operator \(op)")
        }
    }

    /// `a op b` for == != < <= > >= in notin.
    static func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        switch op {
        case "==": return try a.pyEquals(b)
        case "!=": return !(try a.pyEquals(b))
        case "in": return try contains(b, a)
        case "notin": return !(try contains(b, a))
        default:
            let order = try ordering(a, b)
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// -1, 0 or 1 for numbers, strings (by code point) and lists (element-wise).
    static func ordering(_ a: JinjaValue, _ b: JinjaValue, depth: Int = 0) throws -> Int {
        guard depth < 512 else { throw fail(.limit, "values nested too deeply to compare") }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            for (p, q) in zip(x.unicodeScalars, y.unicodeScalars) where p != q { return p.value < q.value ? -1 : 1 }
            let (m, n) = (x.unicodeScalars.count, y.unicodeScalars.count)
            return m == n ? 0 : (m < n ? -1 : 1)
        case (.array(let x), .array(let y)):
            for (p, q) in zip(x, y) {
                let o = try ordering(p, q, depth: depth + 1)
                if o != 0 { return o }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if case .undefined(let message) = a { throw fail(.undefined, message) }
            if case .undefined(let message) = b { throw fail(.undefined, message) }
            if let x = a.integer, let y = b.integer { return x == y ? 0 : (x < y ? -1 : 1) }
            guard let x = a.numeric, let y = b.numeric else {
                throw fail(.type, "'<' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }

    /// Python's `item in container`.
    static func contains(_ container: JinjaValue, _ item: JinjaValue) throws -> Bool {
        switch container {
        case .undefined: return false
        case .string(let s):
            guard case .string(let needle) = item else {
                throw fail(.type, "'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return JinjaText.find(needle, in: s) != nil
        case .array(let a):
            for x in a where try x.pyEquals(item) { return true }
            return false
        case .dict(let d):
            guard case .string(let key) = item else { return false }
            return d[key] != nil
        default:
            throw fail(.type, "argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// Python's `value[start:stop:step]` for lists and strings.
    static func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func bound(_ v: JinjaValue?) throws -> Int? {
            guard let v, !(v == .none) else { return nil }
            guard let i = v.integer else { throw fail(.type, "slice indices must be integers or None") }
            return i
        }
        let stride = try bound(step) ?? 1
        guard stride != 0 else { throw fail(.type, "slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += count }
                return stride > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            var out: [Int] = []
            var i = clamp(try bound(start), stride > 0 ? 0 : count - 1)
            let end = clamp(try bound(stop), stride > 0 ? count : -1)
            while stride > 0 ? i < end : i > end {
                out.append(i)
                let (next, overflow) = i.addingReportingOverflow(stride)
                if overflow { break }
                i = next
            }
            return out
        }
        switch value {
        case .array(let a): return .array(try indices(a.count).map { a[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let message): throw fail(.undefined, message)
        default: throw fail(.type, "'\(value.typeName)' object is not subscriptable")
        }
    }
}
