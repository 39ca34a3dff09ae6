import Foundation

/// Compiled kernel images, kept for the life of the process: each family is compiled once per
/// device architecture, however many backends are made.
///
/// @unchecked Sendable: `images` is guarded by `lock`.
final class CUDAKernelCache: @unchecked Sendable {
    static let shared = CUDAKernelCache()

    private struct Key: Hashable {
        let family: CUDAKernelFamily
        let architecture: Int
    }

    private let lock = NSLock()
    private var images: [Key: [UInt8]] = [:]

    /// The image of `family` for compute capability `architecture` (e.g. 86): CUBIN for that
    /// exact architecture when NVRTC can make it, else PTX for `compute_{min(architecture, 80)}`
    /// (an NVRTC older than the device), which the driver compiles when loading.
    /// - Throws: the CUBIN attempt's `CUDAError` when both attempts fail.
    func image(_ family: CUDAKernelFamily, architecture: Int, nvrtc: NVRTC) throws -> [UInt8] {
        let key = Key(family: family, architecture: architecture)
        lock.lock()
        defer { lock.unlock() }
        if let image = images[key] { return image }
        let image: [UInt8]
        do {
            guard nvrtc.supportsCUBIN else {
                throw CUDAError.nvrtcCall("nvrtcGetCUBIN", code: -1, message: "this NVRTC cannot emit CUBIN")
            }
            image = try nvrtc.compile(family, architecture: architecture, output: .cubin)
        } catch {
            guard let fallback = try? nvrtc.compile(family, architecture: min(architecture, 80), output: .ptx) else {
                throw error
            }
            image = fallback
        }
        images[key] = image
        return image
    }
}
