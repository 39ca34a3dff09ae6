// Win rate, the length-controlled win rate against closed forms and a gradient check of its
// logistic fit, head-to-head evaluation and reward accuracy.

import Foundation
import Testing
@testable import DICEKit

/// A judge that reads the verdict from a table keyed by A's text.
struct TableJudge: Judge {
    let verdicts: [String: Verdict]
    func verdict(prompt: TokenizedText, a: TokenizedText, b: TokenizedText) throws -> Verdict {
        verdicts[a.text] ?? .tie
    }
}

@Suite("Evaluation: win rates")
struct WinRateTests {
    @Test("ties count as half")
    func raw() {
        let w = WinRate([.win, .win, .tie, .loss, .tie])
        #expect(w.wins == 2 && w.ties == 2 && w.losses == 1 && w.count == 5)
        #expect(w.rate == 3.0 / 5.0)
        #expect(WinRate([]).rate == 0.5)
    }

    @Test("no length effect (symmetric in Δ): LC equals the raw win rate exactly without ridge")
    func symmetricData() throws {
        // Each length difference ±d appears with the same verdicts on both signs.
        var verdicts: [Verdict] = [], a: [Int] = [], b: [Int] = []
        var rng = SplitMix64(seed: 5)
        for _ in 0 ..< 100 {
            let d = 1 + rng.uniformIndex(below: 30)
            let v: Verdict = [.win, .win, .tie, .loss][rng.uniformIndex(below: 4)]
            verdicts += [v, v]
            a += [50 + d, 50]
            b += [50, 50 + d]
        }
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a, lengthsB: b, ridge: 0)
        #expect(abs(lc.lengthCoefficient) < 1e-9)
        #expect(abs(lc.rate - WinRate(verdicts).rate) < 1e-9)
        // The default light ridge moves it only slightly.
        let ridged = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a, lengthsB: b)
        #expect(abs(ridged.rate - WinRate(verdicts).rate) < 1e-3)
    }

    @Test("a constant length difference carries no information: LC = raw win rate")
    func constantDelta() throws {
        let verdicts: [Verdict] = [.win, .win, .win, .loss, .tie]
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: [9, 9, 9, 9, 9], lengthsB: [4, 4, 4, 4, 4], ridge: 0)
        #expect(lc.lengthScale == 0)
        #expect(abs(lc.rate - 0.7) < 1e-9)
    }

    @Test("verdicts driven by length alone (no quality effect): raw ≈ 75%, LC ≈ 50%")
    func lengthDriven() throws {
        // A is longer 80% of the time; P(A wins) = σ(3·tanh(Δ/s)) with s the standard deviation
        // of Δ — exactly the fitted model with θ₀ = 0, so the MLE's σ(θ₀) converges to ½.
        var rng = SplitMix64(seed: 11)
        var a: [Int] = [], b: [Int] = []
        for i in 0 ..< 4000 {
            let d = 1 + rng.uniformIndex(below: 40)
            let longer = i % 5 != 0
            a.append(longer ? 100 + d : 100)
            b.append(longer ? 100 : 100 + d)
        }
        let delta = zip(a, b).map { Double($0 - $1) }
        let s = LengthControlledWinRate.sampleStandardDeviation(delta)
        let verdicts: [Verdict] = delta.map { rng.nextDouble() < LengthControlledWinRate.sigmoid(3 * tanh($0 / s)) ? .win : .loss }
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a, lengthsB: b)
        #expect(WinRate(verdicts).rate > 0.7)
        #expect(abs(lc.rate - 0.5) < 0.03)
        #expect(abs(lc.lengthCoefficient - 3) < 0.3)
    }

    @Test("verdicts decided by length, A longer half the time: LC = 50% by symmetry")
    func separableSymmetric() throws {
        var verdicts: [Verdict] = [], a: [Int] = [], b: [Int] = []
        for d in 1 ... 30 {
            a += [100 + d, 100]
            b += [100, 100 + d]
            verdicts += [.win, .loss]
        }
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a, lengthsB: b)
        #expect(abs(lc.rate - 0.5) < 1e-9)
        #expect(lc.lengthCoefficient > 10)
    }

    @Test("the Newton fit is a stationary point and a minimum of the penalized log-loss", arguments: 0 ..< 8)
    func gradientCheck(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed), stream: 4)
        var verdicts: [Verdict] = [], a: [Int] = [], b: [Int] = []
        for _ in 0 ..< 60 {
            let la = 10 + rng.uniformIndex(below: 50), lb = 10 + rng.uniformIndex(below: 50)
            // A noisy verdict with a length effect and a quality effect.
            let p = LengthControlledWinRate.sigmoid(0.4 + 0.05 * Double(la - lb))
            let u = rng.nextDouble()
            verdicts.append(u < 0.1 ? .tie : (u < 0.1 + 0.9 * p ? .win : .loss))
            a.append(la)
            b.append(lb)
        }
        let ridge = seed % 2 == 0 ? 0.0 : 0.5
        let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a, lengthsB: b, ridge: ridge)
        // Rebuild the features independently.
        let d = zip(a, b).map { Double($0 - $1) }
        let mean = d.reduce(0, +) / Double(d.count)
        let s = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count - 1)).squareRoot()
        #expect(abs(s - lc.lengthScale) < 1e-9)
        let x = d.map { tanh($0 / s) }, y = verdicts.map(\.score)
        func f(_ t0: Double, _ t1: Double) -> Double {
            var l = 0.5 * ridge * (t0 * t0 + t1 * t1)
            for (xi, yi) in zip(x, y) {
                let p = 1 / (1 + exp(-(t0 + t1 * xi)))
                l -= yi * log(p) + (1 - yi) * log(1 - p)
            }
            return l
        }
        let h = 1e-5
        let g0 = (f(lc.intercept + h, lc.lengthCoefficient) - f(lc.intercept - h, lc.lengthCoefficient)) / (2 * h)
        let g1 = (f(lc.intercept, lc.lengthCoefficient + h) - f(lc.intercept, lc.lengthCoefficient - h)) / (2 * h)
        #expect(abs(g0) < 1e-5 && abs(g1) < 1e-5)
        let best = f(lc.intercept, lc.lengthCoefficient)
        for (e0, e1) in [(0.01, 0.0), (-0.01, 0.0), (0.0, 0.01), (0.0, -0.01), (0.01, -0.01)] {
            #expect(f(lc.intercept + e0, lc.lengthCoefficient + e1) > best)
        }
        #expect(abs(lc.rate - 1 / (1 + exp(-lc.intercept))) < 1e-12)
    }

    @Test("mismatched or empty inputs are rejected")
    func badInput() {
        #expect(throws: DICEError.self) { try LengthControlledWinRate(verdicts: [.win], lengthsA: [1, 2], lengthsB: [1]) }
        #expect(throws: DICEError.self) { try LengthControlledWinRate(verdicts: [], lengthsA: [], lengthsB: []) }
        #expect(throws: DICEError.self) { try LengthControlledWinRate(verdicts: [.win], lengthsA: [1], lengthsB: [1], ridge: -1) }
    }

    @Test("head-to-head: verdicts, average lengths in the chosen unit")
    func headToHead() throws {
        let prompts = [TokenizedText(text: "p", tokens: [1]), TokenizedText(text: "q", tokens: [2])]
        let responses = [TokenizedText(text: "good one", tokens: [5, 6]), TokenizedText(text: "bad", tokens: [7])]
        let baseline = [TokenizedText(text: "meh", tokens: [8, 8, 8]), TokenizedText(text: "fine", tokens: [9])]
        let judge = TableJudge(verdicts: ["good one": .win, "bad": .loss])
        let r = try HeadToHeadResult.evaluate(prompts: prompts, responses: responses, baseline: baseline, judge: judge)
        #expect(r.winRate.wins == 1 && r.winRate.losses == 1)
        #expect(r.averageLength == 5.5 && r.baselineAverageLength == 3.5)
        let t = try HeadToHeadResult.evaluate(prompts: prompts, responses: responses, baseline: baseline, judge: judge,
                                              lengthUnit: .tokens)
        #expect(t.averageLength == 1.5 && t.baselineAverageLength == 2)
        #expect(throws: DICEError.self) {
            try HeadToHeadResult.evaluate(prompts: prompts, responses: [], baseline: baseline, judge: judge)
        }
    }

    @Test("reward accuracy counts strict agreements; from a rewarder it scores both sides")
    func rewardAccuracy() throws {
        let acc = try RewardAccuracy(chosenRewards: [1, 2, 3, 0], rejectedRewards: [0, 2, 4, -1])
        #expect(acc.correct == 2 && acc.total == 4 && acc.accuracy == 0.5)
        // A reward that is the response length: longer chosen ⇒ correct.
        let rewarder = try DPOImplicitRewarder(policy: FunctionScorer { Double($0.response.count) },
                                               reference: FunctionScorer { _ in 0 }, beta: 1)
        let chosen = [TokenPair(prompt: [1], response: [2, 2, 2]), TokenPair(prompt: [1], response: [2])]
        let rejected = [TokenPair(prompt: [1], response: [2]), TokenPair(prompt: [1], response: [2, 2])]
        let r = try RewardAccuracy(rewarder: rewarder, chosen: chosen, rejected: rejected)
        #expect(r.correct == 1 && r.total == 2)
    }
}
