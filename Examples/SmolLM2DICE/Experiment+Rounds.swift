// Experiment+Rounds: the DICE rounds (implicit reward or a reward model) and the paper's
// comparisons — the same rounds on offline data only (γ = 1), and with a Bradley–Terry reward
// model trained on D_offline in place of the implicit reward.

import DICEKit
import Foundation

/// What every run of rounds starts from.
struct DICEInputs {
    let referenceURL: URL
    /// π_0 = DPO(π_ref, D_offline).
    let initialURL: URL
    let generation: GenerationParameters
    let training: [ConstrainedPrompt]
    let trainingIDs: [[Int]]
    let offline: [PreferencePair]
    let tokenizer: Tokenizer
    let judge: ConstraintJudge
}

extension Experiment {
    /// T DICE rounds from π_0 in OUTPUT/`folder` (resumed when it holds a run), ranked by the
    /// implicit reward or, with `rewardModel`, by that reward model's scores.
    /// - Returns: each round's model folder with its report, and the rounds' rows (labelled `label`).
    /// - Throws: the loop's errors (`DICEError`, file, model and training errors).
    func diceRounds(_ inputs: DICEInputs, folder: String, label: String, rewardModel: URL?, clock: PhaseClock)
        throws -> (models: [(report: RoundReport, directory: URL)], rows: [RoundRow]) {
        let s = settings
        let layout = RunLayout(root: output.appendingPathComponent(folder))
        let store = try DirectoryPolicyStore(referenceModel: inputs.referenceURL, initialPolicy: inputs.initialURL,
                                             layout: layout, backend: backend, generation: inputs.generation)
        store.checkpointsActivations = s.checkpointActivations
        let dice = DICEConfiguration(rounds: s.rounds, samplesPerPrompt: s.samples, beta: s.beta, alpha: .auto,
                                     lengthUnit: .characters, minValid: s.minValid, gamma: s.gamma,
                                     dpo: try dpo(steps: s.steps, seed: s.seed), seed: s.seed &+ 3,
                                     scoringBatchSize: 2 * s.microBatchSize)
        let tokenizer = inputs.tokenizer
        let bootstrapper = try DICEBootstrapper(configuration: dice) { tokenizer.decode($0, skipSpecialTokens: true) }
        // No DPO checkpoints inside a round (parameters + AdamW state are 1.6 GB per round for
        // SmolLM2): an interrupted round restarts its short DPO; completed phases are kept.
        bootstrapper.makeTrainer = { configuration, _ in StandardDPOTrainer(configuration: configuration) }
        if let rewardModel {
            // Loaded for each score phase and released with its rewarder, so that it is not
            // resident while the round trains.
            let backend = backend
            bootstrapper.makeRewarder = { _, _, _ in
                try RewardModelRewarder(model: try RewardModel(directory: rewardModel, backend: backend),
                                        batchSize: dice.scoringBatchSize)
            }
        }
        bootstrapper.observer = { [log] event in
            clock.observe(event, run: label)
            switch event {
            case .phaseStarted(let round, let phase): log("\(label) round \(round): \(phase)")
            case .training(let round, .step(let m)): log(Self.describe(m, of: s.steps, label: "\(label) round \(round) DPO"))
            default: break
            }
        }
        let reports = try bootstrapper.run(prompts: inputs.trainingIDs, offline: inputs.offline, store: store,
                                           layout: layout, mode: .resume)
        clock.stop()
        let rows = try reports.map { report in
            let verdicts = try JSONL.read(GeneratedPair.self, from: layout.pairs(report.round)).map { p in
                try inputs.judge.verdict(
                    prompt: TokenizedText(text: inputs.training[p.promptIndex].text, tokens: inputs.trainingIDs[p.promptIndex]),
                    a: TokenizedText(text: p.chosen.text, tokens: p.chosen.tokens),
                    b: TokenizedText(text: p.rejected.text, tokens: p.rejected.tokens))
            }
            return RoundRow(run: label, round: report.round, pairs: report.pairing.pairs,
                            truncatedDropped: report.pairing.truncated,
                            promptsWithTooFewValid: report.pairing.promptsWithTooFewValid,
                            alpha: report.lengthRegularization.alpha, generatedPairsUsed: report.generatedPairsUsed,
                            offlinePairsUsed: report.offlinePairsUsed, finalLoss: report.training?["loss"],
                            judgeOnPairs: WinRate(verdicts))
        }
        return (reports.map { ($0, store.directory(for: $0.output)) }, rows)
    }

