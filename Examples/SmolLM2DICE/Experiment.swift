// Experiment: the SmolLM2 DICE example from start to report.
//
//   OUTPUT/
//     settings.json            the settings (a rerun must match them; it resumes)
//     prompts.jsonl            every constrained prompt, training and held out
//     models/pi_ref/           π_ref converted from a .gguf (only when --model is one)
//     offline.jsonl            D_offline: π_ref's two samples per prompt, judged
//     models/pi_0/             π_0 = DPO(π_ref, D_offline)
//     run/                     the DICE run (RunLayout: samples, scores, pairs, π_t, round reports)
//     evaluation/<model>.jsonl held-out responses of π_ref, π_0, π_t
//     report.json, report.md

import DICEKit
import Foundation

/// Runs the example in a folder; what is complete is kept and reused by a rerun.
final class Experiment {
    let settings: ExperimentSettings
    /// π_ref: a Hugging Face model directory or a .gguf file.
    let model: URL
    let alpaca: URL
    let output: URL
    /// Progress lines for the terminal.
    let log: (String) -> Void
    let backend: CPUBackend

    init(settings: ExperimentSettings, model: URL, alpaca: URL, output: URL, log: @escaping (String) -> Void) {
        self.settings = settings
        self.model = model
        self.alpaca = alpaca
        self.output = output
        self.log = log
        self.backend = CPUBackend(dtype: DType(rawValue: settings.dtype) ?? .fp32)
    }

    func run() throws -> ExperimentReport {
        let s = settings
        try s.validate()
        try prepareFolder()
        var seconds: [String: Double] = [:]
        let started = Date()
        let clock = PhaseClock()
        // A stage's wall time; a leaf stage (no rounds inside) is also a phase of the clock.
        func timed<T>(_ stage: String, leaf: Bool = true, _ body: () throws -> T) rethrows -> T {
            let t = Date()
            if leaf { clock.start(stage) }
            defer {
                if leaf { clock.stop() }
                seconds[stage, default: 0] += Date().timeIntervalSince(t)
            }
            return try body()
        }

        // π_ref, its tokenizer and the sampling settings.
        let referenceURL = try timed("convert") { try referenceDirectory() }
        let tokenizer = try Tokenizer(directory: referenceURL)
        let template = try tokenizer.chatTemplate
        let generationConfigURL = referenceURL.appendingPathComponent(ModelDirectory.generationConfigFile)
        let generationConfig = FileManager.default.fileExists(atPath: generationConfigURL.path)
            ? try GenerationConfig.load(contentsOf: generationConfigURL) : nil
        let generation = GenerationParameters(
            maxNewTokens: s.maxNewTokens, sampling: SamplingParameters(temperature: s.temperature, topP: s.topP),
            stopTokenIDs: GenerationParameters.defaultStopTokenIDs(generationConfig: generationConfig, tokenizer: tokenizer),
            batchSize: 64)

        // Prompts: held out first, then training, from one seeded draw.
        let drawn = try ConstraintDraw(perPrompt: s.constraintsPerPrompt, maxInstructionCharacters: s.maxInstructionCharacters)
            .prompts(from: try AlpacaEval.instructions(from: alpaca), count: s.heldOut + s.prompts, seed: s.seed)
        let heldOut = Array(drawn.prefix(s.heldOut)), training = Array(drawn.dropFirst(s.heldOut))
        try JSONL.write(drawn, to: output.appendingPathComponent("prompts.jsonl"))
        let judge = ConstraintJudge(prompts: drawn)
        func ids(_ p: ConstrainedPrompt) throws -> [Int] {
            tokenizer.encode(try tokenizer.applyChatTemplate([.user(p.text)], addGenerationPrompt: true, template: template))
        }
        let trainingIDs = try training.map(ids), heldOutIDs = try heldOut.map(ids)

        // D_offline from π_ref's samples, then π_0 = DPO(π_ref, D_offline). π_ref is trained in
        // place into π_0 and released once π_0 is written (it would hold 2 copies of the weights).
        let offlineData = OfflineData(prompts: training, promptIDs: trainingIDs, judge: judge, tokenizer: tokenizer)
        let evaluation = HeldOutEvaluation(prompts: heldOut, promptIDs: heldOutIDs, samples: s.evaluationSamples,
                                           generation: generation, seed: s.seed &+ 2, judge: judge,
                                           offlineData: offlineData, folder: output.appendingPathComponent("evaluation"),
                                           log: log)
        let initialURL = output.appendingPathComponent("models/pi_0")
        let (offline, ties, baseline) = try trainInitialPolicy(
            referenceURL: referenceURL, initialURL: initialURL, offlineData: offlineData, evaluation: evaluation,
            generation: generation, timed: timed)
        backend.releaseCachedMemory()   // π_ref-trained-into-π_0's buffers, before π_0 is loaded again
        let initialRecords = try timed("evaluation") { try evaluation.responses("pi_0") { try TransformerLM(directory: initialURL, backend: backend) } }
        var rows = [try evaluation.row("pi_ref", baseline, baseline: nil), try evaluation.row("pi_0", initialRecords, baseline: baseline)]
        var rounds: [RoundRow] = []
        var rewardModel: RewardModelRow?
        // report.json and report.md are rewritten after every evaluated model, so a long run
        // shows what it has found so far (the final write has every row).
        func writeReport() throws -> ExperimentReport {
            seconds["total"] = Date().timeIntervalSince(started)
            let report = ExperimentReport(
                settings: s, model: model.path, offlinePairs: offline.count, offlineTies: ties, rows: rows, rounds: rounds,
                rewardModel: rewardModel, seconds: seconds, phases: clock.times, threads: backend.threads)
            try report.write(to: output)
            return report
        }
        func evaluate(_ name: String, _ directory: URL) throws {
            let records = try timed("evaluation") { try evaluation.responses(name) { try TransformerLM(directory: directory, backend: backend) } }
            rows.append(try evaluation.row(name, records, baseline: baseline))
            _ = try writeReport()
        }

        // DICE rounds with the implicit reward.
        let inputs = DICEInputs(referenceURL: referenceURL, initialURL: initialURL, generation: generation,
                                training: training, trainingIDs: trainingIDs, offline: offline, tokenizer: tokenizer,
                                judge: judge)
        let dice = try timed("dice rounds", leaf: false) { try diceRounds(inputs, folder: "run", label: "dice", rewardModel: nil, clock: clock) }
        rounds = dice.rows
        for (report, directory) in dice.models { try evaluate(report.output.description, directory) }

        // The paper's comparisons: offline data only (γ = 1), and a reward model in place of
        // the implicit reward.
        if s.comparisons {
            let offlineOnly = try timed("offline only", leaf: false) { try offlineOnlyRounds(inputs, clock: clock) }
            for (t, directory) in offlineOnly.enumerated() { try evaluate("offline_only_\(t + 1)", directory) }
            let rm = try timed("reward model", leaf: false) { try trainRewardModel(inputs, clock: clock) }
            rewardModel = rm.row
            let rmRun = try timed("rm rounds", leaf: false) { try diceRounds(inputs, folder: "run-rm", label: "rm", rewardModel: rm.url, clock: clock) }
            rounds += rmRun.rows
            for (report, directory) in rmRun.models { try evaluate("rm_\(report.round)", directory) }
        }
        clock.stop()
        return try writeReport()
    }

