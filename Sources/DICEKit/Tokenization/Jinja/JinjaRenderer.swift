// JinjaRenderer — executes a parsed template: scopes, statements, expressions and calls, with
// Jinja2's semantics in transformers' ImmutableSandboxedEnvironment and the bounds of
// `JinjaLimits`.

import Foundation

/// The state of one render. Not shared: each `JinjaTemplate.render` makes its own.
final class JinjaRenderer {
    let options: JinjaOptions
    private var scopes: [[String: JinjaValue]]
    /// The attributes of each `namespace()` object, indexed by `JinjaValue.namespace`.
    var namespaces: [JinjaDict] = []
    private var macros: [JinjaMacro] = []
    private var buffers: [String] = [""]
    private var produced = 0
    private var iterations = 0
    private var depth = 0

    /// Control flow out of a statement list.
    private enum Flow { case normal, breakLoop, continueLoop }

    /// A renderer whose outermost scope holds `variables`.
    init(variables: [String: JinjaValue], options: JinjaOptions) {
        self.options = options
        self.scopes = [variables]
    }

    /// Renders `nodes` and returns the output.
    func render(_ nodes: [JinjaNode]) throws -> String {
        _ = try execute(nodes)
        return buffers[0]
    }

    // MARK: - Output and bounds

    private func write(_ text: String, at position: JinjaPosition) throws {
        produced += text.unicodeScalars.count
        guard produced <= options.limits.maxOutput else {
            throw position.error(.limit, "output exceeds \(options.limits.maxOutput) characters")
        }
        buffers[buffers.count - 1] += text
    }

    /// Throws when a value of `size` characters or elements would exceed the output bound.
    func checkSize(_ size: Int) throws {
        guard size <= options.limits.maxOutput else {
            throw JinjaPosition(line: 0, column: 0).error(.limit, "a value of \(size) characters or items exceeds the bound of \(options.limits.maxOutput)")
        }
    }

    /// Throws when `value` nests lists and dicts deeper than 256 levels (deeper values could not
    /// be printed, compared or even released without exhausting the stack).
    func checkNesting(_ value: JinjaValue) throws {
        func exceeds(_ v: JinjaValue, _ budget: Int) -> Bool {
            switch v {
            case .array(let a): return budget == 0 || a.contains { exceeds($0, budget - 1) }
            case .dict(let d): return budget == 0 || d.items.contains { exceeds($0.1, budget - 1) }
            default: return false
            }
        }
        if exceeds(value, 256) {
            throw JinjaPosition(line: 0, column: 0).error(.limit, "lists and dictionaries nested deeper than 256 levels")
        }
    }

    private func enter(_ position: JinjaPosition) throws {
        depth += 1
        guard depth <= options.limits.maxDepth else {
            throw position.error(.limit, "recursion deeper than \(options.limits.maxDepth) (macro calls and nested blocks)")
        }
    }

    /// Runs `body` writing into a fresh buffer and returns what it wrote.
    private func capture(_ body: () throws -> Void) throws -> String {
        buffers.append("")
        defer { buffers.removeLast() }
        try body()
        return buffers[buffers.count - 1]
    }

