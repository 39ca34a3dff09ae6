// HostTensor: a named weight as files hold it — a shape and row-major Float32 values in host
// memory. It is the currency between the formats and the model code (which copies it into
// backend buffers); it does no arithmetic.

/// A tensor in host memory: `shape` and its row-major Float32 `values`.
///
/// Invariant (checked by `init` with a precondition, and again by every writer with a thrown
/// `FormatError.invalidTensor`): `values.count` equals the product of `shape` (1 for a scalar,
/// `shape == []`).
public struct HostTensor: Sendable, Hashable {
    /// Dimensions, outermost first (Hugging Face / PyTorch order: a Linear weight is [out, in]).
    public var shape: [Int]
    /// Row-major values; `values.count == elementCount`.
    public var values: [Float]

    /// A tensor of `shape` holding `values`; `precondition`s that the count matches.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(values.count == shape.reduce(1, *),
                     "\(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// The number of elements the shape describes (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
}