    /// D_offline (π_ref's two samples per training prompt, judged), π_ref's held-out responses,
    /// and π_0 = DPO(π_ref, D_offline) written to `initialURL` (kept when it exists).
    /// - Returns: the offline pairs, the prompts whose two samples tied, π_ref's held-out responses.
    /// - Throws: `ExampleError.invalidOption` when fewer than 2 offline pairs come out; model,
    ///   file and training errors.
    private func trainInitialPolicy(referenceURL: URL, initialURL: URL, offlineData: OfflineData,
                                    evaluation: HeldOutEvaluation, generation: GenerationParameters,
                                    timed: (String, Bool, () throws -> Void) throws -> Void)
        throws -> (offline: [PreferencePair], ties: Int, baseline: [SampleRecord]) {
        let s = settings
        let referenceModel = try TransformerLM(directory: referenceURL, backend: backend)
        var result: (offline: [PreferencePair], ties: Int, baseline: [SampleRecord]) = ([], 0, [])
        try timed("offline data", true) {
            log("offline data: 2 samples of π_ref for each of \(offlineData.prompts.count) prompts, judged")
            let (rows, ties) = try offlineData.build(reference: TransformerPolicy(model: referenceModel, generation: generation),
                                                     seed: s.seed &+ 1, url: output.appendingPathComponent("offline.jsonl"))
            result.offline = rows.map {
                PreferencePair(prompt: offlineData.promptIDs[$0.promptIndex], chosen: $0.chosenTokens, rejected: $0.rejectedTokens)
            }
            result.ties = ties
        }
        guard result.offline.count >= 2 else {
            throw ExampleError.invalidOption(name: "prompts", value: "\(s.prompts)",
                                             expected: "more prompts: only \(result.offline.count) offline pair(s) were made (\(result.ties) ties)")
        }
        // (sampled before π_0's DPO, which trains `referenceModel` in place)
        try timed("evaluation", true) { result.baseline = try evaluation.responses("pi_ref") { referenceModel } }
        let config = try ModelConfig.load(contentsOf: referenceURL.appendingPathComponent(ModelDirectory.configFile))
        // config.json is written last: its presence means the weights are complete.
        if !FileManager.default.fileExists(atPath: initialURL.appendingPathComponent(ModelDirectory.configFile).path) {
            try timed("pi_0 DPO", true) {
                let offline = result.offline
                log("π_0: DPO on \(offline.count) offline pairs, \(s.initialSteps) steps")
                let reference = try ReferenceLogProbs.compute(offline, reference: referenceModel, batchSize: 2 * s.microBatchSize)
                referenceModel.checkpointsActivations = s.checkpointActivations
                do {
                    let trainer = StandardDPOTrainer(configuration: try dpo(steps: s.initialSteps, seed: s.seed)) { [log] event in
                        if case .step(let m) = event { log(Self.describe(m, of: s.initialSteps, label: "π_0 DPO")) }
                    }
                    _ = try trainer.train(referenceModel, pairs: offline, reference: reference)
                }
                // Written once the trainer is gone, as DirectoryPolicyStore saves π_t: the
                // gradients freed, the allocator's cache (AdamW's moments, the activations)
                // given back, then the weights streamed one tensor at a time, so that the write
                // stays below the training peak.
                referenceModel.parameters.releaseGradients()
                backend.releaseCachedMemory()
                try referenceModel.write(to: initialURL, config: config)
            }
        }
        return result
    }

