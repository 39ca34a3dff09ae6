// A preference loss written by a user: length-normalised DPO, defined here on the public
// `PreferenceLoss` protocol, checked against finite differences, trained with through
// StandardDPOTrainer and run through DICEBootstrapper.

import DICEKit
import Foundation
import Testing

/// Length-normalised DPO: z = β·(ρ_w/|y_w| − ρ_l/|y_l|) with ρ = log π − log π_ref, per-pair
/// loss −log σ(z), averaged over the batch.
struct LengthNormalizedDPOLoss: PreferenceLoss {
    var beta: Double
    var name: String { "length-normalized-dpo" }

    func evaluate(_ pairs: [PairLogProbs], batchPairs: Int, batchChosenTokens: Int) -> PreferenceLossContribution {
        let n = Double(max(1, batchPairs))
        var loss = 0.0
        var dChosen: [Double] = [], dRejected: [Double] = []
        for p in pairs {
            let lw = Double(max(1, p.chosenLength)), ll = Double(max(1, p.rejectedLength))
            let z = beta * ((p.policyChosen - p.referenceChosen) / lw - (p.policyRejected - p.referenceRejected) / ll)
            // −log σ(z) = log(1 + e^(−z)), and d/dz = −σ(−z), written to stay finite for large |z|.
            loss += (max(-z, 0) + log1p(exp(-abs(z)))) / n
            let s = z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z))
            dChosen.append(-s * beta / lw / n)
            dRejected.append(s * beta / ll / n)
        }
        return PreferenceLossContribution(loss: loss, dChosen: dChosen, dRejected: dRejected)
    }
}

@Suite("A custom preference loss")
struct CustomLossTests {
    static let pairs = [
        PairLogProbs(policyChosen: -12.5, policyRejected: -14.0, referenceChosen: -13.0, referenceRejected: -13.5,
                     chosenLength: 5, rejectedLength: 7),
        PairLogProbs(policyChosen: -30.0, policyRejected: -9.0, referenceChosen: -28.0, referenceRejected: -11.0,
                     chosenLength: 12, rejectedLength: 3),
        PairLogProbs(policyChosen: -100.0, policyRejected: -250.0, referenceChosen: -120.0, referenceRejected: -200.0,
                     chosenLength: 40, rejectedLength: 90),
    ]

    @Test("its derivatives match central finite differences, micro-batch by micro-batch")
    func derivativesMatchFiniteDifferences() {
        let loss = LengthNormalizedDPOLoss(beta: 0.7)
        // The closed form, written out with plain exp/log (the oracle of the value).
        let want = Self.pairs.map { p -> Double in
            let z = 0.7 * ((p.policyChosen - p.referenceChosen) / Double(p.chosenLength)
                - (p.policyRejected - p.referenceRejected) / Double(p.rejectedLength))
            return -log(1 / (1 + exp(-z)))
        }.reduce(0, +) / 3
        let whole = loss.evaluate(Self.pairs)
        #expect(abs(whole.loss - want) < 1e-12)
        let h = 1e-5
        for i in Self.pairs.indices {
            for chosen in [true, false] {
                func at(_ shift: Double) -> Double {
                    var ps = Self.pairs
                    if chosen { ps[i].policyChosen += shift } else { ps[i].policyRejected += shift }
                    return loss.evaluate(ps).loss
                }
                let numeric = (at(h) - at(-h)) / (2 * h)
                let analytic = chosen ? whole.dChosen[i] : whole.dRejected[i]
                #expect(abs(numeric - analytic) <= 1e-7 * max(1, abs(numeric)), "pair \(i) \(chosen): \(analytic) vs \(numeric)")
            }
        }
        // Micro-batches with the batch's normalisers add up to the batch.
        let a = loss.evaluate(Array(Self.pairs[0..<1]), batchPairs: 3, batchChosenTokens: 57)
        let b = loss.evaluate(Array(Self.pairs[1..<3]), batchPairs: 3, batchChosenTokens: 57)
        #expect(abs(a.loss + b.loss - whole.loss) < 1e-12)
        #expect(a.dChosen + b.dChosen == whole.dChosen && a.dRejected + b.dRejected == whole.dRejected)
    }

