import DICEKit
import Testing
@testable import DICEKitCUDA

/// `BackendChoice.makeBackend`: cpu is the CPU backend, cuda fails with the reason when CUDA
/// cannot be used, auto falls back to the CPU.
@Suite("Backend choice")
struct BackendChoiceTests {
    /// An environment in which the driver library cannot be found.
    let noDriver = ["DICEKIT_LIBCUDA": "/nowhere/libcuda.so.1"]

    @Test func cpuIsTheCPUBackend() throws {
        #expect(try BackendChoice.cpu.makeBackend(environment: noDriver) is CPUBackend)
    }

    @Test func cudaWithoutDriverThrowsNamingIt() {
        #expect(throws: CUDAError.libraryNotFound(.driver, tried: ["/nowhere/libcuda.so.1"],
                                                  reason: "/nowhere/libcuda.so.1: cannot open shared object file: No such file or directory")) {
            _ = try BackendChoice.cuda.makeBackend(environment: noDriver)
        }
    }

    @Test func autoFallsBackToCPU() throws {
        #expect(try BackendChoice.auto.makeBackend(environment: noDriver).name == "cpu")
    }

    @Test func namesParse() {
        #expect(BackendChoice.allCases.map(\.rawValue) == ["cpu", "cuda", "auto"])
        #expect(BackendChoice(rawValue: "gpu") == nil)
    }
}