    /// The DPO settings of π_0 and of each round.
    func dpo(steps: Int, seed: UInt64) throws -> DPOConfiguration {
        DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: settings.beta), optimizer: .adamw,
                         learningRate: settings.learningRate, batchSize: settings.batchSize,
                         microBatchSize: settings.microBatchSize, steps: steps, maxGradNorm: 1.0,
                         evaluationInterval: 0, checkpointInterval: 0, seed: seed)
    }

    /// Creates the output folder and records the settings; a folder made with other settings
    /// is refused.
    /// - Throws: `ExampleError.invalidOption` when settings.json differs; file errors.
    func prepareFolder() throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let url = output.appendingPathComponent("settings.json")
        if FileManager.default.fileExists(atPath: url.path) {
            let saved = try? JSONDecoder().decode(ExperimentSettings.self, from: Data(contentsOf: url))
            guard saved == settings else {
                throw ExampleError.invalidOption(name: "output", value: output.path,
                                                 expected: "a folder of a run with the same settings (use --fresh or another --output)")
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(settings), to: url)
    }

    /// π_ref's model directory: `model` itself, or (for a .gguf) its conversion under
    /// models/pi_ref, made once, atomically (staged, then renamed).
    func referenceDirectory() throws -> URL {
        guard GGUFFile.isGGUF(model) else { return model }
        let target = output.appendingPathComponent("models/pi_ref")
        if FileManager.default.fileExists(atPath: target.appendingPathComponent(ModelDirectory.configFile).path) { return target }
        log("converting \(model.lastPathComponent) to \(target.path)")
        let gguf = try GGUFFile(contentsOf: model)
        let staging = output.appendingPathComponent("models/.pi_ref.partial")
        try? FileManager.default.removeItem(at: staging)
        try gguf.modelDirectory().write(to: staging)
        let files = try gguf.tokenizerFiles()
        try AtomicFile.write(files.tokenizerJSON, to: staging.appendingPathComponent("tokenizer.json"))
        try AtomicFile.write(files.tokenizerConfig, to: staging.appendingPathComponent("tokenizer_config.json"))
        do { try FileManager.default.moveItem(at: staging, to: target) } catch {
            throw FormatError.io(path: target.path, reason: "cannot move the converted model into place: \(error.localizedDescription)")
        }
        return target
    }

    static func describe(_ m: DPOMetrics, of steps: Int, label: String) -> String {
        String(format: "%@ step %d/%d: loss %.4f, reward accuracy %.2f, margin %.4f, grad norm %.3f",
               label, m.step, steps, m.loss, m.rewardsAccuracies, m.rewardsMargins, m.gradNorm ?? .nan)
    }
}
