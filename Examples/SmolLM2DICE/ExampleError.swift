// ExampleError: what the SmolLM2 example rejects before or while it runs.

/// A problem with the example's options or inputs.
enum ExampleError: Error, CustomStringConvertible {
    /// An option outside its domain.
    case invalidOption(name: String, value: String, expected: String)
    /// An input file that cannot be used.
    case badInput(path: String, reason: String)

    var description: String {
        switch self {
        case let .invalidOption(name, value, expected): return "--\(name) \(value): expected \(expected)"
        case let .badInput(path, reason): return "\(path): \(reason)"
        }
    }
}
