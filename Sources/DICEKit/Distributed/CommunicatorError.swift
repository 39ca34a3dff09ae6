// CommunicatorError: why a collective could not complete.

/// Why a collective of a `Communicator` failed; after one, the communicator is not used again.
public enum CommunicatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Rank `rank` did not answer within `seconds` (it died, or hangs); `operation` names the
    /// collective.
    case lostRank(rank: Int, operation: String, seconds: Double)
    /// The transport reported an error on the link to `rank` (e.g. its process is gone).
    case transport(rank: Int, operation: String, message: String)
    /// Ranks hold different `what` (settings, data): each rank's value in `detail`.
    case mismatch(what: String, ranks: [Int], detail: String)
    /// Rank `rank` failed with `message` before the collective step every rank agreed on.
    case peerFailed(rank: Int, message: String)
    /// The ranks passed buffers of different lengths to an element-wise collective.
    case countMismatch(operation: String, expected: Int, rank: Int, actual: Int)
    /// The library could not be loaded or initialised (`library`: e.g. `libmpi.so.40`).
    case unavailable(library: String, reason: String)

    /// One readable sentence.
    public var description: String {
        switch self {
        case let .lostRank(rank, operation, seconds):
            return "rank \(rank) was lost: no answer to \(operation) within \(Int(seconds)) s (it died or hangs); the last checkpoint is whole, --resume continues"
        case let .transport(rank, operation, message):
            return "rank \(rank) was lost: \(operation) failed on the link to it: \(message)"
        case let .mismatch(what, ranks, detail):
            return "the ranks disagree on \(what): rank(s) \(ranks.map(String.init).joined(separator: ", ")) differ from rank 0 (\(detail)); every rank must be started with the same flags and files"
        case let .peerFailed(rank, message):
            return "rank \(rank) failed: \(message)"
        case let .countMismatch(operation, expected, rank, actual):
            return "\(operation): rank \(rank) passed \(actual) values, expected \(expected) (every rank must pass the same count)"
        case let .unavailable(library, reason):
            return "\(library) is not available: \(reason)"
        }
    }
}
