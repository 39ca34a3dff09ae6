import CCUDAShim
import Foundation

/// NVRTC, the run-time CUDA C compiler, bound at run time. It needs no GPU.
///
/// @unchecked Sendable: the table of function pointers is immutable after binding and NVRTC
/// programs are independent (one per call).
public final class NVRTC: @unchecked Sendable {
    let api: DKNVRTCAPI
    /// The file that was opened.
    public let path: String

    /// What a compilation produces.
    public enum Output: Sendable, Hashable {
        /// Device code for exactly the architecture (needs NVRTC ≥ 11.1).
        case cubin
        /// PTX, which the driver compiles for the device when the module is loaded.
        case ptx
    }

    /// Opens and binds libnvrtc, found by `locator`.
    /// - Throws: `CUDAError.libraryNotFound` or `.symbolMissing`.
    public init(locator: CUDALibraryLocator = CUDALibraryLocator()) throws {
        let (handle, path) = try locator.open(.nvrtc)
        var missing: UnsafePointer<CChar>?
        guard let table = dk_bind_nvrtc(handle, &missing) else {
            throw CUDAError.symbolMissing(.nvrtc, path: path, symbol: missing.map { String(cString: $0) } ?? "?")
        }
        self.api = table.pointee
        dk_free_table(table)
        self.path = path
    }

    /// NVRTC's version, e.g. (12, 9).
    public var version: (major: Int, minor: Int) {
        var major: Int32 = 0, minor: Int32 = 0
        _ = api.nvrtcVersion(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// Whether this NVRTC can emit CUBIN (11.1 and later).
    public var supportsCUBIN: Bool { api.nvrtcGetCUBIN != nil && api.nvrtcGetCUBINSize != nil }

    /// Compiles `family`'s source for compute capability `architecture` (e.g. 80 for sm_80).
    /// - Returns: the image for `cuModuleLoadData` (PTX is NUL-terminated).
    /// - Throws: `CUDAError.compilationFailed` with the compiler log, or `.nvrtcCall`.
    public func compile(_ family: CUDAKernelFamily, architecture: Int, output: Output) throws -> [UInt8] {
        let archOption = output == .cubin ? "--gpu-architecture=sm_\(architecture)"
                                          : "--gpu-architecture=compute_\(architecture)"
        let options = [archOption, "--std=c++14", "--device-as-default-execution-space"]
        var program: DKnvrtcProgram?
        try check(family.source.withCString { src in
            family.fileName.withCString { name in api.nvrtcCreateProgram(&program, src, name, 0, nil, nil) }
        }, "nvrtcCreateProgram")
        guard let program else { throw CUDAError.nvrtcCall("nvrtcCreateProgram", code: -1, message: "no program returned") }
        defer { var p: DKnvrtcProgram? = program; _ = api.nvrtcDestroyProgram(&p) }

        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        let status = cOptions.map { UnsafePointer<CChar>($0) }.withUnsafeBufferPointer { buffer in
            api.nvrtcCompileProgram(program, Int32(buffer.count), buffer.baseAddress)
        }
        if status != 0 {
            throw CUDAError.compilationFailed(family: family.rawValue, architecture: archOption,
                                              log: log(program) + " (\(message(status)))")
        }
        var size = 0
        if output == .cubin {
            guard let getSize = api.nvrtcGetCUBINSize, let get = api.nvrtcGetCUBIN else {
                throw CUDAError.nvrtcCall("nvrtcGetCUBIN", code: -1, message: "this NVRTC cannot emit CUBIN")
            }
            try check(getSize(program, &size), "nvrtcGetCUBINSize")
            var image = [CChar](repeating: 0, count: max(size, 1))
            try check(get(program, &image), "nvrtcGetCUBIN")
            return image.map { UInt8(bitPattern: $0) }
        }
        try check(api.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize")
        var image = [CChar](repeating: 0, count: size + 1)
        try check(api.nvrtcGetPTX(program, &image), "nvrtcGetPTX")
        return image.map { UInt8(bitPattern: $0) }
    }

    private func log(_ program: DKnvrtcProgram) -> String {
        var size = 0
        guard api.nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "(no compiler output)" }
        var text = [CChar](repeating: 0, count: size + 1)
        guard api.nvrtcGetProgramLog(program, &text) == 0 else { return "(compiler output unavailable)" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func message(_ code: DKnvrtcResult) -> String {
        String(cString: api.nvrtcGetErrorString(code))
    }

    private func check(_ code: DKnvrtcResult, _ call: String) throws {
        guard code != 0 else { return }
        throw CUDAError.nvrtcCall(call, code: code, message: message(code))
    }
}
