// The backend conformance kit (Tests/BackendConformance) on the GPU: every kernel check that
// the CPU backend passes, against the same Double oracles, with the GPU tolerances
// (`KernelTolerance.gpu`). Needs a CUDA device; skipped with the reason otherwise.

import BackendConformance
import DICEKit
import DICEKitCUDA
import Testing

@Suite("Backend conformance: CUDABackend vs the Double oracle",
       .enabled(if: Availability.hasDevice, Availability.deviceComment))
struct CUDAConformanceTests {
    static let cuda = BackendUnderTest(name: "cuda", tolerance: .gpu) { try CUDABackend() }

    @Test("kernel checks of the conformance kit", arguments: ConformanceCase.all)
    func conformance(_ check: ConformanceCase) throws {
        try check.run(on: Self.cuda)
    }
}
