import CCUDAShim
import DICEKit
import Foundation

/// The kernel set on an NVIDIA GPU: cuBLAS for matrix products, NVRTC-compiled CUDA C kernels
/// for everything else, all on one stream of the device's primary context.
///
/// Nothing of CUDA is needed to build it: `init` loads libcuda, libcublas and libnvrtc with
/// `dlopen` (see `CUDALibraryLocator` for where they are looked for), compiles the kernel
/// families for the device's compute capability (once per process) and loads them. Memory comes
/// from a caching pool. Kernels are queued asynchronously; `download`, `sum` and
/// `sumOfSquares` wait for the stream, as does `synchronize()`.
///
/// Semantics are the CPU backend's (the reference), including forward-overwrites and
/// backward-accumulates; results agree to rounding (sums run in another order). Every kernel is
/// deterministic: repeated runs give the same bytes.
///
/// A kernel launch or copy that fails is a programmer error or a device fault and stops the
/// process with the driver's message; everything that depends on the machine (libraries, device,
/// compilation, memory) is reported by a thrown error instead.
///
/// @unchecked Sendable: the handles are immutable after `init`; kernels are issued from one
/// thread at a time (the `Backend` contract), each call makes the context current on its thread,
/// and the memory pool locks its own state.
public final class CUDABackend: Backend, @unchecked Sendable {
    /// `"cuda"`.
    public let name = "cuda"
    /// The device in use, and the library files that were loaded.
    public let device: CUDADeviceInfo
    /// How `matmul` multiplies.
    public let matmulPrecision: CUDAMatmulPrecision

    let driver: CUDADriver
    let cublas: CUBLASLibrary
    let context: DKCUcontext
    let stream: DKCUstream
    let cublasHandle: DKcublasHandle
    let pool: CUDAMemoryPool
    private let functions: [CUDAKernel: DKCUfunction]
    private let modules: [DKCUmodule]

    /// The number of CUDA devices the driver reports.
    /// - Throws: `CUDAError` when the driver library cannot be loaded or the call fails.
    public static func deviceCount(locator: CUDALibraryLocator = CUDALibraryLocator()) throws -> Int {
        let driver = try CUDADriver(locator: locator)
        var count: Int32 = 0
        try driver.check(driver.api.cuDeviceGetCount(&count), "cuDeviceGetCount")
        return Int(count)
    }

