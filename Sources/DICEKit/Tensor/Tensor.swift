/// A shape and a range of a backend's buffer: row-major, contiguous, Float32.
///
/// A `Tensor` is a view: several tensors may share one buffer (the flat parameter storage hands
/// out named views). It carries no autograd graph; layers pair every forward with an explicit
/// backward. Not `Sendable`: it refers to backend memory that one thread drives.
public struct Tensor {
    /// Dimensions, outermost first. `[]` is a scalar.
    public let shape: [Int]
    /// The elements, `shape.reduce(1, *)` of them.
    public let storage: BufferSlice
    /// The backend that owns `storage`.
    public let backend: any Backend

    /// Number of elements.
    public var count: Int { storage.count }

    /// Allocates a zero-filled tensor of `shape` on `backend`.
    /// - Throws: `TensorError.invalidArgument` for negative dimensions or an element count
    ///   that overflows; `BackendError.allocationFailed` when memory runs out.
    public init(zeros shape: [Int], on backend: any Backend) throws {
        let count = try Tensor.elementCount(shape, operation: "Tensor(zeros:)")
        self.shape = shape
        self.storage = BufferSlice(try backend.allocate(count))
        self.backend = backend
    }

    /// A tensor of `shape` whose elements are unspecified: for outputs that a kernel overwrites
    /// entirely (it saves zero-filling the memory). Never read before writing.
    /// - Throws: as `init(zeros:on:)`.
    public init(uninitialized shape: [Int], on backend: any Backend) throws {
        let count = try Tensor.elementCount(shape, operation: "Tensor(uninitialized:)")
        self.shape = shape
        self.storage = BufferSlice(try backend.allocate(count, zeroed: false))
        self.backend = backend
    }

    /// A tensor holding `values` in `shape`.
    /// - Throws: `TensorError.countMismatch` when `values.count` is not the shape's count.
    public init(_ values: [Float], shape: [Int], on backend: any Backend) throws {
        let count = try Tensor.elementCount(shape, operation: "Tensor(values:shape:)")
        guard count == values.count else {
            throw TensorError.countMismatch(operation: "Tensor(values:shape:)", shape: shape,
                                            count: values.count)
        }
        try self.init(uninitialized: shape, on: backend)
        backend.upload(values, to: storage)
    }

    /// A view of `shape` over an existing slice.
    /// - Throws: `TensorError.countMismatch` when the slice does not hold exactly the shape.
    public init(shape: [Int], storage: BufferSlice, backend: any Backend) throws {
        let count = try Tensor.elementCount(shape, operation: "Tensor(shape:storage:)")
        guard count == storage.count else {
            throw TensorError.countMismatch(operation: "Tensor(shape:storage:)", shape: shape,
                                            count: storage.count)
        }
        self.shape = shape
        self.storage = storage
        self.backend = backend
    }

    /// A view whose count the caller guarantees (internal: parameter views, workspace).
    init(unchecked shape: [Int], storage: BufferSlice, backend: any Backend) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) over \(storage.count) elements")
        self.shape = shape
        self.storage = storage
        self.backend = backend
    }

    /// The elements copied to the host, row-major.
    public func toArray() -> [Float] { backend.download(storage) }

    /// The same elements viewed with another shape of equal count.
    /// - Throws: `TensorError.countMismatch`.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, storage: storage, backend: backend)
    }

    /// Rows `range` of the outermost dimension, as a view.
    /// - Throws: `TensorError.invalidArgument` for a scalar or a range outside `0..<shape[0]`.
    public func rows(_ range: Range<Int>) throws -> Tensor {
        guard let first = shape.first, range.lowerBound >= 0, range.upperBound <= first else {
            throw TensorError.invalidArgument(
                operation: "Tensor.rows", reason: "rows \(range) of a tensor of shape \(shape)")
        }
        let inner = shape.dropFirst().reduce(1, *)
        return try Tensor(shape: [range.count] + shape.dropFirst(),
                          storage: storage.slice(range.lowerBound * inner, range.count * inner),
                          backend: backend)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { backend.fill(storage, with: value) }

    /// The element count of `shape`, validated.
    static func elementCount(_ shape: [Int], operation: String) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else {
                throw TensorError.invalidArgument(operation: operation,
                                                  reason: "negative dimension in shape \(shape)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw TensorError.invalidArgument(operation: operation,
                                                  reason: "shape \(shape) overflows Int")
            }
            count = product
        }
        return count
    }
}
