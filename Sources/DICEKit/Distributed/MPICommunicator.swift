// MPICommunicator: the Communicator over Open MPI, opened at run time (dlopen of libmpi.so.40),
// with every collective built from point-to-point messages polled against a deadline, so that a
// lost rank is named instead of waited for.

import CMPIShim
import Foundation

/// A `Communicator` over Open MPI, for ranks started by `mpirun` (or `srun` with PMIx) on one
/// host or many.
///
/// Open MPI is not linked: `libmpi.so.40` (Debian's `libopenmpi3`, pulled in by
/// `openmpi-bin`/`libopenmpi-dev`) is opened with `dlopen` when an `MPICommunicator` is made, so
/// programs that import DICEKit build and run without MPI. `DICEKIT_LIBMPI` names another file.
///
/// Every collective is a set of non-blocking sends and receives between pairs of ranks, polled
/// until done or `timeout` seconds pass. Reductions are deterministic: in a reduce-scatter each
/// rank sends every other rank that rank's shard of its values, and the shard's owner adds the
/// ranks' pieces in rank order (`x₀ + x₁ + …`); an all-reduce then all-gathers the shards. Every
/// rank so ends with the same bits, and a rerun with the same inputs gives them again. A rank
/// sends `(size − 1)/size` of the buffer in a reduce-scatter and as much again in the
/// all-gather, as a ring all-reduce does.
///
/// A peer that does not answer within `timeout` (it was killed, or hangs) fails the collective
/// with `CommunicatorError.lostRank` naming it; an error on the link with `.transport`. After
/// either, every later collective throws the same error.
public final class MPICommunicator: Communicator {
    /// This process's rank in MPI_COMM_WORLD.
    public let rank: Int
    /// The number of ranks in MPI_COMM_WORLD.
    public let size: Int
    /// Bytes sent to other ranks so far (payloads and length headers).
    public private(set) var bytesSent = 0
    /// Seconds a collective waits for a peer before it names the peer lost.
    public var timeout: Double
    private let api: OpaquePointer
    private var failure: CommunicatorError?
    private var finalized = false

    /// The default `timeout`: `DICEKIT_COLLECTIVE_TIMEOUT` seconds when set to a positive number,
    /// else 300.
    public static func defaultTimeout(environment: [String: String] = ProcessInfo.processInfo.environment) -> Double {
        environment["DICEKIT_COLLECTIVE_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 300
    }

    /// Whether this process was started by an MPI launcher: `OMPI_COMM_WORLD_SIZE` (Open MPI's
    /// mpirun) or `PMIX_RANK` (srun --mpi=pmix) is set. `DICEKIT_COMMUNICATOR=local` says no.
    public static func isLaunched(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if environment["DICEKIT_COMMUNICATOR"] == "local" { return false }
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Opens Open MPI (`library`, else `DICEKIT_LIBMPI`, else `libmpi.so.40`) and initialises it
    /// (MPI_THREAD_SERIALIZED, errors returned rather than fatal).
    /// - Throws: `CommunicatorError.unavailable` naming the library and why (not installed, a
    ///   missing symbol, MPI_Init failing).
    public init(library: String? = nil, timeout: Double? = nil) throws {
        let path = library ?? ProcessInfo.processInfo.environment["DICEKIT_LIBMPI"] ?? "libmpi.so.40"
        var error: UnsafePointer<CChar>?
        guard let api = dk_mpi_open(path, &error) else {
            let reason = error.map { String(cString: $0) } ?? "dlopen failed"
            throw CommunicatorError.unavailable(library: path, reason: reason + " (install Open MPI: apt-get install openmpi-bin libopenmpi-dev)")
        }
        self.api = api
        var rank: Int32 = 0, size: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = dk_mpi_init(api, &rank, &size, &message, Int32(message.count))
        guard code == 0 else {
            throw CommunicatorError.unavailable(library: path, reason: "MPI_Init_thread failed: " + Self.text(message))
        }
        self.rank = Int(rank)
        self.size = Int(size)
        self.timeout = timeout ?? Self.defaultTimeout()
    }

    /// MPI_Finalize, once; call it on every rank at a normal end (a rank that exits without it
    /// makes mpirun report an abnormal end). Not after a failed collective: exit non-zero then.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = dk_mpi_finalize(api)
    }

    /// MPI_Abort: the launcher ends every rank of the job with `code`.
    public func abort(code: Int32) {
        dk_mpi_abort(api, code)
    }

    /// See `Communicator.reduceScatterSum(_:)`.
    /// - Throws: `CommunicatorError`.
    public func reduceScatterSum(_ values: [Float]) throws -> [Float] {
        try reduceScatter(values, operation: "the reduce-scatter of \(values.count) Float values")
    }

    /// See `Communicator.reduceScatterSum(_:)`.
    /// - Throws: `CommunicatorError`.
    public func reduceScatterSum(_ values: [Double]) throws -> [Double] {
        try reduceScatter(values, operation: "the reduce-scatter of \(values.count) Double values")
    }

    /// See `Communicator.allReduceSum(_:)`: the reduce-scatter in chunks, each rank's pieces
    /// summed into `values` itself, then each rank's shard of the sum sent from and received into
    /// `values` (no copy of the buffer).
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer {
            try allReduceInPlace($0, operation: "the all-reduce of \($0.count) Float values")
        }
    }

