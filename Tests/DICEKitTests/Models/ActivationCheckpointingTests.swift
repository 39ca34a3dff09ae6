import Foundation
import Testing
@testable import DICEKit

/// Activation checkpointing (each block keeps only its input; the backward recomputes the
/// block's forward) gives the plain path's log-probs and gradients bit for bit, on every fixture
/// architecture (GPT-2's fused projections and learned positions, Gemma 3's post-norms, q/k
/// norms and sliding windows, Qwen2's biases, …), with and without prefix sharing, and for the
/// reward model's score head.
@Suite("Activation checkpointing")
struct ActivationCheckpointingTests {
    /// The bit patterns of `model`'s log-probs and gradients after one pullback of `weights`
    /// over `pairs`, with checkpointing on or off.
    static func run(_ model: TransformerLM, _ pairs: [TokenPair], _ weights: [Double],
                    checkpoint: Bool) throws -> (logProbs: [UInt64], gradients: [UInt32], norm: Double) {
        model.checkpointsActivations = checkpoint
        try model.parameters.zeroGradients()
        let (values, pullback) = try model.logProbsWithPullback(pairs)
        try pullback(weights)
        let g = model.backend.download(try model.parameters.gradients())
        return (values.map(\.bitPattern), g.map(\.bitPattern), g.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot())
    }

    @Test(arguments: Fixtures.modelNames, [true, false])
    func gradientsAreBitIdentical(_ name: String, sharePrompts: Bool) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        model.sharesPrompts = sharePrompts
        #expect(model.blocks.count >= 2, "\(name): checkpointing needs a block before the last to recompute")
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let weights = [1.0, -0.7, 0.3, 2.0, -1.1, 0.5, 0.9]
        let plain = try Self.run(model, pairs, weights, checkpoint: false)
        let checkpointed = try Self.run(model, pairs, weights, checkpoint: true)
        #expect(plain.norm > 0, "\(name): no gradient to compare")
        #expect(plain.logProbs == checkpointed.logProbs, "\(name): log-probs differ")
        let differing = zip(plain.gradients, checkpointed.gradients).filter { $0 != $1 }.count
        #expect(differing == 0, "\(name): \(differing) of \(plain.gradients.count) gradient elements differ")
    }

    /// The checkpointed forward keeps only inputs for every block but the last (a flag that
    /// changed nothing would pass the bit-identity tests trivially).
    @Test func checkpointedForwardKeepsOnlyInputs() throws {
        let model = try TransformerLM(directory: Fixtures.model("qwen3"), backend: CPUBackend())
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let packed = try PackedBatch(pairs: pairs, spec: model.spec, sharePrompts: true)
        func inputs(_ state: TransformerLM.ForwardState) -> Int {
            state.blocks.items.filter { if case .input = $0 { true } else { false } }.count
        }
        #expect(inputs(try model.forward(packed)) == 0)
        model.checkpointsActivations = true
        let state = try model.forward(packed)
        #expect(inputs(state) == model.blocks.count - 1)
        if case .saved = state.blocks.items.last {} else { Issue.record("the last block should keep its saved state") }
    }

    /// Several AdamW updates: the recomputation reads the weights of the step it runs in, so
    /// checkpointed training stays bit-identical update after update.
    @Test func trainingStaysBitIdentical() throws {
        var finals: [[UInt32]] = []
        for checkpoint in [false, true] {
            let model = try TransformerLM(directory: Fixtures.model("gemma3"), backend: CPUBackend())
            model.checkpointsActivations = checkpoint
            let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
            let preference = (0..<3).map { i in
                PreferencePair(prompt: pairs[i].prompt, chosen: pairs[i].response + [1], rejected: pairs[i + 3].response + [2])
            }
            let reference = try ReferenceLogProbs.compute(preference, reference: model)
            let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw,
                                          learningRate: 1e-3, batchSize: 3, steps: 3, maxGradNorm: 1.0,
                                          evaluationInterval: 0, checkpointInterval: 0)
            _ = try StandardDPOTrainer(configuration: config).train(model, pairs: preference, reference: reference)
            finals.append(model.backend.download(model.parameters.values).map(\.bitPattern))
        }
        let initial = try TransformerLM(directory: Fixtures.model("gemma3"), backend: CPUBackend())
        #expect(finals[0] != initial.backend.download(initial.parameters.values).map(\.bitPattern), "training did not move the weights")
        #expect(finals[0] == finals[1])
    }

    @Test func rewardModelGradientsAreBitIdentical() throws {
        let base = try ModelDirectory.read(from: Fixtures.model("llama-gqa-tied"))
        let rm = try RewardModel(languageModel: base, backend: CPUBackend(), seed: 5)
        let pairs = PrefixSharingTests.batch(vocabulary: rm.network.spec.vocabularySize).filter { !$0.response.isEmpty }
        var results: [([UInt64], [UInt32])] = []
        for checkpoint in [false, true] {
            rm.network.checkpointsActivations = checkpoint
            try rm.network.parameters.zeroGradients()
            let (rewards, pullback) = try rm.rewardsWithPullback(pairs)
            try pullback(pairs.indices.map { Double($0) - 2.5 })
            results.append((rewards.map(\.bitPattern), rm.network.backend.download(try rm.network.parameters.gradients()).map(\.bitPattern)))
        }
        #expect(results[0].1.contains { $0 != 0 })
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
    }
}
