#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `DeviceBuffer` in host memory: `count` Float32 values, 64-byte aligned.
///
/// A *compact* buffer (a frozen `ParameterStore` on a `.bf16` backend, see
/// `CPUBackend.allocateCompact`) holds Float32 values only for its first `fp32Count`
/// elements; the rest exist only as bfloat16 in `bf16`. Kernels reach Float32 memory through
/// `CPUBackend.pointer`, which refuses the bfloat16-only range; the matrix products, the
/// embedding lookup and upload/download/fill/copy read or write it as bfloat16.
public final class CPUBuffer: DeviceBuffer {
    /// The number of elements (Float32 values, or bfloat16 ones past `fp32Count`).
    public let count: Int
    /// How many leading elements have Float32 storage at `base`: `count`, except in a compact
    /// buffer.
    let fp32Count: Int
    /// The first element. Valid for the buffer's lifetime.
    let base: UnsafeMutablePointer<Float>
    private let pool: CPUBufferPool
    private let blockSize: Int
    /// A bfloat16 copy of the `count` values (a `ParameterStore` on a `.bf16` backend), read by
    /// the bfloat16 matrix products in place of converting the Float32 values; nil otherwise.
    /// In a compact buffer it always exists, and past `fp32Count` it is the only storage.
    var bf16: UnsafeMutablePointer<UInt16>?

    /// Takes `count` elements from `pool`, uninitialised (`CPUBackend.allocate` zeroes them
    /// when asked, with its workers). With `fp32Count < count` (compact), only the first
    /// `fp32Count` elements get Float32 storage and all `count` get bfloat16 storage.
    /// - Throws: `BackendError.allocationFailed` when the size overflows or the system refuses.
    init(count: Int, fp32Count: Int? = nil, pool: CPUBufferPool) throws {
        precondition(count >= 0, "negative buffer size \(count)")
        let fp32Count = fp32Count ?? count
        precondition(fp32Count >= 0 && fp32Count <= count, "Float32 part \(fp32Count) of a buffer of \(count)")
        let bytes = max(fp32Count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !bytes.overflow, bytes.partialValue < Int.max - 4096 else {
            throw BackendError.allocationFailed(count: count)
        }
        let size = CPUBufferPool.roundedSize(bytes.partialValue)
        guard let raw = pool.take(size: size) else { throw BackendError.allocationFailed(count: count) }
        self.count = count
        self.fp32Count = fp32Count
        self.base = raw.bindMemory(to: Float.self, capacity: max(fp32Count, 1))
        self.pool = pool
        self.blockSize = size
        if fp32Count < count { bf16 = .allocate(capacity: count) }
    }

    /// Whether some elements exist only as bfloat16.
    var isCompact: Bool { fp32Count < count }

    /// Host bytes the buffer holds: its Float32 block (page-rounded) plus its bfloat16 storage.
    var bytes: Int { blockSize + (bf16 == nil ? 0 : count * MemoryLayout<UInt16>.stride) }

    /// The part of `[offset, offset + length)` with Float32 storage and the part without
    /// (absolute element ranges; either may be empty).
    func split(offset: Int, count length: Int) -> (fp32: Range<Int>, bf16: Range<Int>) {
        let end = offset + length, cut = min(max(offset, fp32Count), end)
        return (offset..<cut, cut..<end)
    }

    deinit {
        bf16?.deallocate()
        pool.give(UnsafeMutableRawPointer(base), size: blockSize)
    }
}

extension BufferSlice {
    /// Calls `body` with the host address of this slice's first element, for interop with C
    /// libraries (BLAS, benchmarks). `precondition`s that the slice is CPU memory with Float32
    /// storage (not the bfloat16-only part of a compact buffer); the pointer
    /// is valid while the buffer lives.
    public func withCPUPointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        guard let cpu = buffer as? CPUBuffer else {
            preconditionFailure("withCPUPointer on a \(type(of: buffer)), not CPU memory")
        }
        precondition(offset + count <= cpu.fp32Count, "withCPUPointer on bfloat16-only storage (a frozen .bf16 ParameterStore's matrices)")
        return try body(cpu.base + offset)
    }
}
