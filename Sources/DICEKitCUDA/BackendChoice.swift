import DICEKit
import Foundation

/// Which backend to compute on: the library API behind `dice --backend cpu|cuda|auto`.
public enum BackendChoice: String, Sendable, CaseIterable, Codable {
    /// The CPU backend (`CPUBackend`), the reference.
    case cpu
    /// The CUDA backend (`CUDABackend`); an error when it cannot be used.
    case cuda
    /// CUDA when it can be used on this machine, else the CPU.
    case auto

    /// Makes the chosen backend.
    /// - Parameters:
    ///   - environment: where the CUDA libraries' overrides are read (default: this process's).
    ///   - cudaDevice: the CUDA device ordinal.
    ///   - matmulPrecision: the CUDA backend's matmul precision.
    /// - Throws: for `.cuda`, the `CUDAError` that names what is missing (the driver library, a
    ///   device, cuBLAS, NVRTC) and the environment variable to set. `.cpu` and `.auto` do not
    ///   throw.
    public func makeBackend(environment: [String: String] = ProcessInfo.processInfo.environment,
                            cudaDevice: Int = 0,
                            matmulPrecision: CUDAMatmulPrecision = .fp32) throws -> any Backend {
        switch self {
        case .cpu:
            return CPUBackend()
        case .cuda:
            return try CUDABackend(device: cudaDevice, matmulPrecision: matmulPrecision,
                                   locator: CUDALibraryLocator(environment: environment))
        case .auto:
            if let cuda = try? CUDABackend(device: cudaDevice, matmulPrecision: matmulPrecision,
                                           locator: CUDALibraryLocator(environment: environment)) {
                return cuda
            }
            return CPUBackend()
        }
    }
}