    /// "Offline data only": π_t = DPO(π_{t−1}, D_offline) against π_{t−1}, for t = 1 … T, into
    /// models/offline_only_t (kept when it exists). This is what the loop trains at γ = 1 — the
    /// replay mixer then takes every offline pair and no generated one, so the round's training
    /// set does not depend on its samples — without sampling and scoring responses it would not
    /// use. Each round's DPO has the seed the loop gives round t.
    /// - Returns: the T model folders.
    /// - Throws: model, file and training errors.
    func offlineOnlyRounds(_ inputs: DICEInputs, clock: PhaseClock) throws -> [URL] {
        let s = settings
        var previous = inputs.initialURL
        var folders: [URL] = []
        for t in 1...s.rounds {
            let url = output.appendingPathComponent("models/offline_only_\(t)")
            if !FileManager.default.fileExists(atPath: url.appendingPathComponent(ModelDirectory.configFile).path) {
                clock.start("offline only round \(t) train")
                log("offline only round \(t): DPO on the \(inputs.offline.count) offline pairs, \(s.steps) steps")
                let policy = try TransformerLM(directory: previous, backend: backend)
                policy.checkpointsActivations = s.checkpointActivations
                let reference = try ReferenceLogProbs.compute(inputs.offline, reference: policy, batchSize: 2 * s.microBatchSize)
                let trainer = StandardDPOTrainer(configuration: try dpo(steps: s.steps, seed: s.seed &+ UInt64(t))) { [log] event in
                    if case .step(let m) = event { log(Self.describe(m, of: s.steps, label: "offline only round \(t) DPO")) }
                }
                _ = try trainer.train(policy, pairs: inputs.offline, reference: reference)
                policy.parameters.releaseGradients()   // not needed any more: a lower peak while writing
                try policy.modelDirectory(config: policy.config).write(to: url)
                clock.stop()
            }
            folders.append(url)
            previous = url
        }
        return folders
    }

    /// A reward model trained on D_offline with the Bradley–Terry loss (π_ref's backbone with a
    /// new score head, as `dice rm` makes it; a tenth of the pairs held out for its reward
    /// accuracy), in models/rm (kept when it exists).
    /// - Throws: model, file and training errors.
    func trainRewardModel(_ inputs: DICEInputs, clock: PhaseClock) throws -> (url: URL, row: RewardModelRow) {
        let s = settings
        let url = output.appendingPathComponent("models/rm")
        let rowURL = output.appendingPathComponent("models/rm.json")
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(ModelDirectory.configFile).path),
           let row = try? JSONDecoder().decode(RewardModelRow.self, from: Data(contentsOf: rowURL)) {
            return (url, row)
        }
        clock.start("reward model train")
        defer { clock.stop() }
        let validation = max(1, inputs.offline.count / 10)
        log("reward model: Bradley–Terry on \(inputs.offline.count - validation) offline pairs (\(validation) held out), \(s.rewardModelSteps) steps")
        let base = try ModelDirectory.read(from: inputs.referenceURL)
        let rm = try RewardModel(languageModel: base, backend: backend, seed: s.seed &+ 4)
        rm.network.checkpointsActivations = s.checkpointActivations
        var configuration = DPOConfiguration(
            loss: try DPOLoss(kind: .sigmoid, beta: 1), optimizer: .adamw, learningRate: s.rewardModelLearningRate,
            batchSize: s.batchSize, microBatchSize: s.microBatchSize, steps: s.rewardModelSteps, maxGradNorm: 1.0,
            evaluationInterval: 0, checkpointInterval: 0, seed: s.seed &+ 4)
        configuration.validationSize = validation
        let trainer = StandardDPOTrainer(configuration: configuration) { [log] event in
            if case .step(let m) = event { log(Self.describe(m, of: s.rewardModelSteps, label: "reward model")) }
        }
        let summary = try trainer.train(RewardModelScorer(rm), pairs: inputs.offline,
                                        reference: .zero(count: inputs.offline.count))
        try rm.modelDirectory(generationConfig: base.generationConfig).write(to: url)
        let row = RewardModelRow(trainingPairs: inputs.offline.count - validation, validationPairs: validation,
                                 steps: summary.steps, trainingAccuracy: summary.lastStep?.rewardsAccuracies,
                                 validationAccuracy: summary.lastValidation?.rewardsAccuracies,
                                 validationLoss: summary.lastValidation?.loss)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(row), to: rowURL)
        return (url, row)
    }
}
