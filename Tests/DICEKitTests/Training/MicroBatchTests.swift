// Micro-batches whose gradients are made apart and summed in order (`DPOConfiguration.
// microBatches`, `SFTConfiguration.microBatches`, `TrainingStep.apply(…microBatches:…)`),
// against independent oracles: the parts summed by a naive Float32 loop, left to right (what
// `Communicator.allReduceSum` does over ranks), each part computed by hand from the policy's
// pullback; the full-batch gradient within rounding; one micro-batch bit for bit the full batch.

import Foundation
import Testing
@testable import DICEKit

@Suite("Micro-batches (gradients made apart, summed in order)")
struct MicroBatchTests {
    /// Keeps a copy of every gradient it is given (after the accumulation, before clipping).
    final class RecordingReducer: GradientReducer {
        var gradients: [[Float]] = []
        func reduce(_ gradients: BufferSlice, on backend: any Backend) {
            self.gradients.append(backend.download(gradients))
        }
    }

    /// A tiny Llama over the toy vocabulary, the same weights for every `seed`.
    static func policy(seed: UInt64 = 3) throws -> TransformerPolicy {
        let model = try TransformerLM(spec: ToyModelFolders.spec, backend: CPUBackend(threads: 1))
        try model.initializeRandomly(seed: seed)
        return TransformerPolicy(model: model, generation: GenerationParameters())
    }

    /// 12 toy preference pairs and reference log-probs that are not zero.
    static func data() throws -> ([PreferencePair], ReferenceLogProbs) {
        let task = try ToyTask()
        let pairs = try task.offlinePairs(prompts: try task.prompts(count: 12, seed: 5), seed: 6)
        let reference = ReferenceLogProbs(chosen: pairs.indices.map { -3 - 0.25 * Double($0) },
                                          rejected: pairs.indices.map { -4 + 0.125 * Double($0) })
        return (pairs, reference)
    }

    /// Element-wise Float32 sum of `parts`, left to right: ((p₀ + p₁) + p₂) + ….
    static func leftToRight(_ parts: [[Float]]) -> [Float] {
        var sum = parts[0]
        for part in parts.dropFirst() { for i in sum.indices { sum[i] = sum[i] + part[i] } }
        return sum
    }

    /// The gradient and loss of `indices` (one pass, from zero), with the loss's derivatives
    /// scaled to a batch of `batch` (as the trainer scales every micro-batch's).
    static func handGradient(_ policy: TransformerPolicy, pairs: [PreferencePair], reference: ReferenceLogProbs,
                             indices: [Int], batch: [Int], loss: DPOLoss) throws -> (gradient: [Float], loss: Double) {
        let parameters = policy.trainableParameters
        try parameters.zeroGradients()
        let (logps, pullback) = try policy.logProbsWithPullback(indices.flatMap { [pairs[$0].chosenPair, pairs[$0].rejectedPair] })
        let values = indices.enumerated().map { k, i in
            PairLogProbs(policyChosen: logps[2 * k], policyRejected: logps[2 * k + 1], referenceChosen: reference.chosen[i],
                         referenceRejected: reference.rejected[i], chosenLength: pairs[i].chosen.count,
                         rejectedLength: pairs[i].rejected.count)
        }
        let part = loss.evaluate(values, batchPairs: batch.count,
                                 batchChosenTokens: batch.reduce(0) { $0 + pairs[$1].chosen.count })
        try pullback(indices.indices.flatMap { [part.dChosen[$0], part.dRejected[$0]] })
        return (parameters.backend.download(try parameters.gradients()), part.loss)
    }

    /// The recorded gradient and the reported loss of a one-update DPO run with `microBatches`.
    static func trainOnce(microBatches: Int, microBatchSize: Int? = nil) throws -> (gradient: [Float], loss: Double) {
        let (pairs, reference) = try data()
        let recorder = RecordingReducer()
        let configuration = DPOConfiguration(loss: try DPOLoss(beta: 0.1), optimizer: .sgd, learningRate: 0.01,
                                             batchSize: 8, microBatchSize: microBatchSize, microBatches: microBatches,
                                             steps: 1, seed: 4)
        var loss = Double.nan
        let trainer = StandardDPOTrainer(configuration: configuration, reducer: recorder) { event in
            if case .step(let m) = event { loss = m.loss }
        }
        _ = try trainer.train(try policy(), pairs: pairs, reference: reference)
        #expect(recorder.gradients.count == 1)
        return (recorder.gradients.first ?? [], loss)
    }

