#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A caching allocator for `CPUBuffer`s, like PyTorch's: a freed block is kept, by its
/// page-rounded size, for the next allocation of that size.
///
/// A training step allocates the same activation shapes every time; returning fresh pages to
/// the kernel and faulting them in again costs more than the arithmetic on them. When a request
/// finds no block of its size, the shapes have changed (another phase, another batch length,
/// fewer running samples): the blocks cached for the old shapes would only add to the peak, so
/// they all go back to the system before the new block is made. The cache therefore never
/// holds more than one generation of shapes, and the peak stays the working set's. Cached memory
/// is also capped at `capacity` bytes. Blocks of 2 MiB or more are mapped on their own (returned
/// to the system when released, whatever the C allocator's thresholds) and advised as
/// transparent huge pages where the system allows it.
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
        for (size, blocks) in free { blocks.forEach { Self.release($0, size: size) } }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The block size used for a request of `bytes`: whole 4 KiB pages.
    static func roundedSize(_ bytes: Int) -> Int { (max(bytes, 1) + 4095) & ~4095 }

    /// Blocks of at least this size are mapped on their own and advised as transparent huge pages.
    static let hugePage = 2 << 20

    /// Bytes held in the cache now (for tests).
    var cached: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return cachedBytes
    }

    /// A cached block of exactly `size` bytes (page-rounded), or a new one after the cache has
    /// been emptied; nil when the system refuses.
    func take(size: Int) -> UnsafeMutableRawPointer? {
        pthread_mutex_lock(lock)
        if var blocks = free[size], let block = blocks.popLast() {
            free[size] = blocks.isEmpty ? nil : blocks
            cachedBytes -= size
            pthread_mutex_unlock(lock)
            return block
        }
        pthread_mutex_unlock(lock)
        releaseCached()
        return Self.allocate(size)
    }

    /// Gives every cached block back to the system.
    func releaseCached() {
        pthread_mutex_lock(lock)
        let stale = free
        free = [:]
        cachedBytes = 0
        pthread_mutex_unlock(lock)
        for (size, blocks) in stale { blocks.forEach { Self.release($0, size: size) } }
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
            Self.release(block, size: size)
        }
    }

    /// A new block of `size` bytes, 64-byte aligned (2 MiB-aligned and mapped on its own when huge).
    private static func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        if size >= hugePage {
            #if os(Linux)
            // Map 2 MiB more than asked and unmap the ends, so the block starts on a 2 MiB line.
            let mapped = size + hugePage
            guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED else { return nil }
            let head = (hugePage - Int(bitPattern: raw) % hugePage) % hugePage
            if head > 0 { _ = munmap(raw, head) }
            if hugePage - head > 0 { _ = munmap(raw + head + size, hugePage - head) }
            _ = madvise(raw + head, size, MADV_HUGEPAGE)
            return raw + head
            #endif
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0 else { return nil }
        return raw
    }

    /// Gives a block made by `allocate(_:)` back to the system.
    private static func release(_ block: UnsafeMutableRawPointer, size: Int) {
        #if os(Linux)
        if size >= hugePage {
            _ = munmap(block, size)
            return
        }
        #endif
        Glibc.free(block)
    }
}
