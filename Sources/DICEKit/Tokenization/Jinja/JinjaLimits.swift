// JinjaLimits — the sandbox bounds of one template render.

import Foundation

/// Bounds that keep a hostile or broken template from exhausting memory, stack or time.
/// Exceeding one throws `JinjaError` of kind `.limit` naming the construct.
public struct JinjaLimits: Sendable, Equatable {
    /// Most Unicode scalars a render may produce, counting captured output (macros, `set` blocks)
    /// and the size of any single string or list value built by the template.
    public var maxOutput: Int
    /// Most nested macro calls, `caller()` calls and statement blocks being executed at once.
    public var maxDepth: Int
    /// Most loop iterations (all `for` loops of the render together).
    public var maxIterations: Int
    /// Longest list `range()` may build (Jinja's sandbox uses 100 000).
    public var maxRange: Int
    /// Deepest expression or statement nesting the parser accepts.
    public var maxNesting: Int

    /// The defaults: 8 Mi scalars of output, depth 64, 1 000 000 iterations, ranges of 100 000,
    /// nesting 200.
    public init(maxOutput: Int = 8 << 20, maxDepth: Int = 64, maxIterations: Int = 1_000_000,
                maxRange: Int = 100_000, maxNesting: Int = 200) {
        self.maxOutput = maxOutput
        self.maxDepth = maxDepth
        self.maxIterations = maxIterations
        self.maxRange = maxRange
        self.maxNesting = maxNesting
    }
}

/// Everything a render reads besides the template and its variables.
public struct JinjaOptions: Sendable {
    /// Sandbox bounds.
    public var limits: JinjaLimits
    /// The clock `strftime_now` reads (inject a fixed date for reproducible renderings).
    public var now: @Sendable () -> Date
    /// The time zone `strftime_now` formats in (transformers uses the local time).
    public var timeZone: TimeZone

    /// Options with `limits`, the system clock and the current time zone unless given.
    public init(limits: JinjaLimits = JinjaLimits(), now: @escaping @Sendable () -> Date = { Date() },
                timeZone: TimeZone = .current) {
        self.limits = limits
        self.now = now
        self.timeZone = timeZone
    }
}
