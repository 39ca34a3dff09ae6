// BackendOptions: `--backend cpu|cuda|auto` (and the CUDA device and matmul precision) for every
// `dice` command that computes.

import ArgumentParser
import DICEKit
import DICEKitCUDA
import Foundation

extension BackendChoice: ExpressibleByArgument {}
extension CUDAMatmulPrecision: ExpressibleByArgument {}
extension DType: ExpressibleByArgument {}

/// The compute backend options shared by the commands (`@OptionGroup var backendOptions`).
struct BackendOptions: ParsableArguments {
    @Option(help: "Compute backend: cpu, cuda (an NVIDIA GPU; an error when unusable), or auto (CUDA when usable, else CPU).")
    var backend: BackendChoice = .cpu

    @Option(parsing: .unconditional, help: "CPU compute threads (default: DICEKIT_THREADS, else every core; e.g. 1 per rank under mpirun).")
    var threads: Int?
    @Option(parsing: .unconditional, help: "CUDA device ordinal (with --backend cuda or auto; default 0, under mpirun the local rank mod the device count).")
    var cudaDevice: Int?

    @Option(help: "CUDA matmul precision: fp32, tf32 or bf16 (tf32/bf16: rounded inputs, fp32 accumulation).")
    var cudaMatmul: CUDAMatmulPrecision = .fp32

    @Option(help: "Matrix-product inputs: fp32, or bf16 (bfloat16 inputs, fp32 accumulation, fp32 master weights; on CUDA as --cuda-matmul bf16).")
    var dtype: DType = .fp32

    /// The chosen backend.
    /// - Parameter localRank: this process's rank among the ranks on its host, under an MPI
    ///   launcher (`DistributedLaunch.localRank`): without `--cuda-device` its GPU is the local
    ///   rank mod the device count (one rank per GPU).
    /// - Throws: `ValidationError` for a negative `--cuda-device`; with `--backend cuda`, the
    ///   `CUDAError` that names what is missing and the environment variable that points at it.
    func makeBackend(localRank: Int? = nil) throws -> any Backend {
        if let cudaDevice, cudaDevice < 0 { throw ValidationError("--cuda-device \(cudaDevice): expected a device ordinal ≥ 0") }
        var device = cudaDevice ?? 0
        if cudaDevice == nil, let localRank, backend != .cpu, let count = try? CUDABackend.deviceCount(), count > 0 {
            device = localRank % count
        }
        let precision = dtype == .bf16 && cudaMatmul == .fp32 ? .bf16 : cudaMatmul
        let made = try backend.makeBackend(cudaDevice: device, matmulPrecision: precision)
        let setting = threads ?? ProcessInfo.processInfo.environment["DICEKIT_THREADS"].flatMap { Int($0) }
        guard made is CPUBackend, setting != nil || dtype != .fp32 else { return made }
        if let setting, setting < 1 { throw ValidationError("--threads \(setting) (or DICEKIT_THREADS): expected a number ≥ 1") }
        let cpu = CPUBackend(threads: setting, dtype: dtype)
        if dtype == .bf16, !CPUBackend.nativeBF16, let notice = cpu.bf16Kernels { warn("notice: " + notice) }
        return cpu
    }
}

extension Backend {
    /// CPU worker threads for reports and CPU peers: the CPU backend's own; for other backends
    /// the machine's active cores.
    var threads: Int { (self as? CPUBackend)?.threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Waits for queued device work (a no-op on the CPU), so that timings cover the work.
    func synchronize() { (self as? CUDABackend)?.synchronize() }
}
