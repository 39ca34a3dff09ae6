// The toy task: determinism (same seed → same data), the judge against a naive recomputation,
// prompts, data helpers and configuration checks.

import Foundation
import Testing
@testable import DICEKit

@Suite("Toy task")
struct ToyTaskTests {
    @Test("same seeds give the same world, prompts, SFT data and offline pairs; other seeds differ")
    func determinism() throws {
        var config = ToyTaskConfig()
        config.seed = 3
        let a = try ToyTask(config: config), b = try ToyTask(config: config)
        let pa = try a.prompts(count: 40, seed: 1), pb = try b.prompts(count: 40, seed: 1)
        #expect(pa == pb)
        #expect(try a.sftExamples(prompts: pa, perPrompt: 3, seed: 2) == b.sftExamples(prompts: pb, perPrompt: 3, seed: 2))
        #expect(try a.offlinePairs(prompts: pa, seed: 5) == b.offlinePairs(prompts: pb, seed: 5))
        #expect(try a.prompts(count: 40, seed: 2) != pa)
        #expect(try a.offlinePairs(prompts: pa, seed: 6) != a.offlinePairs(prompts: pa, seed: 5))
        config.seed = 4
        let c = try ToyTask(config: config)
        #expect(try c.quality(prompt: pa[0], response: [7, 8, 9, 0]) != a.quality(prompt: pa[0], response: [7, 8, 9, 0]))
        // Per-prompt streams: a prompt's SFT examples do not depend on the other prompts asked for.
        #expect(try a.sftExamples(prompts: [pa[3]], perPrompt: 3, seed: 2) == Array(a.sftExamples(prompts: pa, perPrompt: 3, seed: 2)[9 ..< 12]))
    }

    @Test("prompts: all valid and distinct; the language has T·C(I, k) of them")
    func prompts() throws {
        let task = try ToyTask()
        let all = task.allPrompts
        #expect(all.count == 6 * 15)
        #expect(Set(all).count == all.count && all.allSatisfy(task.isPrompt))
        let drawn = try task.prompts(count: all.count, seed: 9)
        #expect(Set(drawn) == Set(all))
        #expect(throws: DICEError.self) { try task.prompts(count: all.count + 1, seed: 9) }
        #expect(!task.isPrompt([1, 9, 8]) && !task.isPrompt([7, 8, 9]) && !task.isPrompt([1, 7]))
    }

    @Test("the judge's score is mean q(x, w) + coverageBonus·coverage + lengthBias·|y| (naive recomputation); verdicts antisymmetric")
    func judge() throws {
        var config = ToyTaskConfig()
        config.coverageBonus = 0.7
        config.coverageWords = 4
        config.lengthBias = 0.3
        let task = try ToyTask(config: config)
        let judge = ToyJudge(task: task)
        var rng = SplitMix64(seed: 12)
        for prompt in try task.prompts(count: 20, seed: 4) {
            let y1 = task.referenceResponse(prompt: prompt, rng: &rng)
            let y2 = task.referenceResponse(prompt: prompt, rng: &rng)
            let words = Array(y1.dropLast())
            // Raw values from the hidden tables, centred on softmax(0.5·raw) by hand.
            func raw(_ w: Int) -> Double {
                prompt.dropFirst().reduce(task.topicValues[prompt[0]][w]) { $0 + task.instructionValues[$1 - task.config.topicCount][w] }
            }
            let weights = (1 ... 24).map { exp(0.5 * raw($0)) }
            let z = weights.reduce(0, +)
            var centre = 0.0
            for w in 1 ... 24 { centre += weights[w - 1] / z * raw(w) }
            var sum = 0.0
            for w in words { sum += raw(w) - centre }
            let mean = sum / Double(words.count)
            // The 4 best words by raw value, found by repeated maximum (no ties in Gaussian draws).
            var best: [Int] = []
            for _ in 0 ..< 4 {
                var top = 0
                for w in 1 ... 24 where !best.contains(w) && (top == 0 || raw(w) > raw(top)) { top = w }
                best.append(top)
            }
            var covered = 0
            for b in best where words.contains(b) { covered += 1 }
            let naive = mean + 0.7 * Double(covered) / 4 + 0.3 * Double(words.count)
            #expect(Set(best) == task.bestWords(prompt: prompt))
            #expect(abs(try task.judgeScore(prompt: prompt, response: y1) - naive) < 1e-9)
            #expect(abs(try task.quality(prompt: prompt, response: y1) - mean) < 1e-12)
            #expect(abs(try task.coverage(prompt: prompt, response: y1) - Double(covered) / 4) < 1e-12)
            #expect(y1.last == ToyTask.eos && (2 ... 24).contains(words.count))
            // Repeating a response's words leaves its quality (an average) unchanged.
            #expect(abs(try task.quality(prompt: prompt, response: words + words + [0]) - mean) < 1e-12)
            let v = try judge.verdict(prompt: prompt, a: y1, b: y2)
            #expect(try judge.verdict(prompt: prompt, a: y2, b: y1) == v.reversed)
            #expect(try judge.verdict(prompt: prompt, a: y1, b: y1) == .tie)
        }
        #expect(try task.quality(prompt: task.allPrompts[0], response: [0]) == 0)
        #expect(throws: DICEError.self) { try judge.verdict(prompt: [1, 7, 8], a: [0, 5], b: [5]) }
        #expect(throws: DICEError.self) { try judge.verdict(prompt: [1, 7, 8], a: [99], b: [5]) }
        #expect(throws: DICEError.self) { try judge.verdict(prompt: [99], a: [5], b: [5]) }
    }

