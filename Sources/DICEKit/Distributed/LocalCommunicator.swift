// LocalCommunicator: one process, rank 0 of 1 — every collective returns its input.

/// The communicator of a single process (rank 0, size 1): the default everywhere, so nothing
/// changes for programs that never scale out.
public final class LocalCommunicator: Communicator {
    /// 0.
    public let rank = 0
    /// 1.
    public let size = 1
    /// 0: nothing is sent.
    public let bytesSent = 0

    /// The single-process communicator.
    public init() {}

    /// `values` (the whole sum of one rank).
    public func reduceScatterSum(_ values: [Float]) -> [Float] { values }
    /// `values`.
    public func reduceScatterSum(_ values: [Double]) -> [Double] { values }
    /// `[bytes]`.
    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }
    /// `bytes`.
    public func broadcast(_ bytes: [UInt8], root: Int) -> [UInt8] { bytes }
    /// Returns at once.
    public func barrier() {}
}
