#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A caching allocator for `CPUBuffer`s, like PyTorch's: a freed block is kept, by its
/// page-rounded size, for the next allocation of that size.
///
/// A training step allocates the same activation shapes every time; returning fresh pages to
/// the kernel and faulting them in again costs more than the arithmetic on them. Cached memory
/// is capped at `capacity` bytes; beyond it, freed blocks go back to the system. Blocks of 2 MiB
/// or more are backed by transparent huge pages where the system allows it (fewer TLB misses
/// when kernels stream through parameters and activations).
///
/// @unchecked Sendable: all mutable state is guarded by `lock`; buffers may be released on any
/// thread.
final class CPUBufferPool: @unchecked Sendable {
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0
    private let capacity: Int
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(lock, nil)
    }

    deinit {
        for blocks in free.values { blocks.forEach { Glibc.free($0) } }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The block size used for a request of `bytes`: whole 4 KiB pages.
    static func roundedSize(_ bytes: Int) -> Int { (max(bytes, 1) + 4095) & ~4095 }

    /// Blocks of at least this size are aligned to it and advised as transparent huge pages.
    static let hugePage = 2 << 20

    /// A cached block of exactly `size` bytes (page-rounded), or a new one; nil when the
    /// system refuses.
    func take(size: Int) -> UnsafeMutableRawPointer? {
        pthread_mutex_lock(lock)
        if var blocks = free[size], let block = blocks.popLast() {
            free[size] = blocks
            cachedBytes -= size
            pthread_mutex_unlock(lock)
            return block
        }
        pthread_mutex_unlock(lock)
        var raw: UnsafeMutableRawPointer?
        let huge = size >= Self.hugePage
        guard posix_memalign(&raw, huge ? Self.hugePage : 64, size) == 0 else { return nil }
        #if os(Linux)
        if huge, let raw { _ = madvise(raw, size, MADV_HUGEPAGE) }
        #endif
        return raw
    }

    /// Returns a block of `size` bytes for reuse (or to the system when the cache is full).
    func give(_ block: UnsafeMutableRawPointer, size: Int) {
        pthread_mutex_lock(lock)
        if cachedBytes + size <= capacity {
            free[size, default: []].append(block)
            cachedBytes += size
            pthread_mutex_unlock(lock)
        } else {
            pthread_mutex_unlock(lock)
            Glibc.free(block)
        }
    }
}
