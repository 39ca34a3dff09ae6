// JinjaParser — builds the statement and expression tree of a template from its tokens, with
// Jinja2's operator precedence, rejecting nesting deeper than `JinjaLimits.maxNesting`.

/// A recursive-descent parser over one template's tokens.
struct JinjaParser {
    private var tokens: [JinjaToken]
    private var i = 0
    private let maxNesting: Int
    private var nesting = 0

    /// A parser of `tokens` (ending with `.eof`) accepting nesting up to `maxNesting`.
    init(tokens: [JinjaToken], maxNesting: Int) {
        self.tokens = tokens
        self.maxNesting = maxNesting
    }

    /// The whole template.
    /// - Throws: `JinjaError` (.syntax) naming the offending token's line and column.
    mutating func parseTemplate() throws -> [JinjaNode] {
        try parseBody(until: []).nodes
    }

    // MARK: - Tokens

    private var current: JinjaToken { tokens[i] }

    private mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    private func isName(_ name: String) -> Bool { current.kind == .name(name) }

    private func isOp(_ op: String) -> Bool { current.kind == .op(op) }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    private mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        advance()
        return true
    }

    private func describe(_ t: JinjaToken) -> String {
        switch t.kind {
        case .text: return "text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string: return "a string"
        case .int(let n): return "\(n)"
        case .float(let d): return "\(d)"
        case .op(let o): return "'\(o)'"
        case .eof: return "the end of the template"
        }
    }

    private func unexpected(_ expected: String) -> JinjaError {
        current.position.error(.syntax, "expected \(expected), found \(describe(current))")
    }

    private mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw unexpected("'\(op)'") }
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw unexpected("'%}'") }
        advance()
    }

    private mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw unexpected("a name") }
        advance()
        return n
    }

    private mutating func enter(_ position: JinjaPosition) throws {
        nesting += 1
        if nesting > maxNesting {
            throw position.error(.limit, "template nests deeper than \(maxNesting) levels")
        }
    }

    private func make(_ kind: JinjaExpr.Kind, _ position: JinjaPosition, _ children: [JinjaExpr?]) throws -> JinjaExpr {
        let depth = 1 + (children.compactMap { $0?.depth }.max() ?? 0)
        guard depth <= maxNesting else {
            throw position.error(.limit, "expression nests deeper than \(maxNesting) levels")
        }
        return JinjaExpr(kind: kind, position: position, depth: depth)
    }

    // MARK: - Statements

    /// Nodes up to a block tag whose name is in `ends` (consumed, with the rest of that tag left
    /// for the caller) or the end of the template (only when `ends` is empty).
    private mutating func parseBody(until ends: Set<String>) throws -> (nodes: [JinjaNode], end: String?) {
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let t):
                nodes.append(.text(t, token.position))
                advance()
            case .variableBegin:
                advance()
                let e = try parseTuple()
                guard current.kind == .variableEnd else { throw unexpected("'}}'") }
                advance()
                nodes.append(.output(e))
            case .blockBegin:
                advance()
                guard case .name(let tag) = current.kind else { throw unexpected("a statement name") }
                if ends.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                nodes.append(contentsOf: try parseStatement(tag, at: token.position))
            case .eof:
                if let first = ends.sorted().first(where: { $0.hasPrefix("end") }) ?? ends.sorted().first {
                    throw token.position.error(.syntax, "missing {% \(first) %} before the end of the template")
                }
                return (nodes, nil)
            default:
                throw unexpected("text or a tag")
            }
        }
    }

    private mutating func parseStatement(_ tag: String, at position: JinjaPosition) throws -> [JinjaNode] {
        try enter(position)
        defer { nesting -= 1 }
        let tagPosition = current.position
        advance()
        switch tag {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var condition = try parseExpression()
            while true {
                try expectBlockEnd()
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                if end == "elif" {
                    condition = try parseExpression()
                    continue
                }
                var otherwise: [JinjaNode] = []
                if end == "else" {
                    try expectBlockEnd()
                    otherwise = try parseBody(until: ["endif"]).nodes
                }
                try expectBlockEnd()
                return [.conditional(branches, otherwise: otherwise)]
            }
        case "for":
            var targets = [try expectName()]
            while skipOp(",") { targets.append(try expectName()) }
            guard skipName("in") else { throw unexpected("'in'") }
            let iterable = try parseTuple(conditional: false)
            var condition: JinjaExpr? = nil
            if skipName("if") { condition = try parseExpression() }
            if isName("recursive") { throw current.position.error(.syntax, "recursive loops are not supported") }
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["endfor", "else"])
            var otherwise: [JinjaNode] = []
            if end == "else" {
                try expectBlockEnd()
                otherwise = try parseBody(until: ["endfor"]).nodes
            }
            try expectBlockEnd()
            return [.loop(JinjaLoop(targets: targets, iterable: iterable, condition: condition, body: body,
                                    otherwise: otherwise, position: position))]
        case "set":
            let first = try expectName()
            var target = JinjaTarget.names([first])
            if skipOp(".") {
                target = .attribute(first, try expectName())
            } else if isOp(",") {
                var names = [first]
                while skipOp(",") { names.append(try expectName()) }
                target = .names(names)
            }
            if skipOp("=") {
                let value = try parseTuple()
                try expectBlockEnd()
                return [.set(target, value, tagPosition)]
            }
            var filters: [(String, JinjaArguments)] = []
            while skipOp("|") {
                let name = try expectName()
                filters.append((name, isOp("(") ? try parseArguments() : JinjaArguments()))
            }
            try expectBlockEnd()
            let body = try parseBody(until: ["endset"]).nodes
            try expectBlockEnd()
            return [.setBlock(target, body, filters: filters, tagPosition)]
        case "macro":
            let name = try expectName()
            let parameters = try parseParameters()
            try expectBlockEnd()
            let body = try parseBody(until: ["endmacro"]).nodes
            if case .name = current.kind { advance() }
            try expectBlockEnd()
            return [.macro(JinjaMacro(name: name, parameters: parameters, body: body, position: position))]
        case "call":
            let parameters = isOp("(") ? try parseParameters() : []
            let call = try parseExpression()
            guard case .call = call.kind else { throw call.position.error(.syntax, "a call block needs a macro call") }
            try expectBlockEnd()
            let body = try parseBody(until: ["endcall"]).nodes
            try expectBlockEnd()
            return [.callBlock(call, JinjaMacro(name: "caller", parameters: parameters, body: body, position: position))]
        case "break", "continue":
            try expectBlockEnd()
            return [tag == "break" ? .breakLoop(position) : .continueLoop(position)]
        case "generation":
            // transformers' AssistantTracker: the body renders in place.
            try expectBlockEnd()
            let body = try parseBody(until: ["endgeneration"]).nodes
            try expectBlockEnd()
            return body
        default:
            throw position.error(.syntax, "unknown or unsupported statement '\(tag)'")
        }
    }

    /// `(name, name=default, …)` of a macro or call block.
    private mutating func parseParameters() throws -> [(String, JinjaExpr?)] {
        try expectOp("(")
        var parameters: [(String, JinjaExpr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            parameters.append((name, skipOp("=") ? try parseExpression() : nil))
        }
        advance()
        return parameters
    }

    // MARK: - Expressions

    /// An expression, or several separated by commas (a tuple, kept as a list).
    private mutating func parseTuple(conditional: Bool = true) throws -> JinjaExpr {
        let position = current.position
        let first = conditional ? try parseExpression() : try parseOr()
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .variableEnd || current.kind == .blockEnd || isOp(")") { break }
            items.append(conditional ? try parseExpression() : try parseOr())
        }
        return try make(.list(items), position, items)
    }

    /// A full expression, ternaries included.
    mutating func parseExpression() throws -> JinjaExpr {
        let position = current.position
        try enter(position)
        defer { nesting -= 1 }
        var e = try parseOr()
        while skipName("if") {
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            e = try make(.conditional(condition: condition, then: e, otherwise: otherwise), position, [condition, e, otherwise])
        }
        return e
    }

    private mutating func parseOr() throws -> JinjaExpr {
        var left = try parseAnd()
        while isName("or") {
            let p = current.position
            advance()
            let right = try parseAnd()
            left = try make(.or(left, right), p, [left, right])
        }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpr {
        var left = try parseNot()
        while isName("and") {
            let p = current.position
            advance()
            let right = try parseNot()
            left = try make(.and(left, right), p, [left, right])
        }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpr {
        if isName("not") {
            let p = current.position
            advance()
            try enter(p)
            defer { nesting -= 1 }
            let operand = try parseNot()
            return try make(.not(operand), p, [operand])
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> JinjaExpr {
        let position = current.position
        let left = try parseMath1()
        var rest: [(String, JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                rest.append((o, try parseMath1()))
            } else if skipName("in") {
                rest.append(("in", try parseMath1()))
            } else if isName("not"), i + 1 < tokens.count, tokens[i + 1].kind == .name("in") {
                advance()
                advance()
                rest.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        if rest.isEmpty { return left }
        return try make(.compare(left, rest), position, [left] + rest.map(\.1))
    }

    private mutating func parseBinary(_ ops: [String], _ next: (inout JinjaParser) throws -> JinjaExpr) throws -> JinjaExpr {
        var left = try next(&self)
        while case .op(let o) = current.kind, ops.contains(o) {
            let p = current.position
            advance()
            let right = try next(&self)
            left = try make(.binary(o, left, right), p, [left, right])
        }
        return left
    }

    private mutating func parseMath1() throws -> JinjaExpr { try parseBinary(["+", "-"]) { try $0.parseConcat() } }
    private mutating func parseConcat() throws -> JinjaExpr { try parseBinary(["~"]) { try $0.parseMath2() } }
    private mutating func parseMath2() throws -> JinjaExpr { try parseBinary(["*", "/", "//", "%"]) { try $0.parsePow() } }
    private mutating func parsePow() throws -> JinjaExpr { try parseBinary(["**"]) { try $0.parseUnary(filters: true) } }

    private mutating func parseUnary(filters: Bool) throws -> JinjaExpr {
        let p = current.position
        var node: JinjaExpr
        if case .op(let o) = current.kind, o == "-" || o == "+" {
            advance()
            try enter(p)
            defer { nesting -= 1 }
            let operand = try parseUnary(filters: false)
            node = try make(.unary(o, operand), p, [operand])
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return filters ? try parseFilters(node) : node
    }

    private mutating func parsePrimary() throws -> JinjaExpr {
        let token = current
        let p = token.position
        switch token.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return try make(.literal(.bool(true)), p, [])
            case "false", "False": return try make(.literal(.bool(false)), p, [])
            case "none", "None": return try make(.literal(.none), p, [])
            default: return try make(.name(n), p, [])
            }
        case .string(var text):
            advance()
            while case .string(let more) = current.kind {
                text += more
                advance()
            }
            return try make(.literal(.string(text)), p, [])
        case .int(let n):
            advance()
            return try make(.literal(.int(n)), p, [])
        case .float(let d):
            advance()
            return try make(.literal(.double(d)), p, [])
        case .op("("):
            advance()
            try enter(p)
            defer { nesting -= 1 }
            if skipOp(")") { return try make(.list([]), p, []) }
            let e = try parseTuple()
            try expectOp(")")
            return e
        case .op("["):
            advance()
            try enter(p)
            defer { nesting -= 1 }
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return try make(.list(items), p, items)
        case .op("{"):
            advance()
            try enter(p)
            defer { nesting -= 1 }
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            advance()
            return try make(.dict(pairs), p, pairs.flatMap { [$0.0, $0.1] })
        default:
            throw unexpected("an expression")
        }
    }

    private mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            let p = current.position
            if skipOp(".") {
                switch current.kind {
                case .name(let n):
                    advance()
                    node = try make(.attribute(node, n), p, [node])
                case .int(let k):
                    advance()
                    let index = try make(.literal(.int(k)), p, [])
                    node = try make(.item(node, index), p, [node])
                default:
                    throw unexpected("an attribute name")
                }
            } else if skipOp("[") {
                node = try parseSubscript(node, at: p)
            } else if isOp("(") {
                let args = try parseArguments()
                node = try make(.call(node, args), node.position, [node] + args.positional + args.keyword.map(\.1))
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpr, at p: JinjaPosition) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        if !isOp(":") { parts[0] = try parseExpression() }
        if skipOp(":") {
            isSlice = true
            parts.append(isOp(":") || isOp("]") ? nil : try parseExpression())
            if skipOp(":") { parts.append(isOp("]") ? nil : try parseExpression()) }
        }
        try expectOp("]")
        if isSlice {
            while parts.count < 3 { parts.append(nil) }
            return try make(.slice(base, parts[0], parts[1], parts[2]), p, [base] + parts)
        }
        guard let index = parts[0] else { throw unexpected("an index") }
        return try make(.item(base, index), p, [base, index])
    }

    /// `(a, b, name=c)`.
    private mutating func parseArguments() throws -> JinjaArguments {
        try expectOp("(")
        var args = JinjaArguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if case .name(let n) = current.kind, i + 1 < tokens.count, tokens[i + 1].kind == .op("=") {
                advance()
                advance()
                args.keyword.append((n, try parseExpression()))
            } else {
                if !args.keyword.isEmpty { throw current.position.error(.syntax, "positional argument after keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        advance()
        return args
    }

    private mutating func dottedName() throws -> String {
        var name = try expectName()
        while isOp("."), i + 1 < tokens.count, case .name(let more) = tokens[i + 1].kind {
            advance()
            advance()
            name += "." + more
        }
        return name
    }

    private mutating func parseFilters(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            let p = current.position
            if skipOp("|") {
                let name = try dottedName()
                let args = isOp("(") ? try parseArguments() : JinjaArguments()
                node = try make(.filter(node, name, args), p, [node] + args.positional + args.keyword.map(\.1))
            } else if skipName("is") {
                let negated = skipName("not")
                let name = try dottedName()
                var args = JinjaArguments()
                if isOp("(") {
                    args = try parseArguments()
                } else if startsPrimary, !isName("else"), !isName("or"), !isName("and") {
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                node = try make(.test(node, name, args, negated: negated), p, [node] + args.positional + args.keyword.map(\.1))
            } else if isOp("(") {
                let args = try parseArguments()
                node = try make(.call(node, args), node.position, [node] + args.positional + args.keyword.map(\.1))
            } else {
                return node
            }
        }
    }

    private var startsPrimary: Bool {
        switch current.kind {
        case .name, .string, .int, .float: return true
        case .op(let o): return o == "(" || o == "[" || o == "{"
        default: return false
        }
    }
}
