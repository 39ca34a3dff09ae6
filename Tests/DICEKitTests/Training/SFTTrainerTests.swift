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
        let error = #expect(throws: DPOTrainingError.self) {
            try SFTTrainer(configuration: SFTConfiguration()).train(policy, examples: [])
        }
        guard let error, case let .invalidSetting(name, value, _) = error else {
            Issue.record("expected invalidSetting, got \(String(describing: error))")
            return
        }
        #expect(name == "examples" && value == "0 examples")
    }

    /// Each SFT settings rule names its setting and the value given, before any work.
    @Test(arguments: [("batchSize", "0"), ("steps", "-1"), ("learningRate", "-1.0"), ("weightDecay", "-0.5"),
                      ("maxGradNorm", "0.0")])
    func settingsNameTheirRule(_ setting: String, _ value: String) throws {
        var c = SFTConfiguration(batchSize: 2, steps: 3)
        switch setting {
        case "batchSize": c.batchSize = Int(value) ?? 1
        case "steps": c.steps = Int(value) ?? 0
        case "learningRate": c.learningRate = Double(value) ?? 0
        case "weightDecay": c.weightDecay = Double(value) ?? 0
        default: c.maxGradNorm = Double(value)
        }
        let policy = try TabularPolicy(prompts: [[1]], responses: [[[2, 0], [3, 0]]])
        let before = try policy.logits(prompt: 0)
        let error = #expect(throws: DPOTrainingError.self) {
            try SFTTrainer(configuration: c).train(policy, examples: [TokenPair(prompt: [1], response: [2, 0])])
        }
        guard let error, case let .invalidSetting(name, got, _) = error else {
            Issue.record("expected invalidSetting, got \(String(describing: error))")
            return
        }
        #expect(name == setting && got == value)
        #expect(try policy.logits(prompt: 0) == before)
    }

    /// The loop SFTTrainer ran before it used `TrainingStep`, written out: the trainer must give
    /// the same bits (parameters after every update, losses) with clipping, a schedule, weight
    /// decay and both optimizers.
    @Test(arguments: [OptimizerKind.adamw, .sgd])
    func matchesThePreviousLoop(_ kind: OptimizerKind) throws {
        let prompts = [[1, 2], [1, 3], [4]]
        let responses = [[[5, 0], [6, 6, 0], [7, 0]], [[5, 0], [8, 0]], [[6, 0], [7, 7, 7, 0], [8, 0], [5, 0]]]
        let examples = [(0, 1), (0, 0), (1, 1), (2, 1), (2, 3), (0, 2), (2, 1)].map {
            TokenPair(prompt: prompts[$0.0], response: responses[$0.0][$0.1])
        }
        let c = SFTConfiguration(optimizer: kind, learningRate: 0.3, weightDecay: 0.01,
                                 schedule: .cosine(warmupSteps: 2, totalSteps: 9), batchSize: 3, steps: 9,
                                 maxGradNorm: 0.5, seed: 4)
        let trained = try TabularPolicy(prompts: prompts, responses: responses)
        var losses: [Double] = []
        var snapshots: [[Float]] = []
        try SFTTrainer(configuration: c) { _, loss in
            losses.append(loss)
            snapshots.append(trained.parameters.backend.download(trained.parameters.values))
        }.train(trained, examples: examples)

        let oracle = try TabularPolicy(prompts: prompts, responses: responses)
        let parameters = oracle.parameters
        let optimizer: any Optimizer = kind == .adamw ? try AdamW(weightDecay: 0.01) : try SGD(weightDecay: 0.01)
        var order = DPODataOrder(count: examples.count, seed: c.seed)
        for step in 0..<c.steps {
            let batch = order.next(c.batchSize).map { examples[$0] }
            let tokens = Double(max(1, batch.reduce(0) { $0 + $1.response.count }))
            try parameters.zeroGradients()
            let (logps, pullback) = try oracle.logProbsWithPullback(batch)
            let loss = -logps.reduce(0, +) / tokens
            try pullback([Double](repeating: -1 / tokens, count: batch.count))
            let gradients = try parameters.gradients()
            _ = parameters.backend.clipGlobalNorm([gradients], maxNorm: 0.5)
            try optimizer.update(parameters, learningRate: c.learningRate * c.schedule.multiplier(step: step))
            #expect(loss.bitPattern == losses[step].bitPattern, "step \(step + 1): loss \(losses[step]) vs \(loss)")
            #expect(parameters.backend.download(parameters.values).map(\.bitPattern) == snapshots[step].map(\.bitPattern),
                    "step \(step + 1)")
        }
    }

    /// An injected optimizer is the one updated, and the reducer runs once per update.
    @Test func usesTheGivenOptimizerAndReducer() throws {
        let prompt = [1, 2]
        let policy = try TabularPolicy(prompts: [prompt], responses: [[[3, 0], [4, 0]]])
        let optimizer = try SGD(momentum: 0.5)
        let reducer = TrainingStepTests.ScalingReducer(factor: 1)
        var observed: [Int] = []
        try SFTTrainer(configuration: SFTConfiguration(optimizer: .adamw, learningRate: 0.1, batchSize: 1, steps: 4),
                       optimizer: optimizer, reducer: reducer) { step, _ in observed.append(step) }
            .train(policy, examples: [TokenPair(prompt: prompt, response: [3, 0])])
        #expect(optimizer.step == 4 && optimizer.state().tensors["momentum_buffer"] != nil)
        #expect(reducer.log == ["reduce", "reduce", "reduce", "reduce"])
        #expect(observed == [1, 2, 3, 4])
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
