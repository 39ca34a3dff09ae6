// Why the CUDA backend cannot be used, or what failed in it.

/// Failures of the CUDA backend that are not programmer errors: a library that cannot be
/// loaded, a missing device, a driver, cuBLAS or NVRTC call that failed.
public enum CUDAError: Error, Equatable, CustomStringConvertible {
    /// No candidate file of `library` could be opened. `tried` lists the candidates in search
    /// order, `reason` is the last loader message.
    case libraryNotFound(CUDALibrary, tried: [String], reason: String)
    /// The file at `path` opened but lacks `symbol` (too old a version, or not that library).
    case symbolMissing(CUDALibrary, path: String, symbol: String)
    /// The driver loaded but reports no CUDA device (or `cuInit` found none).
    case noDevice(detail: String)
    /// Device `index` was asked for; the machine has `count`.
    case deviceOutOfRange(index: Int, count: Int)
    /// A driver API call failed with `code` (`name` is the driver's name for it).
    case driverCall(String, code: Int32, name: String)
    /// A cuBLAS call failed with status `status`.
    case cublasCall(String, status: Int32)
    /// An NVRTC call failed with `code` (`message` is NVRTC's text for it).
    case nvrtcCall(String, code: Int32, message: String)
    /// NVRTC rejected the source of `family` for `architecture`; `log` is its compiler output.
    case compilationFailed(family: String, architecture: String, log: String)

    /// One readable paragraph: what failed, what was tried, and the environment variable or step
    /// that fixes it.
    public var description: String {
        switch self {
        case .libraryNotFound(let library, let tried, let reason):
            let shown = tried.prefix(6).joined(separator: ", ") + (tried.count > 6 ? ", … (\(tried.count) in all)" : "")
            return "CUDA backend unavailable: \(library.displayName) could not be loaded (tried \(shown.isEmpty ? "nothing" : shown); last error: \(reason)). "
                + "Set \(library.environmentVariable) to the library file or its folder\(library.hint)."
        case .symbolMissing(let library, let path, let symbol):
            return "CUDA backend unavailable: \(path) (\(library.displayName)) has no symbol \(symbol); it is too old or not that library. "
                + "Set \(library.environmentVariable) to a CUDA 11.1 or later \(library.fileStem)."
        case .noDevice(let detail):
            return "CUDA backend unavailable: no CUDA device (\(detail)). Check `nvidia-smi`, or CUDA_VISIBLE_DEVICES."
        case .deviceOutOfRange(let index, let count):
            return "CUDA device \(index) asked for, but the machine has \(count) device\(count == 1 ? "" : "s")."
        case .driverCall(let call, let code, let name):
            return "CUDA driver call \(call) failed: \(name) (\(code))."
        case .cublasCall(let call, let status):
            return "cuBLAS call \(call) failed with status \(status)."
        case .nvrtcCall(let call, let code, let message):
            return "NVRTC call \(call) failed: \(message) (\(code))."
        case .compilationFailed(let family, let architecture, let log):
            return "NVRTC could not compile the \(family) kernels for \(architecture): \(log)"
        }
    }
}
