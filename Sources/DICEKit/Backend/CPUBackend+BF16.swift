import CDNNLShim
import CKernels

// The CPU backend's bfloat16 matrix products (`dtype == .bf16`): inputs rounded to bfloat16
// (weights read from their `ParameterStore`'s bfloat16 copy), Float32 accumulation.
//
// Two engines, measured on the shapes that matter (SmolLM2: hidden 576, MLP 1536; 16–1000
// rows; one thread, CPU time, Zen 4 with AVX512-BF16): oneDNN 2.6's matmul
// (brg:avx512_core_bf16) 183–209 GFLOP/s, CKernels' ck_gemm_nt_bf16 174–203 (and faster at
// 16 rows), Float32 ck_gemm_nt 101–106. General products (training, scoring) use oneDNN when
// libdnnl.so.2 loads, since it reads transposed operands in place; decoding's row-wise
// products always use ck_gemm_nt_bf16, whose rows do not depend on the batch. On an AVX2-only
// AMD EPYC (no AVX-512, no AVX512-BF16; 2026-12-07, one thread, loaded machine) bf16 products
// run CKernels' AVX2 path (bfloat16 widened, then the Float32 kernel): 43–64 GFLOP/s against
// OpenBLAS's Float32 sgemm at 85–140, and SmolLM2 sampling at the Float32 speed (27 s against
// 25 s for 16 prompts × 4 × 64 tokens; 67–70 s before, when the portable C kernel ran them).

extension CPUBackend {
    /// Whether this CPU has AVX512-BF16 (VDPBF16PS). Without it `.bf16` still runs, on
    /// slower emulation (`bf16Kernels` says which); results agree to rounding.
    public static var nativeBF16: Bool { bf16Native }

    private static let bf16Native = ck_bf16_supported() != 0
    /// Whether oneDNN (libdnnl.so.2) loaded and runs the general bfloat16 products: only on
    /// CPUs with AVX-512, where its bfloat16 matmul has kernels (on an AVX2-only AMD EPYC it
    /// refused every product and CKernels ran them after the failed attempt).
    static let oneDNN = bestSIMDLevel >= Int(CK_LEVEL_AVX512) && dk_dnnl_available() != 0

    /// What runs this backend's bfloat16 matrix products, e.g. `"oneDNN + CKernels AVX512-BF16"`,
    /// or a sentence saying that the CPU lacks AVX512-BF16 and which fallback runs (the `dice`
    /// commands print it as a one-line notice); nil for an `.fp32` backend.
    public var bf16Kernels: String? {
        guard dtype == .bf16 else { return nil }
        let own = bf16Level == CK_LEVEL_AVX512_BF16 ? "CKernels AVX512-BF16"
            : bf16Level == CK_LEVEL_AVX512 ? "CKernels AVX-512 (bfloat16 widened to Float32)"
            : bf16Level == CK_LEVEL_AVX2 ? "CKernels AVX2 (bfloat16 widened to Float32)" : "CKernels portable C"
        let engine = Self.oneDNN ? "oneDNN + \(own)" : own
        return Self.nativeBF16 ? engine
            : "this CPU lacks AVX512-BF16: bf16 matrix products run on the slower fallback (\(engine))"
    }

    /// The CKernels level of ck_gemm_nt_bf16: AVX512-BF16 where the CPU has it (and the backend
    /// is vectorized), else the backend's own level.
    var bf16Level: Int32 {
        simd >= CK_LEVEL_AVX512 && Self.nativeBF16 ? CK_LEVEL_AVX512_BF16 : simd
    }

    // MARK: - The bfloat16 copy of a parameter buffer

