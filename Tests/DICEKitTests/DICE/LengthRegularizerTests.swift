// The exact α search against independent oracles: a naive evaluation at every breakpoint
// midpoint of all prompts together, and a fine grid scan; plus closed-form small cases.

import Foundation
import Testing
@testable import DICEKit

typealias Candidate = LengthRegularizer.Candidate

/// The length gaps evaluated directly by a plain loop with the documented tie rules: the signed
/// sum of (len_chosen − len_rejected), the pair count, and |mean| (∞ without pairs).
func naiveGap(_ groups: [[Candidate]], alpha: Double) -> (sum: Int, count: Int, objective: Double) {
    var sum = 0, count = 0
    for g in groups where g.count >= 2 {
        let shaped = g.map { $0.reward - alpha * Double($0.length) }
        let maxValue = shaped.max() ?? 0, minValue = shaped.min() ?? 0
        if maxValue == minValue { continue }
        let chosen = shaped.firstIndex(of: maxValue) ?? 0    // lowest index among maxima
        let rejected = shaped.lastIndex(of: minValue) ?? 0   // highest index among minima
        sum += g[chosen].length - g[rejected].length
        count += 1
    }
    return (sum, count, count > 0 ? abs(Double(sum) / Double(count)) : .infinity)
}

/// The naive exact oracle: every pairwise tie of every prompt pooled and sorted; the gaps
/// evaluated directly inside each pooled interval; adjacent intervals with the same (sum, count)
/// merged into pieces; then 0 if it is optimal, else the midpoint of the leftmost optimal piece.
func naiveSearch(_ groups: [[Candidate]]) -> Double {
    var cuts: [Double] = []
    for g in groups {
        for i in g.indices {
            for j in g.indices where g[i].length != g[j].length {
                let a = (g[i].reward - g[j].reward) / Double(g[i].length - g[j].length)
                if a > 0 { cuts.append(a) }
            }
        }
    }
    let sorted = Array(Set(cuts)).sorted()
    func inside(_ lower: Double, _ upper: Double?) -> Double {
        if let upper { return lower == 0 ? upper / 2 : lower + (upper - lower) / 2 }
        return lower == 0 ? 1 : 2 * lower
    }
    var pieces: [(lower: Double, upper: Double?, sum: Int, count: Int)] = []
    for k in 0 ... sorted.count {
        let lower = k == 0 ? 0 : sorted[k - 1]
        let upper: Double? = k < sorted.count ? sorted[k] : nil
        let g = naiveGap(groups, alpha: inside(lower, upper))
        if let last = pieces.last, last.sum == g.sum, last.count == g.count {
            pieces[pieces.count - 1].upper = upper
        } else {
            pieces.append((lower, upper, g.sum, g.count))
        }
    }
    var best = (alpha: 0.0, objective: naiveGap(groups, alpha: 0).objective)
    for p in pieces {
        let objective = p.count > 0 ? abs(Double(p.sum) / Double(p.count)) : .infinity
        if objective < best.objective { best = (inside(p.lower, p.upper), objective) }
    }
    return best.alpha
}

/// Random prompts: K candidates with rewards in [−3, 3) and lengths in 1 … 40, the longer ones
/// slightly favoured (a length bias for α to remove).
func randomGroups(seed: UInt64, prompts: Int, k: Int) -> [[Candidate]] {
    var rng = SplitMix64(seed: seed)
    return (0 ..< prompts).map { _ in
        (0 ..< k).map { _ in
            let length = 1 + rng.uniformIndex(below: 40)
            return Candidate(reward: 6 * rng.nextDouble() - 3 + 0.05 * Double(length), length: length)
        }
    }
}