    /// Opens the libraries, selects device `index`, compiles and loads the kernels.
    /// - Parameters:
    ///   - index: the CUDA device ordinal.
    ///   - matmulPrecision: fp32 (default), or tf32 / bf16 inputs with fp32 accumulation.
    ///   - locator: where the libraries are looked for (default: this process's environment).
    ///   - cachedBytes: the memory pool's cache cap (default: half the device's memory).
    /// - Throws: `CUDAError` naming what is missing or failed: the driver library, a device,
    ///   cuBLAS, NVRTC, or a driver/cuBLAS/NVRTC call.
    public init(device index: Int = 0, matmulPrecision: CUDAMatmulPrecision = .fp32,
                locator: CUDALibraryLocator = CUDALibraryLocator(), cachedBytes: Int? = nil) throws {
        let driver = try CUDADriver(locator: locator)
        var count: Int32 = 0
        try driver.check(driver.api.cuDeviceGetCount(&count), "cuDeviceGetCount")
        guard count > 0 else { throw CUDAError.noDevice(detail: "the driver at \(driver.path) reports 0 devices") }
        guard index >= 0 && index < Int(count) else { throw CUDAError.deviceOutOfRange(index: index, count: Int(count)) }
        let cublas = try CUBLASLibrary(locator: locator)
        let nvrtc = try NVRTC(locator: locator)

        var device: DKCUdevice = 0
        try driver.check(driver.api.cuDeviceGet(&device, Int32(index)), "cuDeviceGet")
        func attribute(_ a: Int32) throws -> Int {
            var value: Int32 = 0
            try driver.check(driver.api.cuDeviceGetAttribute(&value, a, device), "cuDeviceGetAttribute(\(a))")
            return Int(value)
        }
        let major = try attribute(Int32(DK_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR))
        let minor = try attribute(Int32(DK_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))
        let processors = try attribute(Int32(DK_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT))
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(driver.api.cuDeviceGetName(&nameBytes, 255, device), "cuDeviceGetName")
        var version: Int32 = 0
        try driver.check(driver.api.cuDriverGetVersion(&version), "cuDriverGetVersion")

        var context: DKCUcontext?
        try driver.check(driver.api.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain")
        guard let context else { throw CUDAError.driverCall("cuDevicePrimaryCtxRetain", code: -1, name: "no context") }
        try driver.check(driver.api.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        var free = 0, total = 0
        try driver.check(driver.api.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo")
        var stream: DKCUstream?
        try driver.check(driver.api.cuStreamCreate(&stream, UInt32(DK_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
        guard let stream else { throw CUDAError.driverCall("cuStreamCreate", code: -1, name: "no stream") }
        var handle: DKcublasHandle?
        try cublas.check(cublas.api.cublasCreate_v2(&handle), "cublasCreate")
        guard let handle else { throw CUDAError.cublasCall("cublasCreate", status: -1) }
        try cublas.check(cublas.api.cublasSetStream_v2(handle, stream), "cublasSetStream")

        let architecture = major * 10 + minor
        var functions: [CUDAKernel: DKCUfunction] = [:]
        var modules: [DKCUmodule] = []
        for family in CUDAKernelFamily.allCases {
            let image = try CUDAKernelCache.shared.image(family, architecture: architecture, nvrtc: nvrtc)
            var module: DKCUmodule?
            try driver.check(image.withUnsafeBytes { raw in raw.baseAddress.map { driver.api.cuModuleLoadData(&module, $0) } ?? 1 },
                             "cuModuleLoadData(\(family.rawValue))")
            guard let module else { throw CUDAError.driverCall("cuModuleLoadData", code: -1, name: "no module") }
            modules.append(module)
            for kernel in CUDAKernel.allCases where kernel.family == family {
                var function: DKCUfunction?
                try driver.check(driver.api.cuModuleGetFunction(&function, module, kernel.rawValue),
                                 "cuModuleGetFunction(\(kernel.rawValue))")
                functions[kernel] = function
            }
        }

        self.driver = driver
        self.cublas = cublas
        self.context = context
        self.stream = stream
        self.cublasHandle = handle
        self.functions = functions
        self.modules = modules
        self.matmulPrecision = matmulPrecision
        self.pool = CUDAMemoryPool(driver: driver, context: context, capacity: cachedBytes ?? total / 2)
        self.device = CUDADeviceInfo(
            index: index, name: String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            computeCapability: architecture, multiprocessors: processors, totalMemory: total,
            driverVersion: Int(version), libraries: [driver.path, cublas.path, nvrtc.path])
    }

    /// Releases the cuBLAS handle, the stream and the kernel modules (queued work finishes
    /// first). The device's primary context stays retained for the process; buffers still alive
    /// keep the memory pool.
    deinit {
        _ = driver.api.cuCtxSetCurrent(context)
        _ = driver.api.cuStreamSynchronize(stream)
        _ = cublas.api.cublasDestroy_v2(cublasHandle)
        _ = driver.api.cuStreamDestroy_v2(stream)
        for module in modules { _ = driver.api.cuModuleUnload(module) }
    }

    /// Waits until every queued kernel and copy has finished.
    public func synchronize() {
        makeCurrent()
        driver.expect(driver.api.cuStreamSynchronize(stream), "cuStreamSynchronize")
    }

    /// Makes this backend's context current on the calling thread.
    @inline(__always)
    func makeCurrent() {
        driver.expect(driver.api.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    }

    // MARK: - Buffers

    /// Frees every device block the memory pool caches (see `Backend.releaseCachedMemory()`).
    public func releaseCachedMemory() { pool.releaseCached() }

    /// A `CUDABuffer` of `count` Float32 elements from the backend's memory pool (zeroed on the
    /// stream when `zeroed`).
    /// - Throws: `BackendError.allocationFailed` when the device has no memory for it.
    public func allocate(_ count: Int, zeroed: Bool) throws -> any DeviceBuffer {
        precondition(count >= 0, "negative buffer size \(count)")
        let bytes = max(count, 1).multipliedReportingOverflow(by: 4)
        guard !bytes.overflow, bytes.partialValue < Int.max / 2 else { throw BackendError.allocationFailed(count: count) }
        let size = CUDAMemoryPool.roundedSize(bytes.partialValue)
        guard let address = pool.take(size: size) else { throw BackendError.allocationFailed(count: count) }
        let buffer = CUDABuffer(count: count, address: address, blockSize: size, pool: pool)
        if zeroed && count > 0 {
            makeCurrent()
            driver.expect(driver.api.cuMemsetD32Async(address, 0, count, stream), "cuMemsetD32Async")
        }
        return buffer
    }

    /// The device address of a slice of one of this backend's buffers.
    @inline(__always)
    func address(_ slice: BufferSlice) -> DKCUdeviceptr {
        guard let buffer = slice.buffer as? CUDABuffer else {
            preconditionFailure("buffer of type \(type(of: slice.buffer)) passed to the CUDA backend")
        }
        return buffer.address + DKCUdeviceptr(slice.offset * 4)
    }

    /// Queues a host-to-device copy of `values` into `destination` (same count); `values` may be
    /// released as soon as this returns.
    public func upload(_ values: [Float], to destination: BufferSlice) {
        precondition(values.count == destination.count,
                     "upload of \(values.count) values into a slice of \(destination.count)")
        copyToDevice(values, address(destination))
    }

    /// Queues a host-to-device copy of 4-byte values. Pageable memory is staged before the call
    /// returns, so `values` may go away at once.
    func copyToDevice<T>(_ values: [T], _ destination: DKCUdeviceptr) {
        guard !values.isEmpty else { return }
        makeCurrent()
        values.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            driver.expect(driver.api.cuMemcpyHtoDAsync_v2(destination, base, raw.count, stream), "cuMemcpyHtoDAsync")
        }
    }

    /// The elements of `source`, copied to the host after the stream's queued work has finished.
    public func download(_ source: BufferSlice) -> [Float] {
        copyToHost(address(source), count: source.count, as: Float.self)
    }

    /// Copies `count` values of `T` from the device, waiting for the stream.
    func copyToHost<T>(_ source: DKCUdeviceptr, count: Int, as: T.Type) -> [T] {
        makeCurrent()
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let base = buffer.baseAddress {
                driver.expect(driver.api.cuMemcpyDtoHAsync_v2(base, source, count * MemoryLayout<T>.stride, stream),
                              "cuMemcpyDtoHAsync")
            }
            driver.expect(driver.api.cuStreamSynchronize(stream), "cuStreamSynchronize")
            initialized = count
        }
        return values
    }

    /// Sets every element of `destination` to `value` (`cuMemsetD32Async` on the stream).
    public func fill(_ destination: BufferSlice, with value: Float) {
        guard destination.count > 0 else { return }
        makeCurrent()
        driver.expect(driver.api.cuMemsetD32Async(address(destination), value.bitPattern, destination.count, stream),
                      "cuMemsetD32Async")
    }

    /// Queues a device-to-device copy of `source` into `destination` (same count, not overlapping).
    public func copy(_ source: BufferSlice, to destination: BufferSlice) {
        precondition(source.count == destination.count,
                     "copy of \(source.count) elements into a slice of \(destination.count)")
        guard source.count > 0 else { return }
        makeCurrent()
        driver.expect(driver.api.cuMemcpyDtoDAsync_v2(address(destination), address(source), source.count * 4, stream),
                      "cuMemcpyDtoDAsync")
    }

    /// Copies (or with `accumulate` adds) a `rows × columns` block between row-strided layouts,
    /// one thread per element.
    public func copy2D(_ source: BufferSlice, sourceStride: Int, to destination: BufferSlice,
                       destinationStride: Int, rows: Int, columns: Int, accumulate: Bool) {
        guard rows > 0 && columns > 0 else { return }
        precondition(columns <= sourceStride && columns <= destinationStride
                     && (rows - 1) * sourceStride + columns <= source.count
                     && (rows - 1) * destinationStride + columns <= destination.count,
                     "copy2D block \(rows)×\(columns) outside its slices")
        launch(.copy2D, elements: rows * columns,
               [.pointer(address(source)), .int64(sourceStride), .pointer(address(destination)),
                .int64(destinationStride), .int64(rows), .int32(columns), .int32(accumulate ? 1 : 0)])
    }

    /// A device copy of small host integers (ids, positions, layouts), freed when the returned
    /// buffer goes (safe while kernels that read it are queued: see `CUDAMemoryPool`).
    func deviceInts(_ values: [Int32]) -> CUDABuffer {
        let size = CUDAMemoryPool.roundedSize(values.count * 4)
        guard let address = pool.take(size: size) else {
            preconditionFailure("CUDA device out of memory for \(values.count) integers of kernel arguments")
        }
        let buffer = CUDABuffer(count: values.count, address: address, blockSize: size, pool: pool)
        copyToDevice(values, address)
        return buffer
    }

    /// Scratch device memory for `count` 4-byte values (uninitialised).
    func scratch(_ count: Int) -> CUDABuffer {
        let size = CUDAMemoryPool.roundedSize(count * 4)
        guard let address = pool.take(size: size) else {
            preconditionFailure("CUDA device out of memory for \(count) elements of kernel scratch")
        }
        return CUDABuffer(count: count, address: address, blockSize: size, pool: pool)
    }

    // MARK: - Launching

    /// One kernel argument, passed by value.
    enum Argument {
        case pointer(DKCUdeviceptr)
        case int32(Int)
        case int64(Int)
        case float(Float)
    }

    /// Queues `kernel` on the stream with a grid of `grid` blocks of `block` threads.
    func launch(_ kernel: CUDAKernel, grid: (x: Int, y: Int), block: (x: Int, y: Int),
                _ arguments: [Argument]) {
        guard grid.x > 0 && grid.y > 0, let function = functions[kernel] else { return }
        makeCurrent()
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, arguments.count) * 8, alignment: 8)
        defer { storage.deallocate() }
        var pointers: [UnsafeMutableRawPointer?] = []
        for (i, argument) in arguments.enumerated() {
            let slot = storage + i * 8
            switch argument {
            case .pointer(let p): slot.storeBytes(of: p, as: UInt64.self)
            case .int32(let v): slot.storeBytes(of: Int32(truncatingIfNeeded: v), as: Int32.self)
            case .int64(let v): slot.storeBytes(of: Int64(v), as: Int64.self)
            case .float(let v): slot.storeBytes(of: v, as: Float.self)
            }
            pointers.append(slot)
        }
        let status = pointers.withUnsafeMutableBufferPointer { params in
            driver.api.cuLaunchKernel(function, UInt32(grid.x), UInt32(grid.y), 1, UInt32(block.x), UInt32(block.y), 1,
                                      0, stream, params.baseAddress, nil)
        }
        driver.expect(status, "cuLaunchKernel(\(kernel.rawValue))")
    }

    /// Queues an elementwise (grid-stride) kernel over `elements` items, 256 threads a block.
    func launch(_ kernel: CUDAKernel, elements: Int, _ arguments: [Argument]) {
        guard elements > 0 else { return }
        let blocks = min((elements + 255) / 256, 1 << 20)
        launch(kernel, grid: (blocks, 1), block: (256, 1), arguments)
    }

    /// Queues a kernel with one warp per item, 4 warps a block.
    func launch(_ kernel: CUDAKernel, warps: Int, _ arguments: [Argument]) {
        guard warps > 0 else { return }
        launch(kernel, grid: ((warps + 3) / 4, 1), block: (128, 1), arguments)
    }
}
