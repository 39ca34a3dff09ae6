// A ParameterStore's bfloat16 storage on a `.bf16` CPUBackend.
//
// The rule: a *trainable* store keeps Float32 masters (what optimizers update) plus a bfloat16
// copy of all of them that the matrix products read, refreshed before every pass (6 bytes per
// parameter). A *frozen* store (`trainable: false`) is *compact*: its matrices (rank ≥ 2:
// projections, embedding tables, the output head; read only by matrix products and embedding
// lookups) exist only as bfloat16 (2 bytes per parameter, rounded once when set, or copied as
// they are from a BF16 file), its vectors (norm weights, biases: a few thousand values per
// layer, read by Float32 kernels) stay Float32. Reading a compact matrix back (`get`, saving)
// gives its bfloat16 values widened to Float32, exactly.

extension ParameterStore {
    /// Refreshes the bfloat16 copy of the values from the Float32 masters (creating it the
    /// first time), so that bfloat16 products read the current weights. A no-op unless the
    /// backend is a `CPUBackend` with `dtype == .bf16`; in a compact store only the Float32
    /// vectors are converted. `TransformerLM` calls it at the start of every forward pass over
    /// a batch and of every generation (`makeCache`), so writes to the values between passes
    /// (optimizer updates, restored checkpoints) are always seen.
    public func refreshBF16() {
        (backend as? CPUBackend)?.refreshBF16(values)
    }

    /// Whether the matrices are held only in bfloat16 (a frozen store on a `.bf16` `CPUBackend`).
    public var isCompact: Bool {
        (values.buffer as? CPUBuffer)?.isCompact ?? false
    }

    /// Host bytes the values occupy on a `CPUBackend`: the Float32 storage (page-rounded) plus
    /// any bfloat16 storage (the copy a trainable `.bf16` store makes at its first pass, or a
    /// compact store's matrices). On other backends, 4 bytes per parameter. Gradients are not
    /// counted.
    public var storedBytes: Int {
        (backend as? CPUBackend)?.storedBytes(values) ?? count * MemoryLayout<Float>.stride
    }

    /// Sets a parameter from bfloat16 `bits` (the upper halves of Float32 values, as BF16
    /// safetensors hold them): copied as they are into a compact store's matrices, widened
    /// (exactly) elsewhere.
    /// - Throws: `ModelError.missingParameter`; `ModelError.parameterShape` when `bits.count`
    ///   disagrees with the shape.
    public func setBFloat16(_ name: String, _ bits: [UInt16]) throws {
        let e = try entry(name)
        guard bits.count == e.count else {
            throw ModelError.parameterShape(name: name, expected: e.shape, actual: [bits.count])
        }
        let slice = values.slice(e.offset, e.count)
        if let cpu = backend as? CPUBackend {
            bits.withUnsafeBufferPointer { cpu.uploadBFloat16($0, to: slice) }
        } else {
            backend.upload(bits.map { float(fromBFloat16Bits: $0) }, to: slice)
        }
    }
}
