// How data-parallel ranks choose their gradient transport, without a GPU: one process and CPU
// ranks never load NCCL; CUDA ranks use it only when every rank loaded it, and otherwise fall
// back to the host all-reduce with a one-line notice saying why.

import DICEKit
import DICEKitCUDA
import Foundation
import Testing

@Suite("GPU gradient reduction choice")
struct GPUGradientReductionTests {
    /// Rank 0 of two ranks whose peer contributes `peer` to every all-gather (this rank's own
    /// bytes when nil).
    final class TwoRanks: Communicator {
        let rank = 0
        let size = 2
        let bytesSent = 0
        let peer: [UInt8]?
        private(set) var gathers = 0

        init(peer: [UInt8]?) {
            self.peer = peer
        }

        func reduceScatterSum(_ values: [Float]) -> [Float] { Array(values[shard(of: values.count)]) }
        func reduceScatterSum(_ values: [Double]) -> [Double] { Array(values[shard(of: values.count)]) }
        func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
            gathers += 1
            return [bytes, peer ?? bytes]
        }
        func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8] { bytes }
        func barrier() {}
    }

    static let missing = ["DICEKIT_LIBNCCL": "/nonexistent/libnccl.so.2"]

    @Test("one process and CPU ranks never load NCCL and say nothing")
    func noNCCLNeeded() throws {
        var loads = 0
        let load: () throws -> NCCLLibrary = {
            loads += 1
            return try NCCLLibrary(environment: Self.missing)
        }
        let alone = try GPUGradientReduction.agreedLibrary(host: LocalCommunicator(), loadLibrary: load)
        #expect(alone.library == nil && alone.notice == nil)
        let two = TwoRanks(peer: nil)
        guard case .host(let notice) = try GPUGradientReduction.choose(host: two, backend: CPUBackend(threads: 1),
                                                                      loadLibrary: load) else {
            Issue.record("CPU ranks chose NCCL")
            return
        }
        #expect(notice == nil)
        #expect(loads == 0 && two.gathers == 0)
    }

    @Test("NCCL missing on this rank: the host all-reduce, with a one-line notice naming what was tried")
    func missingHere() throws {
        let two = TwoRanks(peer: [1])
        let (library, notice) = try GPUGradientReduction.agreedLibrary(host: two) {
            try NCCLLibrary(environment: Self.missing)
        }
        #expect(library == nil)
        let text = try #require(notice)
        #expect(text.hasPrefix("notice: NCCL cannot be used"), "\(text)")
        #expect(text.contains("/nonexistent/libnccl.so.2") && text.contains("host communicator"), "\(text)")
        #expect(!text.contains("\n"))
        // The ranks agreed (one all-gather), so that the peer that loaded NCCL does not use it alone.
        #expect(two.gathers == 1)
    }

    @Test("where NCCL is installed: used when every rank loaded it, not when a peer could not")
    func agreement() throws {
        do {
            _ = try NCCLLibrary()
        } catch {
            print("skipped: NCCL not installed here (\(error)); `pip install nvidia-nccl-cu12` or DICEKIT_LIBNCCL runs this test")
            return
        }
        let everyone = try GPUGradientReduction.agreedLibrary(host: TwoRanks(peer: nil)) { try NCCLLibrary() }
        #expect(everyone.library != nil && everyone.notice == nil)
        let lonely = try GPUGradientReduction.agreedLibrary(host: TwoRanks(peer: [])) { try NCCLLibrary() }
        #expect(lonely.library == nil)
        #expect(lonely.notice?.contains("rank(s) 1 could not load it") == true, "\(lonely.notice ?? "no notice")")
    }
}
