#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `DeviceBuffer` in host memory: `count` Float32 values, 64-byte aligned, zero-filled.
public final class CPUBuffer: DeviceBuffer {
    public let count: Int
    /// The first element. Valid for the buffer's lifetime.
    let base: UnsafeMutablePointer<Float>

    /// Allocates `count` zeroed elements.
    /// - Throws: `BackendError.allocationFailed` when `posix_memalign` refuses.
    init(count: Int) throws {
        precondition(count >= 0, "negative buffer size \(count)")
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !bytes.overflow, posix_memalign(&raw, 64, bytes.partialValue) == 0, let raw else {
            throw BackendError.allocationFailed(count: count)
        }
        memset(raw, 0, bytes.partialValue)
        self.count = count
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(base) }
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
