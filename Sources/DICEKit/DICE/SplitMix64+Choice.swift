// Seeded choices built only on SplitMix64's raw output (never the standard library's
// `random(in:using:)`, whose algorithm may change between toolchains), so that the same seed
// selects the same items everywhere.

extension SplitMix64 {
    /// A uniform integer in `0 ..< bound` (bound ≥ 1), unbiased (Lemire's multiply-shift with
    /// rejection).
    mutating func uniformIndex(below bound: Int) -> Int {
        precondition(bound >= 1, "uniformIndex(below: \(bound))")
        let n = UInt64(bound)
        while true {
            let product = next().multipliedFullWidth(by: n)
            if product.low >= (0 &- n) % n { return Int(product.high) }
        }
    }

    /// `k` distinct indices of `0 ..< n` drawn without replacement (partial Fisher–Yates), in the
    /// order drawn. Requires 0 ≤ k ≤ n.
    mutating func sampleWithoutReplacement(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "sample \(k) of \(n)")
        var pool = Array(0 ..< n)
        for i in 0 ..< k {
            let j = i + uniformIndex(below: n - i)
            pool.swapAt(i, j)
        }
        return Array(pool[0 ..< k])
    }

    /// An index drawn with probability proportional to `weights` (non-negative, finite, with a
    /// positive sum).
    mutating func categorical(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0 && total.isFinite, "categorical weights sum to \(total)")
        var u = nextDouble() * total
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }
}
