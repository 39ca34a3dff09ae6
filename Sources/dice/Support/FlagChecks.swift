// FlagChecks: numeric flags checked before any work, and the library's settings errors
// reported under the flag that set them — one line "FLAG VALUE: expected …".

import ArgumentParser
import DICEKit

/// Range checks for command-line values, and the map from the library's setting names to flags.
enum FlagChecks {
    /// The error for `flag` given `value`: "FLAG VALUE: expected EXPECTED".
    static func error(_ flag: String, _ value: Any, _ expected: String) -> ValidationError {
        ValidationError("\(flag) \(value): expected \(expected)")
    }

    /// Throws `error(flag, value, expected)` unless `condition` holds.
    static func require(_ condition: Bool, _ flag: String, _ value: Any, _ expected: String) throws {
        guard condition else { throw error(flag, value, expected) }
    }

    /// Checks an optional count flag (nil: not given) against `minimum`.
    static func require(_ value: Int?, atLeast minimum: Int, _ flag: String, _ expected: String? = nil) throws {
        guard let value else { return }
        try require(value >= minimum, flag, value, expected ?? "a number ≥ \(minimum)")
    }

    /// Runs `body`, reporting `DICEError.invalidParameter` and `GenerationError.invalidParameter`
    /// whose setting `flags` names under that flag (other errors pass through unchanged).
    static func naming<T>(_ flags: [String: String], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let DICEError.invalidParameter(name, value, expected) {
            guard let flag = flags[name] else { throw DICEError.invalidParameter(name: name, value: value, expected: expected) }
            throw error(flag, value, expected)
        } catch let GenerationError.invalidParameter(name, value, expected) {
            guard let flag = flags[name] else {
                throw GenerationError.invalidParameter(name: name, value: value, expected: expected)
            }
            throw error(flag, value, expected)
        }
    }

    /// The flags of the DICE settings (`DICEError.invalidParameter`'s names) of `dice bootstrap`.
    static let diceFlags = [
        "rounds": "--rounds", "samples": "--samples", "gamma": "--gamma", "beta": "--beta", "alpha": "--alpha",
        "min-valid": "--min-valid", "scoring batch size": "--scoring-batch-size",
    ]

    /// The flags of the generation settings (`GenerationError.invalidParameter`'s names); the
    /// batch of sequences decoded together is `batchFlag`.
    static func generationFlags(batchFlag: String) -> [String: String] {
        ["samples": "--samples", "max-new-tokens": "--max-new-tokens", "batch-size": batchFlag,
         "temperature": "--temperature", "top-p": "--top-p", "top-k": "--top-k", "min-p": "--min-p",
         "repetition-penalty": "--repetition-penalty", "stop string": "--stop"]
    }
}
