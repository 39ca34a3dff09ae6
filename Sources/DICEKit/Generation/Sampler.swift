import CKernels
import Foundation

// Sampler: one next token from one row of logits, on the host, with Hugging Face semantics.
//
// The processors run in transformers' order (generation/utils.py, `_get_logits_processor`):
//   1. repetition penalty on every token already seen: l → l / r if l > 0, else l · r
//   2. temperature: z = l / T                                   (T = 0: argmax, no draw)
//   3. top-k: drop z below the k-th largest z (ties kept)
//   4. softmax → weights w = exp(z − max z) ∈ (0, 1]
//   5. top-p: rank by (w desc, id asc); keep a token iff the mass ranked above it is < p · Σw
//      (`TopPLogitsWarper`: sorted ascending, drop where cumsum ≤ 1 − p; the top token stays)
//   6. min-p: drop w < min_p (w of the top token is 1, so this is p < min_p · p_max)
//   7. draw u ~ U[0, Σ kept w) from the sample's own generator; the token is the first id
//      (ascending) whose running sum of kept w exceeds u (`ck_draw`).
// Every step is O(V): top-k uses a k-element heap, top-p a bucket refinement that sorts only
// the few tokens next to the nucleus boundary.

/// Chooses next tokens from logits with temperature, top-k, top-p, min-p and a repetition
/// penalty (see `SamplingParameters`). A value type without state: the randomness comes from
/// the generator passed to each call (one per sample, for reproducibility).
public struct Sampler: Sendable {
    /// The controls, validated.
    public let parameters: SamplingParameters
    /// Argmax decoding: temperature 0, or so close to 0 that 1/T overflows Float.
    let greedy: Bool
    /// The CKernels level of the softmax weights.
    static let simd = ck_best_level()

    /// A sampler for `parameters`.
    /// - Throws: `GenerationError.invalidParameter` when a control is outside its domain.
    public init(_ parameters: SamplingParameters) throws {
        try parameters.validate()
        self.parameters = parameters
        self.greedy = parameters.isGreedy || !Float(1 / parameters.temperature).isFinite
    }

    /// The next token for `logits` (`V` values) given the tokens already in the sequence
    /// (prompt and response, for the repetition penalty; ids outside `0..<V` are ignored).
    /// Greedy parameters return the first argmax and draw nothing from `generator`; otherwise
    /// exactly one `nextDouble()` is drawn.
    public func sample(_ logits: [Float], previousTokens: [Int] = [], using generator: inout SplitMix64) -> Int {
        var row = logits
        let seen = Self.unique(previousTokens, below: logits.count)
        return row.withUnsafeMutableBufferPointer { sample($0, penalized: seen, using: &generator) }
    }

    /// The distribution `sample` draws from: probabilities over `0..<V` after every
    /// processor (zero outside the kept set); for greedy parameters (or a temperature whose
    /// inverse overflows Float), 1 at the argmax.
    public func probabilities(_ logits: [Float], previousTokens: [Int] = []) -> [Double] {
        var row = logits
        let seen = Self.unique(previousTokens, below: logits.count)
        return row.withUnsafeMutableBufferPointer { row -> [Double] in
            guard !row.isEmpty else { return [] }
            Self.penalize(row, seen, by: Float(parameters.repetitionPenalty))
            if greedy {
                var p = [Double](repeating: 0, count: row.count)
                p[Self.argmax(row)] = 1
                return p
            }
            let total = weigh(row)
            return row.map { Double($0) / total }
        }
    }

    /// `sample` on a row in place (the row is overwritten with the kept weights); `penalized`
    /// holds distinct ids in `0..<V`.
    func sample(_ row: UnsafeMutableBufferPointer<Float>, penalized: [Int], using generator: inout SplitMix64) -> Int {
        guard !row.isEmpty else { return 0 }
        Self.penalize(row, penalized, by: Float(parameters.repetitionPenalty))
        if greedy { return Self.argmax(row) }
        let total = weigh(row)
        let u = generator.nextDouble() * total
        guard let base = row.baseAddress else { return 0 }
        return Int(ck_draw(Self.simd, base, Int64(row.count), u))
    }

    /// Replaces the logits in `row` by the kept weights (steps 2–6; dropped tokens get 0) and
    /// returns their sum (> 0: the top token is always kept).
    private func weigh(_ row: UnsafeMutableBufferPointer<Float>) -> Double {
        guard let base = row.baseAddress else { return 0 }
        let top = ck_scale_max(Self.simd, base, Int64(row.count), Float(1 / parameters.temperature))
        let k = parameters.topK
        let floor = k > 0 && k < row.count ? Self.kthLargest(UnsafeBufferPointer(row), k) : -.infinity
        var total = 0.0
        if top > -.infinity, floor == -.infinity {
            // No top-k: every weight is exp(z − top), in SIMD.
            _ = ck_exp_shift_sum(Self.simd, base, Int64(row.count), top)
            total = ck_sum(Self.simd, base, Int64(row.count))
        } else {
            for i in 0..<row.count {
                // All logits −∞ (degenerate) leaves a uniform choice.
                let w: Float = top == -.infinity ? 1 : (row[i] >= floor ? expf(row[i] - top) : 0)
                row[i] = w
                total += Double(w)
            }
        }
        if parameters.topP < 1 {
            total = Self.nucleus(row, total: total, topP: parameters.topP)
        }
        if parameters.minP > 0 {
            let minimum = Float(parameters.minP)
            total = 0
            for i in 0..<row.count {
                if row[i] < minimum { row[i] = 0 }
                total += Double(row[i])
            }
        }
        return total
    }

