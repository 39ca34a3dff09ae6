import DICEKit
import Foundation
import Logging

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
    ///   - logger: where the choice is logged (label `dicekit.backend` by default, see
    ///     `LogSubsystem`): the backend made at `debug`; for `.auto`, the reason CUDA could not
    ///     be used at `info` (the CPU fallback).
    /// - Throws: for `.cuda`, the `CUDAError` that names what is missing (the driver library, a
    ///   device, cuBLAS, NVRTC) and the environment variable to set. `.cpu` and `.auto` do not
    ///   throw.
    public func makeBackend(environment: [String: String] = ProcessInfo.processInfo.environment,
                            cudaDevice: Int = 0,
                            matmulPrecision: CUDAMatmulPrecision = .fp32,
                            logger: Logger = LogSubsystem.backend.logger) throws -> any Backend {
        switch self {
        case .cpu:
            logger.debug("backend chosen", metadata: ["choice": "cpu", "backend": "cpu"])
            return CPUBackend()
        case .cuda:
            let cuda = try CUDABackend(device: cudaDevice, matmulPrecision: matmulPrecision,
                                       locator: CUDALibraryLocator(environment: environment))
            logger.debug("backend chosen", metadata: ["choice": "cuda", "backend": "cuda", "device": "\(cudaDevice)"])
            return cuda
        case .auto:
            do {
                let cuda = try CUDABackend(device: cudaDevice, matmulPrecision: matmulPrecision,
                                           locator: CUDALibraryLocator(environment: environment))
                logger.debug("backend chosen", metadata: ["choice": "auto", "backend": "cuda", "device": "\(cudaDevice)"])
                return cuda
            } catch {
                logger.info("CUDA cannot be used: falling back to the CPU backend",
                            metadata: ["choice": "auto", "backend": "cpu", "reason": "\(error)"])
                return CPUBackend()
            }
        }
    }
}
