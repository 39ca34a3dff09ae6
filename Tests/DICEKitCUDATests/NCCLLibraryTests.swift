// NCCL bound at run time: a clear error when it is missing; where it is present (DICEKIT_LIBNCCL
// or the nvidia-nccl-cu12 wheel), its version and a unique id, which need no GPU; on a GPU, a
// communicator of one rank and its all-reduce (Scripts/gpu-check.sh runs it).

import DICEKit
import DICEKitCUDA
import Foundation
import Testing

@Suite("NCCL library")
struct NCCLLibraryTests {
    @Test("a missing NCCL is reported with every path tried and where to get it")
    func missing() {
        do {
            _ = try NCCLLibrary(environment: ["DICEKIT_LIBNCCL": "/nonexistent/libnccl.so.2"])
            Issue.record("NCCL was loaded from a missing file")
        } catch {
            let text = String(describing: error)
            #expect(text.contains("/nonexistent/libnccl.so.2"))
            #expect(text.contains("nvidia-nccl-cu12"))
        }
    }

    @Test("where NCCL is installed: its symbols bind, its version and a 128-byte unique id (no GPU needed)")
    func present() throws {
        let library: NCCLLibrary
        do {
            library = try NCCLLibrary()
        } catch {
            print("skipped: NCCL not installed here (\(error)); `pip install nvidia-nccl-cu12` or DICEKIT_LIBNCCL runs this test")
            return
        }
        #expect(library.version >= 2_00_00, "version code \(library.version)")
        let id = try library.uniqueID()
        #expect(id.count == 128)
        #expect(id.contains { $0 != 0 })
    }

    @Test("one GPU: a one-rank NCCL communicator (its id shared over the local communicator) all-reduces in place",
          .enabled(if: Availability.hasDevice, Availability.deviceComment))
    func singleGPUAllReduce() throws {
        let library: NCCLLibrary
        do {
            library = try NCCLLibrary()
        } catch {
            print("skipped: NCCL not installed here (\(error))")
            return
        }
        let backend = try CUDABackend()
        let nccl = try NCCLCommunicator(library: library, host: LocalCommunicator(), backend: backend)
        #expect(nccl.rank == 0 && nccl.size == 1)
        let values = (0..<1000).map { Float($0) * 0.5 - 3 }
        let slice = BufferSlice(try backend.allocate(values.count))
        backend.upload(values, to: slice)
        try nccl.allReduceSum(slice)
        #expect(backend.download(slice) == values, "the sum over one rank is the buffer itself")
        try NCCLGradientReducer(nccl).reduce(slice.slice(10, 500), on: backend)
        #expect(backend.download(slice) == values)
    }
}
