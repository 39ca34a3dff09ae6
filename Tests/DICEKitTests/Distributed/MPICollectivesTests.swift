// Open MPI collectives of `dice` under mpirun on this host: every collective against sums and
// concatenations computed in the test's own loops (`dice collectives`), and a rank that stops
// answering named by the others' deadline.

import Foundation
import Testing

@Suite("MPI collectives (2 ranks under mpirun)", .serialized)
struct MPICollectivesTests {
    @Test("all-reduce, reduce-scatter, all-gather, broadcast and barrier give the rank-order results")
    func collectives() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-collectives")
        defer { folder.remove() }
        // 600 001 elements: shards of 300 001 and 300 000, so the all-reduce's chunks of 1 MiB
        // (262 144 Float, 131 072 Double values) come out uneven, with a short last chunk.
        let result = try MPIRun.run(ranks: 2, ["collectives", "--count", "600001"], in: folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["ranks 2", "allReduceSum Float 600001: bit-identical", "allReduceSum in place 600001: bit-identical",
                     "allReduceSum Double 600001: bit-identical",
                     "reduceScatterSum: every rank", "allGather: variable-length", "broadcast: root 1", "barrier"] {
            #expect(result.stdout.contains(line), "missing '\(line)' in \(result.stdout)")
        }
    }

    @Test("a rank that stops answering is named by the others within the collective timeout")
    func lostRank() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-lost")
        defer { folder.remove() }
        let result = try MPIRun.run(ranks: 2, ["collectives", "--hang-rank", "1", "--timeout", "3"], in: folder.url,
                                    limit: 120)
        #expect(result.status != 0)
        #expect(result.seconds < 60, "took \(result.seconds) s")
        #expect(result.stderr.contains("rank 1 was lost"), "\(result.stderr)")
    }
}
