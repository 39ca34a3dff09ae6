// Distribution: the shard arithmetic and the byte packing shared by the communicators.

/// Helpers of the communicators: shard ranges and packing numbers into bytes (little-endian
/// host order; every rank of a job runs on the same kind of machine).
enum Distribution {
    /// Shard `rank` of `count` elements over `size` ranks (contiguous, rank order, the first
    /// `count % size` one longer).
    static func shard(of count: Int, rank: Int, size: Int) -> Range<Int> {
        precondition(size >= 1 && rank >= 0 && rank < size && count >= 0, "shard \(rank) of \(size) for \(count)")
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    static func bytes(_ values: [Float]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    static func bytes(_ values: [Double]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    static func floats(_ bytes: [UInt8]) throws -> [Float] {
        guard bytes.count % 4 == 0 else {
            throw CommunicatorError.countMismatch(operation: "gather of Float values", expected: bytes.count / 4 * 4,
                                                  rank: -1, actual: bytes.count)
        }
        var out = [Float](repeating: 0, count: bytes.count / 4)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        return out
    }

    static func doubles(_ bytes: [UInt8]) throws -> [Double] {
        guard bytes.count % 8 == 0 else {
            throw CommunicatorError.countMismatch(operation: "gather of Double values", expected: bytes.count / 8 * 8,
                                                  rank: -1, actual: bytes.count)
        }
        var out = [Double](repeating: 0, count: bytes.count / 8)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        return out
    }
}