    /// Three prompts, a short and a long response each; the chosen one alternates in length.
    static func tabularSetup() throws -> (policy: TabularPolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) {
        let prompts = [[1, 2], [1, 3], [4]]
        let responses = [[[5, 0], [6, 6, 6, 0]], [[7, 0], [8, 8, 8, 8, 0]], [[5, 5, 0], [6, 0]]]
        let policy = try TabularPolicy(prompts: prompts, responses: responses)
        let pairs = (0..<12).map { i -> PreferencePair in
            // Prompt 0 prefers its long response, the others their short one.
            let p = i % 3, preferred = p == 0 ? 1 : 0
            return PreferencePair(prompt: prompts[p], chosen: responses[p][preferred], rejected: responses[p][1 - preferred])
        }
        let reference = try ReferenceLogProbs.compute(pairs, reference: try TabularPolicy(prompts: prompts, responses: responses))
        return (policy, pairs, reference)
    }

    @Test("training a tabular policy with it through StandardDPOTrainer lowers it")
    func trainingLowersIt() throws {
        let (policy, pairs, reference) = try Self.tabularSetup()
        let loss = LengthNormalizedDPOLoss(beta: 0.5)
        // The configuration's loss (β 0.1) is replaced by the given one.
        let config = DPOConfiguration(loss: try DPOLoss(beta: 0.1), optimizer: .sgd, learningRate: 2.0, batchSize: 4,
                                      steps: 12, maxGradNorm: nil, evaluationInterval: 0, checkpointInterval: 0, seed: 3)
        let trainer = StandardDPOTrainer(configuration: config, loss: loss)
        func batchLoss() throws -> (loss: Double, values: [PairLogProbs]) {
            let chosen = try policy.logProbs(pairs.map(\.chosenPair)), rejected = try policy.logProbs(pairs.map(\.rejectedPair))
            let values = pairs.indices.map {
                PairLogProbs(policyChosen: chosen[$0], policyRejected: rejected[$0], referenceChosen: reference.chosen[$0],
                             referenceRejected: reference.rejected[$0], chosenLength: pairs[$0].chosen.count,
                             rejectedLength: pairs[$0].rejected.count)
            }
            return (loss.evaluate(values).loss, values)
        }
        let before = try batchLoss().loss
        #expect(abs(before - log(2)) < 1e-12)
        var steps: [DPOMetrics] = []
        trainer.observer = { if case .step(let m) = $0 { steps.append(m) } }
        _ = try trainer.train(policy, pairs: pairs, reference: reference)
        let (after, values) = try batchLoss()
        #expect(after < before - 0.05, "\(before) → \(after)")
        #expect(steps.count == 12 && steps.first.map { abs($0.loss - log(2)) < 1e-12 } == true)
        // Validation figures use the given loss and its β for the rewards.
        let v = try trainer.evaluate(policy, pairs: pairs, indices: Array(pairs.indices), reference: reference, step: 12, epoch: 4)
        #expect(abs(v.loss - after) < 1e-12)
        let rewardsChosen = values.map { 0.5 * ($0.policyChosen - $0.referenceChosen) }.reduce(0, +) / Double(values.count)
        #expect(abs(v.rewardsChosen - rewardsChosen) < 1e-12)
    }

