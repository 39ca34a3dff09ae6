// The communicator pieces that need no MPI: shard ranges, the single-process communicator,
// ZeRO-1's optimizer on one rank against AdamW, and Open MPI's absence reported.

import Foundation
import Testing
@testable import DICEKit

@Suite("Communicator (one process)")
struct CommunicatorTests {
    @Test("shards cover 0..<count contiguously, in rank order, lengths differing by at most one")
    func shards() {
        for size in 1...5 {
            for count in 0...23 {
                let ranges = (0..<size).map { Distribution.shard(of: count, rank: $0, size: size) }
                var next = 0
                for r in ranges {
                    #expect(r.lowerBound == next)
                    next = r.upperBound
                }
                #expect(next == count)
                let lengths = ranges.map(\.count)
                #expect(lengths.max()! - lengths.min()! <= 1)
                #expect(lengths == lengths.sorted(by: >), "the longer shards come first")
            }
        }
    }

    @Test("the local communicator returns its inputs; agree rethrows; requireSame passes")
    func local() throws {
        let c = LocalCommunicator()
        var values: [Float] = [1, 2.5, -3]
        try c.allReduceSum(&values)
        #expect(values == [1, 2.5, -3])
        #expect(c.reduceScatterSum([4.0, 5.0]) == [4.0, 5.0])
        #expect(c.allGather([1, 2]) == [[1, 2]])
        #expect(c.broadcast([7], root: 0) == [7])
        try c.requireSame([("x", "y")])
        struct Boom: Error {}
        #expect(throws: Boom.self) { try c.agree { throw Boom() } }
        #expect(try c.agree { 3 } == 3)
        #expect(c.bytesSent == 0)
    }

    @Test("packing Float and Double values into bytes round-trips; a ragged byte count is refused")
    func packing() throws {
        let f: [Float] = [1, -0.0, .infinity, 3.25e-30]
        #expect(try Distribution.floats(Distribution.bytes(f)).map(\.bitPattern) == f.map(\.bitPattern))
        let d: [Double] = [1e300, -2, .pi]
        #expect(try Distribution.doubles(Distribution.bytes(d)) == d)
        #expect(throws: CommunicatorError.self) { try Distribution.floats([1, 2, 3]) }
    }

    @Test("ZeRO-1 on one rank updates as AdamW bit for bit; its checkpoint state is AdamW's; restore keeps it")
    func shardedOptimizerOneRank() throws {
        var rng = SplitMix64(seed: 9)
        let n = 41
        let start = (0..<n).map { _ in rng.nextFloat() - 0.5 }
        let a = try OptimizerTests.store(start), b = try OptimizerTests.store(start)
        let plain = try AdamW(weightDecay: 0.01)
        let sharded = ShardedOptimizer(try AdamW(weightDecay: 0.01), communicator: LocalCommunicator())
        for t in 1...3 {
            let g = (0..<n).map { _ in rng.nextFloat() - 0.5 }
            try OptimizerTests.setGradients(a, g)
            try OptimizerTests.setGradients(b, g)
            try plain.update(a, learningRate: 1e-2 * Double(t))
            try sharded.update(b, learningRate: 1e-2 * Double(t))
        }
        #expect(try a.get("w").map(\.bitPattern) == b.get("w").map(\.bitPattern))
        #expect(try sharded.checkpointState() == plain.state())
        #expect(sharded.name == "adamw" && sharded.step == 3)
        let other = ShardedOptimizer(try AdamW(weightDecay: 0.01), communicator: LocalCommunicator())
        try other.restore(plain.state(), parameterCount: n, on: a.backend)
        #expect(other.state() == plain.state())
        #expect(throws: OptimizationError.self) {
            try other.restore(plain.state(), parameterCount: n + 1, on: a.backend)
        }
    }

    @Test("the all-reduce reducer of one process leaves the gradient as it is")
    func reducerOneProcess() throws {
        let p = try OptimizerTests.store([1, 2, 3])
        try OptimizerTests.setGradients(p, [0.5, -1, 2])
        try AllReduceGradientReducer(LocalCommunicator()).reduce(try p.gradients(), on: p.backend)
        #expect(p.backend.download(try p.gradients()) == [0.5, -1, 2])
    }

    @Test("Open MPI missing: an error naming the library and how to install it")
    func mpiMissing() {
        do {
            _ = try MPICommunicator(library: "/nonexistent/libmpi.so.40")
            Issue.record("a communicator was made from a missing library")
        } catch let error as CommunicatorError {
            guard case .unavailable(let library, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(library == "/nonexistent/libmpi.so.40")
            #expect(reason.contains("openmpi-bin"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(MPICommunicator.isLaunched(environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(MPICommunicator.isLaunched(environment: ["PMIX_RANK": "0"]))
        #expect(!MPICommunicator.isLaunched(environment: ["OMPI_COMM_WORLD_SIZE": "2", "DICEKIT_COMMUNICATOR": "local"]))
        #expect(!MPICommunicator.isLaunched(environment: [:]))
        #expect(MPICommunicator.defaultTimeout(environment: ["DICEKIT_COLLECTIVE_TIMEOUT": "12"]) == 12)
        #expect(MPICommunicator.defaultTimeout(environment: ["DICEKIT_COLLECTIVE_TIMEOUT": "-1"]) == 300)
    }
}
