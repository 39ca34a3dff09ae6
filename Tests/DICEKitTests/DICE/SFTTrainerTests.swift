import Foundation
import Testing
@testable import DICEKit

/// SFT maximises likelihood: on a tabular policy its optimum is the empirical distribution of
/// the examples (closed form), and the loss it reports is the token-mean NLL.
@Suite("SFT trainer")
struct SFTTrainerTests {
    @Test func convergesToTheEmpiricalDistribution() throws {
        let prompt = [1, 2]
        let responses = [[3, 0], [4, 0], [5, 0]]
        let policy = try TabularPolicy(prompts: [prompt], responses: [responses])
        let examples = [0, 0, 0, 1].map { TokenPair(prompt: prompt, response: responses[$0]) }
        let trainer = SFTTrainer(configuration: SFTConfiguration(learningRate: 0.05, batchSize: 4, steps: 600,
                                                                 maxGradNorm: nil))
        let loss = try trainer.train(policy, examples: examples)
        let p = try policy.probabilities(prompt: 0)
        #expect(abs(p[0] - 0.75) < 0.02 && abs(p[1] - 0.25) < 0.02 && p[2] < 0.02, "\(p)")
        // Token-mean NLL at the optimum: −(3 log .75 + log .25) / (4 examples × 2 tokens).
        let optimum = -(3 * log(0.75) + log(0.25)) / 8
        #expect(abs(loss - optimum) < 0.01, "\(loss) vs \(optimum)")
    }

    @Test func rejectsEmptyData() throws {
        let policy = try TabularPolicy(prompts: [[1]], responses: [[[2, 0]]])
        #expect(throws: DICEError.self) { try SFTTrainer(configuration: SFTConfiguration()).train(policy, examples: []) }
    }

    @Test("a NaN log-prob stops SFT at that step with the quantity named")
    func nonFiniteLossStops() throws {
        let prompt = [1, 2]
        let policy = try TabularPolicy(prompts: [prompt], responses: [[[3, 0], [4, 0]]])
        try policy.setLogits(prompt: 0, [.nan, 0])
        let examples = [TokenPair(prompt: prompt, response: [3, 0])]
        do {
            _ = try SFTTrainer(configuration: SFTConfiguration(learningRate: 0.05, batchSize: 1, steps: 3))
                .train(policy, examples: examples)
            Issue.record("SFT trained through a NaN")
        } catch let DPOTrainingError.nonFinite(step, quantity, _) {
            #expect(step == 1 && quantity == "SFT loss")
        }
    }
}
