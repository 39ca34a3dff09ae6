import Foundation
import Testing
import CKernels
@testable import DICEKit

/// `ParallelLoop` against a serial oracle: every index is visited exactly once, chunk ranges
/// tile the index range as documented, and callers on several threads at once (which contend
/// for the worker pool and fall back to Dispatch) and nested calls all complete.
@Suite struct ParallelLoopTests {
    /// Per-index visit counts of one `forEachChunk` call, plus the ranges it handed out.
    private static func visits(_ loop: ParallelLoop, count: Int, grain: Int, perThread: Int) -> ([Int], [Range<Int>]) {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let lock = NSLock()
        var ranges: [Range<Int>] = []
        loop.forEachChunk(count, grain: grain, chunksPerThread: perThread) { r in
            for i in r { counts[i] += 1 }
            lock.lock(); ranges.append(r); lock.unlock()
        }
        return (Array(counts.prefix(count)), ranges.sorted { $0.lowerBound < $1.lowerBound })
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyIndexOnceAndRangesAsDocumented(threads: Int) {
        let loop = ParallelLoop(threads: threads)
        for count in [0, 1, 2, 7, 64, 1000, 4099] {
            for grain in [1, 16, 300] {
                for perThread in [1, 4] {
                    let (counts, ranges) = Self.visits(loop, count: count, grain: grain, perThread: perThread)
                    #expect(counts.allSatisfy { $0 == 1 }, "count \(count) grain \(grain)")
                    let chunks = count == 0 ? 0 : min(threads * perThread, max(1, count / grain))
                    #expect(ranges.count == chunks)
                    let expected = (0..<chunks).map { c in (count * c / chunks)..<(count * (c + 1) / chunks) }
                    if chunks > 1 { #expect(ranges == expected) }
                }
            }
        }
    }

    /// Many short jobs straight on the worker pool, back to back, with changing chunk counts
    /// and one reused buffer: a worker claiming a chunk of a job that has already returned
    /// shows up as a cell visited twice. (Such a bug, a stale ticket meeting the next job's
    /// larger chunk count, took ~20,000 jobs to show in a C stress loop; this test makes the
    /// same race possible but cannot force its timing.)
    @Test func rapidPoolJobsRunEachChunkOnce() {
        // Cells 0..<9 count visits; 9..<18 take each chunk's busy work (uneven, so that the
        // worker takes part in jobs and sometimes lags behind).
        let cells = UnsafeMutableBufferPointer<Int>.allocate(capacity: 18)
        defer { cells.deallocate() }
        var failures = 0
        for job in 0..<100_000 {
            let chunks = 1 + job % 9
            cells.initialize(repeating: 0)
            // Another test may hold the pool for a moment: try again until this job ran on it.
            while ck_pool_run(2, Int64(chunks), { context, chunk in
                guard let cells = context?.assumingMemoryBound(to: Int.self) else { return }
                var work = 0
                for k in 0..<(Int(chunk) * 37 % 500) { work &+= k }
                cells[9 + Int(chunk)] = work
                cells[Int(chunk)] += 1
            }, cells.baseAddress) == 0 {}
            if (cells.prefix(chunks).contains { $0 != 1 } || cells[chunks..<9].contains { $0 != 0 }) {
                failures += 1
            }
        }
        #expect(failures == 0)
    }

    @Test func concurrentAndNestedCallersAllComplete() {
        let loop = ParallelLoop(threads: 2)
        let callers = 4, rounds = 300, count = 257
        let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers)
        totals.initialize(repeating: 0)
        defer { totals.deallocate() }
        let shared = UncheckedBox(totals)  // each caller writes only its own cell
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<rounds {
                let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
                sums.initialize(repeating: 0)
                loop.forEach(count) { i in
                    // Every few rounds, a nested call from inside a chunk.
                    if round % 7 == 0 {
                        var inner = 0
                        let cells = UnsafeMutableBufferPointer<Int>.allocate(capacity: 5)
                        cells.initialize(repeating: 0)
                        loop.forEach(5) { j in cells[j] = j + 1 }
                        inner = cells.reduce(0, +)
                        cells.deallocate()
                        sums[i] = i + inner
                    } else {
                        sums[i] = i + 15
                    }
                }
                shared.value[caller] += sums.reduce(0, +)
                sums.deallocate()
            }
        }
        // Σ (i + 15) over i < count, per round; nested rounds add 1+…+5 = 15 too.
        let perRound = count * (count - 1) / 2 + 15 * count
        for caller in 0..<callers { #expect(totals[caller] == perRound * rounds) }
    }
}