    /// The batch the trainer draws first (no pairs held out).
    static func firstBatch(count: Int, size: Int, seed: UInt64) -> [Int] {
        var order = DPODataOrder(count: count, seed: seed)
        return order.next(size)
    }

    @Test("TrainingStep: each part starts from zero and the parts are added left to right in Float32, before the reducer")
    func trainingStepSumsPartsInOrder() throws {
        var rng = SplitMix64(seed: 11)
        let n = 1000
        // Values of mixed magnitudes, so that the order of addition shows in the bits.
        let parts = (0..<3).map { _ in (0..<n).map { _ in (rng.nextFloat() - 0.5) * Float(1 << Int(rng.next() % 20)) } }
        let p = try OptimizerTests.store([Float](repeating: 0, count: n))
        let recorder = RecordingReducer()
        var calls: [Int] = []
        let step = TrainingStep(optimizer: try SGD(), learningRate: 0, reducer: recorder)
        try step.apply(to: p, index: 0, microBatches: 3) { k in
            calls.append(k)
            // Adds into what is there: only a zeroed gradient leaves exactly the part.
            let g = try p.gradients()
            p.backend.upload(zip(p.backend.download(g), parts[k]).map { $0 + $1 }, to: g)
        }
        #expect(calls == [0, 1, 2])
        let want = Self.leftToRight(parts)
        #expect(recorder.gradients.first?.map(\.bitPattern) == want.map(\.bitPattern))
        // Another order of addition gives other bits here, so the check can tell them apart.
        let reversed = Self.leftToRight(parts.reversed())
        #expect(want.map(\.bitPattern) != reversed.map(\.bitPattern))

        // One micro-batch is the plain step: the same parameters after the update.
        let a = try OptimizerTests.store(parts[0]), b = try OptimizerTests.store(parts[0])
        let plain = TrainingStep(optimizer: try SGD(), learningRate: 0.1, maxGradNorm: 1.0)
        let one = TrainingStep(optimizer: try SGD(), learningRate: 0.1, maxGradNorm: 1.0)
        let x = try plain.apply(to: a, index: 0) { try OptimizerTests.setGradients(a, parts[1]) }
        let y = try one.apply(to: b, index: 0, microBatches: 1) { _ in try OptimizerTests.setGradients(b, parts[1]) }
        #expect(x == y)
        #expect(try a.get("w").map(\.bitPattern) == b.get("w").map(\.bitPattern))
    }

    @Test("DPO, 1 micro-batch: the bits of the whole batch in one pass")
    func oneMicroBatchIsTheFullBatch() throws {
        let (pairs, reference) = try Self.data()
        let batch = Self.firstBatch(count: pairs.count, size: 8, seed: 4)
        let hand = try Self.handGradient(try Self.policy(), pairs: pairs, reference: reference, indices: batch,
                                         batch: batch, loss: try DPOLoss(beta: 0.1))
        let trained = try Self.trainOnce(microBatches: 1)
        #expect(trained.gradient.map(\.bitPattern) == hand.gradient.map(\.bitPattern))
        #expect(trained.loss == hand.loss)
    }

