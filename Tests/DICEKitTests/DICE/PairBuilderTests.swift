// Pair building: filtering (truncated, degenerate, too few valid), best/worst with the
// documented tie rules, all-equal prompts, and malformed input.

import Foundation
import Testing
@testable import DICEKit

/// A scored sample whose text is `length` letters and whose tokens are `length` ids then EOS.
func sample(_ prompt: Int, _ index: Int, reward: Double?, length: Int, finish: FinishReason = .stop,
            text: String? = nil) -> SampleRecord {
    let tokens = Array(repeating: 5, count: length) + (finish == .stop ? [0] : [])
    return SampleRecord(promptIndex: prompt, sampleIndex: index, tokens: tokens,
                        text: text ?? String(repeating: "a", count: length), finishReason: finish,
                        score: reward.map { RewardScore(reward: $0) })
}

func builder(minValid: Int = 2, minLength: Int = 1, maxLength: Int? = nil, alpha: AlphaSetting = .fixed(0),
             unit: LengthUnit = .characters) throws -> BestWorstPairBuilder {
    try BestWorstPairBuilder(lengthUnit: unit, minLength: minLength, maxLength: maxLength, minValid: minValid,
                             regularizer: LengthRegularizer(alpha: alpha))
}

@Suite("DICE pair builder")
struct PairBuilderTests {
    @Test("chosen = argmax, rejected = argmin; ties: lowest index chosen, highest index rejected")
    func bestWorstWithTies() throws {
        let samples = [sample(0, 3, reward: 0.5, length: 4), sample(0, 0, reward: 2, length: 3),
                       sample(0, 1, reward: 2, length: 5), sample(0, 2, reward: -1, length: 6),
                       sample(0, 4, reward: -1, length: 7)]
        let result = try builder().buildPairs(from: samples)
        #expect(result.pairs.count == 1)
        let pair = try #require(result.pairs.first)
        #expect(pair.chosen.sampleIndex == 0)
        #expect(pair.rejected.sampleIndex == 4)
        #expect(pair.chosenLength == 3 && pair.rejectedLength == 7)
        #expect(pair.chosenShapedReward == 2 && pair.rejectedShapedReward == -1)
    }

    @Test("all-equal prompts are dropped and counted")
    func allEqual() throws {
        let samples = [sample(0, 0, reward: 1, length: 3), sample(0, 1, reward: 1, length: 3),
                       sample(1, 0, reward: 1, length: 3), sample(1, 1, reward: 0, length: 4)]
        let result = try builder().buildPairs(from: samples)
        #expect(result.pairs.map(\.promptIndex) == [1])
        #expect(result.statistics.promptsAllEqual == 1)
        #expect(result.statistics.prompts == 2 && result.statistics.pairs == 1)
    }

    @Test("truncated and degenerate responses are dropped before pairing")
    func filtering() throws {
        let samples = [
            sample(0, 0, reward: 9, length: 3, finish: .length),       // truncated: would win
            sample(0, 1, reward: 8, length: 0),                        // empty (EOS only)
            sample(0, 2, reward: 7, length: 3, text: "  \n"),          // whitespace only
            sample(0, 3, reward: 6, length: 50),                       // too long
            sample(0, 4, reward: -9, length: 1),                       // too short
            sample(0, 5, reward: 1, length: 4),
            sample(0, 6, reward: 0, length: 5),
        ]
        let result = try builder(minLength: 2, maxLength: 20).buildPairs(from: samples)
        #expect(result.statistics.truncated == 1)
        #expect(result.statistics.degenerate == 4)
        let pair = try #require(result.pairs.first)
        #expect(pair.chosen.sampleIndex == 5 && pair.rejected.sampleIndex == 6)
    }

    @Test("a prompt with fewer than minValid surviving responses is dropped", arguments: [2, 3, 4])
    func tooFewValid(minValid: Int) throws {
        // Three valid responses and one truncated.
        let samples = [sample(0, 0, reward: 1, length: 3), sample(0, 1, reward: 2, length: 3),
                       sample(0, 2, reward: 3, length: 3), sample(0, 3, reward: 4, length: 3, finish: .length)]
        let result = try builder(minValid: minValid).buildPairs(from: samples)
        #expect(result.pairs.count == (minValid <= 3 ? 1 : 0))
        #expect(result.statistics.promptsWithTooFewValid == (minValid <= 3 ? 0 : 1))
    }

    @Test("lengths in tokens do not count the stop token; characters count Unicode scalars")
    func units() throws {
        let s = SampleRecord(promptIndex: 0, sampleIndex: 0, tokens: [4, 4, 0], text: "héllo",
                             finishReason: .stop, score: RewardScore(reward: 0))
        #expect(s.length(in: .tokens) == 2)
        #expect(s.length(in: .characters) == 5)
        let truncated = SampleRecord(promptIndex: 0, sampleIndex: 0, tokens: [4, 4, 0], text: "",
                                     finishReason: .length)
        #expect(truncated.length(in: .tokens) == 3)
    }

    @Test("the length regularizer shapes the choice: auto α removes the length gap")
    func regularized() throws {
        // Two prompts where the longer response has the higher raw reward.
        let samples = [sample(0, 0, reward: 2, length: 10), sample(0, 1, reward: 1, length: 2),
                       sample(1, 0, reward: 1, length: 6), sample(1, 1, reward: 0.9, length: 4)]
        let plain = try builder().buildPairs(from: samples)
        let shaped = try builder(alpha: .auto).buildPairs(from: samples)
        #expect(plain.regularization.meanLengthGapAfter == 5)
        #expect(shaped.regularization.meanLengthGapBefore == 5)
        #expect(shaped.regularization.meanLengthGapAfter == 3)
        #expect(shaped.pairs[1].chosen.sampleIndex == 1)
        let a = shaped.regularization.alpha
        #expect(shaped.pairs[0].chosenShapedReward == 2 - a * 10)
    }

    @Test("samples without a score, with a non-finite reward or a repeated index are rejected")
    func malformed() throws {
        let b = try builder()
        #expect(throws: DICEError.invalidSamples(prompt: 0, reason: "sample 0 has no score")) {
            try b.buildPairs(from: [sample(0, 0, reward: nil, length: 3)])
        }
        #expect(throws: DICEError.invalidSamples(prompt: 2, reason: "sample 1 has reward nan")) {
            try b.buildPairs(from: [sample(2, 1, reward: .nan, length: 3)])
        }
        #expect(throws: DICEError.invalidSamples(prompt: 0, reason: "sample index 1 appears twice")) {
            try b.buildPairs(from: [sample(0, 1, reward: 1, length: 3), sample(0, 1, reward: 2, length: 3)])
        }
    }

    @Test("bad knobs are rejected before any work, naming the knob")
    func knobs() {
        #expect(throws: DICEError.invalidParameter(name: "minValid", value: "1", expected: "≥ 2 (a pair needs two responses)")) {
            try builder(minValid: 1)
        }
        #expect(throws: DICEError.invalidParameter(name: "minLength", value: "0", expected: "≥ 1")) { try builder(minLength: 0) }
        #expect(throws: DICEError.invalidParameter(name: "maxLength", value: "4", expected: "≥ minLength (5)")) {
            try builder(minLength: 5, maxLength: 4)
        }
    }
}