    @Test("noise-free offline labels agree with the judge; noisy ones agree as often as Bradley–Terry predicts")
    func offlineLabels() throws {
        var config = ToyTaskConfig()
        config.labelTemperature = 0
        let exact = try ToyTask(config: config)
        let judge = ToyJudge(task: exact)
        for pair in try exact.offlinePairs(prompts: exact.allPrompts, seed: 1) {
            #expect(try judge.verdict(prompt: pair.prompt, a: pair.chosen, b: pair.rejected) == .win)
        }
        // 10 draws of all 90 prompts; each label agrees with the judge with probability
        // σ(|ΔJ|/T): the expected count is the sum of those, its variance Σ p(1 − p).
        config.labelTemperature = 0.5
        let noisy = try ToyTask(config: config)
        var agree = 0, expected = 0.0, variance = 0.0, count = 0
        for seed in 1 ... 10 as ClosedRange<UInt64> {
            let pairs = try noisy.offlinePairs(prompts: noisy.allPrompts, seed: seed)
            count += pairs.count
            for pair in pairs {
                let delta = try exact.judgeScore(prompt: pair.prompt, response: pair.chosen)
                    - exact.judgeScore(prompt: pair.prompt, response: pair.rejected)
                let p = 1 / (1 + exp(-abs(delta) / 0.5))
                expected += p
                variance += p * (1 - p)
                if delta > 0 { agree += 1 }
            }
        }
        #expect(count == 10 * noisy.allPrompts.count)
        #expect(agree < count && abs(Double(agree) - expected) < 4 * variance.squareRoot(),
                "agree \(agree), expected \(expected) ± \(variance.squareRoot())")
    }

    @Test("reference responses prefer good words; values are centred on the reference distribution")
    func referenceDistribution() throws {
        let task = try ToyTask()
        let prompt = task.allPrompts[0]
        let p = task.referenceWordDistribution(prompt: prompt)
        #expect(abs(p.reduce(0, +) - 1) < 1e-12 && p.count == task.config.wordCount)
        let values = task.contentWords.map { task.wordValue(prompt: prompt, word: $0) }
        // Centred: a reference word is worth 0 on average.
        #expect(abs(zip(p, values).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-9)
        let best = values.indices.max { values[$0] < values[$1] } ?? 0
        #expect(p.indices.max { p[$0] < p[$1] } == best)
    }

    /// Reference lengths: min + a geometric number of extra words, capped. Against the closed
    /// forms: the mean min + Σ_{k=1}^{max−min} c^k, and a constant chance 1 − c of stopping after
    /// each word below the cap (c = (mean − min)/(mean − min + 1)).
    @Test func referenceLengths() throws {
        var config = ToyTaskConfig()
        config.minResponseWords = 2
        config.meanResponseWords = 5
        config.maxResponseWords = 9
        let task = try ToyTask(config: config)
        let prompt = task.allPrompts[3]
        var rng = SplitMix64(seed: 21)
        let n = 40_000
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0 ..< n { counts[task.referenceResponse(prompt: prompt, rng: &rng).count - 1] += 1 }
        let c = 3.0 / 4.0
        let mean = (1 ... 7).reduce(2.0) { $0 + pow(c, Double($1)) }
        let observed = Double(counts.indices.reduce(0) { $0 + $1 * counts[$1] }) / Double(n)
        #expect(counts[0] == 0 && counts[1] == 0)
        #expect(abs(observed - mean) < 0.03, "mean length \(observed) vs \(mean)")
        for length in 2 ... 6 {
            let reached = counts[length...].reduce(0, +)
            let stopHere = Double(counts[length]) / Double(reached)
            #expect(abs(stopHere - (1 - c)) < 0.03, "stop after \(length) words: \(stopHere)")
        }
    }

    @Test("candidate sets are distinct responses; text renders words without EOS")
    func candidates() throws {
        let task = try ToyTask()
        let sets = try task.candidateResponses(prompts: Array(task.allPrompts.prefix(5)), count: 6, seed: 3)
        #expect(sets.allSatisfy { Set($0).count == $0.count && $0.count == 6 })
        #expect(task.render([1, 2, 0]) == "amber brisk")
        #expect(task.vocabularySize == 25)
    }

    @Test("unusable configurations are rejected", arguments: [
        { (c: inout ToyTaskConfig) in c.wordCount = 100 }, { c in c.topicCount = 20 }, { c in c.instructionsPerPrompt = 7 },
        { c in c.minResponseWords = 0 }, { c in c.maxResponseWords = 1 }, { c in c.meanResponseWords = 30 }, { c in c.labelTemperature = -1 },
        { c in c.lengthBias = .nan }, { c in c.coverageWords = 0 }, { c in c.coverageBonus = .infinity },
    ] as [@Sendable (inout ToyTaskConfig) -> Void])
    func badConfig(change: @Sendable (inout ToyTaskConfig) -> Void) {
        var c = ToyTaskConfig()
        change(&c)
        #expect(throws: DICEError.self) { try ToyTask(config: c) }
    }
}
