// A DPO trainer written by a user on the public `DPOTrainer` protocol and `TrainingStep`: a few
// full-batch gradient steps. Run through DICEBootstrapper, it must get the same bookkeeping as
// the standard trainer: its rows in metrics.jsonl, its events on the loop's observer, and its
// own observer kept.

import DICEKit
import Foundation
import Testing

/// Full-batch DPO: every update scores all pairs at once, with plain SGD, and reports each
/// update as a `.step` event.
final class FullBatchTrainer: DPOTrainer {
    var observer: ((DPOEvent) throws -> Void)?
    let steps: Int
    let learningRate: Double
    let loss: DPOLoss
    /// The metrics of every update, as emitted.
    private(set) var emitted: [DPOMetrics] = []

    init(steps: Int, learningRate: Double, loss: DPOLoss) {
        self.steps = steps
        self.learningRate = learningRate
        self.loss = loss
    }

    func train(_ policy: any TrainablePolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) throws
        -> DPOTrainingSummary {
        let step = TrainingStep(optimizer: try SGD(), learningRate: learningRate, maxGradNorm: 10)
        for k in 0..<steps {
            var values: [PairLogProbs] = []
            var batchLoss = 0.0
            let outcome = try step.apply(to: policy.trainableParameters, index: k) {
                let (logps, pullback) = try policy.logProbsWithPullback(pairs.flatMap { [$0.chosenPair, $0.rejectedPair] })
                values = pairs.indices.map { i in
                    PairLogProbs(policyChosen: logps[2 * i], policyRejected: logps[2 * i + 1],
                                 referenceChosen: reference.chosen[i], referenceRejected: reference.rejected[i],
                                 chosenLength: pairs[i].chosen.count, rejectedLength: pairs[i].rejected.count)
                }
                let part = loss.evaluate(values)
                batchLoss = part.loss
                try pullback(pairs.indices.flatMap { [part.dChosen[$0], part.dRejected[$0]] })
            }
            var metrics = DPOMetrics.measure(values, loss: batchLoss, beta: loss.beta, step: k + 1, epoch: Double(k + 1),
                                             isValidation: false)
            metrics.gradNorm = outcome.gradNorm
            metrics.learningRate = outcome.learningRate
            emitted.append(metrics)
            try observer?(.step(metrics))
        }
        return DPOTrainingSummary(steps: steps, lastStep: emitted.last)
    }
}

@Suite("A custom DPO trainer")
struct CustomTrainerTests {
    @Test("through DICEBootstrapper: metrics.jsonl holds its rows, both observers get every event")
    func runsThroughTheBootstrapper() throws {
        let toy = try TabularRun(promptCount: 16, offlinePrompts: 40, samples: 6, minValid: 3, steps: 4, seed: 6)
        let folder = try ScratchFolder("custom-trainer-dice")
        defer { folder.remove() }
        let layout = toy.layout(folder)
        let bootstrapper = try DICEBootstrapper(configuration: toy.configuration)
        var trainers: [FullBatchTrainer] = []
        var userEvents: [DPOMetrics] = []
        bootstrapper.makeTrainer = { configuration, _ in
            let trainer = FullBatchTrainer(steps: configuration.steps, learningRate: 0.5, loss: configuration.loss)
            // The user's observer is set before the run; the bootstrapper must chain, not replace it.
            trainer.observer = { if case .step(let m) = $0 { userEvents.append(m) } }
            trainers.append(trainer)
            return trainer
        }
        var loopEvents: [(round: Int, metrics: DPOMetrics)] = []
        bootstrapper.observer = { event in
            if case .training(let round, .step(let m)) = event { loopEvents.append((round, m)) }
        }
        let reports = try bootstrapper.run(prompts: toy.prompts, offline: toy.offline, store: try toy.store(), layout: layout, mode: .fresh)
        #expect(reports.count == 2 && trainers.count == 2)
        for t in [1, 2] {
            let emitted = trainers[t - 1].emitted
            #expect(emitted.count == 4)
            #expect(try JSONL.read(DPOMetrics.self, from: layout.metrics(t)) == emitted)
            #expect(loopEvents.filter { $0.round == t }.map(\.metrics) == emitted)
            #expect(reports[t - 1].training == emitted.last?.values)
        }
        #expect(userEvents == trainers.flatMap(\.emitted))
        // The trainer really trained: the loss of round 1 fell from log 2.
        let first = trainers[0].emitted
        #expect(abs(first[0].loss - log(2)) < 1e-12 && first[3].loss < first[0].loss)
    }
}
