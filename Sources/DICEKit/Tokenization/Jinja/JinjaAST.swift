// JinjaAST — the parsed form of a template: statements (nodes) and expressions.

/// An expression with its source position and nesting depth.
struct JinjaExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case name(String)
        case list([JinjaExpr])
        case dict([(JinjaExpr, JinjaExpr)])
        case unary(String, JinjaExpr)
        case binary(String, JinjaExpr, JinjaExpr)
        case and(JinjaExpr, JinjaExpr)
        case or(JinjaExpr, JinjaExpr)
        case not(JinjaExpr)
        /// `a op b op c…` with ==, !=, <, <=, >, >=, in, notin.
        case compare(JinjaExpr, [(String, JinjaExpr)])
        /// `then if condition else otherwise` (otherwise nil: undefined).
        case conditional(condition: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
        case attribute(JinjaExpr, String)
        case item(JinjaExpr, JinjaExpr)
        case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
        case call(JinjaExpr, JinjaArguments)
        case filter(JinjaExpr, String, JinjaArguments)
        case test(JinjaExpr, String, JinjaArguments, negated: Bool)
    }

    var kind: Kind
    var position: JinjaPosition
    /// 1 + the deepest child's depth (the parser bounds it, so evaluation cannot overflow the stack).
    var depth: Int
}

/// Positional and keyword arguments of a call, filter or test.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
}

/// What a `set` assigns to.
enum JinjaTarget: Sendable {
    /// One or more names (`set a, b = pair`).
    case names([String])
    /// `set ns.attribute = …`.
    case attribute(String, String)
}

/// A statement of a template body.
indirect enum JinjaNode: Sendable {
    case text(String, JinjaPosition)
    case output(JinjaExpr)
    case conditional([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case loop(JinjaLoop)
    case set(JinjaTarget, JinjaExpr, JinjaPosition)
    /// `{% set x %}…{% endset %}`, optionally through filters.
    case setBlock(JinjaTarget, [JinjaNode], filters: [(String, JinjaArguments)], JinjaPosition)
    case macro(JinjaMacro)
    /// `{% call(params) macro(args) %}body{% endcall %}`.
    case callBlock(JinjaExpr, JinjaMacro)
    case breakLoop(JinjaPosition)
    case continueLoop(JinjaPosition)
}

/// A `for` statement.
struct JinjaLoop: Sendable {
    var targets: [String]
    var iterable: JinjaExpr
    var condition: JinjaExpr?
    var body: [JinjaNode]
    var otherwise: [JinjaNode]
    var position: JinjaPosition
}

/// A macro (or the body of a call block, named "caller").
struct JinjaMacro: Sendable {
    var name: String
    var parameters: [(String, JinjaExpr?)]
    var body: [JinjaNode]
    var position: JinjaPosition
}
