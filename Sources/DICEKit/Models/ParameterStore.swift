/// All of a model's parameters in one flat allocation, with named views (llm.c style).
///
/// Gradients mirror the values in a second flat buffer of the same layout, so an optimizer
/// update or a global norm is one pass over one slice. Names are the Hugging Face names.
///
/// A store made with `trainable: false` is *frozen*: it never has gradients (a DPO reference,
/// a model that only samples or scores, the base under a LoRA adapter). On a `CPUBackend` with
/// `dtype == .bf16` a frozen store keeps its matrices (every parameter of rank ≥ 2: projections,
/// embedding tables, the output head) only in bfloat16 — 2 bytes per parameter instead of 4
/// for the Float32 values plus 2 for their bfloat16 copy — and its vectors (norm weights,
/// biases) in Float32; see `ParameterStore+BF16.swift`.
public final class ParameterStore {
    /// One named parameter: its shape and where it lives in the flat buffers.
    public struct Entry: Sendable, Hashable {
        /// The parameter's Hugging Face name, e.g. `model.layers.0.mlp.up_proj.weight`.
        public let name: String
        /// Its shape, row-major, e.g. `[I, C]` for an up projection.
        public let shape: [Int]
        /// Where its first element lies in the flat value and gradient buffers, in elements.
        /// Offsets ascend in `entries` order, except in a compact store (see `isCompact`),
        /// which lays its vectors out first.
        public let offset: Int
        /// The number of elements: the product of `shape`.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The backend that holds the value and gradient buffers.
    public let backend: any Backend
    /// The parameters in the order they were declared.
    public let entries: [Entry]
    /// Whether the parameters can be trained (have gradients); false: frozen.
    public let trainable: Bool
    /// Total number of Float32 parameters.
    public let count: Int
    /// The flat values.
    public let values: BufferSlice
    private var gradientBuffer: BufferSlice?
    private let index: [String: Int]
    /// The LoRA adapter the layers reading this store add to their linear layers (nil: the
    /// weights alone). While one is attached the store's own values are frozen: a backward pass
    /// adds gradients to the adapter and none here. Set by `TransformerLM.adapter`.
    var adapter: LoRAAdapter?
    /// The key of the adapter's dropout masks in a training pass (nil: no dropout, as in
    /// inference); the forward and its backward use the same key.
    var dropoutKey: UInt64?

    /// Allocates zeroed storage for the given named shapes. `trainable: false` makes a frozen
    /// store (no gradients), which a `.bf16` `CPUBackend` holds compactly: vectors (rank < 2)
    /// first in Float32, then the matrices in bfloat16 only (`isCompact`).
    /// - Throws: `BackendError.allocationFailed`; `ModelError.invalidSpec` for duplicate names.
    public init(shapes: [(name: String, shape: [Int])], on backend: any Backend, trainable: Bool = true) throws {
        let cpu = backend as? CPUBackend
        let compact = !trainable && cpu?.dtype == .bf16
        var counts: [Int] = []
        var index: [String: Int] = [:]
        for (name, shape) in shapes {
            guard index[name] == nil else { throw ModelError.invalidSpec("duplicate parameter \(name)") }
            index[name] = counts.count
            counts.append(try Tensor.elementCount(shape, operation: "ParameterStore"))
        }
        // Vectors before matrices in a compact store, declaration order within each group.
        let order = compact ? shapes.indices.filter { shapes[$0].shape.count < 2 } + shapes.indices.filter { shapes[$0].shape.count >= 2 }
            : Array(shapes.indices)
        var offsets = [Int](repeating: 0, count: shapes.count)
        var offset = 0, fp32Count = 0
        for i in order {
            offsets[i] = offset
            offset += counts[i]
            if shapes[i].shape.count < 2 { fp32Count = offset }
        }
        self.backend = backend
        self.entries = shapes.indices.map { Entry(name: shapes[$0].name, shape: shapes[$0].shape, offset: offsets[$0]) }
        self.count = offset
        self.index = index
        self.trainable = trainable
        if compact, let cpu {
            self.values = BufferSlice(try cpu.allocateCompact(offset, fp32Count: fp32Count))
        } else {
            self.values = BufferSlice(try backend.allocate(offset))
        }
    }

    /// The entry called `name`.
    /// - Throws: `ModelError.missingParameter`.
    public func entry(_ name: String) throws -> Entry {
        guard let i = index[name] else { throw ModelError.missingParameter(name: name) }
        return entries[i]
    }

    /// Whether a parameter called `name` exists.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// The value view of a parameter.
    public func value(_ entry: Entry) -> Tensor {
        // The entry's range lies inside `values` by construction.
        Tensor(unchecked: entry.shape, storage: values.slice(entry.offset, entry.count), backend: backend)
    }

    /// The gradient buffer, allocated (zeroed) on first use.
    /// - Throws: `BackendError.allocationFailed`; `ModelError.frozenParameters` for a frozen store.
    public func gradients() throws -> BufferSlice {
        if let g = gradientBuffer { return g }
        guard trainable else { throw ModelError.frozenParameters }
        let g = BufferSlice(try backend.allocate(count))
        gradientBuffer = g
        return g
    }

    /// The gradient view of a parameter (allocating the gradient buffer on first use).
    public func gradient(_ entry: Entry) throws -> Tensor {
        Tensor(unchecked: entry.shape, storage: try gradients().slice(entry.offset, entry.count),
               backend: backend)
    }

    /// Zeroes all gradients.
    public func zeroGradients() throws { backend.fill(try gradients(), with: 0) }

    /// Frees the gradient buffer (a frozen reference model needs none).
    public func releaseGradients() { gradientBuffer = nil }

    /// Whether the gradient buffer is allocated (a base under a LoRA adapter never allocates it).
    var hasGradients: Bool { gradientBuffer != nil }

    /// Sets a parameter's values from the host (in a compact store's matrices: rounded once to
    /// bfloat16, nearest even).
    /// - Throws: `ModelError.parameterShape` when `values.count` disagrees with the shape.
    public func set(_ name: String, _ values: [Float]) throws {
        let e = try entry(name)
        guard values.count == e.count else {
            throw ModelError.parameterShape(name: name, expected: e.shape, actual: [values.count])
        }
        backend.upload(values, to: self.values.slice(e.offset, e.count))
    }

    /// A parameter's values on the host (a compact store's matrices widened from bfloat16,
    /// exactly).
    /// - Throws: `ModelError.missingParameter`.
    public func get(_ name: String) throws -> [Float] {
        let e = try entry(name)
        return backend.download(values.slice(e.offset, e.count))
    }
}
