import CBLAS
import CKernels
import Foundation

/// The reference backend: host memory, OpenBLAS `sgemm` for matrix products, SIMD kernels
/// (CKernels) and threaded loops for everything else.
///
/// Threads: the loop kernels use `threads` workers of a `ParallelLoop`; matrix products run
/// one multi-threaded OpenBLAS sgemm on OpenBLAS's own pool, limited to `threads`. The two
/// never run at the same time (each kernel returns only when its work is done), and kernels
/// that call BLAS from inside their own parallel loop run OpenBLAS with one thread for that
/// region, so the machine is never oversubscribed. All BLAS work passes through `BLASGate`, so
/// backends on different threads neither race on OpenBLAS's process-wide thread count nor
/// change each other's results. Which OpenBLAS kernel family runs is `BLASCore`'s concern.
/// Issue one backend's kernels from one thread at a time.
public final class CPUBackend: Backend {
    /// `"cpu"`.
    public let name = "cpu"
    /// Worker threads for loops and for OpenBLAS.
    public let threads: Int
    /// Whether the SIMD kernels (AVX2 or AVX-512, as the CPU supports) run; otherwise their
    /// portable C versions do.
    public let vectorized: Bool
    let loop: ParallelLoop
    let pool: CPUBufferPool
    /// The CKernels level every kernel call passes (`CK_LEVEL_*`).
    let simd: Int32
    /// The input format of the matrix products (`matmul`, `rowwiseMatmul`): `.bf16` rounds
    /// their inputs to bfloat16 and accumulates in Float32 (see `DType` and `bf16Kernels`).
    public let dtype: DType

    /// Creates a CPU backend using `threads` cores (default: all active cores), caching up to
    /// `cachedBytes` of freed buffers for reuse (default: a quarter of physical memory).
    /// `vectorized: false` runs the portable C versions of the SIMD kernels (for comparisons
    /// and tests); results of the two agree to rounding. `dtype: .bf16` runs the matrix products
    /// with bfloat16 inputs and Float32 accumulation (`bf16Kernels` says on what).
    public convenience init(threads: Int? = nil, cachedBytes: Int? = nil, vectorized: Bool = true,
                            dtype: DType = .fp32) {
        self.init(threads: threads, cachedBytes: cachedBytes,
                  simdLevel: vectorized ? Self.bestSIMDLevel : Int(CK_LEVEL_PORTABLE), dtype: dtype)
    }

    /// The highest CKernels level this CPU runs (0 portable, 1 AVX2+FMA, 2 AVX-512).
    static let bestSIMDLevel = Int(ck_best_level())

    /// A backend whose kernels run at CKernels level `simdLevel`, lowered to what the CPU
    /// supports (tests reach the AVX2 versions on AVX-512 machines this way).
    init(threads: Int?, cachedBytes: Int?, simdLevel: Int, dtype: DType = .fp32) {
        let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.threads = n
        self.dtype = dtype
        self.simd = Int32(min(max(simdLevel, 0), Self.bestSIMDLevel))
        self.vectorized = simd != CK_LEVEL_PORTABLE
        self.loop = ParallelLoop(threads: n)
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        self.pool = CPUBufferPool(capacity: cachedBytes ?? memory / 4)
    }

    // MARK: - Buffers

    /// Returns every block the buffer pool caches to the system (see `Backend.releaseCachedMemory()`).
    public func releaseCachedMemory() { pool.releaseCached() }

    /// A `CPUBuffer` of `count` Float32 elements from the buffer cache (64-byte aligned; blocks of
    /// 2 MiB or more advised as transparent huge pages), zeroed by the workers when `zeroed`.
    /// - Throws: `BackendError.allocationFailed` when the memory cannot be had.
    public func allocate(_ count: Int, zeroed: Bool) throws -> any DeviceBuffer {
        let buffer = try CPUBuffer(count: count, pool: pool)
        // Zeroed by the workers (a step's gradient buffers are tens of megabytes).
        if zeroed { fill(BufferSlice(buffer), with: 0) }
        return buffer
    }

