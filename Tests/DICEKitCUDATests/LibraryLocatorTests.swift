import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

/// Where the CUDA libraries are looked for, and what the error says when they are not there.
@Suite("CUDA library search")
struct LibraryLocatorTests {
    /// A fake site-packages tree: nvidia/cublas/lib/libcublas.so.{11,12}, nvidia/cu13/lib/
    /// libcublas.so.13, nvidia/cuda_nvrtc/lib/libnvrtc.so.12 and a decoy libnvrtc.alt.so.12.
    func makeSite() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dicekit-site-\(UUID().uuidString)")
        let files = ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublas.so.11",
                     "nvidia/cu13/lib/libcublas.so.13", "nvidia/cuda_nvrtc/lib/libnvrtc.so.12",
                     "nvidia/cuda_nvrtc/lib/libnvrtc.alt.so.12", "nvidia/cuda_nvrtc/lib/libnvrtc-builtins.so.12.9"]
        for f in files {
            let url = root.appendingPathComponent(f)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        return root
    }

    @Test func sitePackagesFromPythonPath() throws {
        let site = try makeSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let locator = CUDALibraryLocator(environment: ["PYTHONPATH": site.path])
        let cublas = locator.candidates(for: .cublas).filter { $0.hasPrefix(site.path) }
        #expect(cublas == ["nvidia/cublas/lib/libcublas.so.12", "nvidia/cublas/lib/libcublas.so.11",
                           "nvidia/cu13/lib/libcublas.so.13"].map { site.path + "/" + $0 })
        let nvrtc = locator.candidates(for: .nvrtc).filter { $0.hasPrefix(site.path) }
        #expect(nvrtc == [site.path + "/nvidia/cuda_nvrtc/lib/libnvrtc.so.12"])
        // System names come first; the driver is never looked for in site-packages.
        #expect(locator.candidates(for: .nvrtc).first == "libnvrtc.so")
        #expect(!locator.candidates(for: .driver).contains { $0.hasPrefix(site.path) })
    }

    @Test func sitePackagesFromVirtualEnv() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("dicekit-venv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: prefix) }
        let lib = prefix.appendingPathComponent("lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        try Data().write(to: lib.appendingPathComponent("libnvrtc.so.12"))
        let locator = CUDALibraryLocator(environment: ["VIRTUAL_ENV": prefix.path])
        #expect(locator.candidates(for: .nvrtc).contains(lib.appendingPathComponent("libnvrtc.so.12").path))
    }

    @Test func overrideIsAuthoritative() throws {
        let site = try makeSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let folder = site.appendingPathComponent("nvidia/cublas/lib").path
        let byFolder = CUDALibraryLocator(environment: ["DICEKIT_LIBCUBLAS": folder, "PYTHONPATH": site.path])
        #expect(byFolder.candidates(for: .cublas) == [folder + "/libcublas.so.12", folder + "/libcublas.so.11"])
        let byFile = CUDALibraryLocator(environment: ["DICEKIT_LIBCUDA": "/nowhere/libcuda.so.1"])
        #expect(byFile.candidates(for: .driver) == ["/nowhere/libcuda.so.1"])
    }

    @Test func missingDriverNamesLibraryAndVariable() {
        let env = ["DICEKIT_LIBCUDA": "/nowhere/libcuda.so.1"]
        #expect {
            _ = try CUDABackend(locator: CUDALibraryLocator(environment: env))
        } throws: { error in
            guard case CUDAError.libraryNotFound(.driver, let tried, _) = error else { return false }
            let text = "\(error)"
            return tried == ["/nowhere/libcuda.so.1"] && text.contains("libcuda.so.1")
                && text.contains("DICEKIT_LIBCUDA") && text.contains("/nowhere/libcuda.so.1")
        }
    }

    @Test func missingNVRTCNamesVariableAndPackage() {
        #expect {
            _ = try NVRTC(locator: CUDALibraryLocator(environment: ["DICEKIT_LIBNVRTC": "/nowhere/libnvrtc.so.12"]))
        } throws: { error in
            "\(error)".contains("DICEKIT_LIBNVRTC") && "\(error)".contains("nvidia-cuda-nvrtc-cu12")
        }
    }

    /// Every "unavailable" message names its library and environment variable, or the device.
    @Test(arguments: CUDALibrary.allCases)
    func messagesNameWhatIsMissing(_ library: CUDALibrary) {
        let text = CUDAError.libraryNotFound(library, tried: ["a", "b"], reason: "r").description
        #expect(text.contains(library.environmentVariable) && text.contains(library.fileStem))
        let symbol = CUDAError.symbolMissing(library, path: "/x", symbol: "cuFoo").description
        #expect(symbol.contains("cuFoo") && symbol.contains(library.environmentVariable))
    }

    @Test func versionsSortNewestFirst() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dicekit-libs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["libnvrtc.so.11.2", "libnvrtc.so.12", "libnvrtc.so", "libnvrtc.so.9", "libnvrtcx.so"] {
            try Data().write(to: folder.appendingPathComponent(name))
        }
        let found = CUDALibraryLocator.matchingFiles(in: folder.path, stem: "libnvrtc.so").map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(found == ["libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.9", "libnvrtc.so"])
    }
}
