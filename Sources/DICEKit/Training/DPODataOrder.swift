// DPODataOrder: which training pairs each update sees — seeded reshuffles per epoch, saved in
// checkpoints so that a resumed run sees the same batches.

/// The order in which training pairs are drawn: a seeded permutation per epoch, consumed in
/// batches; a batch that reaches the end of an epoch continues in the next permutation.
/// Its whole state is Codable (checkpoints store it).
public struct DPODataOrder: Sendable, Hashable, Codable {
    /// The generator that draws each epoch's permutation.
    public private(set) var rng: SplitMix64
    /// The current epoch's permutation of `0..<count`.
    public private(set) var order: [Int]
    /// Position in `order` of the next pair.
    public private(set) var cursor: Int
    /// Pairs handed out so far, over all epochs.
    public private(set) var consumed: Int

    /// The order of `count` pairs under `seed`.
    public init(count: Int, seed: UInt64) {
        rng = SplitMix64(seed: seed, stream: 0)
        order = Array(0..<count)
        cursor = 0
        consumed = 0
        Self.shuffle(&order, &rng)
    }

    /// The next `n` indices (from the next epoch's permutation when this one runs out).
    public mutating func next(_ n: Int) -> [Int] {
        var out: [Int] = []
        guard !order.isEmpty else { return out }
        out.reserveCapacity(n)
        while out.count < n {
            if cursor == order.count {
                Self.shuffle(&order, &rng)
                cursor = 0
            }
            out.append(order[cursor])
            cursor += 1
        }
        consumed += n
        return out
    }

    /// Fisher–Yates with `rng` (indices drawn by multiply-high, so no modulo bias).
    static func shuffle(_ a: inout [Int], _ rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            a.swapAt(i, j)
        }
    }

    /// `size` indices of `0..<count` held out for validation, drawn with `seed` (sorted).
    public static func validationIndices(count: Int, size: Int, seed: UInt64) -> [Int] {
        guard size > 0 else { return [] }
        var rng = SplitMix64(seed: seed, stream: 1)
        var all = Array(0..<count)
        shuffle(&all, &rng)
        return all.prefix(size).sorted()
    }
}
