/// What the CUDA backend found about its device.
public struct CUDADeviceInfo: Sendable, Hashable, Codable {
    /// The device ordinal (as CUDA numbers them, after `CUDA_VISIBLE_DEVICES`).
    public var index: Int
    /// The marketing name, e.g. `NVIDIA A100-SXM4-80GB`.
    public var name: String
    /// Compute capability as one number, major·10 + minor (e.g. 80 for sm_80).
    public var computeCapability: Int
    /// Streaming multiprocessors.
    public var multiprocessors: Int
    /// Device memory, in bytes.
    public var totalMemory: Int
    /// The driver's CUDA version as the driver reports it, e.g. 12040 for 12.4.
    public var driverVersion: Int
    /// The library files that were loaded: driver, cuBLAS, NVRTC.
    public var libraries: [String]
}
