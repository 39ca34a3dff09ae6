import DICEKit

/// The integer tables that describe a packed attention batch to the CUDA kernels (see
/// Kernels/AttentionKernels.swift): one work item per query row, and for every key row the
/// (sequence, score column) uses of it, so that one warp owns each dQ row and each dK/dV row.
struct CUDAAttentionPlan: Equatable {
    /// [S, 7]: queryStart, queryCount, keyStart, keyCount, prefixStart, prefixCount, window (0:
    /// none).
    var sequences: [Int32] = []
    /// [W, 2]: (sequence, query index within it).
    var items: [Int32] = []
    /// The distinct key rows read, ascending.
    var keyRows: [Int32] = []
    /// [keyRows.count + 1]: CSR offsets of each key row's uses in `entries`.
    var offsets: [Int32] = [0]
    /// [E, 2]: (sequence, score column) per use, by key row, then sequence, then column.
    var entries: [Int32] = []

    var itemCount: Int { items.count / 2 }

    init(_ batch: [AttentionSequence]) {
        var uses: [Int: [(Int, Int)]] = [:]
        for (s, seq) in batch.enumerated() {
            sequences += [seq.queryStart, seq.queryCount, seq.keyStart, seq.keyCount, seq.prefixStart, seq.prefixCount,
                          seq.window ?? 0]
                .map { Int32($0) }
            for i in 0..<seq.queryCount { items += [Int32(s), Int32(i)] }
            for j in 0..<(seq.prefixCount + seq.keyCount) {
                let row = j < seq.prefixCount ? seq.prefixStart + j : seq.keyStart + j - seq.prefixCount
                uses[row, default: []].append((s, j))
            }
        }
        for row in uses.keys.sorted() {
            keyRows.append(Int32(row))
            for (s, j) in uses[row] ?? [] { entries += [Int32(s), Int32(j)] }
            offsets.append(Int32(entries.count / 2))
        }
    }
}
