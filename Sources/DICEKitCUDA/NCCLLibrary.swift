// NCCLLibrary: NVIDIA's collective library (libnccl.so.2) opened at run time, like cuBLAS.

import CMPIShim
import DICEKit
import Foundation

/// NCCL, opened with `dlopen` when first needed (no NCCL at build time), from, in order:
/// `DICEKIT_LIBNCCL` (a file, or a folder holding `libnccl.so.2`; when set only it is tried),
/// the system's search by name (`libnccl.so.2`), then the Python package `nvidia-nccl-cu12`
/// (`site-packages/nvidia/nccl/lib/libnccl.so.2`) in the folders `CUDALibraryLocator` searches.
///
/// Loading, `version` and `uniqueID()` need no GPU; a communicator does.
///
/// @unchecked Sendable: the bound function table is immutable after `init`.
public final class NCCLLibrary: @unchecked Sendable {
    /// The file that was opened.
    public let path: String
    /// NCCL's version code (e.g. 23203 for 2.32.3).
    public let version: Int
    let api: OpaquePointer

    /// Where NCCL is looked for, in order (see the type's description).
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let override = environment["DICEKIT_LIBNCCL"], !override.isEmpty {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: override, isDirectory: &isFolder), isFolder.boolValue {
                return [override + "/libnccl.so.2"]
            }
            return [override]
        }
        let sites = CUDALibraryLocator(environment: environment).pythonSiteFolders()
        return ["libnccl.so.2"] + sites.map { $0 + "/nvidia/nccl/lib/libnccl.so.2" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Opens the first candidate that loads and binds.
    /// - Throws: `CommunicatorError.unavailable` listing every path tried and why it failed,
    ///   with where to get NCCL.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var failures: [String] = []
        for candidate in Self.candidates(environment: environment) {
            var error: UnsafePointer<CChar>?
            guard let api = dk_nccl_open(candidate, &error) else {
                failures.append("\(candidate): " + (error.map { String(cString: $0) } ?? "dlopen failed"))
                continue
            }
            var code: Int32 = 0
            let status = dk_nccl_version(api, &code)
            guard status == 0 else {
                failures.append("\(candidate): ncclGetVersion returned \(status)")
                continue
            }
            self.api = api
            self.path = candidate
            self.version = Int(code)
            return
        }
        throw CommunicatorError.unavailable(
            library: "NCCL (libnccl.so.2)",
            reason: "tried " + failures.joined(separator: "; ")
                + " (install it with `pip install nvidia-nccl-cu12`, or set DICEKIT_LIBNCCL to the file)")
    }

    /// A fresh ncclUniqueId (128 bytes), made by rank 0 and shared with the others.
    /// - Throws: `CommunicatorError.transport` with NCCL's message.
    public func uniqueID() throws -> [UInt8] {
        var id = [UInt8](repeating: 0, count: Int(DK_NCCL_UNIQUE_ID_BYTES))
        let status = id.withUnsafeMutableBytes { dk_nccl_unique_id(api, $0.baseAddress!) }
        try check(status, "ncclGetUniqueId", rank: 0)
        return id
    }

    func check(_ status: Int32, _ call: String, rank: Int) throws {
        guard status == 0 else {
            throw CommunicatorError.transport(rank: rank, operation: call, message: String(cString: dk_nccl_error_string(api, status)))
        }
    }
}