    // MARK: - Processors

    /// Step 1 on the distinct ids `seen`.
    static func penalize(_ row: UnsafeMutableBufferPointer<Float>, _ seen: [Int], by penalty: Float) {
        guard penalty != 1 else { return }
        for id in seen {
            let l = row[id]
            row[id] = l < 0 ? l * penalty : l / penalty
        }
    }

    /// The first index of the largest value (NaN never wins).
    static func argmax(_ row: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0, value = -Float.infinity
        for i in 0..<row.count where row[i] > value {
            best = i
            value = row[i]
        }
        return best
    }

    /// The k-th largest value (1 ≤ k < count), with a k-element min-heap.
    static func kthLargest(_ values: UnsafeBufferPointer<Float>, _ k: Int) -> Float {
        var heap = [Float](values[0..<k])
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < k && heap[l] < heap[m] { m = l }
                if r < k && heap[r] < heap[m] { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for v in values[k...] where v > heap[0] {
            heap[0] = v
            siftDown(0)
        }
        return heap[0]
    }

    /// Step 5: zeroes the weights outside the nucleus and returns the kept sum. The kept set
    /// is a prefix of the ranking (w desc, id asc). It is found by splitting the weights into
    /// value buckets (first equal-width buckets over (0, 1], then over the range of the
    /// candidates left), descending into the one bucket where the running mass crosses
    /// `topP · total`, and sorting only when few candidates (or only ties) remain.
    static func nucleus(_ w: UnsafeMutableBufferPointer<Float>, total: Double, topP: Double) -> Double {
        let target = topP * total, bucketCount = 2048
        var before = 0.0
        // The bucket whose mass takes the running mass to the target, adding the buckets
        // above it to `before`; nil when rounding leaves the target out of reach (then
        // everything down to the current candidates is kept).
        func boundary(_ mass: [Double]) -> Int? {
            for b in stride(from: bucketCount - 1, through: 0, by: -1) where mass[b] > 0 {
                if before + mass[b] >= target { return b }
                before += mass[b]
            }
            return nil
        }
        guard let base = w.baseAddress else { return total }
        let mass = [Double](unsafeUninitializedCapacity: 4 * bucketCount) { m, count in
            ck_bucket_mass(simd, base, Int64(w.count), Int64(bucketCount), m.baseAddress)
            count = bucketCount
        }
        guard let top = boundary(mass) else { return total }
        var members = [Int](unsafeUninitializedCapacity: w.count) { m, count in
            count = m.withMemoryRebound(to: Int64.self) {
                Int(ck_bucket_members(simd, base, Int64(w.count), Int64(bucketCount), Int64(top), $0.baseAddress))
            }
        }
        var last: Int?
        while last == nil {
            var lo = Float.infinity, hi = -Float.infinity
            for i in members { lo = min(lo, w[i]); hi = max(hi, w[i]) }
            if members.count <= 64 || lo == hi {
                members.sort { w[$0] != w[$1] ? w[$0] > w[$1] : $0 < $1 }
                for i in members {
                    guard before < target else { break }
                    last = i
                    before += Double(w[i])
                }
                break
            }
            let scale = Float(bucketCount) / (hi - lo)
            func bucket(_ i: Int) -> Int { min(bucketCount - 1, Int((w[i] - lo) * scale)) }
            var sub = [Double](repeating: 0, count: bucketCount)
            for i in members { sub[bucket(i)] += Double(w[i]) }
            guard let b = boundary(sub) else {
                last = members.min { w[$0] != w[$1] ? w[$0] < w[$1] : $0 > $1 }
                break
            }
            members = members.filter { bucket($0) == b }
        }
        guard let last else { return total }
        let cut = w[last]
        // Branch-free selects (the compiler vectorises them): below the cut, and ties after `last`.
        for i in 0...last { let x = w[i]; w[i] = x < cut ? 0 : x }
        for i in (last + 1)..<w.count { let x = w[i]; w[i] = x <= cut ? 0 : x }
        return ck_sum(simd, base, Int64(w.count))
    }

    /// The distinct ids of `tokens` that lie in `0..<bound`, in first-seen order.
    static func unique(_ tokens: [Int], below bound: Int) -> [Int] {
        var seen = Set<Int>(), out: [Int] = []
        for t in tokens where t >= 0 && t < bound && seen.insert(t).inserted { out.append(t) }
        return out
    }
}
