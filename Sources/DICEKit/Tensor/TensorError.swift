/// Errors from the shape-checked `Tensor` operations. Each names the operation and what it got.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Two operands' shapes disagree: `expected` is what `operation` needed given the other
    /// operand, `actual` is what it got.
    case shapeMismatch(operation: String, expected: [Int], actual: [Int])
    /// A shape's element count differs from the storage it is laid on.
    case countMismatch(operation: String, shape: [Int], count: Int)
    /// An index (token id, target, position) at `position` is outside `0..<bound`.
    case indexOutOfRange(operation: String, index: Int, position: Int, bound: Int)
    /// Any other invalid argument, explained.
    case invalidArgument(operation: String, reason: String)
    /// The operands live on different backends.
    case backendMismatch(operation: String)

    /// One line for the terminal: what is wrong and, where it applies, the file and line or
    /// the setting, and what was expected.
    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, actual):
            return "\(op): expected shape \(expected), got \(actual)"
        case let .countMismatch(op, shape, count):
            return "\(op): shape \(shape) needs \(shape.reduce(1, *)) elements, storage has \(count)"
        case let .indexOutOfRange(op, index, position, bound):
            return "\(op): index \(index) at position \(position) is outside 0..<\(bound)"
        case let .invalidArgument(op, reason):
            return "\(op): \(reason)"
        case let .backendMismatch(op):
            return "\(op): operands live on different backends"
        }
    }
}