@Suite("DICE length regularizer")
struct LengthRegularizerTests {
    @Test("exact search equals the naive pooled-breakpoint oracle", arguments: 0 ..< 60)
    func matchesNaiveOracle(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed), stream: 9)
        let groups = randomGroups(seed: UInt64(seed), prompts: 1 + rng.uniformIndex(below: 12), k: 2 + rng.uniformIndex(below: 6))
        let exact = LengthRegularizer.searchAlpha(groups)
        let naive = naiveSearch(groups)
        #expect(abs(naiveGap(groups, alpha: exact).objective - naiveGap(groups, alpha: naive).objective) < 1e-12)
        #expect(exact == naive)
    }

    @Test("no α on a fine grid does better than the exact search", arguments: 0 ..< 30)
    func beatsGridScan(seed: Int) throws {
        let groups = randomGroups(seed: 1000 + UInt64(seed), prompts: 8, k: 6)
        let exact = naiveGap(groups, alpha: LengthRegularizer.searchAlpha(groups)).objective
        var gridBest = Double.infinity
        var a = 0.0
        while a <= 1.0 {
            gridBest = min(gridBest, naiveGap(groups, alpha: a).objective)
            a += 0.0005
        }
        #expect(exact <= gridBest + 1e-12)
        // The regularizer reports what it did, consistently with a direct evaluation.
        let result = try LengthRegularizer(alpha: .auto).regularize(groups)
        #expect(abs(abs(result.meanLengthGapAfter) - exact) < 1e-12)
        #expect(result.meanLengthGapBefore == LengthRegularizer.gap(groups, alpha: 0).mean)
    }

    @Test("a hand-solved case: α balances two prompts")
    func handSolved() throws {
        // Prompt A: long (10) reward 2, short (2) reward 1 → the long one wins until α = 1/8.
        // Prompt B: long (6) reward 1, short (4) reward 0.9 → the long one wins until α = 0.05.
        let groups = [[Candidate(reward: 2, length: 10), Candidate(reward: 1, length: 2)],
                      [Candidate(reward: 1, length: 6), Candidate(reward: 0.9, length: 4)]]
        // α = 0: gaps +8, +2 → mean 5. (0.05, 0.125): +8, −2 → 3. > 0.125: −8, −2 → −5.
        let r = try LengthRegularizer(alpha: .auto).regularize(groups)
        #expect(r.meanLengthGapBefore == 5)
        #expect(r.meanLengthGapAfter == 3)
        #expect(abs(r.alpha - (0.05 + 0.125) / 2) < 1e-15)
        #expect(r.pairCountBefore == 2 && r.pairCountAfter == 2)
    }

    @Test("already balanced → α = 0; no pairs → α = 0")
    func zeroCases() throws {
        let balanced = [[Candidate(reward: 1, length: 5), Candidate(reward: 0, length: 5)]]
        #expect(LengthRegularizer.searchAlpha(balanced) == 0)
        #expect(LengthRegularizer.searchAlpha([]) == 0)
        #expect(LengthRegularizer.searchAlpha([[Candidate(reward: 1, length: 3)]]) == 0)
    }

    @Test("rewards scaled by β scale the optimal α by β and keep the pairs", arguments: [0.1, 0.5, 3.0])
    func betaScaling(beta: Double) {
        for seed in 0 ..< 10 {
            let groups = randomGroups(seed: 77 + UInt64(seed), prompts: 6, k: 5)
            let scaled = groups.map { $0.map { Candidate(reward: beta * $0.reward, length: $0.length) } }
            let a = LengthRegularizer.searchAlpha(groups), b = LengthRegularizer.searchAlpha(scaled)
            #expect(abs(b - beta * a) <= 1e-9 * max(1, b))
            for (g, s) in zip(groups, scaled) {
                let p = LengthRegularizer.bestWorst(g, alpha: a), q = LengthRegularizer.bestWorst(s, alpha: b)
                #expect(p?.chosen == q?.chosen && p?.rejected == q?.rejected)
            }
        }
    }

    @Test("fixed α is used as given; negative or non-finite α is rejected")
    func fixedAlpha() throws {
        let groups = [[Candidate(reward: 2, length: 10), Candidate(reward: 1, length: 2)]]
        #expect(try LengthRegularizer(alpha: .fixed(0.2)).regularize(groups).meanLengthGapAfter == -8)
        #expect(try LengthRegularizer(alpha: .fixed(0)).regularize(groups).meanLengthGapAfter == 8)
        #expect(throws: DICEError.self) { try LengthRegularizer(alpha: .fixed(-0.1)) }
        #expect(throws: DICEError.self) { try LengthRegularizer(alpha: .fixed(.infinity)) }
    }

    @Test("alpha parses 'auto' and numbers ≥ 0")
    func parsing() throws {
        #expect(try AlphaSetting(parsing: "auto") == .auto)
        #expect(try AlphaSetting(parsing: "0.01") == .fixed(0.01))
        for bad in ["-1", "x", "nan", "inf", ""] {
            #expect(throws: DICEError.self) { try AlphaSetting(parsing: bad) }
        }
    }

    @Test("ties: lowest index wins the max, highest index takes the min; all equal gives no pair")
    func ties() {
        let c = [Candidate(reward: 1, length: 1), Candidate(reward: 3, length: 1), Candidate(reward: 3, length: 1),
                 Candidate(reward: 0, length: 1), Candidate(reward: 0, length: 1)]
        let p = LengthRegularizer.bestWorst(c, alpha: 0)
        #expect(p?.chosen == 1 && p?.rejected == 4)
        #expect(LengthRegularizer.bestWorst([Candidate(reward: 2, length: 3), Candidate(reward: 2, length: 3)], alpha: 0.5) == nil)
        // Equal rewards but different lengths: a tie at α = 0, a pair at any α > 0.
        let d = [Candidate(reward: 1, length: 2), Candidate(reward: 1, length: 5)]
        #expect(LengthRegularizer.bestWorst(d, alpha: 0) == nil)
        #expect(LengthRegularizer.bestWorst(d, alpha: 0.1)?.chosen == 0)
    }
}
