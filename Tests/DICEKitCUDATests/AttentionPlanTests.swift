import DICEKit
import Testing
@testable import DICEKitCUDA

/// The attention kernels' batch tables against the `AttentionSequence` contract: one work item
/// per query row, and every (sequence, score column) use of every key row exactly once, under
/// the row that column reads.
@Suite("CUDA attention plan")
struct AttentionPlanTests {
    static let batches: [[AttentionSequence]] = [
        [AttentionSequence(start: 0, count: 5), AttentionSequence(start: 5, count: 3)],
        // A shared prompt (rows 0..<4) read as a prefix by two responses.
        [AttentionSequence(start: 0, count: 4), AttentionSequence(start: 4, count: 3, prefixStart: 0, prefixCount: 4),
         AttentionSequence(start: 7, count: 2, prefixStart: 0, prefixCount: 4)],
        // Decoding: one query row at the end of a longer cached key range.
        [AttentionSequence(queryStart: 0, queryCount: 1, keyStart: 10, keyCount: 6),
         AttentionSequence(queryStart: 1, queryCount: 2, keyStart: 0, keyCount: 9)],
        [],
    ]

    @Test(arguments: batches)
    func tablesCoverTheBatch(_ batch: [AttentionSequence]) {
        let plan = CUDAAttentionPlan(batch)
        #expect(plan.sequences.count == 7 * batch.count)
        var items: [[Int32]] = []
        for w in 0..<plan.itemCount { items.append([plan.items[2 * w], plan.items[2 * w + 1]]) }
        let wantItems = batch.enumerated().flatMap { s, seq in (0..<seq.queryCount).map { [Int32(s), Int32($0)] } }
        #expect(items == wantItems)

        var uses: [[Int]] = []  // (row, sequence, column)
        #expect(plan.offsets.count == plan.keyRows.count + 1 && plan.offsets.first == 0)
        #expect(plan.keyRows == plan.keyRows.sorted() && Set(plan.keyRows).count == plan.keyRows.count)
        for (r, row) in plan.keyRows.enumerated() {
            for e in Int(plan.offsets[r])..<Int(plan.offsets[r + 1]) {
                uses.append([Int(row), Int(plan.entries[2 * e]), Int(plan.entries[2 * e + 1])])
            }
        }
        var want: [[Int]] = []
        for (s, seq) in batch.enumerated() {
            for j in 0..<seq.prefixCount { want.append([seq.prefixStart + j, s, j]) }
            for j in 0..<seq.keyCount { want.append([seq.keyStart + j, s, seq.prefixCount + j]) }
        }
        #expect(uses.sorted { $0.lexicographicallyPrecedes($1) } == want.sorted { $0.lexicographicallyPrecedes($1) })
    }
}
