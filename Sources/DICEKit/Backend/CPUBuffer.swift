#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `DeviceBuffer` in host memory: `count` Float32 values, 64-byte aligned.
public final class CPUBuffer: DeviceBuffer {
    /// The number of Float32 elements.
    public let count: Int
    /// The first element. Valid for the buffer's lifetime.
    let base: UnsafeMutablePointer<Float>
    private let pool: CPUBufferPool
    private let blockSize: Int
    /// A bfloat16 copy of the `count` values (a `ParameterStore` on a `.bf16` backend), read by
    /// the bfloat16 matrix products in place of converting the Float32 values; nil otherwise.
    var bf16: UnsafeMutablePointer<UInt16>?

    /// Takes `count` elements from `pool`, uninitialised (`CPUBackend.allocate` zeroes them
    /// when asked, with its workers).
    /// - Throws: `BackendError.allocationFailed` when the size overflows or the system refuses.
    init(count: Int, pool: CPUBufferPool) throws {
        precondition(count >= 0, "negative buffer size \(count)")
        let bytes = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !bytes.overflow, bytes.partialValue < Int.max - 4096 else {
            throw BackendError.allocationFailed(count: count)
        }
        let size = CPUBufferPool.roundedSize(bytes.partialValue)
        guard let raw = pool.take(size: size) else { throw BackendError.allocationFailed(count: count) }
        self.count = count
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.pool = pool
        self.blockSize = size
    }

    deinit {
        bf16?.deallocate()
        pool.give(UnsafeMutableRawPointer(base), size: blockSize)
    }
}

extension BufferSlice {
    /// Calls `body` with the host address of this slice's first element, for interop with C
    /// libraries (BLAS, benchmarks). `precondition`s that the slice is CPU memory; the pointer
    /// is valid while the buffer lives.
    public func withCPUPointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        guard let cpu = buffer as? CPUBuffer else {
            preconditionFailure("withCPUPointer on a \(type(of: buffer)), not CPU memory")
        }
        return try body(cpu.base + offset)
    }
}
