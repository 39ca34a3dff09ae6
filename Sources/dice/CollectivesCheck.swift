import ArgumentParser
import DICEKit
import Foundation

/// `dice collectives` (hidden): checks every collective of this process's communicator against
/// sums and concatenations computed here from what each rank is known to pass, for the tests
/// and for checking an MPI installation (`mpirun -np 2 dice collectives`). Rank 0 prints one
/// line per check; any rank exits non-zero on a wrong result.
struct CollectivesCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collectives",
        abstract: "Check the communicator's collectives (run under mpirun).",
        shouldDisplay: false
    )

    @Option(help: "Elements per reduced buffer.") var count = 1000
    @Option(help: "This rank stops answering (sleeps) before the last check, to test lost-rank detection.")
    var hangRank: Int?
    @Option(help: "Seconds a collective waits for a peer.") var timeout: Double?

    struct Wrong: Error, CustomStringConvertible {
        var description: String
    }

    func run() throws {
        try DistributedLaunch.run { communicator in
            if let timeout, let mpi = communicator as? MPICommunicator { mpi.timeout = timeout }
            try check(communicator)
        }
    }

    /// Rank r's value at index i: deterministic and distinct per rank, with a magnitude spread
    /// that makes the order of addition matter in Float.
    static func value(rank: Int, index: Int) -> Float {
        Float(sin(Double(index * 7 + rank * 13 + 1))) * pow(10, Float((index + rank) % 7 - 3))
    }

    private func check(_ c: any Communicator) throws {
        let n = count, r = c.rank, size = c.size
        func report(_ line: String) { if r == 0 { print(line) } }
        report("ranks \(size)")
        // All-reduce (Float): rank-order sum, the same bits as the naive loop here.
        var floats = (0..<n).map { Self.value(rank: r, index: $0) }
        try c.allReduceSum(&floats)
        var expected = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var s = Self.value(rank: 0, index: i)
            for k in 1..<max(1, size) { s += Self.value(rank: k, index: i) }
            expected[i] = s
        }
        guard floats.map(\.bitPattern) == expected.map(\.bitPattern) else {
            throw Wrong(description: "rank \(r): allReduceSum(Float) differs from the rank-order sum")
        }
        report("allReduceSum Float \(n): bit-identical to the rank-order sum")
        // All-reduce in place (the CPU gradient buffer's path).
        var inPlace = (0..<n).map { Self.value(rank: r, index: $0) }
        try inPlace.withUnsafeMutableBufferPointer { try c.allReduceSum(inPlace: $0) }
        guard inPlace.map(\.bitPattern) == expected.map(\.bitPattern) else {
            throw Wrong(description: "rank \(r): allReduceSum(inPlace:) differs from the rank-order sum")
        }
        report("allReduceSum in place \(n): bit-identical to the rank-order sum")
        // All-reduce (Double).
        var doubles = (0..<n).map { Double(Self.value(rank: r, index: $0)) * 1.000000001 }
        try c.allReduceSum(&doubles)
        let expectedDoubles = (0..<n).map { i in
            (1..<max(1, size)).reduce(Double(Self.value(rank: 0, index: i)) * 1.000000001) {
                $0 + Double(Self.value(rank: $1, index: i)) * 1.000000001
            }
        }
        guard doubles.map(\.bitPattern) == expectedDoubles.map(\.bitPattern) else {
            throw Wrong(description: "rank \(r): allReduceSum(Double) differs from the rank-order sum")
        }
        report("allReduceSum Double \(n): bit-identical to the rank-order sum")
        // Reduce-scatter: this rank's shard of the sum.
        let shard = try c.reduceScatterSum((0..<n).map { Self.value(rank: r, index: $0) })
        guard shard.map(\.bitPattern) == expected[c.shard(of: n)].map(\.bitPattern) else {
            throw Wrong(description: "rank \(r): reduceScatterSum gives the wrong shard")
        }
        report("reduceScatterSum: every rank holds its shard of the sum")
        // All-gather of variable-length bytes (rank r sends r·3 + 1 bytes; rank 1 a large buffer).
        let mine = (0..<(r == 1 ? 300_000 : r * 3 + 1)).map { UInt8(truncatingIfNeeded: $0 * 31 + r) }
        let gathered = try c.allGather(mine)
        for k in 0..<size {
            let theirs = (0..<(k == 1 ? 300_000 : k * 3 + 1)).map { UInt8(truncatingIfNeeded: $0 * 31 + k) }
            guard gathered[k] == theirs else { throw Wrong(description: "rank \(r): allGather of rank \(k) wrong") }
        }
        report("allGather: variable-length bytes of every rank")
        // Broadcast from the last rank.
        let root = size - 1
        let sent = Array("from rank \(root)".utf8)
        guard try c.broadcast(r == root ? sent : [], root: root) == sent else {
            throw Wrong(description: "rank \(r): broadcast wrong")
        }
        report("broadcast: root \(root)'s bytes on every rank")
        try c.barrier()
        report("barrier")
        report("bytes sent by rank 0: \(c.bytesSent)")
        if let hangRank {
            if r == hangRank { Thread.sleep(forTimeInterval: 3600) }
            try c.barrier()
        }
    }
}
