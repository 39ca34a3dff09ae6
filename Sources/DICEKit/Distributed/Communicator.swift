// Communicator: the collectives that data-parallel training needs (sum of Float/Double buffers,
// reduce-scatter, all-gather of bytes, broadcast, barrier), every one deterministic.

/// A group of `size` processes (ranks `0..<size`) that exchange data; every rank calls the same
/// collectives in the same order.
///
/// Sums are deterministic: element `i` of a reduction is `x₀[i] + x₁[i] + … + x_{size−1}[i]`,
/// added left to right in rank order by the one rank that owns the shard holding `i` (see
/// `Communicator.shard(of:rank:size:)`), then copied to the others — never in arrival order, so
/// every rank ends with the same bits and a rerun gives the same bits again.
///
/// `LocalCommunicator` is one process (the default everywhere); `MPICommunicator` runs over
/// Open MPI, loaded at run time. A collective that cannot complete (a lost rank, a timeout)
/// throws `CommunicatorError`, and the communicator must not be used again.
public protocol Communicator: AnyObject {
    /// This process's rank, `0..<size`.
    var rank: Int { get }
    /// The number of ranks (≥ 1).
    var size: Int { get }
    /// Bytes this rank has sent to other ranks so far (0 for one process).
    var bytesSent: Int { get }
    /// Rank `r`'s shard of the element-wise sum of every rank's `values` (each rank passes the
    /// same count `n`): `values` `[n]` in, the slice `shard(of: n, rank: rank, size: size)` of the
    /// sum out.
    /// - Throws: `CommunicatorError` (a lost rank, a timeout, counts that differ).
    func reduceScatterSum(_ values: [Float]) throws -> [Float]
    /// The `Double` form of `reduceScatterSum(_:)`.
    /// - Throws: `CommunicatorError`.
    func reduceScatterSum(_ values: [Double]) throws -> [Double]
    /// The element-wise sum of every rank's `values` `[n]`, in place on every rank, in rank
    /// order (a reduce-scatter, then an all-gather of the shards).
    /// - Throws: `CommunicatorError`.
    func allReduceSum(_ values: inout [Float]) throws
    /// The `Double` form of `allReduceSum(_:)`.
    /// - Throws: `CommunicatorError`.
    func allReduceSum(_ values: inout [Double]) throws
    /// `allReduceSum(_:)` on memory the caller owns (a CPU backend's gradient buffer `[n]`), with
    /// the same bits: a communicator that can exchange in place saves the copies into and out of
    /// an array (the default makes them).
    /// - Throws: `CommunicatorError`.
    func allReduceSum(inPlace values: UnsafeMutableBufferPointer<Float>) throws
    /// Every rank's `bytes` (any length, each rank its own), indexed by rank.
    /// - Throws: `CommunicatorError`.
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]]
    /// `root`'s `bytes` on every rank (the others' argument is ignored).
    /// - Throws: `CommunicatorError`.
    func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8]
    /// Returns once every rank has called it.
    /// - Throws: `CommunicatorError`.
    func barrier() throws
}

extension Communicator {
    /// The range of shard `rank` of `count` elements split over `size` ranks: contiguous, in
    /// rank order, the first `count % size` shards one element longer.
    public static func shard(of count: Int, rank: Int, size: Int) -> Range<Int> {
        Distribution.shard(of: count, rank: rank, size: size)
    }

    /// This rank's range of `count` elements (`shard(of:rank:size:)`).
    public func shard(of count: Int) -> Range<Int> { Distribution.shard(of: count, rank: rank, size: size) }

    /// The default all-reduce: `reduceScatterSum`, then the shards all-gathered as bytes (a
    /// communicator may exchange the shards in place instead, as `MPICommunicator` does).
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(_ values: inout [Float]) throws {
        guard size > 1 else { return }
        let mine = try reduceScatterSum(values)
        values = try Distribution.floats(allGather(Distribution.bytes(mine)).flatMap { $0 })
    }

    /// The default in-place all-reduce: the values copied into an array, `allReduceSum(_:)`, and
    /// copied back.
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(inPlace values: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1, let base = values.baseAddress else { return }
        var copy = Array(values)
        try allReduceSum(&copy)
        copy.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    /// The default `Double` all-reduce (see the `Float` form).
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(_ values: inout [Double]) throws {
        guard size > 1 else { return }
        let mine = try reduceScatterSum(values)
        values = try Distribution.doubles(allGather(Distribution.bytes(mine)).flatMap { $0 })
    }

    /// Every rank's `values` (each its own count), concatenated in rank order.
    /// - Throws: `CommunicatorError`.
    public func allGatherConcatenated(_ values: [Double]) throws -> [Double] {
        guard size > 1 else { return values }
        return try Distribution.doubles(allGather(Distribution.bytes(values)).flatMap { $0 })
    }

    /// Fails on every rank unless every rank passes the same `values` (e.g. the settings, the
    /// data's and the weights' fingerprints, by name), before any work is done with them. Only
    /// SHA-256 digests of the values travel.
    /// - Throws: `CommunicatorError.mismatch` naming the values and the ranks that differ from
    ///   rank 0; what the all-gather throws.
    public func requireSame(_ values: [(name: String, value: String)]) throws {
        guard size > 1 else { return }
        let digests = values.map { value -> [UInt8] in
            var hasher = SHA256()
            hasher.update(value.value)
            return Array(hasher.hexDigest().utf8)
        }
        let all = try allGather(digests.flatMap { $0 })
        let differing = all.indices.filter { all[$0] != all[0] }
        guard differing.isEmpty else {
            let names = values.indices.filter { i in
                differing.contains { r in all[r].count != all[0].count || all[r][(64 * i)..<(64 * i + 64)] != all[0][(64 * i)..<(64 * i + 64)] }
            }.map { values[$0].name }
            throw CommunicatorError.mismatch(what: names.isEmpty ? "the number of checked values" : names.joined(separator: ", "),
                                             ranks: differing,
                                             detail: "rank \(rank): " + values.filter { names.contains($0.name) }
                                                 .map { "\($0.name) = \($0.value)" }.joined(separator: "; "))
        }
    }

    /// Runs `body` on every rank and then agrees on its outcome: when it threw on any rank, every
    /// rank throws (its own error where it failed, `CommunicatorError.peerFailed` naming the
    /// lowest failing rank and its message elsewhere), so that no rank goes on alone.
    /// - Throws: see above; what the all-gather throws.
    public func agree<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>
        do { result = .success(try body()) } catch { result = .failure(error) }
        guard size > 1 else { return try result.get() }
        var message: [UInt8] = []
        if case .failure(let error) = result { message = Array(("!" + String(describing: error)).utf8) }
        let all = try allGather(message)
        if case .failure(let error) = result { throw error }
        if let failed = all.firstIndex(where: { !$0.isEmpty }) {
            throw CommunicatorError.peerFailed(rank: failed, message: String(decoding: all[failed].dropFirst(), as: UTF8.self))
        }
        return try result.get()
    }
}
