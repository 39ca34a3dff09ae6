// JinjaError — what went wrong while parsing or rendering a Jinja chat template, and where.

/// An error of the Jinja interpreter, naming the template line and column (1-based, counted in
/// Unicode scalars) of the construct that failed.
public struct JinjaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The family of error.
    public enum Kind: String, Sendable, Equatable {
        /// The template is not valid Jinja (or uses a construct DICEKit does not support).
        case syntax
        /// An undefined value was used where a value is needed (`x.y` of undefined `x`, arithmetic…).
        case undefined
        /// An operation on values of the wrong type (`'a' + 1`, calling a string, …).
        case type
        /// The template called `raise_exception(message)`.
        case raised
        /// The sandbox refused an operation (underscore attributes, list mutation, …).
        case security
        /// A sandbox bound was reached (output size, recursion depth, loop iterations, range size).
        case limit
    }

    /// The family of error.
    public var kind: Kind
    /// What went wrong; for `.raised`, exactly the template's message.
    public var message: String
    /// 1-based line of the failing construct in the template source.
    public var line: Int
    /// 1-based column (Unicode scalars) of the failing construct.
    public var column: Int

    /// An error of `kind` at `line`:`column`.
    public init(_ kind: Kind, _ message: String, line: Int, column: Int) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    /// `chat template line L, column C: message` (with the kind for errors other than `.raised`).
    public var description: String {
        let what = kind == .raised ? "raise_exception" : "\(kind.rawValue) error"
        return "chat template line \(line), column \(column): \(what): \(message)"
    }
}

/// A 1-based line and column in a template source.
struct JinjaPosition: Sendable, Equatable {
    var line: Int
    var column: Int

    /// An error of `kind` at this position.
    func error(_ kind: JinjaError.Kind, _ message: String) -> JinjaError {
        JinjaError(kind, message, line: line, column: column)
    }
}
