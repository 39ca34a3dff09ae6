// Communicator+Shares: splitting work cut in batches over the ranks so that every batch is the
// one a single process computes, and sharing rows and files between the ranks — what the DICE
// loop needs to sample, score and read its run folder on several ranks.

import Foundation

extension Communicator {
    /// This rank's share of `count` items that one process handles in batches of `batch`
    /// (`0..<batch`, `batch..<2·batch`, …): whole batches, contiguous, in rank order
    /// (`shard(of:)` of the batch count), so every batch holds the items it holds in one process
    /// and computes the same bits. A rank may get none (fewer batches than ranks).
    /// - Parameters:
    ///   - count: the items, ≥ 0.
    ///   - batch: items per batch (values below 1 count as 1).
    public func share(of count: Int, batch: Int) -> Range<Int> {
        let step = max(1, batch), batches = (count + step - 1) / step
        let mine = shard(of: batches)
        return min(count, mine.lowerBound * step)..<min(count, mine.upperBound * step)
    }

    /// Every rank's `rows`, concatenated in rank order, on every rank (exchanged as JSON lines,
    /// whose numbers round-trip exactly).
    /// - Throws: `JSONLError` for a row JSON cannot hold or read back; what the all-gather throws.
    public func allGatherRows<T: Codable>(_ rows: [T]) throws -> [T] {
        guard size > 1 else { return rows }
        let parts = try allGather(Array(JSONL.encode(rows)))
        return try JSONL.decode(T.self, from: Data(parts.joined()), path: "the rows gathered from \(size) ranks")
    }

    /// Rank 0's `value` on every rank (the others' argument is ignored; sent as JSON).
    /// - Throws: `EncodingError` / `DecodingError`; what the broadcast throws.
    public func broadcastValue<T: Codable>(_ value: T) throws -> T {
        guard size > 1 else { return value }
        let bytes = try broadcast(rank == 0 ? Array(JSONEncoder().encode(value)) : [], root: 0)
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// The bytes of the file at `url` on every rank, read by rank 0 alone (the others need not
    /// see the file system rank 0 writes to).
    /// - Throws: what reading throws on rank 0 (`CommunicatorError.peerFailed` naming it on the
    ///   others); what the broadcast throws.
    public func readOnRankZero(_ url: URL) throws -> Data {
        guard size > 1 else { return try Data(contentsOf: url) }
        let bytes = try agree { rank == 0 ? Array(try Data(contentsOf: url)) : [] }
        return Data(try broadcast(bytes, root: 0))
    }
}
