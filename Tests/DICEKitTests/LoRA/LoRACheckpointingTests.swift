import Foundation
import Testing
@testable import DICEKit

/// LoRA under activation checkpointing: the backward recomputes each adapted block's forward
/// with the pass's adapter and dropout key, so the adapter's gradients (and the log-probs) are
/// bit-identical with and without checkpointing, on every fixture architecture, with dropout on;
/// and several AdamW steps of LoRA DPO end with the same adapter bits.
@Suite("LoRA activation checkpointing")
struct LoRACheckpointingTests {
    /// The bit patterns of the log-probs and of the adapter's gradients after one pullback.
    static func run(_ model: TransformerLM, _ adapter: LoRAAdapter, _ pairs: [TokenPair], _ weights: [Double],
                    checkpoint: Bool) throws -> (logProbs: [UInt64], gradients: [UInt32]) {
        model.checkpointsActivations = checkpoint
        try adapter.zeroGradients()
        let (values, pullback) = try model.logProbsWithPullback(pairs)
        try pullback(weights)
        return (values.map(\.bitPattern), adapter.backend.download(try adapter.gradients()).map(\.bitPattern))
    }

    @Test(arguments: Fixtures.modelNames)
    func adapterGradientsAreBitIdentical(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        #expect(model.blocks.count >= 2, "\(name): checkpointing needs a block before the last to recompute")
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 3, alpha: 6, dropout: 0.2, seed: 9), for: model)
        var rng = SplitMix64(seed: 41)
        for entry in adapter.parameters.entries {
            try adapter.parameters.set(entry.name, (0..<entry.count).map { _ in rng.nextGaussian() * 0.1 })
        }
        try model.attach(adapter)
        let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
        let weights = [1.0, -0.7, 0.3, 2.0, -1.1, 0.5, 0.9]
        let plain = try Self.run(model, adapter, pairs, weights, checkpoint: false)
        let checkpointed = try Self.run(model, adapter, pairs, weights, checkpoint: true)
        #expect(plain.gradients.contains { $0 != 0 }, "\(name): no adapter gradient to compare")
        #expect(!model.parameters.hasGradients, "\(name): the frozen base allocated a gradient buffer")
        #expect(plain.logProbs == checkpointed.logProbs, "\(name): log-probs differ")
        let differing = zip(plain.gradients, checkpointed.gradients).filter { $0 != $1 }.count
        #expect(differing == 0, "\(name): \(differing) of \(plain.gradients.count) adapter gradient elements differ")
    }

    /// Three AdamW steps of LoRA DPO (dropout on) end with the same adapter bits either way, and
    /// the adapter moved.
    @Test func loraTrainingStaysBitIdentical() throws {
        var finals: [[UInt32]] = []
        for checkpoint in [false, true] {
            let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
            model.checkpointsActivations = checkpoint
            let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, seed: 2), for: model)
            try adapter.initialize()
            let pairs = PrefixSharingTests.batch(vocabulary: model.spec.vocabularySize)
            let preference = (0..<3).map { i in
                PreferencePair(prompt: pairs[i].prompt, chosen: pairs[i].response + [1], rejected: pairs[i + 3].response + [2])
            }
            let reference = try ReferenceLogProbs.compute(preference, reference: model)
            let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw,
                                          learningRate: 1e-2, batchSize: 3, steps: 3, maxGradNorm: 1.0,
                                          evaluationInterval: 0, checkpointInterval: 0)
            let policy = TransformerPolicy(model: model, generation: GenerationParameters(), adapter: adapter)
            _ = try StandardDPOTrainer(configuration: config).train(policy, pairs: preference, reference: reference)
            finals.append(adapter.backend.download(adapter.values).map(\.bitPattern))
            let b = try adapter.parameters.get(adapter.modules[0].b.name)
            #expect(b.contains { $0 != 0 }, "training did not move B")
        }
        #expect(finals[0] == finals[1])
    }
}
