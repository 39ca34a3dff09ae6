// BackendOptions: `--backend cpu|cuda|auto` (and the CUDA device and matmul precision) for every
// `dice` command that computes.

import ArgumentParser
import DICEKit
import DICEKitCUDA
import Foundation

extension BackendChoice: ExpressibleByArgument {}
extension CUDAMatmulPrecision: ExpressibleByArgument {}

/// The compute backend options shared by the commands (`@OptionGroup var backendOptions`).
struct BackendOptions: ParsableArguments {
    @Option(help: "Compute backend: cpu, cuda (an NVIDIA GPU; an error when unusable), or auto (CUDA when usable, else CPU).")
    var backend: BackendChoice = .cpu

    @Option(parsing: .unconditional, help: "CPU compute threads (default: DICEKIT_THREADS, else every core; e.g. 1 per rank under mpirun).")
    var threads: Int?
    @Option(parsing: .unconditional, help: "CUDA device ordinal (with --backend cuda or auto).")
    var cudaDevice = 0

    @Option(help: "CUDA matmul precision: fp32, tf32 or bf16 (tf32/bf16: rounded inputs, fp32 accumulation).")
    var cudaMatmul: CUDAMatmulPrecision = .fp32

    /// The chosen backend.
    /// - Throws: `ValidationError` for a negative `--cuda-device`; with `--backend cuda`, the
    ///   `CUDAError` that names what is missing and the environment variable that points at it.
    func makeBackend() throws -> any Backend {
        guard cudaDevice >= 0 else { throw ValidationError("--cuda-device \(cudaDevice): expected a device ordinal ≥ 0") }
        let made = try backend.makeBackend(cudaDevice: cudaDevice, matmulPrecision: cudaMatmul)
        let setting = threads ?? ProcessInfo.processInfo.environment["DICEKIT_THREADS"].flatMap { Int($0) }
        guard let setting, made is CPUBackend else { return made }
        guard setting >= 1 else { throw ValidationError("--threads \(setting) (or DICEKIT_THREADS): expected a number ≥ 1") }
        return CPUBackend(threads: setting)
    }
}

extension Backend {
    /// CPU worker threads for reports and CPU peers: the CPU backend's own; for other backends
    /// the machine's active cores.
    var threads: Int { (self as? CPUBackend)?.threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Waits for queued device work (a no-op on the CPU), so that timings cover the work.
    func synchronize() { (self as? CUDABackend)?.synchronize() }
}
