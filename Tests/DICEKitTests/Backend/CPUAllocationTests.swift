// The CPU backend's allocation failure for a size whose byte count overflows `Int`. (The
// conformance kit checks `allocationFailed` for every backend; this one needs an exit test,
// which runs in a child process.)

import DICEKit
import Testing

@Suite("CPU backend allocation")
struct CPUAllocationTests {
    /// A size whose byte count overflows `Int` (e.g. from a corrupt file header) must throw,
    /// and the error must be printable: `BackendError.description` must not trap computing the
    /// byte count (`count * 4`). Runs in a child process so that a trap fails this test alone
    /// instead of killing the whole test run.
    @Test("allocationFailed for a byte count that overflows Int is thrown and printable")
    func allocateOverflowingSize() async {
        await #expect(processExitsWith: .success) {
            let backend = CPUBackend(threads: 1)
            do {
                _ = try backend.allocate(Int.max)
                fatalError("allocate(Int.max) returned a buffer")
            } catch {
                _ = String(describing: error)
            }
        }
    }
}
