import CCUDAShim

/// cuBLAS, bound at run time.
///
/// @unchecked Sendable: the table of function pointers is immutable after binding.
final class CUBLASLibrary: @unchecked Sendable {
    let api: DKCublasAPI
    /// The file that was opened.
    let path: String

    /// Opens and binds libcublas.
    /// - Throws: `CUDAError.libraryNotFound` or `.symbolMissing`.
    init(locator: CUDALibraryLocator) throws {
        let (handle, path) = try locator.open(.cublas)
        var missing: UnsafePointer<CChar>?
        guard let table = dk_bind_cublas(handle, &missing) else {
            throw CUDAError.symbolMissing(.cublas, path: path, symbol: missing.map { String(cString: $0) } ?? "?")
        }
        self.api = table.pointee
        dk_free_table(table)
        self.path = path
    }

    /// Throws `CUDAError.cublasCall` unless `status` is success.
    func check(_ status: DKcublasStatus, _ call: @autoclosure () -> String) throws {
        guard status != 0 else { return }
        throw CUDAError.cublasCall(call(), status: status)
    }
}