    @Test("a checkpoint records the loss's name and refuses to resume under another")
    func resumeChecksTheLoss() throws {
        let (policy, pairs, reference) = try Self.tabularSetup()
        let folder = try ScratchFolder("custom-loss-resume")
        defer { folder.remove() }
        var config = DPOConfiguration(loss: try DPOLoss(beta: 0.1), optimizer: .sgd, learningRate: 0.5, batchSize: 4,
                                      steps: 2, evaluationInterval: 0, checkpointInterval: 1, seed: 3)
        _ = try StandardDPOTrainer(configuration: config, loss: LengthNormalizedDPOLoss(beta: 0.5), checkpointFolder: folder.url)
            .train(policy, pairs: pairs, reference: reference)
        #expect(try DPOCheckpoint.read(from: folder.url)?.state.loss == "length-normalized-dpo")
        config.steps = 4
        let error = #expect(throws: DPOTrainingError.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folder.url, resume: true)
                .train(policy, pairs: pairs, reference: reference)
        }
        guard let error, case let .resumeMismatch(_, reason) = error else {
            Issue.record("expected resumeMismatch, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("length-normalized-dpo") && reason.contains("sigmoid"), "\(reason)")
        let summary = try StandardDPOTrainer(configuration: config, loss: LengthNormalizedDPOLoss(beta: 0.5),
                                             checkpointFolder: folder.url, resume: true)
            .train(policy, pairs: pairs, reference: reference)
        #expect(summary.resumedFrom == 2 && summary.steps == 4)
    }

    @Test("a loss whose derivatives miss a pair is refused, not indexed past its end")
    func shortDerivativesAreRefused() throws {
        struct Short: PreferenceLoss {
            var beta: Double { 0.1 }
            var name: String { "short" }
            func evaluate(_ pairs: [PairLogProbs], batchPairs: Int, batchChosenTokens: Int) -> PreferenceLossContribution {
                PreferenceLossContribution(loss: 0, dChosen: Array(repeating: 0, count: max(0, pairs.count - 1)),
                                           dRejected: Array(repeating: 0, count: pairs.count))
            }
        }
        let (policy, pairs, reference) = try Self.tabularSetup()
        let config = DPOConfiguration(loss: try DPOLoss(beta: 0.1), batchSize: 4, steps: 1, evaluationInterval: 0,
                                      checkpointInterval: 0)
        let before = policy.parameters.backend.download(policy.parameters.values)
        #expect(throws: DPOTrainingError.lossContract(name: "short", reason: "3 chosen and 4 rejected derivatives for 4 pairs")) {
            _ = try StandardDPOTrainer(configuration: config, loss: Short()).train(policy, pairs: pairs, reference: reference)
        }
        #expect(policy.parameters.backend.download(policy.parameters.values) == before)
    }

    @Test("it runs through DICEBootstrapper via makeTrainer")
    func runsThroughTheBootstrapper() throws {
        let toy = try TabularRun(promptCount: 16, offlinePrompts: 40, samples: 6, minValid: 3, steps: 6, seed: 6)
        let folder = try ScratchFolder("custom-loss-dice")
        defer { folder.remove() }
        let layout = toy.layout(folder)
        let bootstrapper = try DICEBootstrapper(configuration: toy.configuration)
        var betas: [Double] = []
        bootstrapper.makeTrainer = { configuration, checkpointFolder in
            betas.append(configuration.loss.beta)
            return StandardDPOTrainer(configuration: configuration, loss: LengthNormalizedDPOLoss(beta: configuration.loss.beta),
                                      checkpointFolder: checkpointFolder, resume: true)
        }
        let reports = try bootstrapper.run(prompts: toy.prompts, offline: toy.offline, store: try toy.store(), layout: layout, mode: .fresh)
        #expect(reports.map(\.round) == [1, 2] && betas == [0.1, 0.1])
        for t in [1, 2] {
            let rows = try JSONL.read(DPOMetrics.self, from: layout.metrics(t))
            #expect(rows.map(\.step) == Array(1...6))
            // π_t starts at its reference π_{t−1}: every ρ is 0 and the first loss is log 2.
            #expect(abs((rows.first?.loss ?? 0) - log(2)) < 1e-12)
            let saved = try toy.checkpoint(layout, round: t)
            #expect(saved?.state.loss == "length-normalized-dpo" && saved?.state.step == 6)
            #expect(reports[t - 1].training?["loss"] == rows.last?.loss)
        }
    }
}