    /// The `Double` form of `allReduceSum(_:)`.
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer {
            try allReduceInPlace($0, operation: "the all-reduce of \($0.count) Double values")
        }
    }

    /// See `Communicator.allReduceSum(inPlace:)` (as `allReduceSum(_:)`, on the caller's memory).
    /// - Throws: `CommunicatorError`.
    public func allReduceSum(inPlace values: UnsafeMutableBufferPointer<Float>) throws {
        try allReduceInPlace(values, operation: "the all-reduce of \(values.count) Float values")
    }

    /// See `Communicator.allGather(_:)` (lengths first, then the bytes).
    /// - Throws: `CommunicatorError`.
    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard size > 1 else { return [bytes] }
        let peers = (0..<size).filter { $0 != rank }
        var lengths = [Int64](repeating: 0, count: size)
        lengths[rank] = Int64(bytes.count)
        var mine = Int64(bytes.count)
        try lengths.withUnsafeMutableBytes { all in
            try withUnsafeBytes(of: &mine) { one in
                try exchange(peers, operation: "the all-gather of lengths",
                             send: { _ in (one.baseAddress, 8) },
                             receive: { peer in (all.baseAddress.map { $0 + 8 * peer }, 8) })
            }
        }
        for (r, n) in lengths.enumerated() where n < 0 || n > Int64(Int32.max) * 64 {
            throw CommunicatorError.countMismatch(operation: "all-gather", expected: 0, rank: r, actual: Int(n))
        }
        let offsets = lengths.reduce(into: [0]) { $0.append($0.last! + Int($1)) }
        var buffer = [UInt8](repeating: 0, count: offsets.last!)
        try buffer.withUnsafeMutableBytes { out in
            try bytes.withUnsafeBytes { source in
                try exchange(peers, operation: "the all-gather of \(bytes.count) bytes",
                             send: { _ in (source.baseAddress, bytes.count) },
                             receive: { peer in (out.baseAddress.map { $0 + offsets[peer] }, Int(lengths[peer])) })
            }
        }
        return (0..<size).map { $0 == rank ? bytes : Array(buffer[offsets[$0]..<offsets[$0 + 1]]) }
    }

    /// See `Communicator.broadcast(_:root:)` (length first, then the bytes).
    /// - Throws: `CommunicatorError`.
    public func broadcast(_ bytes: [UInt8], root: Int) throws -> [UInt8] {
        precondition(root >= 0 && root < size, "broadcast root \(root) outside 0..<\(size)")
        guard size > 1 else { return bytes }
        if rank == root {
            var length = Int64(bytes.count)
            let peers = (0..<size).filter { $0 != rank }
            try withUnsafeBytes(of: &length) { one in
                try exchange(peers, operation: "the broadcast of a length", send: { _ in (one.baseAddress, 8) },
                             receive: { _ in (nil, 0) })
            }
            try bytes.withUnsafeBytes { source in
                try exchange(peers, operation: "the broadcast of \(bytes.count) bytes",
                             send: { _ in (source.baseAddress, bytes.count) }, receive: { _ in (nil, 0) })
            }
            return bytes
        }
        var length: Int64 = 0
        try withUnsafeMutableBytes(of: &length) { one in
            try exchange([root], operation: "the broadcast of a length", send: { _ in (nil, 0) },
                         receive: { _ in (one.baseAddress, 8) })
        }
        guard length >= 0 else {
            throw CommunicatorError.countMismatch(operation: "broadcast", expected: 0, rank: root, actual: Int(length))
        }
        var out = [UInt8](repeating: 0, count: Int(length))
        try out.withUnsafeMutableBytes { buffer in
            try exchange([root], operation: "the broadcast of \(length) bytes", send: { _ in (nil, 0) },
                         receive: { _ in (buffer.baseAddress, Int(length)) })
        }
        return out
    }

    /// See `Communicator.barrier()` (an empty message to and from every peer).
    /// - Throws: `CommunicatorError`.
    public func barrier() throws {
        guard size > 1 else { return }
        try exchange((0..<size).filter { $0 != rank }, operation: "a barrier", send: { _ in (nil, 0) },
                     receive: { _ in (nil, 0) })
    }

    /// Elements of one reduce-scatter exchange: the pieces received for it (`size − 1` of them)
    /// and their running sum stay in the caches, and the scratch stays small.
    private static let reductionChunkBytes = 1 << 20

    /// The all-reduce on `values` in place: `reduceScatterInPlace`, then the shards of the sum
    /// all-gathered in place.
    private func allReduceInPlace<T: BinaryFloatingPoint>(_ values: UnsafeMutableBufferPointer<T>,
                                                          operation: String) throws {
        guard size > 1, let base = values.baseAddress, values.count > 0 else { return }
        try reduceScatterInPlace(values, operation: operation)
        let count = values.count, stride = MemoryLayout<T>.stride
        let own = Distribution.shard(of: count, rank: rank, size: size)
        let peers = (0..<size).filter { $0 != rank }
        try exchange(peers, operation: operation,
                     send: { _ in (UnsafeRawPointer(base + own.lowerBound), own.count * stride) },
                     receive: { peer in
                         let s = Distribution.shard(of: count, rank: peer, size: size)
                         return (UnsafeMutableRawPointer(base + s.lowerBound), s.count * stride)
                     })
    }

    /// The reduce-scatter on `values` in place, in chunks of this rank's shard: each peer sends
    /// its values of the chunk, and the chunk's element-wise sum, in rank order (`x₀ + x₁ + …`),
    /// is written over this rank's own values (the other shards keep this rank's values). Every
    /// rank makes the same number of exchanges (that of the longest shard).
    private func reduceScatterInPlace<T: BinaryFloatingPoint>(_ values: UnsafeMutableBufferPointer<T>,
                                                              operation: String) throws {
        guard size > 1, let base = values.baseAddress, values.count > 0 else { return }
        let count = values.count, stride = MemoryLayout<T>.stride
        let own = Distribution.shard(of: count, rank: rank, size: size)
        let peers = (0..<size).filter { $0 != rank }
        let chunk = max(1, Self.reductionChunkBytes / stride)
        let longest = Distribution.shard(of: count, rank: 0, size: size).count
        // Scratch: one received piece per peer, then the running sum (ranks other than 0).
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: (peers.count + 1) * chunk)
        defer { scratch.deallocate() }
        let total = scratch + peers.count * chunk
        for start in Swift.stride(from: 0, to: longest, by: chunk) {
            let mine = own.lowerBound + min(start, own.count) ..< own.lowerBound + min(start + chunk, own.count)
            try exchange(peers, operation: operation,
                         send: { peer in
                             let s = Distribution.shard(of: count, rank: peer, size: size)
                             let lower = s.lowerBound + min(start, s.count), upper = s.lowerBound + min(start + chunk, s.count)
                             return (UnsafeRawPointer(base + lower), (upper - lower) * stride)
                         },
                         receive: { peer in
                             (UnsafeMutableRawPointer(scratch + peers.firstIndex(of: peer)! * chunk), mine.count * stride)
                         })
            let n = mine.count
            guard n > 0 else { continue }
            let piece = { (r: Int) -> UnsafeMutablePointer<T> in
                r == self.rank ? base + mine.lowerBound : scratch + peers.firstIndex(of: r)! * chunk
            }
            // Rank 0's own values are x₀, so the sum can grow in place; another rank's own values
            // are added in their turn, so the sum grows in `total` and is copied over them.
            let acc = rank == 0 ? base + mine.lowerBound : total
            if rank != 0 { acc.update(from: piece(0), count: n) }
            for r in 1..<size {
                let x = piece(r)
                for i in 0..<n { acc[i] += x[i] }
            }
            if rank != 0 { (base + mine.lowerBound).update(from: acc, count: n) }
        }
    }

    /// Rank `rank`'s shard of the rank-order sum, from a copy of `values` reduced in place.
    private func reduceScatter<T: BinaryFloatingPoint>(_ values: [T], operation: String) throws -> [T] {
        guard size > 1 else { return values }
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try reduceScatterInPlace($0, operation: operation) }
        return Array(copy[Distribution.shard(of: values.count, rank: rank, size: size)])
    }

    /// A C string buffer's text (up to its first NUL).
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends `send(peer)` to and receives `receive(peer)` from every peer, polling against the
    /// deadline; records and throws a failure.
    private func exchange(_ peers: [Int], operation: String,
                          send: (Int) -> (UnsafeRawPointer?, Int),
                          receive: (Int) -> (UnsafeMutableRawPointer?, Int)) throws {
        if let failure { throw failure }
        let sends = peers.map(send), receives = peers.map(receive)
        let ranks = peers.map { Int32($0) }
        let sendPointers = sends.map(\.0), sendBytes = sends.map { Int($0.1) }
        let receivePointers = receives.map(\.0), receiveBytes = receives.map { Int($0.1) }
        var failed: Int32 = -1
        var message = [CChar](repeating: 0, count: 512)
        let code = dk_mpi_exchange(api, Int32(peers.count), ranks, sendPointers, sendBytes, receivePointers, receiveBytes,
                                   timeout, &failed, &message, Int32(message.count))
        bytesSent += sendBytes.reduce(0, +)
        let error: CommunicatorError
        switch code {
        case 0: return
        case 1: error = .lostRank(rank: Int(failed), operation: operation, seconds: timeout)
        default: error = .transport(rank: Int(failed), operation: operation, message: Self.text(message))
        }
        failure = error
        throw error
    }
}