    /// The host pointer of a slice of one of this backend's buffers.
    @inline(__always)
    func pointer(_ slice: BufferSlice) -> UnsafeMutablePointer<Float> {
        guard let buffer = slice.buffer as? CPUBuffer else {
            preconditionFailure("buffer of type \(type(of: slice.buffer)) passed to the CPU backend")
        }
        precondition(slice.offset + slice.count <= buffer.fp32Count,
                     "Float32 access to bfloat16-only storage (a frozen .bf16 ParameterStore's matrices are read only by matrix products and embedding lookups)")
        return buffer.base + slice.offset
    }

    /// The Float32 elements of `slice` in place, or nil where its storage is (partly) bfloat16.
    func hostFloats(_ slice: BufferSlice) -> UnsafeMutableBufferPointer<Float>? {
        guard compactBuffer(slice) == nil else { return nil }
        return UnsafeMutableBufferPointer(start: pointer(slice), count: slice.count)
    }

    /// Copies `values` into `destination` (same count; a programmer error otherwise); into
    /// the bfloat16-only part of a compact buffer rounded to nearest even.
    public func upload(_ values: [Float], to destination: BufferSlice) {
        precondition(values.count == destination.count,
                     "upload of \(values.count) values into a slice of \(destination.count)")
        if let buffer = compactBuffer(destination) {
            uploadCompact(values, to: buffer, offset: destination.offset)
            return
        }
        let p = pointer(destination)
        values.withUnsafeBufferPointer { src in
            guard let s = src.baseAddress else { return }
            p.update(from: s, count: values.count)
        }
    }

    /// The elements of `source`, copied into an array (bfloat16-only elements widened, exactly).
    public func download(_ source: BufferSlice) -> [Float] {
        if let buffer = compactBuffer(source) { return downloadCompact(buffer, offset: source.offset, count: source.count) }
        let p = pointer(source)
        return Array(UnsafeBufferPointer(start: p, count: source.count))
    }

    /// Sets every element of `destination` to `value`, in parallel chunks of 64K elements
    /// (bfloat16-only elements to `value` rounded).
    public func fill(_ destination: BufferSlice, with value: Float) {
        if let buffer = compactBuffer(destination) {
            fillCompact(buffer, offset: destination.offset, count: destination.count, with: value)
            return
        }
        let p = pointer(destination)
        loop.forEachChunk(destination.count, grain: 1 << 16) { r in
            (p + r.lowerBound).update(repeating: value, count: r.count)
        }
    }

    /// Copies `source` into `destination` (same count, not overlapping), in parallel chunks;
    /// through the host (`download`, `upload`) when either lies in a compact buffer.
    public func copy(_ source: BufferSlice, to destination: BufferSlice) {
        precondition(source.count == destination.count,
                     "copy of \(source.count) elements into a slice of \(destination.count)")
        if compactBuffer(source) != nil || compactBuffer(destination) != nil {
            upload(download(source), to: destination)
            return
        }
        let s = pointer(source), d = pointer(destination)
        loop.forEachChunk(source.count, grain: 1 << 16) { r in
            (d + r.lowerBound).update(from: s + r.lowerBound, count: r.count)
        }
    }

    /// Copies (or with `accumulate` adds) a `rows × columns` block between row-strided layouts,
    /// rows split over the workers.
    public func copy2D(_ source: BufferSlice, sourceStride: Int, to destination: BufferSlice,
                       destinationStride: Int, rows: Int, columns: Int, accumulate: Bool) {
        guard rows > 0 && columns > 0 else { return }
        precondition(columns <= sourceStride && columns <= destinationStride
                     && (rows - 1) * sourceStride + columns <= source.count
                     && (rows - 1) * destinationStride + columns <= destination.count,
                     "copy2D block \(rows)×\(columns) outside its slices")
        let s = pointer(source), d = pointer(destination)
        loop.forEachChunk(rows, grain: max(1, 8192 / columns)) { r in
            for row in r {
                let src = s + row * sourceStride, dst = d + row * destinationStride
                if accumulate {
                    for c in 0..<columns { dst[c] += src[c] }
                } else {
                    dst.update(from: src, count: columns)
                }
            }
        }
    }