    @Test("DPO, N micro-batches: each part's gradient made from zero, summed in order, bit for bit; the full batch's within rounding",
          arguments: [2, 3, 8])
    func microBatchesSumTheParts(_ n: Int) throws {
        let (pairs, reference) = try Self.data()
        let batch = Self.firstBatch(count: pairs.count, size: 8, seed: 4)
        let policy = try Self.policy(), loss = try DPOLoss(beta: 0.1)
        let parts = try (0..<n).map { k in
            try Self.handGradient(policy, pairs: pairs, reference: reference,
                                  indices: Array(batch[Distribution.shard(of: batch.count, rank: k, size: n)]),
                                  batch: batch, loss: loss)
        }
        let whole = try Self.handGradient(policy, pairs: pairs, reference: reference, indices: batch, batch: batch, loss: loss)
        let trained = try Self.trainOnce(microBatches: n)
        #expect(trained.gradient.map(\.bitPattern) == Self.leftToRight(parts.map(\.gradient)).map(\.bitPattern))
        #expect(trained.loss == parts.dropFirst().reduce(parts[0].loss) { $0 + $1.loss })
        // Against the whole batch in one pass: the same gradient up to Float32 rounding.
        let norm = whole.gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let difference = zip(trained.gradient, whole.gradient).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }.squareRoot()
        #expect(norm > 0.1, "a gradient too small to compare: \(norm)")
        #expect(difference <= 1e-5 * norm, "‖g_N − g‖ = \(difference), ‖g‖ = \(norm)")
        // The log-probs are Float32 sums, whose rounding depends on the pass's shape (≈3e-9 relative here).
        #expect(abs(trained.loss - whole.loss) <= 1e-6 * abs(whole.loss))
        // Passes of micro-batch-size within each micro-batch: the same gradient within rounding.
        if n == 2 {
            let passes = try Self.trainOnce(microBatches: 2, microBatchSize: 2)
            let d = zip(passes.gradient, whole.gradient).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }.squareRoot()
            #expect(d <= 1e-5 * norm, "‖g − g_passes‖ = \(d)")
        }
    }

    @Test("SFT, 2 micro-batches: the parts' gradients summed in order; the losses added in order")
    func sftMicroBatches() throws {
        let task = try ToyTask()
        let examples = try task.sftExamples(prompts: try task.prompts(count: 6, seed: 2), perPrompt: 1, seed: 3)
        let recorder = RecordingReducer()
        var reported = Double.nan
        let configuration = SFTConfiguration(optimizer: .sgd, learningRate: 0.01, batchSize: 6, microBatches: 2, steps: 1, seed: 1)
        try SFTTrainer(configuration: configuration, reducer: recorder) { _, loss in reported = loss }
            .train(try Self.policy(), examples: examples)
        var order = DPODataOrder(count: examples.count, seed: 1)
        let batch = order.next(6).map { examples[$0] }
        let tokens = Double(batch.reduce(0) { $0 + $1.response.count })
        let policy = try Self.policy()
        var parts: [[Float]] = [], losses: [Double] = []
        for k in 0..<2 {
            let part = Array(batch[Distribution.shard(of: batch.count, rank: k, size: 2)])
            try policy.trainableParameters.zeroGradients()
            let (logps, pullback) = try policy.logProbsWithPullback(part)
            try pullback([Double](repeating: -1 / tokens, count: part.count))
            parts.append(policy.trainableParameters.backend.download(try policy.trainableParameters.gradients()))
            losses.append(-logps.reduce(0, +) / tokens)
        }
        #expect(recorder.gradients.first?.map(\.bitPattern) == Self.leftToRight(parts).map(\.bitPattern))
        #expect(reported == losses[0] + losses[1])
    }

    @Test("the setting: 1 by default and then absent from the encoded settings; encoded otherwise; refused outside 1...batchSize")
    func setting() throws {
        let plain = DPOConfiguration(loss: try DPOLoss(), batchSize: 4)
        #expect(plain.microBatches == 1)
        let bytes = try JSONEncoder().encode(plain)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("microBatches"))
        #expect(try JSONDecoder().decode(DPOConfiguration.self, from: bytes) == plain)
        var split = plain
        split.microBatches = 4
        let encoded = try JSONEncoder().encode(split)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"microBatches\":4"))
        #expect(try JSONDecoder().decode(DPOConfiguration.self, from: encoded) == split)
        try split.validate(pairs: 10)
        for bad in [0, -1, 5] {
            split.microBatches = bad
            #expect(throws: DPOTrainingError.invalidSetting(name: "microBatches", value: "\(bad)",
                                                            expected: "a number in 1...4 (the batch size)")) {
                try split.validate(pairs: 10)
            }
        }
        let sft = SFTConfiguration(batchSize: 3)
        #expect(!String(decoding: try JSONEncoder().encode(sft), as: UTF8.self).contains("microBatches"))
        var sft2 = sft
        sft2.microBatches = 3
        #expect(try JSONDecoder().decode(SFTConfiguration.self, from: try JSONEncoder().encode(sft2)) == sft2)
        sft2.microBatches = 4
        #expect(throws: DPOTrainingError.self) { try sft2.validate() }
    }
}