    /// Gives `slice`'s buffer a bfloat16 copy (once) and fills it from the Float32 values, so
    /// that products read the weights without converting them. Only for `.bf16` backends.
    /// In a compact buffer only the part with Float32 storage is converted (the rest has no
    /// Float32 values: its bfloat16 values are the weights).
    func refreshBF16(_ slice: BufferSlice) {
        guard dtype == .bf16, let buffer = slice.buffer as? CPUBuffer else { return }
        if buffer.isCompact, let copy = buffer.bf16 {
            let part = buffer.split(offset: slice.offset, count: slice.count).fp32
            convert(buffer.base + part.lowerBound, into: copy + part.lowerBound, count: part.count)
            return
        }
        let copy: UnsafeMutablePointer<UInt16>
        if let existing = buffer.bf16 {
            copy = existing
        } else {
            copy = .allocate(capacity: max(1, buffer.count))
            buffer.bf16 = copy
            // Values outside the slice are converted too, so that the copy is never stale there.
            convert(buffer.base, into: copy, count: buffer.count)
            return
        }
        convert(buffer.base + slice.offset, into: copy + slice.offset, count: slice.count)
    }

    // MARK: - Compact buffers (bfloat16-only storage)

    /// A compact buffer of this backend for the first `fp32Count` elements of `count` with
    /// Float32 storage and the rest bfloat16 only, zeroed: a frozen `ParameterStore`'s values
    /// (see `ParameterStore.init(shapes:on:trainable:)`). Only for `.bf16` backends.
    /// - Throws: `BackendError.allocationFailed` when the memory cannot be had.
    func allocateCompact(_ count: Int, fp32Count: Int) throws -> CPUBuffer {
        precondition(dtype == .bf16, "compact (bfloat16-only) storage on a \(dtype) backend")
        let buffer = try CPUBuffer(count: count, fp32Count: fp32Count, pool: pool)
        fill(BufferSlice(buffer), with: 0)
        return buffer
    }

    /// The buffer of `slice` when the slice reaches into bfloat16-only storage, else nil.
    func compactBuffer(_ slice: BufferSlice) -> CPUBuffer? {
        guard let buffer = slice.buffer as? CPUBuffer, slice.offset + slice.count > buffer.fp32Count else { return nil }
        return buffer
    }

    /// Host bytes `slice`'s buffer holds (its Float32 block plus any bfloat16 storage).
    func storedBytes(_ slice: BufferSlice) -> Int {
        guard let buffer = slice.buffer as? CPUBuffer else {
            preconditionFailure("buffer of type \(type(of: slice.buffer)) passed to the CPU backend")
        }
        return buffer.bytes
    }

    /// `upload` into a compact buffer from `offset`: Float32 storage copied, bfloat16-only
    /// storage rounded to nearest even (as the bfloat16 copy of a Float32 buffer is).
    func uploadCompact(_ values: [Float], to buffer: CPUBuffer, offset: Int) {
        let (fp32, bf16) = buffer.split(offset: offset, count: values.count)
        guard let copy = buffer.bf16 else { return }
        values.withUnsafeBufferPointer { v in
            guard let src = v.baseAddress else { return }
            (buffer.base + fp32.lowerBound).update(from: src, count: fp32.count)
            convert(src + fp32.count, into: copy + bf16.lowerBound, count: bf16.count)
        }
    }

    /// Writes bfloat16 `bits` into `slice` from `offset`: as they are into bfloat16-only
    /// storage, widened (exactly) into Float32 storage.
    func uploadBFloat16(_ bits: UnsafeBufferPointer<UInt16>, to slice: BufferSlice) {
        precondition(bits.count == slice.count, "upload of \(bits.count) values into a slice of \(slice.count)")
        guard let src = bits.baseAddress, let buffer = slice.buffer as? CPUBuffer else { return }
        let (fp32, bf16) = buffer.split(offset: slice.offset, count: slice.count)
        ck_bf16_to_f32(src, buffer.base + fp32.lowerBound, Int64(fp32.count))
        if let copy = buffer.bf16 {
            (copy + bf16.lowerBound).update(from: src + fp32.count, count: bf16.count)
        } else {
            ck_bf16_to_f32(src + fp32.count, buffer.base + bf16.lowerBound, Int64(bf16.count))
        }
    }

