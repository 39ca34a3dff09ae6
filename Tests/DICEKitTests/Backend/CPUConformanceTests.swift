// The backend conformance kit (Tests/BackendConformance) on the reference backend, with the
// kit's tolerances as written. The CUDA test target runs the same list on the GPU.

import BackendConformance
import DICEKit
import Testing

@Suite("Backend conformance: CPUBackend vs the Double oracle")
struct CPUConformanceTests {
    @Test("kernel checks of the conformance kit", arguments: ConformanceCase.all)
    func conformance(_ check: ConformanceCase) throws {
        try check.run(on: .cpu)
    }
}
