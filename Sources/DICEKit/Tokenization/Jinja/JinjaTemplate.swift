// JinjaTemplate — a parsed Jinja chat template and its sandboxed render.

/// A Jinja template, parsed once and rendered many times, with the semantics transformers gives
/// chat templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop controls,
/// `raise_exception`, `strftime_now`, `tojson` with ensure_ascii=False).
public struct JinjaTemplate: Sendable, Equatable, CustomStringConvertible {
    /// The template text as given.
    public let source: String
    private let body: [JinjaNode]

    /// Parses `source`.
    /// - Parameters:
    ///   - source: the template text (Jinja2 syntax).
    ///   - limits: `maxNesting` bounds how deeply statements and expressions may nest.
    /// - Throws: `JinjaError` (.syntax or .limit) naming the line and column of the problem.
    public init(source: String, limits: JinjaLimits = JinjaLimits()) throws {
        self.source = source
        let tokens = try JinjaLexer(source).tokenize()
        var parser = JinjaParser(tokens: tokens, maxNesting: limits.maxNesting)
        body = try parser.parseTemplate()
    }

    /// Renders the template with `variables` (e.g. `messages`, `add_generation_prompt`,
    /// `bos_token`); names not given are undefined.
    /// - Throws: `JinjaError`: `.raised` from `raise_exception`, `.limit` when a bound of
    ///   `options.limits` is reached, `.undefined`/`.type`/`.security` for invalid operations —
    ///   each naming the line and column of the construct.
    public func render(_ variables: [String: JinjaValue], options: JinjaOptions = JinjaOptions()) throws -> String {
        try JinjaRenderer(variables: variables, options: options).render(body)
    }

    /// Templates are equal when their sources are.
    public static func == (a: JinjaTemplate, b: JinjaTemplate) -> Bool { a.source == b.source }

    /// "jinja" and the first line of the source.
    public var description: String {
        "jinja template " + (source.split(separator: "\n").first.map { String($0.prefix(60)) } ?? "")
    }
}
