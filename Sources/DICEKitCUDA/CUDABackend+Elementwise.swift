import CCUDAShim
import DICEKit

// Elementwise arithmetic, reductions, bias and embedding kernels on the GPU.

extension CUDABackend {
    /// `out = a + b` elementwise (one count; `out` may alias an input).
    public func add(_ a: BufferSlice, _ b: BufferSlice, into out: BufferSlice) {
        precondition(a.count == b.count && a.count == out.count, "add of unequal counts")
        launch(.add, elements: a.count, [.pointer(address(a)), .pointer(address(b)), .pointer(address(out)), .int64(a.count)])
    }

    /// `x *= alpha` in place.
    public func scale(_ x: BufferSlice, by alpha: Float) {
        launch(.scale, elements: x.count, [.pointer(address(x)), .int64(x.count), .float(alpha)])
    }

    /// `y += alpha · x` (one count).
    public func axpy(_ alpha: Float, _ x: BufferSlice, _ y: BufferSlice) {
        precondition(x.count == y.count, "axpy of unequal counts")
        launch(.axpy, elements: x.count, [.float(alpha), .pointer(address(x)), .pointer(address(y)), .int64(x.count)])
    }

    /// Σ x in Double: one partial sum per block (at most 1024 blocks), added on the host in block
    /// order, so the result does not depend on scheduling.
    public func sum(_ x: BufferSlice) -> Double { reduce(x, squares: false) }

    /// Σ x², accumulated as `sum(_:)` is.
    public func sumOfSquares(_ x: BufferSlice) -> Double { reduce(x, squares: true) }

    /// Σ x or Σ x² in Double: one partial sum per block, added on the host in block order.
    private func reduce(_ x: BufferSlice, squares: Bool) -> Double {
        guard x.count > 0 else { return 0 }
        let blocks = min((x.count + 255) / 256, 1024)
        let partials = scratch(2 * blocks)
        launch(.partialSums, grid: (blocks, 1), block: (256, 1),
               [.pointer(address(x)), .int64(x.count), .int32(squares ? 1 : 0), .pointer(partials.address)])
        return copyToHost(partials.address, count: blocks, as: Double.self).reduce(0, +)
    }

    /// `x[r, :] += bias` for every row: x `[R, C]`, bias `[C]`.
    public func addBias(_ x: BufferSlice, _ bias: BufferSlice, rows: Int, columns: Int) {
        precondition(x.count >= rows * columns && bias.count >= columns, "addBias shapes")
        launch(.addBias, elements: rows * columns,
               [.pointer(address(x)), .pointer(address(bias)), .int64(rows), .int32(columns)])
    }

    /// `dbias += Σ_r dy[r, :]` in two deterministic stages (partial sums per chunk of 64 rows, then
    /// their sum in chunk order): dy `[R, C]`, dbias `[C]`.
    public func sumRows(_ dy: BufferSlice, into dbias: BufferSlice, rows: Int, columns: Int) {
        precondition(dy.count >= rows * columns && dbias.count >= columns, "sumRows shapes")
        columnSums(mode: 0, a: address(dy), rows: rows, columns: columns, into: address(dbias))
    }

    /// out[c] += Σ_r term(r, c) in two deterministic stages (see dk_column_partials): mode 0
    /// sums `a`; mode 1 sums a·b·s[r]; mode 2 sums a·(b − m[r])·s[r].
    func columnSums(mode: Int, a: DKCUdeviceptr, b: DKCUdeviceptr = 0, m: DKCUdeviceptr = 0,
                    s: DKCUdeviceptr = 0, rows: Int, columns: Int, into out: DKCUdeviceptr) {
        guard rows > 0 && columns > 0 else { return }
        let chunkRows = 64
        let chunks = (rows + chunkRows - 1) / chunkRows
        let partials = scratch(chunks * columns)
        launch(.columnPartials, grid: ((columns + 31) / 32, chunks), block: (32, 8),
               [.pointer(a), .pointer(b), .pointer(m), .pointer(s), .int32(mode), .int64(rows), .int32(columns),
                .int64(chunkRows), .pointer(partials.address)])
        launch(.columnFinish, elements: columns,
               [.pointer(partials.address), .int32(chunks), .int32(columns), .pointer(out)])
    }

    // MARK: - Embedding

    /// `out[n, :] = table[ids[n], :]`: table `[V, C]`, out `[N, C]`; the ids are copied to the
    /// device, and one outside `0..<V` is a programmer error.
    public func embedding(ids: [Int32], table: BufferSlice, into out: BufferSlice, channels: Int) {
        let vocabulary = table.count / max(channels, 1)
        precondition(out.count >= ids.count * channels, "embedding output too small")
        for id in ids { precondition(id >= 0 && Int(id) < vocabulary, "token id \(id) outside 0..<\(vocabulary)") }
        guard !ids.isEmpty && channels > 0 else { return }
        let deviceIDs = deviceInts(ids)
        launch(.embedding, elements: ids.count * channels,
               [.pointer(deviceIDs.address), .pointer(address(table)), .pointer(address(out)),
                .int64(ids.count), .int32(channels)])
    }

    /// `dtable[ids[n], :] += dout[n, :]` with one thread per channel walking the ids in order, so
    /// repeated ids add deterministically, without atomics.
    public func embeddingBackward(ids: [Int32], dout: BufferSlice, dtable: BufferSlice, channels: Int) {
        let vocabulary = dtable.count / max(channels, 1)
        precondition(dout.count >= ids.count * channels, "embedding gradient too small")
        for id in ids { precondition(id >= 0 && Int(id) < vocabulary, "token id \(id) outside 0..<\(vocabulary)") }
        guard !ids.isEmpty && channels > 0 else { return }
        let deviceIDs = deviceInts(ids)
        launch(.embeddingBackward, elements: channels,
               [.pointer(deviceIDs.address), .pointer(address(dout)), .pointer(address(dtable)),
                .int64(ids.count), .int32(channels)])
    }
}
