// JinjaTestFunctions — the `is` tests templates use (`x is defined`, `x is string`, `x is
// equalto y`, …), with Jinja2's definitions.

enum JinjaTestFunctions {
    /// Whether `value` passes test `name` with `args`.
    /// - Throws: `JinjaError` (.syntax) for an unknown test, (.type) for missing arguments.
    static func apply(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], renderer: JinjaRenderer) throws -> Bool {
        func argument() throws -> JinjaValue {
            guard let a = args.first else {
                throw JinjaPosition(line: 0, column: 0).error(.type, "test '\(name)' needs an argument")
            }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value == .none
        case "string":
            if case .string = value { return true }
            return false
        case "mapping":
            if case .dict = value { return true }
            return false
        case "iterable":
            switch value {
            case .undefined, .string, .array, .dict, .namespace: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .undefined, .string, .array, .dict: return true
            default: return false
            }
        case "number": return value.numeric != nil
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .double = value { return true }
            return false
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true": return value == .bool(true)
        case "false": return value == .bool(false)
        case "callable":
            if case .callable = value { return true }
            return false
        case "equalto", "eq", "==": return try value.pyEquals(argument())
        case "ne", "!=": return !(try value.pyEquals(argument()))
        case "lt", "<": return try JinjaOperators.compare("<", value, argument())
        case "le", "<=": return try JinjaOperators.compare("<=", value, argument())
        case "gt", ">", "greaterthan": return try JinjaOperators.compare(">", value, argument())
        case "ge", ">=": return try JinjaOperators.compare(">=", value, argument())
        case "in": return try JinjaOperators.contains(argument(), value)
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let a), .bool(let b)): return a == b
            default: return false
            }
        case "odd", "even":
            guard let i = value.integer else {
                throw JinjaPosition(line: 0, column: 0).error(.type, "test '\(name)' needs an integer")
            }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.integer, let n = try argument().integer, n != 0 else {
                throw JinjaPosition(line: 0, column: 0).error(.type, "divisibleby needs non-zero integers")
            }
            return i % n == 0
        case "lower", "upper":
            guard case .string(let s) = value else { return false }
            return name == "lower" ? s == s.lowercased() : s == s.uppercased()
        default:
            throw JinjaPosition(line: 0, column: 0).error(.syntax, "no test named '\(name)'")
        }
    }
}
