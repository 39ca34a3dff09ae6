// The kit's list of checks. A test target runs all of them on its backend with one
// parameterised test:
//
//     @Test(arguments: ConformanceCase.all)
//     func conformance(_ check: ConformanceCase) throws { try check.run(on: .cpu) }
//
// A new kernel check is added here once (to its file's `cases`) and every backend's target
// runs it.

import DICEKit
import Testing

/// One check of the conformance kit, runnable on any backend.
public struct ConformanceCase: Sendable, CustomTestStringConvertible {
    /// The file the check comes from, e.g. `"forward"`, `"gradient"`.
    public let group: String
    /// What it checks, with its arguments.
    public let name: String
    private let check: @Sendable (BackendUnderTest) throws -> Void

    /// A check named `name` in `group`.
    init(_ group: String, _ name: String, _ check: @escaping @Sendable (BackendUnderTest) throws -> Void) {
        self.group = group
        self.name = name
        self.check = check
    }

    /// One case per argument: `name — argument`.
    static func each<Argument: Sendable>(
        _ group: String, _ name: String, _ arguments: [Argument],
        _ check: @escaping @Sendable (Argument, BackendUnderTest) throws -> Void
    ) -> [ConformanceCase] {
        arguments.map { argument in
            let label = (argument as? any CustomTestStringConvertible)?.testDescription
                ?? String(describing: argument)
            return ConformanceCase(group, "\(name) — \(label)") { try check(argument, $0) }
        }
    }

    public var testDescription: String { "\(group): \(name)" }

    /// Runs the check on `backend`; failed expectations are recorded as issues of the running
    /// test.
    /// - Throws: what the check throws (a backend that cannot be made, a tensor error).
    public func run(on backend: BackendUnderTest) throws {
        try check(backend)
    }

    /// Every check of the kit: kernel forwards, gradients, prefix attention, optimizers and the
    /// shape checks of the `Tensor` entry points.
    public static let all: [ConformanceCase] =
        ForwardConformance.cases + GradientConformance.cases + PrefixAttentionConformance.cases
        + OptimizerConformance.cases + TensorShapeConformance.cases
}
