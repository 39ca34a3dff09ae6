import CCUDAShim
import Foundation

/// A caching allocator for device memory, like PyTorch's: a freed block is kept, by its rounded
/// size, for the next request of that size, so a training step that allocates the same
/// activation shapes every time never calls `cuMemAlloc` after the first.
///
/// All work runs on the backend's one stream, so a block freed while kernels that use it are
/// still queued can be handed out again at once: the next user's kernels run after them.
/// Cached memory is capped at `capacity` bytes; when `cuMemAlloc` runs out, the cache is
/// released and the allocation retried.
///
/// @unchecked Sendable: `free` and `cachedBytes` are guarded by `lock`; buffers may be released
/// on any thread (the context is made current first).
final class CUDAMemoryPool: @unchecked Sendable {
    private let driver: CUDADriver
    private let context: DKCUcontext
    private let lock = NSLock()
    private var free: [Int: [DKCUdeviceptr]] = [:]
    private var cachedBytes = 0
    let capacity: Int

    init(driver: CUDADriver, context: DKCUcontext, capacity: Int) {
        self.driver = driver
        self.context = context
        self.capacity = capacity
    }

    deinit { releaseCached() }

    /// The block size for a request of `bytes`: multiples of 512 bytes below 1 MiB, of 2 MiB
    /// above (large activations of nearby sizes then share blocks).
    static func roundedSize(_ bytes: Int) -> Int {
        let b = max(bytes, 1)
        return b < 1 << 20 ? (b + 511) & ~511 : (b + (2 << 20) - 1) & ~((2 << 20) - 1)
    }

    /// A block of `size` bytes (already rounded): a cached one, or a new one; nil when the
    /// device has no room even after the cache is released.
    func take(size: Int) -> DKCUdeviceptr? {
        lock.lock()
        if var blocks = free[size], let block = blocks.popLast() {
            free[size] = blocks
            cachedBytes -= size
            lock.unlock()
            return block
        }
        lock.unlock()
        _ = driver.api.cuCtxSetCurrent(context)
        var pointer: DKCUdeviceptr = 0
        if driver.api.cuMemAlloc_v2(&pointer, size) == 0 { return pointer }
        releaseCached()
        return driver.api.cuMemAlloc_v2(&pointer, size) == 0 ? pointer : nil
    }

    /// Returns a block for reuse (or to the driver when the cache is full).
    func give(_ block: DKCUdeviceptr, size: Int) {
        lock.lock()
        if cachedBytes + size <= capacity {
            free[size, default: []].append(block)
            cachedBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        _ = driver.api.cuCtxSetCurrent(context)
        _ = driver.api.cuMemFree_v2(block)
    }

    /// Frees every cached block.
    func releaseCached() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free = [:]
        cachedBytes = 0
        lock.unlock()
        guard !blocks.isEmpty else { return }
        _ = driver.api.cuCtxSetCurrent(context)
        for block in blocks { _ = driver.api.cuMemFree_v2(block) }
    }
}
