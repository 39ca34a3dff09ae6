// RotaryEmbedding+FrequencyFactors: llama.cpp's form of Llama 3's RoPE scaling — a
// `rope_freqs.weight` tensor of per-frequency divisors — read back as the `llama3` scaling it was
// computed from, so that a GGUF of Llama 3.1/3.2/3.3 loads, converts and writes a config.json
// like its Hugging Face original.

import Foundation

extension RotaryEmbedding.Scaling {
    /// Why per-frequency factors do not describe a `Scaling`.
    enum FactorsMismatch: Error, CustomStringConvertible {
        case count(Int, expected: Int)
        case notFinite(index: Int)
        case notLlama3(String)

        var description: String {
            switch self {
            case let .count(n, expected): return "\(n) factors for \(expected) frequencies (head size / 2)"
            case let .notFinite(i): return "factor \(i) is not a finite number ≥ 1"
            case let .notLlama3(reason): return "per-frequency factors that Llama 3's scaling does not give: \(reason)"
            }
        }
    }

    /// The scaling whose frequencies are llama.cpp's `θ^(−2i/D) / factors[i]`.
    ///
    /// convert_hf_to_gguf.py writes, for `rope_type` "llama3", `factors[i]` = 1 for wavelengths
    /// below `original / high`, `factor` above `original / low`, and `1 / ((1 − s) / factor + s)`
    /// between, with `s = (original / wavelength − low) / (high − low)`. Only `original / low` and
    /// `original / high` shape the factors (scaling all three by one number changes nothing), so
    /// they are read with `low` = 1: `factor` is the largest factor; `original` comes from a line
    /// through the factors strictly between 1 and `factor` (two or more); with one, it is the
    /// middle of the range that keeps every other frequency outside the smooth band; with none,
    /// the largest whole number of positions below every `factor` wavelength; `high` then puts
    /// the first smooth factor exactly where it is. All ones read as
    /// unscaled, all equal as `linear`. A candidate is accepted only when its frequencies
    /// reproduce every `θ^(−2i/D) / factors[i]` within 1e-5 relative.
    /// - Throws: `FactorsMismatch` (callers name the tensor) when the count is not D/2, a factor
    ///   is not finite and ≥ 1, or the factors do not follow Llama 3's form.
    init(llamaCppFactors factors: [Float], theta: Double, headSize: Int) throws {
        guard factors.count == headSize / 2 else { throw FactorsMismatch.count(factors.count, expected: headSize / 2) }
        if let bad = factors.firstIndex(where: { !$0.isFinite || $0 < 1 - 1e-6 }) { throw FactorsMismatch.notFinite(index: bad) }
        let base = RotaryEmbedding(theta: theta).inverseFrequencies(headSize: headSize)
        let wanted = zip(base, factors).map { $0 / $1 }
        func reproduces(_ scaling: RotaryEmbedding.Scaling) -> Int? {
            let got = RotaryEmbedding(theta: theta, scaling: scaling).inverseFrequencies(headSize: headSize)
            return got.indices.first { abs(got[$0] - wanted[$0]) > 1e-5 * abs(wanted[$0]) }
        }
        let largest = Double(factors.max() ?? 1)
        func near(_ x: Float, _ y: Double) -> Bool { abs(Double(x) - y) <= 1e-6 * y }
        var candidates: [RotaryEmbedding.Scaling] = []
        if factors.allSatisfy({ near($0, 1) }) {
            candidates = [.unscaled]
        } else if factors.allSatisfy({ near($0, largest) }) {
            candidates = [.linear(factor: largest)]
        } else {
            // x = 1 / wavelength = inv / 2π; a smooth factor r gives s = (1/r − 1/F) / (1 − 1/F).
            let x = base.map { Double($0) / (2 * Double.pi) }
            func smooth(_ i: Int) -> Double { let r = Double(factors[i]); return (1 / r - 1 / largest) / (1 - 1 / largest) }
            let between = factors.indices.filter { !near(factors[$0], 1) && !near(factors[$0], largest) }
            let scaled = factors.indices.filter { near(factors[$0], largest) }
            let unscaled = factors.indices.filter { near(factors[$0], 1) }
            var originals: [Double] = []
            if let first = between.first, let last = between.last, first != last {
                // s = (original·x − 1) / (high − 1) = a·x − b: original = a / b.
                let a = (smooth(last) - smooth(first)) / (x[last] - x[first])
                let b = a * x[first] - smooth(first)
                if a > 0, b > 0 { originals.append((a / b).rounded()) }
            }
            // Every `factor` frequency needs a wavelength of at least original (= original / low).
            let upperFromScaled = scaled.map({ 1 / x[$0] }).min()
            if let p = between.first, between.count == 1 {
                // One smooth factor: with high taken from it, every unscaled wavelength must stay
                // below original / high, which bounds original from above (when A < 0); it must
                // also exceed that factor's wavelength. The middle of what remains.
                let shortest = unscaled.map({ 1 / x[$0] }).max() ?? 0
                let a = 1 - shortest * x[p] / smooth(p), b = shortest * (1 - 1 / smooth(p))
                let upper = min(upperFromScaled ?? .infinity, a < 0 ? b / a : .infinity)
                let lower = 1 / x[p]
                if upper.isFinite, upper > lower { originals.append(((lower + upper) / 2).rounded(.down)) }
            } else if let longest = upperFromScaled {
                originals.append(longest.rounded(.up) - 1)
            }
            for original in originals where original >= 1 && original < Double(Int32.max) {
                let high: Double
                if let p = between.first {
                    high = 1 + (original * x[p] - 1) / smooth(p)
                } else if let shortest = unscaled.map({ 1 / x[$0] }).max() {
                    // No smooth factor: any band between the two groups; its middle.
                    high = (1 + original / shortest) / 2
                } else {
                    continue
                }
                if high > 1, high.isFinite {
                    candidates.append(.llama3(factor: largest, lowFrequencyFactor: 1, highFrequencyFactor: high,
                                              originalMaxPositions: Int(original)))
                }
            }
        }
        var firstMiss: Int?
        for candidate in candidates {
            guard let miss = reproduces(candidate) else {
                self = candidate
                return
            }
            firstMiss = firstMiss ?? miss
        }
        guard let i = firstMiss else {
            throw FactorsMismatch.notLlama3("no Llama 3 scaling (factor \(largest)) places them")
        }
        throw FactorsMismatch.notLlama3("frequency \(i) (factor \(factors[i])) is not where Llama 3's scaling puts it")
    }
}
