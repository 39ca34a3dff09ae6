// The toy task with per-topic target lengths: the judge against a naive recomputation over L
// slots, the reference lengths' distribution, and configuration checks.

import Foundation
import Testing
@testable import DICEKit

@Suite("Toy length target")
struct ToyLengthTargetTests {
    static func config(seed: UInt64 = 2) -> ToyTaskConfig {
        var c = ToyTaskConfig()
        c.seed = seed
        var target = ToyLengthTarget()
        target.minWords = 3
        target.maxWords = 6
        target.spread = 2
        target.shortfallPenalty = 0.7
        target.overrunPenalty = 1.3
        c.lengthTarget = target
        c.coverageBonus = 0.4
        c.lengthBias = 0.05
        return c
    }

    @Test("each topic has one L in minWords … maxWords, the same for the same seed; the hidden values do not depend on the target")
    func targets() throws {
        let task = try ToyTask(config: Self.config())
        var lengths: [Int: Set<Int>] = [:]
        for prompt in task.allPrompts { lengths[prompt[0], default: []].insert(try #require(task.targetLength(prompt: prompt))) }
        #expect(lengths.count == task.config.topicCount && lengths.values.allSatisfy { $0.count == 1 })
        #expect(lengths.values.allSatisfy { (3 ... 6).contains($0.first!) })
        let again = try ToyTask(config: Self.config())
        #expect(task.allPrompts.map { again.targetLength(prompt: $0) } == task.allPrompts.map { task.targetLength(prompt: $0) })
        var plain = Self.config()
        plain.lengthTarget = nil
        let untargeted = try ToyTask(config: plain)
        #expect(untargeted.targetLength(prompt: task.allPrompts[0]) == nil && task.targetLength(prompt: [99]) == nil)
        #expect(untargeted.topicValues == task.topicValues && untargeted.instructionValues == task.instructionValues)
    }

    @Test("the judge's score is the L-slot mean with shortfall and overrun penalties + coverage of the first L words + lengthBias·|y| (naive recomputation)")
    func judge() throws {
        let task = try ToyTask(config: Self.config())
        var rng = SplitMix64(seed: 8)
        for prompt in try task.prompts(count: 30, seed: 4) {
            let l = try #require(task.targetLength(prompt: prompt))
            let best = task.bestWords(prompt: prompt)
            for n in [1, l - 1, l, l + 1, l + 4] where n >= 1 {
                let words = (0 ..< n).map { _ in 1 + Int(rng.next() % 24) }
                var sum = 0.0
                for k in 0 ..< min(n, l) { sum += task.wordValue(prompt: prompt, word: words[k]) }
                if n < l { sum -= 0.7 * Double(l - n) }
                if n > l { sum -= 1.3 * Double(n - l) }
                let quality = sum / Double(l)
                var covered = 0
                for w in best where words.prefix(l).contains(w) { covered += 1 }
                let expected = quality + 0.4 * Double(covered) / Double(best.count) + 0.05 * Double(n)
                #expect(abs(try task.quality(prompt: prompt, response: words + [0]) - quality) < 1e-12)
                #expect(abs(try task.judgeScore(prompt: prompt, response: words) - expected) < 1e-12, "n \(n), L \(l)")
            }
        }
    }

    /// Reference answers have L − spread + Binomial(2·spread, ½) words: with spread 2 the
    /// lengths L − 2 … L + 2 come with probabilities 1, 4, 6, 4, 1 in 16.
    @Test func referenceLengths() throws {
        let task = try ToyTask(config: Self.config())
        let prompt = task.allPrompts[5]
        let l = try #require(task.targetLength(prompt: prompt))
        var rng = SplitMix64(seed: 21)
        let n = 32_000
        var counts: [Int: Int] = [:]
        for _ in 0 ..< n { counts[task.referenceResponse(prompt: prompt, rng: &rng).count - 1, default: 0] += 1 }
        #expect(Set(counts.keys) == Set(l - 2 ... l + 2))
        for (k, weight) in zip(l - 2 ... l + 2, [1.0, 4, 6, 4, 1]) {
            let observed = Double(counts[k, default: 0]) / Double(n)
            #expect(abs(observed - weight / 16) < 0.01, "length \(k): \(observed)")
        }
    }

    @Test("unusable targets are rejected", arguments: [
        { (t: inout ToyLengthTarget) in t.minWords = 0 }, { t in t.maxWords = 2 }, { t in t.spread = -1 },
        { t in t.shortfallPenalty = -1 }, { t in t.overrunPenalty = .nan },
    ] as [@Sendable (inout ToyLengthTarget) -> Void])
    func badTarget(change: @Sendable (inout ToyLengthTarget) -> Void) {
        var c = Self.config()
        change(&c.lengthTarget!)
        #expect(throws: DICEError.self) { try ToyTask(config: c) }
    }
}
