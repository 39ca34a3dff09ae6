import CCUDAShim

/// The driver API (libcuda), bound at run time.
///
/// @unchecked Sendable: the table of function pointers is immutable after binding and the
/// driver API is thread-safe.
final class CUDADriver: @unchecked Sendable {
    let api: DKDriverAPI
    /// The file that was opened.
    let path: String

    /// Opens and binds libcuda and calls `cuInit(0)`.
    /// - Throws: `CUDAError.libraryNotFound`, `.symbolMissing`, or `.noDevice` when `cuInit`
    ///   finds no device (or no working driver).
    init(locator: CUDALibraryLocator) throws {
        let (handle, path) = try locator.open(.driver)
        var missing: UnsafePointer<CChar>?
        guard let table = dk_bind_driver(handle, &missing) else {
            throw CUDAError.symbolMissing(.driver, path: path, symbol: missing.map { String(cString: $0) } ?? "?")
        }
        self.api = table.pointee
        dk_free_table(table)
        self.path = path
        let status = api.cuInit(0)
        if status != 0 {
            throw CUDAError.noDevice(detail: "cuInit failed with \(errorName(status)) (\(status)); driver \(path)")
        }
    }

    /// The driver's name for `code`, e.g. `CUDA_ERROR_OUT_OF_MEMORY`.
    func errorName(_ code: DKCUresult) -> String {
        var name: UnsafePointer<CChar>?
        guard api.cuGetErrorName(code, &name) == 0, let name else { return "CUDA error" }
        return String(cString: name)
    }

    /// Throws `CUDAError.driverCall` unless `code` is success.
    func check(_ code: DKCUresult, _ call: @autoclosure () -> String) throws {
        guard code != 0 else { return }
        throw CUDAError.driverCall(call(), code: code, name: errorName(code))
    }

    /// For calls that fail only on a programmer error or a device fault (kernel launches,
    /// copies between valid buffers): stops with the driver's message.
    func expect(_ code: DKCUresult, _ call: @autoclosure () -> String) {
        guard code != 0 else { return }
        preconditionFailure("CUDA driver call \(call()) failed: \(errorName(code)) (\(code))")
    }
}
