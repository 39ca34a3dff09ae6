import Foundation
import Testing
@testable import DICEKitCUDA

/// Every kernel family compiles with NVRTC — on any machine where libnvrtc can be found, GPU
/// or not (`make test` installs the PyPI wheel into .build-nvrtc/ and sets DICEKIT_LIBNVRTC).
/// Without a device the architecture is fixed: sm_80 (A100) as CUBIN, compute_80 as PTX.
@Suite("CUDA kernels compile with NVRTC")
struct KernelCompilationTests {
    @Test("CUBIN for sm_80", .enabled(if: Availability.hasNVRTC, Availability.nvrtcComment),
          arguments: CUDAKernelFamily.allCases)
    func compilesToCUBIN(_ family: CUDAKernelFamily) throws {
        let nvrtc = try Availability.nvrtc.get()
        try #require(nvrtc.supportsCUBIN, "NVRTC \(nvrtc.version) cannot emit CUBIN")
        let image = try nvrtc.compile(family, architecture: 80, output: .cubin)
        // An ELF object: 0x7f 'E' 'L' 'F'.
        #expect(Array(image.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46], "\(family): not an ELF image")
    }

    @Test("PTX for compute_80 names every kernel", .enabled(if: Availability.hasNVRTC, Availability.nvrtcComment),
          arguments: CUDAKernelFamily.allCases)
    func compilesToPTX(_ family: CUDAKernelFamily) throws {
        let image = try Availability.nvrtc.get().compile(family, architecture: 80, output: .ptx)
        let ptx = String(decoding: image.prefix { $0 != 0 }, as: UTF8.self)
        #expect(ptx.contains(".target sm_80"))
        for name in family.kernelNames {
            #expect(ptx.contains(".entry \(name)("), "\(family): kernel \(name) missing from the PTX")
        }
    }

    @Test("A broken source is reported with NVRTC's log", .enabled(if: Availability.hasNVRTC, Availability.nvrtcComment))
    func compileErrorCarriesLog() throws {
        // The CUBIN of an unknown architecture: NVRTC rejects the option.
        #expect {
            _ = try Availability.nvrtc.get().compile(.rope, architecture: 1, output: .cubin)
        } throws: { error in
            guard case CUDAError.compilationFailed(let family, let architecture, _) = error else { return false }
            return family == "rope" && architecture.contains("sm_1")
        }
    }

    /// The backend's kernel table and the sources agree: every launched kernel is defined in its
    /// family's source, and every defined kernel is launched.
    @Test func kernelTableMatchesSources() {
        for family in CUDAKernelFamily.allCases {
            let defined = Set(family.kernelNames)
            let launched = Set(CUDAKernel.allCases.filter { $0.family == family }.map(\.rawValue))
            #expect(defined == launched, "\(family): defined \(defined.sorted()), launched \(launched.sorted())")
        }
    }
}
