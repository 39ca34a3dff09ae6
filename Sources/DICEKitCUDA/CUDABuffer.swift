import CCUDAShim
import DICEKit

/// A `DeviceBuffer` in GPU memory: `count` Float32 values (or, for the backend's own scratch,
/// as many 4-byte integers), taken from the backend's memory pool.
public final class CUDABuffer: DeviceBuffer {
    /// The number of 4-byte elements.
    public let count: Int
    /// The device address of the first element.
    let address: DKCUdeviceptr
    private let pool: CUDAMemoryPool
    private let blockSize: Int

    init(count: Int, address: DKCUdeviceptr, blockSize: Int, pool: CUDAMemoryPool) {
        self.count = count
        self.address = address
        self.blockSize = blockSize
        self.pool = pool
    }

    deinit { pool.give(address, size: blockSize) }
}
