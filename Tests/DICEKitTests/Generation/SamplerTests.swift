import Foundation
import Testing
@testable import DICEKit

/// The sampler against an independent transcription of transformers' logits processors
/// (sort-based, Double; `HFOracle`): the distribution it reports, and — by a chi-square test
/// with a fixed seed — the frequencies of its draws.
@Suite("Sampler")
struct SamplerTests {
    /// transformers' RepetitionPenalty → Temperature → TopK → TopP → MinP, then softmax,
    /// written the way logits_process.py does it (sorting, cumulative sums, masks).
    enum HFOracle {
        static func softmax(_ s: [Double]) -> [Double] {
            let m = s.max() ?? 0
            let e = s.map { $0 == -.infinity ? 0 : exp($0 - m) }
            let z = e.reduce(0, +)
            return e.map { $0 / z }
        }

        static func distribution(_ logits: [Float], seen: [Int], _ p: SamplingParameters) -> [Double] {
            var s = logits.map(Double.init)
            let r = Double(Float(p.repetitionPenalty))
            for t in Set(seen) { s[t] = s[t] < 0 ? s[t] * r : s[t] / r }
            s = s.map { $0 / p.temperature }
            if p.topK > 0 {
                let kth = s.sorted(by: >)[min(p.topK, s.count) - 1]
                s = s.map { $0 < kth ? -.infinity : $0 }
            }
            if p.topP < 1 {
                let probs = softmax(s)
                let ascending = s.indices.sorted { s[$0] != s[$1] ? s[$0] < s[$1] : $0 > $1 }
                var cumulative = 0.0
                var remove = [Bool](repeating: false, count: s.count)
                for i in ascending {
                    cumulative += probs[i]
                    remove[i] = cumulative <= 1 - p.topP
                }
                remove[ascending.last!] = false
                for i in s.indices where remove[i] { s[i] = -.infinity }
            }
            if p.minP > 0 {
                let probs = softmax(s)
                let top = probs.max()!
                for i in s.indices where probs[i] < p.minP * top { s[i] = -.infinity }
            }
            return softmax(s)
        }
    }

    /// Sixteen hand-made logits with distinct values, and a history for the penalty.
    static let logits: [Float] = [2.1, -0.4, 1.3, 0.2, -1.7, 0.9, 1.8, -0.1, 0.55, -2.4, 1.05, 0.3, -0.8, 1.55, 0.0, -0.25]
    static let history = [3, 6, 6, 14, 9]

    static let settings: [SamplingParameters] = [
        SamplingParameters(temperature: 0.7),
        SamplingParameters(temperature: 1, topK: 5),
        SamplingParameters(temperature: 0.9, topP: 0.8),
        SamplingParameters(temperature: 1.3, minP: 0.2),
        SamplingParameters(temperature: 0.7, topP: 0.9, topK: 12, minP: 0.05, repetitionPenalty: 1.5),
    ]

    @Test(arguments: settings)
    func reportedDistributionMatchesOracle(_ p: SamplingParameters) throws {
        let sampler = try Sampler(p)
        let got = sampler.probabilities(Self.logits, previousTokens: Self.history)
        let want = HFOracle.distribution(Self.logits, seen: Self.history, p)
        for (g, w) in zip(got, want) { #expect(abs(g - w) < 1e-6, "\(got) vs \(want)") }
    }

    /// Pearson's chi-square over the kept tokens, against the critical value at α = 0.001
    /// (Wilson–Hilferty); no draw may fall outside the kept set.
    @Test(arguments: settings)
    func drawFrequenciesMatchTruncatedDistribution(_ p: SamplingParameters) throws {
        let sampler = try Sampler(p)
        let want = HFOracle.distribution(Self.logits, seen: Self.history, p)
        let draws = 40_000
        var counts = [Int](repeating: 0, count: want.count)
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<draws { counts[sampler.sample(Self.logits, previousTokens: Self.history, using: &rng)] += 1 }
        var chi2 = 0.0, kept = 0
        for (c, q) in zip(counts, want) {
            if q == 0 {
                #expect(c == 0, "a token outside the kept set was drawn")
            } else {
                kept += 1
                let expected = q * Double(draws)
                chi2 += (Double(c) - expected) * (Double(c) - expected) / expected
            }
        }
        let df = Double(kept - 1), z = 3.09
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        #expect(kept >= 3)
        #expect(chi2 < critical, "chi² \(chi2) ≥ \(critical) with \(Int(df)) degrees of freedom")
    }

    /// A large vocabulary exercises the bucketed top-p (a nearly flat row forces the
    /// refinement inside a crowded bucket) and the heap top-k.
    @Test(arguments: [0.5, 0.9, 0.97], [2, 0.001] as [Float])
    func largeVocabularyTopPMatchesOracle(_ topP: Double, _ spread: Float) throws {
        var rng = SplitMix64(seed: 11)
        let logits = (0..<6000).map { _ in rng.nextGaussian() * spread }
        let p = SamplingParameters(temperature: 0.8, topP: topP, topK: 4000)
        let got = try Sampler(p).probabilities(logits)
        let want = HFOracle.distribution(logits, seen: [], p)
        #expect(got.map { $0 > 0 } == want.map { $0 > 0 })
        let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-7)
    }

    @Test func greedyIsArgmaxAfterPenaltyAndDrawsNothing() throws {
        let sampler = try Sampler(.greedy)
        var rng = SplitMix64(seed: 1)
        let before = rng
        #expect(sampler.sample(Self.logits, using: &rng) == 0)
        // 2.1 / 2 = 1.05 < 1.8 (token 6 unpenalised)
        let penalised = try Sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2))
        #expect(penalised.sample(Self.logits, previousTokens: [0], using: &rng) == 6)
        #expect(rng == before)
        // Ties go to the first index, as torch.argmax.
        #expect(sampler.sample([1, 3, 3, 2], using: &rng) == 1)
        // A temperature whose inverse overflows Float is the argmax, not NaN weights.
        #expect(try Sampler(SamplingParameters(temperature: 1e-300)).probabilities([0.5, 2, 1]) == [0, 1, 0])
    }

    @Test func tiedTopPKeepsLowestIdsFirst() throws {
        // Four equal logits, top-p 0.5: exactly two tokens are needed; the lower ids win ties.
        let p = try Sampler(SamplingParameters(topP: 0.5)).probabilities([0, 0, 0, 0])
        #expect(p == [0.5, 0.5, 0, 0])
    }

    @Test(arguments: [
        (SamplingParameters(temperature: -1), "temperature"),
        (SamplingParameters(topP: 0), "top-p"),
        (SamplingParameters(topP: 1.5), "top-p"),
        (SamplingParameters(topK: -1), "top-k"),
        (SamplingParameters(minP: 1.2), "min-p"),
        (SamplingParameters(repetitionPenalty: 0), "repetition-penalty"),
    ])
    func invalidControlsAreRejected(_ p: SamplingParameters, _ name: String) {
        #expect {
            try Sampler(p)
        } throws: { error in
            guard case let GenerationError.invalidParameter(n, _, _) = error else { return false }
            return n == name
        }
    }
}