    /// `download` from a compact buffer: bfloat16-only elements widened (exactly).
    func downloadCompact(_ buffer: CPUBuffer, offset: Int, count: Int) -> [Float] {
        let (fp32, bf16) = buffer.split(offset: offset, count: count)
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            guard let dst = out.baseAddress, let copy = buffer.bf16 else { return }
            dst.update(from: buffer.base + fp32.lowerBound, count: fp32.count)
            ck_bf16_to_f32(copy + bf16.lowerBound, dst + fp32.count, Int64(bf16.count))
            initialized = count
        }
    }

    /// `fill` of a compact buffer's range: bfloat16-only elements get `value` rounded.
    func fillCompact(_ buffer: CPUBuffer, offset: Int, count: Int, with value: Float) {
        let (fp32, bf16) = buffer.split(offset: offset, count: count)
        (buffer.base + fp32.lowerBound).update(repeating: value, count: fp32.count)
        let bits = bfloat16Bits(from: value)
        guard let copy = buffer.bf16 else { return }
        loop.forEachChunk(bf16.count, grain: 1 << 16) { r in
            (copy + bf16.lowerBound + r.lowerBound).update(repeating: bits, count: r.count)
        }
    }

    /// The embedding lookup from a table `[V, C]` at `offset` in bfloat16-only storage: each
    /// row widened into out `[N, C]`.
    func compactEmbedding(ids: [Int32], table buffer: CPUBuffer, offset: Int, vocabulary: Int,
                          into po: UnsafeMutablePointer<Float>, channels: Int) {
        precondition(offset >= buffer.fp32Count, "an embedding table straddling Float32 and bfloat16-only storage")
        guard let copy = buffer.bf16 else { return }
        let pt = UnsafePointer(copy + offset)
        ids.withUnsafeBufferPointer { ids in
            loop.forEachChunk(ids.count, grain: 64) { r in
                for n in r {
                    let id = Int(ids[n])
                    precondition(id >= 0 && id < vocabulary, "token id \(id) outside 0..<\(vocabulary)")
                    ck_bf16_to_f32(pt + id * channels, po + n * channels, Int64(channels))
                }
            }
        }
    }

    /// y = bfloat16(x), in parallel chunks.
    private func convert(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        let level = simd
        loop.forEachChunk(count, grain: 1 << 16) { r in
            ck_f32_to_bf16(level, x + r.lowerBound, y + r.lowerBound, Int64(r.count))
        }
    }

    /// `count` elements of `slice` from `offset` as bfloat16: the buffer's copy when it has one
    /// (nil `owned`), else a fresh conversion that the caller deallocates.
    private func bf16Operand(_ slice: BufferSlice, offset: Int, count: Int)
        -> (values: UnsafePointer<UInt16>, owned: UnsafeMutablePointer<UInt16>?) {
        guard let buffer = slice.buffer as? CPUBuffer else {
            preconditionFailure("buffer of type \(type(of: slice.buffer)) passed to the CPU backend")
        }
        if let copy = buffer.bf16 { return (UnsafePointer(copy + slice.offset + offset), nil) }
        let owned = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, count))
        convert(buffer.base + slice.offset + offset, into: owned, count: count)
        return (UnsafePointer(owned), owned)
    }

    // MARK: - Products

    /// C `[m×n]` (= or += when `accumulate`) op(A)·op(B) with bfloat16 inputs: A is `m×k`
    /// (stored `k×m` when `transposeA`) from `offset` of `a`, B `k×n` (stored `n×k` when
    /// `transposeB`). Columns are split over the workers, one oneDNN call each (each runs on
    /// its own thread); without oneDNN (or `oneDNN: false`), ck_gemm_nt_bf16 on transposed
    /// copies as needed.
    func bf16Matmul(_ a: BufferSlice, offset offsetA: Int, transposeA: Bool, _ b: BufferSlice, offset offsetB: Int,
                    transposeB: Bool, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool,
                    oneDNN: Bool = CPUBackend.oneDNN) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        let (pa, ownedA) = bf16Operand(a, offset: offsetA, count: m * k)
        let (pb, ownedB) = bf16Operand(b, offset: offsetB, count: k * n)
        defer {
            ownedA?.deallocate()
            ownedB?.deallocate()
        }
        var failed: [Range<Int>] = []
        if oneDNN {
            let (as0, as1) = transposeA ? (1, m) : (k, 1)
            let (bs0, bs1) = transposeB ? (1, k) : (n, 1)
            let chunks = max(1, min(threads, n / 16))
            var status = [Int32](repeating: 0, count: chunks)
            status.withUnsafeMutableBufferPointer { status in
                guard let out = status.baseAddress else { return }
                loop.forEach(chunks) { i in
                    let j0 = n * i / chunks, j1 = n * (i + 1) / chunks
                    out[i] = dk_dnnl_matmul_bf16(Int64(m), Int64(j1 - j0), Int64(k), pa, Int64(as0), Int64(as1),
                                                 pb + j0 * bs1, Int64(bs0), Int64(bs1), c + j0, Int64(n),
                                                 accumulate ? 1 : 0)
                }
            }
            for i in 0..<chunks where status[i] != 0 { failed.append((n * i / chunks)..<(n * (i + 1) / chunks)) }
            if failed.isEmpty { return }
        } else {
            failed = [0..<n]
        }
        // ck_gemm_nt_bf16 wants A [m×k] and B [n×k] row-major.
        let rowsA = transposeA ? transposed(pa, rows: k, columns: m) : nil
        let rowsB = transposeB ? nil : transposed(pb, rows: k, columns: n)
        defer {
            rowsA?.deallocate()
            rowsB?.deallocate()
        }
        let level = bf16Level, beta: Float = accumulate ? 1 : 0
        let ap = rowsA.map { UnsafePointer($0) } ?? pa, bp = rowsB.map { UnsafePointer($0) } ?? pb
        for range in failed {
            loop.forEachChunk(range.count, grain: max(48, 65536 / max(1, m * k)), chunksPerThread: 4) { r in
                ck_gemm_nt_bf16(level, Int64(m), Int64(range.lowerBound + r.lowerBound), Int64(range.lowerBound + r.upperBound),
                                Int64(k), 1, ap, Int64(k), bp, Int64(k), beta, c, Int64(n))
            }
        }
    }

    /// A `columns × rows` row-major copy of the `rows × columns` bfloat16 matrix x (the caller
    /// deallocates it); column blocks split over the workers.
    private func transposed(_ x: UnsafePointer<UInt16>, rows: Int, columns: Int) -> UnsafeMutablePointer<UInt16> {
        let y = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, rows * columns))
        loop.forEachChunk(columns, grain: 64) { r in
            ck_bf16_transposed(Int64(rows), Int64(r.count), x + r.lowerBound, Int64(columns),
                               y + r.lowerBound * rows, Int64(rows))
        }
        return y
    }

    /// `rowwiseMatmul` with bfloat16 inputs: ck_gemm_nt_bf16 over column chunks (each row's
    /// values independent of the batch and of the split).
    func bf16Rowwise(_ x: BufferSlice, weight: BufferSlice, into py: UnsafeMutablePointer<Float>,
                     rows: Int, inputs: Int, outputs: Int) {
        guard rows > 0 && outputs > 0 else { return }
        let (px, ownedX) = bf16Operand(x, offset: 0, count: rows * inputs)
        let (pw, ownedW) = bf16Operand(weight, offset: 0, count: outputs * inputs)
        defer {
            ownedX?.deallocate()
            ownedW?.deallocate()
        }
        let level = bf16Level
        loop.forEachChunk(outputs, grain: max(48, 65536 / max(1, rows * inputs)), chunksPerThread: 4) { r in
            ck_gemm_nt_bf16(level, Int64(rows), Int64(r.lowerBound), Int64(r.upperBound), Int64(inputs), 1,
                            px, Int64(inputs), pw, Int64(inputs), 0, py, Int64(outputs))
        }
    }
}