    // MARK: - Scopes

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        switch name {
        case "range", "namespace", "dict", "raise_exception", "strftime_now": return .callable(.global(name))
        default: return .undefined("'\(name)' is undefined")
        }
    }

    private func assign(_ target: JinjaTarget, _ value: JinjaValue, at position: JinjaPosition) throws {
        switch target {
        case .names(let names) where names.count == 1:
            scopes[scopes.count - 1][names[0]] = value
        case .names(let names):
            let items = try iterate(value, at: position)
            guard items.count == names.count else {
                throw position.error(.type, "cannot unpack \(items.count) values into \(names.count) names")
            }
            for (name, item) in zip(names, items) { scopes[scopes.count - 1][name] = item }
        case .attribute(let object, let attribute):
            guard case .namespace(let id) = lookup(object) else {
                throw position.error(.type, "cannot assign attribute '\(attribute)' on '\(object)': not a namespace")
            }
            guard !attribute.hasPrefix("_") else {
                throw position.error(.security, "chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'")
            }
            namespaces[id][attribute] = value
        }
    }

    // MARK: - Statements

    private func execute(_ nodes: [JinjaNode]) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let t, let position):
                try write(t, at: position)
            case .output(let e):
                try write(try stringify(evaluate(e), at: e.position), at: e.position)
            case .conditional(let branches, let otherwise):
                var chosen = otherwise
                for (condition, body) in branches {
                    if try evaluate(condition).truthy {
                        chosen = body
                        break
                    }
                }
                let flow = try execute(chosen)
                if flow != .normal { return flow }
            case .loop(let loop):
                try runLoop(loop)
            case .set(let target, let e, let position):
                try assign(target, try evaluate(e), at: position)
            case .setBlock(let target, let body, let filters, let position):
                var value = JinjaValue.string(try capture { _ = try execute(body) })
                for (name, args) in filters {
                    value = try locate(position) { try applyFilter(name, to: value, args, at: position) }
                }
                try assign(target, value, at: position)
            case .macro(let macro):
                macros.append(macro)
                scopes[scopes.count - 1][macro.name] = .callable(.macro(macros.count - 1))
            case .callBlock(let call, let caller):
                macros.append(caller)
                guard case .call(let callee, let args) = call.kind else { continue }
                let result = try locate(call.position) {
                    try invoke(try evaluate(callee), args, at: call.position, caller: .callable(.macro(macros.count - 1)))
                }
                try write(try stringify(result, at: call.position), at: call.position)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .normal
    }

    private func runLoop(_ loop: JinjaLoop) throws {
        try enter(loop.position)
        defer { depth -= 1 }
        var items = try locate(loop.iterable.position) { try iterate(try evaluate(loop.iterable), at: loop.iterable.position) }
        if let condition = loop.condition {
            var kept: [JinjaValue] = []
            for item in items {
                try countIteration(loop.position)
                scopes.append([:])
                defer { scopes.removeLast() }
                try bind(loop.targets, item, at: loop.position)
                if try evaluate(condition).truthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try execute(loop.otherwise)
            return
        }
        let count = items.count
        for (index, item) in items.enumerated() {
            try countIteration(loop.position)
            var info = JinjaDict()
            info["index"] = .int(index + 1)
            info["index0"] = .int(index)
            info["revindex"] = .int(count - index)
            info["revindex0"] = .int(count - index - 1)
            info["first"] = .bool(index == 0)
            info["last"] = .bool(index == count - 1)
            info["length"] = .int(count)
            info["depth"] = .int(1)
            info["depth0"] = .int(0)
            info["previtem"] = index > 0 ? items[index - 1] : .undefined("there is no previous item")
            info["nextitem"] = index + 1 < count ? items[index + 1] : .undefined("there is no next item")
            info["cycle"] = .callable(.cycle(index))
            scopes.append(["loop": .dict(info)])
            defer { scopes.removeLast() }
            try bind(loop.targets, item, at: loop.position)
            if try execute(loop.body) == .breakLoop { break }
        }
    }

    private func countIteration(_ position: JinjaPosition) throws {
        iterations += 1
        guard iterations <= options.limits.maxIterations else {
            throw position.error(.limit, "more than \(options.limits.maxIterations) loop iterations")
        }
    }

    private func bind(_ targets: [String], _ item: JinjaValue, at position: JinjaPosition) throws {
        if targets.count == 1 {
            scopes[scopes.count - 1][targets[0]] = item
        } else {
            try assign(.names(targets), item, at: position)
        }
    }

    /// The items a `for` loop visits: a list's elements, a string's characters, a dict's keys;
    /// nothing for undefined.
    func iterate(_ value: JinjaValue, at position: JinjaPosition) throws -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case .array(let a): return a
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .dict(let d): return d.keys.map { .string($0) }
        case .namespace(let id): return namespaces[id].keys.map { .string($0) }
        default: throw position.error(.type, "'\(value.typeName)' object is not iterable")
        }
    }

    /// `str(value)` for output, with nesting errors placed at `position`.
    func stringify(_ value: JinjaValue, at position: JinjaPosition) throws -> String {
        try locate(position) { try value.pyStr() }
    }

    /// Runs `body`, giving errors thrown without a position (line 0) the position `position`.
    func locate<T>(_ position: JinjaPosition, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as JinjaError where error.line == 0 {
            error.line = position.line
            error.column = position.column
            throw error
        }
    }

    // MARK: - Expressions

    func evaluate(_ e: JinjaExpr) throws -> JinjaValue {
        try locate(e.position) { try evaluateKind(e) }
    }

    private func evaluateKind(_ e: JinjaExpr) throws -> JinjaValue {
        let position = e.position
        switch e.kind {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let items):
            let value = JinjaValue.array(try items.map(evaluate))
            try checkNesting(value)
            return value
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                guard case .string(let key) = try evaluate(k) else {
                    throw k.position.error(.type, "dictionary keys must be strings")
                }
                d[key] = try evaluate(v)
            }
            try checkNesting(.dict(d))
            return .dict(d)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            try requireDefined(v)
            switch v {
            case .int(let i) where op == "-":
                guard i != Int.min else { throw position.error(.limit, "integer overflow") }
                return .int(-i)
            case .bool(let b): return .int(op == "-" ? (b ? -1 : 0) : (b ? 1 : 0))
            case .double(let d): return .double(op == "-" ? -d : d)
            case .int: return v
            default: throw position.error(.type, "bad operand type for unary \(op): '\(v.typeName)'")
            }
        case .binary(let op, let l, let r):
            return try JinjaOperators.binary(op, try evaluate(l), try evaluate(r), renderer: self)
        case .and(let l, let r):
            let a = try evaluate(l)
            return a.truthy ? try evaluate(r) : a
        case .or(let l, let r):
            let a = try evaluate(l)
            return a.truthy ? a : try evaluate(r)
        case .not(let operand):
            return .bool(!(try evaluate(operand).truthy))
        case .compare(let first, let rest):
            var left = try evaluate(first)
            for (op, expr) in rest {
                let right = try evaluate(expr)
                guard try JinjaOperators.compare(op, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).truthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("the conditional expression has no else branch")
        case .attribute(let base, let name):
            return try attribute(try evaluate(base), name)
        case .item(let base, let index):
            return try item(try evaluate(base), try evaluate(index))
        case .slice(let base, let start, let stop, let step):
            return try JinjaOperators.slice(try evaluate(base), try start.map(evaluate), try stop.map(evaluate),
                                            try step.map(evaluate))
        case .call(let callee, let args):
            return try invoke(try evaluate(callee), args, at: position, caller: nil)
        case .filter(let base, let name, let args):
            return try applyFilter(name, to: try evaluate(base), args, at: position)
        case .test(let base, let name, let args, let negated):
            let value = try evaluate(base)
            let result = try JinjaTestFunctions.apply(name, value, try args.positional.map(evaluate), renderer: self)
            return .bool(result != negated)
        }
    }

    /// Throws the undefined error carried by `v` when it is undefined.
    func requireDefined(_ v: JinjaValue) throws {
        if case .undefined(let message) = v { throw JinjaPosition(line: 0, column: 0).error(.undefined, message) }
    }

    /// `base.name`: a method of strings, dicts and lists, else a dict's or namespace's entry.
    func attribute(_ base: JinjaValue, _ name: String) throws -> JinjaValue {
        try requireDefined(base)
        if JinjaMethods.has(base, name) { return .callable(.method(base, name)) }
        switch base {
        case .dict(let d):
            if let v = d[name] { return v }
        case .namespace(let id):
            if let v = namespaces[id][name] { return v }
        default: break
        }
        return .undefined("'\(base.typeName) object' has no attribute '\(name)'")
    }

    /// `base[index]`: list and string positions (negative from the end), dict keys, namespace
    /// attributes; a string index falls back to `attribute`.
    func item(_ base: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        try requireDefined(base)
        switch (base, index) {
        case (.array(let a), _) where index.integer != nil:
            let i = index.integer! < 0 ? index.integer! + a.count : index.integer!
            return a.indices.contains(i) ? a[i] : .undefined("list index out of range")
        case (.string(let s), _) where index.integer != nil:
            let scalars = Array(s.unicodeScalars)
            let i = index.integer! < 0 ? index.integer! + scalars.count : index.integer!
            return scalars.indices.contains(i) ? .string(String(scalars[i])) : .undefined("string index out of range")
        case (.dict(let d), .string(let key)):
            if let v = d[key] { return v }
            return try attribute(base, key)
        case (_, .string(let key)):
            return try attribute(base, key)
        default:
            return .undefined("'\(base.typeName) object' has no item \((try? index.pyRepr()) ?? "")")
        }
    }

    // MARK: - Calls

    /// Calls `callee` with `args` evaluated here; `caller` is passed to macros of call blocks.
    func invoke(_ callee: JinjaValue, _ args: JinjaArguments, at position: JinjaPosition,
                caller: JinjaValue?) throws -> JinjaValue {
        let positional = try args.positional.map(evaluate)
        var keyword: [(String, JinjaValue)] = []
        for (name, e) in args.keyword { keyword.append((name, try evaluate(e))) }
        return try call(callee, positional, keyword, at: position, caller: caller)
    }

    /// Calls `callee` with evaluated arguments.
    func call(_ callee: JinjaValue, _ positional: [JinjaValue], _ keyword: [(String, JinjaValue)],
              at position: JinjaPosition, caller: JinjaValue? = nil) throws -> JinjaValue {
        switch callee {
        case .undefined(let message):
            throw position.error(.undefined, message)
        case .callable(.global(let name)):
            return try JinjaGlobals.call(name, positional, keyword, renderer: self)
        case .callable(.method(let receiver, let name)):
            return try JinjaMethods.call(receiver, name, positional, keyword, renderer: self)
        case .callable(.cycle(let index)):
            guard !positional.isEmpty else { throw position.error(.type, "no items for cycling given") }
            return positional[index % positional.count]
        case .callable(.macro(let id)):
            return try callMacro(macros[id], positional, keyword, at: position, caller: caller)
        default:
            throw position.error(.type, "'\(callee.typeName)' object is not callable")
        }
    }

    private func callMacro(_ macro: JinjaMacro, _ positional: [JinjaValue], _ keyword: [(String, JinjaValue)],
                           at position: JinjaPosition, caller: JinjaValue?) throws -> JinjaValue {
        guard positional.count <= macro.parameters.count else {
            throw position.error(.type, "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
        }
        try enter(position)
        defer { depth -= 1 }
        let saved = scopes
        defer { scopes = saved }
        scopes = [scopes[0], [:]]
        if let caller { scopes[1]["caller"] = caller }
        for (index, (name, defaultValue)) in macro.parameters.enumerated() {
            if index < positional.count {
                scopes[1][name] = positional[index]
            } else if let value = keyword.first(where: { $0.0 == name })?.1 {
                scopes[1][name] = value
            } else if let defaultValue {
                scopes[1][name] = try evaluate(defaultValue)
            } else {
                scopes[1][name] = .undefined("parameter '\(name)' was not provided")
            }
        }
        for (name, _) in keyword where !macro.parameters.contains(where: { $0.0 == name }) && name != "caller" {
            throw position.error(.type, "macro '\(macro.name)' takes no keyword argument '\(name)'")
        }
        return .string(try capture { _ = try execute(macro.body) })
    }

    private func applyFilter(_ name: String, to value: JinjaValue, _ args: JinjaArguments,
                             at position: JinjaPosition) throws -> JinjaValue {
        let positional = try args.positional.map(evaluate)
        var keyword: [(String, JinjaValue)] = []
        for (k, e) in args.keyword { keyword.append((k, try evaluate(e))) }
        return try locate(position) { try JinjaFilters.apply(name, value, positional, keyword, renderer: self) }
    }
}