    // MARK: - Matrix multiply

    /// Batched row-major GEMM `C_b = alpha · op(A_b) · op(B_b) + beta · C_b` (see
    /// `Backend.matmul`): one OpenBLAS `cblas_sgemm` per matrix of the batch, each on OpenBLAS's
    /// own `threads` threads. With `dtype == .bf16` (and alpha 1, beta 0 or 1) each product
    /// takes bfloat16 inputs instead, accumulated in Float32 (`bf16Kernels`).
    public func matmul(_ a: BufferSlice, transposeA: Bool, _ b: BufferSlice, transposeB: Bool,
                       _ c: BufferSlice, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                       batch: Int, strideA: Int, strideB: Int, strideC: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0 && batch >= 0, "negative matmul dimension")
        if batch > 0 {
            let lastA = (batch - 1) * strideA, lastB = (batch - 1) * strideB
            let lastC = (batch - 1) * strideC
            precondition(lastA + m * k <= a.count && lastB + k * n <= b.count
                         && lastC + m * n <= c.count,
                         "matmul operands smaller than \(batch)×(\(m)×\(k) · \(k)×\(n))")
        }
        if dtype == .bf16 && alpha == 1 && (beta == 0 || beta == 1) {
            for i in 0..<batch {
                bf16Matmul(a, offset: i * strideA, transposeA: transposeA, b, offset: i * strideB,
                           transposeB: transposeB, pointer(c) + i * strideC, m: m, n: n, k: k, accumulate: beta == 1)
            }
            return
        }
        let pa = pointer(a), pb = pointer(b), pc = pointer(c)
        BLASGate.shared.run(threads: threads) {
            for i in 0..<batch {
                CPUBackend.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                 alpha: alpha, pa + i * strideA, lda: transposeA ? m : k,
                                 pb + i * strideB, ldb: transposeB ? k : n,
                                 beta: beta, pc + i * strideC, ldc: n)
            }
        }
    }

    /// `ck_gemm_nt` (no packing of either operand, so it beats sgemm at decoding's few rows),
    /// with the output columns split over the workers; every element's instruction sequence
    /// is independent of `rows` and of the split. With `dtype == .bf16`, `ck_gemm_nt_bf16` on
    /// bfloat16 inputs (the weight's `ParameterStore` copy), with the same independence.
    public func rowwiseMatmul(_ x: BufferSlice, weight: BufferSlice, into y: BufferSlice,
                              rows: Int, inputs: Int, outputs: Int) {
        precondition(rows >= 0 && inputs >= 0 && outputs >= 0
                     && x.count >= rows * inputs && weight.count >= outputs * inputs
                     && y.count >= rows * outputs, "rowwiseMatmul operands smaller than \(rows)×\(inputs) · (\(outputs)×\(inputs))ᵀ")
        if dtype == .bf16 {
            bf16Rowwise(x, weight: weight, into: pointer(y), rows: rows, inputs: inputs, outputs: outputs)
            return
        }
        let px = pointer(x), pw = pointer(weight), py = pointer(y), level = simd
        // Chunks of at least 48 columns, and of 64K multiply-adds: below that the thread
        // start-up costs more than the work. Up to four per thread, claimed as threads get free.
        loop.forEachChunk(outputs, grain: max(48, 65536 / max(1, rows * inputs)), chunksPerThread: 4) { r in
            ck_gemm_nt(level, Int64(rows), Int64(r.lowerBound), Int64(r.upperBound), Int64(inputs), 1,
                       px, Int64(inputs), pw, Int64(inputs), 0, py, Int64(outputs))
        }
    }

    /// See `Backend.rowwiseMatmul(_:inOutWeight:into:rows:inputs:outputs:)`: ck_gemm_nn_rowwise
    /// over column chunks (each element one fused multiply-add chain, whatever the rows and the
    /// split). A `.bf16` backend runs its bfloat16 `matmul` (not row-wise).
    public func rowwiseMatmul(_ x: BufferSlice, inOutWeight weight: BufferSlice, into y: BufferSlice,
                              rows: Int, inputs: Int, outputs: Int) {
        precondition(rows >= 0 && inputs >= 0 && outputs >= 0
                     && x.count >= rows * inputs && weight.count >= outputs * inputs
                     && y.count >= rows * outputs, "rowwiseMatmul operands smaller than \(rows)×\(inputs) · \(inputs)×\(outputs)")
        if dtype == .bf16 {
            matmul(x, transposeA: false, weight, transposeB: false, y, m: rows, n: outputs, k: inputs,
                   alpha: 1, beta: 0, batch: 1, strideA: 0, strideB: 0, strideC: 0)
            return
        }
        let px = pointer(x), pw = pointer(weight), py = pointer(y), level = simd
        loop.forEachChunk(outputs, grain: max(48, 65536 / max(1, rows * inputs)), chunksPerThread: 4) { r in
            ck_gemm_nn_rowwise(level, Int64(rows), Int64(r.lowerBound), Int64(r.upperBound), Int64(inputs),
                               px, Int64(inputs), pw, Int64(outputs), py, Int64(outputs))
        }
    }

    /// Row-major `cblas_sgemm` with explicit leading dimensions (strided head views).
    @inline(__always)
    static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Runs `body` with OpenBLAS limited to one thread (through `BLASGate`), for regions that
    /// call BLAS from several of the backend's own workers at once.
    func withSingleThreadedBLAS(_ body: () -> Void) {
        BLASGate.shared.run(threads: 1, body)
    }

    // MARK: - Elementwise and reductions

    /// `out = a + b` elementwise (one count; `out` may alias an input).
    public func add(_ a: BufferSlice, _ b: BufferSlice, into out: BufferSlice) {
        precondition(a.count == b.count && a.count == out.count, "add of unequal counts")
        let pa = pointer(a), pb = pointer(b), po = pointer(out)
        loop.forEachChunk(a.count, grain: 1 << 15) { r in
            for i in r { po[i] = pa[i] + pb[i] }
        }
    }

    /// `x *= alpha` in place.
    public func scale(_ x: BufferSlice, by alpha: Float) {
        let p = pointer(x)
        loop.forEachChunk(x.count, grain: 1 << 15) { r in
            for i in r { p[i] *= alpha }
        }
    }

    /// `y += alpha · x` (one count).
    public func axpy(_ alpha: Float, _ x: BufferSlice, _ y: BufferSlice) {
        precondition(x.count == y.count, "axpy of unequal counts")
        let px = pointer(x), py = pointer(y)
        loop.forEachChunk(x.count, grain: 1 << 15) { r in
            for i in r { py[i] += alpha * px[i] }
        }
    }

    /// Σ x in Double lanes (SIMD), one partial sum per chunk added in chunk order: the same bits
    /// for the same thread count.
    public func sum(_ x: BufferSlice) -> Double {
        reduce(x, squares: false)
    }

    /// Σ x², accumulated as `sum(_:)` is.
    public func sumOfSquares(_ x: BufferSlice) -> Double {
        reduce(x, squares: true)
    }

    /// Σ over one partial sum per chunk (each from `ck_sum`/`ck_sum_squares`, in Double
    /// lanes), added in chunk order (deterministic for a thread count).
    private func reduce(_ x: BufferSlice, squares: Bool) -> Double {
        let p = pointer(x), level = simd
        let chunks = max(1, min(threads, x.count / (1 << 15)))
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { parts in
            guard let out = parts.baseAddress else { return }
            loop.forEach(chunks) { c in
                let lower = x.count * c / chunks, count = x.count * (c + 1) / chunks - lower
                out[c] = squares ? ck_sum_squares(level, p + lower, Int64(count))
                    : ck_sum(level, p + lower, Int64(count))
            }
        }
        return partial.reduce(0, +)
    }

    /// `x[r, :] += bias` for every row: x `[R, C]`, bias `[C]`, rows split over the workers.
    public func addBias(_ x: BufferSlice, _ bias: BufferSlice, rows: Int, columns: Int) {
        precondition(x.count >= rows * columns && bias.count >= columns, "addBias shapes")
        let px = pointer(x), pb = pointer(bias)
        loop.forEachChunk(rows, grain: max(1, 4096 / max(columns, 1))) { r in
            for row in r {
                let xr = px + row * columns
                for c in 0..<columns { xr[c] += pb[c] }
            }
        }
    }

    /// `dbias += Σ_r dy[r, :]`: dy `[R, C]`, dbias `[C]`; each worker owns a range of columns, so rows
    /// are added in order.
    public func sumRows(_ dy: BufferSlice, into dbias: BufferSlice, rows: Int, columns: Int) {
        precondition(dy.count >= rows * columns && dbias.count >= columns, "sumRows shapes")
        let py = pointer(dy), pb = pointer(dbias)
        loop.forEachChunk(columns, grain: 64) { cols in
            for row in 0..<rows {
                let yr = py + row * columns
                for c in cols { pb[c] += yr[c] }
            }
        }
    }

    // MARK: - Embedding

    /// `out[n, :] = table[ids[n], :]`: table `[V, C]`, out `[N, C]`; an id outside `0..<V` is a
    /// programmer error (the `Tensor` layer checks ids first). A table in bfloat16-only storage
    /// (a frozen `.bf16` store) gives its rows widened to Float32 (exactly).
    public func embedding(ids: [Int32], table: BufferSlice, into out: BufferSlice, channels: Int) {
        let vocabulary = table.count / max(channels, 1)
        precondition(out.count >= ids.count * channels, "embedding output too small")
        if let buffer = compactBuffer(table) {
            compactEmbedding(ids: ids, table: buffer, offset: table.offset, vocabulary: vocabulary,
                             into: pointer(out), channels: channels)
            return
        }
        let pt = pointer(table), po = pointer(out)
        ids.withUnsafeBufferPointer { ids in
            loop.forEachChunk(ids.count, grain: 64) { r in
                for n in r {
                    let id = Int(ids[n])
                    precondition(id >= 0 && id < vocabulary, "token id \(id) outside 0..<\(vocabulary)")
                    (po + n * channels).update(from: pt + id * channels, count: channels)
                }
            }
        }
    }

    /// `dtable[ids[n], :] += dout[n, :]` (scatter-add): each worker owns a range of channels, so
    /// repeated ids never race.
    public func embeddingBackward(ids: [Int32], dout: BufferSlice, dtable: BufferSlice,
                                  channels: Int) {
        let vocabulary = dtable.count / max(channels, 1)
        precondition(dout.count >= ids.count * channels, "embedding gradient too small")
        let pd = pointer(dout), pt = pointer(dtable)
        ids.withUnsafeBufferPointer { ids in
            // Each worker owns a range of channels, so repeated ids never race.
            loop.forEachChunk(channels, grain: 32) { cols in
                for n in 0..<ids.count {
                    let id = Int(ids[n])
                    precondition(id >= 0 && id < vocabulary, "token id \(id) outside 0..<\(vocabulary)")
                    let src = pd + n * channels, dst = pt + id * channels
                    for c in cols { dst[c] += src[c] }
                }
            }
        }
    }
}
