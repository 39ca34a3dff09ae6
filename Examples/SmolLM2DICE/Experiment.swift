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
    private let backend = CPUBackend()

    init(settings: ExperimentSettings, model: URL, alpaca: URL, output: URL, log: @escaping (String) -> Void) {
        self.settings = settings
        self.model = model
        self.alpaca = alpaca
        self.output = output
        self.log = log
    }

    func run() throws -> ExperimentReport {
        let s = settings
        try s.validate()
        try prepareFolder()
        var seconds: [String: Double] = [:]
        let started = Date()
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let t = Date()
            defer { seconds[stage, default: 0] += Date().timeIntervalSince(t) }
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

        // D_offline from π_ref's samples, then π_0 = DPO(π_ref, D_offline).
        let referenceModel = try TransformerLM(directory: referenceURL, backend: backend)
        let offlineData = OfflineData(prompts: training, promptIDs: trainingIDs, judge: judge, tokenizer: tokenizer)
        let (offlineRows, ties) = try timed("offline data") {
            log("offline data: 2 samples of π_ref for each of \(training.count) prompts, judged")
            return try offlineData.build(reference: TransformerPolicy(model: referenceModel, generation: generation),
                                         seed: s.seed &+ 1, url: output.appendingPathComponent("offline.jsonl"))
        }
        let offline = offlineRows.map {
            PreferencePair(prompt: trainingIDs[$0.promptIndex], chosen: $0.chosenTokens, rejected: $0.rejectedTokens)
        }
        guard offline.count >= 2 else {
            throw ExampleError.invalidOption(name: "prompts", value: "\(s.prompts)",
                                             expected: "more prompts: only \(offline.count) offline pair(s) were made (\(ties) ties)")
        }
        // Evaluation: π_ref's held-out responses are the baseline of every comparison.
        let evaluationFolder = output.appendingPathComponent("evaluation")
        try FileManager.default.createDirectory(at: evaluationFolder, withIntermediateDirectories: true)
        let evaluationPrompts = heldOut.enumerated().flatMap { i, p in
            Array(repeating: TokenizedText(text: p.text, tokens: heldOutIDs[i]), count: s.evaluationSamples)
        }
        func responses(_ name: String, _ load: () throws -> TransformerLM) throws -> [SampleRecord] {
            let url = evaluationFolder.appendingPathComponent("\(name).jsonl")
            if FileManager.default.fileExists(atPath: url.path) { return try JSONL.read(SampleRecord.self, from: url) }
            log("evaluation: \(name) on \(heldOut.count) held-out prompts × \(s.evaluationSamples)")
            let policy = TransformerPolicy(model: try load(), generation: generation)
            let groups = try policy.checkedSample(heldOutIDs, count: s.evaluationSamples, seed: s.seed &+ 2)
            let records = groups.enumerated().flatMap { p, group in
                group.enumerated().map { k, sample in
                    let c = offlineData.content(sample)
                    return SampleRecord(promptIndex: p, sampleIndex: k, tokens: c.tokens, text: c.text,
                                        finishReason: sample.finishReason)
                }
            }
            try JSONL.write(records, to: url)
            return records
        }
        func texts(_ records: [SampleRecord]) -> [TokenizedText] { records.map { TokenizedText(text: $0.text, tokens: $0.tokens) } }
        // (sampled before π_0's DPO, which trains `referenceModel` in place)
        let baseline = try timed("evaluation") { try responses("pi_ref") { referenceModel } }
        func row(_ name: String, _ records: [SampleRecord], compare: Bool) throws -> ModelRow {
            var met = 0, asked = 0, allMet = 0
            for r in records {
                let checks = try judge.checks(prompt: heldOut[r.promptIndex].text, response: r.text)
                met += checks.count(where: \.satisfied)
                asked += checks.count
                if checks.allSatisfy(\.satisfied) { allMet += 1 }
            }
            let n = Double(max(1, records.count))
            let satisfaction = Satisfaction(
                constraintRate: Double(met) / Double(max(1, asked)), allMetRate: Double(allMet) / n,
                truncatedRate: Double(records.count { $0.finishReason == .length }) / n,
                averageCharacters: Double(records.reduce(0) { $0 + $1.text.unicodeScalars.count }) / n)
            let h2h = compare ? try HeadToHeadResult.evaluate(prompts: evaluationPrompts, responses: texts(records),
                                                               baseline: texts(baseline), judge: judge) : nil
            return ModelRow(model: name, satisfaction: satisfaction, againstStart: h2h)
        }
        let initialURL = output.appendingPathComponent("models/pi_0")
        let config = try ModelConfig.load(contentsOf: referenceURL.appendingPathComponent(ModelDirectory.configFile))
        // config.json is written last: its presence means the weights are complete.
        if !FileManager.default.fileExists(atPath: initialURL.appendingPathComponent(ModelDirectory.configFile).path) {
            try timed("pi_0 DPO") {
                log("π_0: DPO on \(offline.count) offline pairs, \(s.initialSteps) steps")
                let reference = try ReferenceLogProbs.compute(offline, reference: referenceModel, batchSize: s.microBatchSize)
                let trainer = StandardDPOTrainer(configuration: try dpo(steps: s.initialSteps, seed: s.seed)) { [log] event in
                    if case .step(let m) = event { log(Self.describe(m, of: s.initialSteps, label: "π_0 DPO")) }
                }
                _ = try trainer.train(referenceModel, pairs: offline, reference: reference)
                try referenceModel.modelDirectory(config: config).write(to: initialURL)
            }
        }

        let initialRecords = try timed("evaluation") { try responses("pi_0") { try TransformerLM(directory: initialURL, backend: backend) } }
        var rows = [try row("pi_ref", baseline, compare: false), try row("pi_0", initialRecords, compare: true)]

        // DICE rounds.
        let layout = RunLayout(root: output.appendingPathComponent("run"))
        let store = try DirectoryPolicyStore(referenceModel: referenceURL, initialPolicy: initialURL, layout: layout,
                                             backend: backend, generation: generation)
        let dice = DICEConfiguration(rounds: s.rounds, samplesPerPrompt: s.samples, beta: s.beta, alpha: .auto,
                                     lengthUnit: .characters, minValid: s.minValid, gamma: s.gamma,
                                     dpo: try dpo(steps: s.steps, seed: s.seed), seed: s.seed &+ 3,
                                     scoringBatchSize: 2 * s.microBatchSize)
        let bootstrapper = try DICEBootstrapper(configuration: dice) { tokenizer.decode($0, skipSpecialTokens: true) }
        // No DPO checkpoints inside a round (parameters + AdamW state are 1.6 GB per round for
        // SmolLM2): an interrupted round restarts its short DPO; completed phases are kept.
        bootstrapper.makeTrainer = { configuration, _ in StandardDPOTrainer(configuration: configuration) }
        bootstrapper.observer = { [log] event in
            switch event {
            case .phaseStarted(let round, let phase): log("round \(round): \(phase)")
            case .training(let round, .step(let m)): log(Self.describe(m, of: s.steps, label: "round \(round) DPO"))
            default: break
            }
        }
        let reports = try timed("dice rounds") {
            try bootstrapper.run(prompts: trainingIDs, offline: offline, store: store, layout: layout, mode: .resume)
        }
        for report in reports {
            let records = try timed("evaluation") {
                try responses(report.output.description) {
                    try TransformerLM(directory: store.directory(for: report.output), backend: backend)
                }
            }
            rows.append(try row(report.output.description, records, compare: true))
        }
        let judged = try reports.map { report in
            try JSONL.read(GeneratedPair.self, from: layout.pairs(report.round)).map { p in
                try judge.verdict(prompt: TokenizedText(text: training[p.promptIndex].text, tokens: trainingIDs[p.promptIndex]),
                                  a: TokenizedText(text: p.chosen.text, tokens: p.chosen.tokens),
                                  b: TokenizedText(text: p.rejected.text, tokens: p.rejected.tokens))
            }
        }
        seconds["total"] = Date().timeIntervalSince(started)
        let report = ExperimentReport(
            settings: s, model: model.path, offlinePairs: offline.count, offlineTies: ties, rows: rows,
            rounds: zip(reports, judged).map { r, verdicts in
                RoundRow(round: r.round, pairs: r.pairing.pairs, truncatedDropped: r.pairing.truncated,
                         promptsWithTooFewValid: r.pairing.promptsWithTooFewValid, alpha: r.lengthRegularization.alpha,
                         generatedPairsUsed: r.generatedPairsUsed, offlinePairsUsed: r.offlinePairsUsed,
                         finalLoss: r.training?["loss"], judgeOnPairs: WinRate(verdicts))
            },
            seconds: seconds, threads: backend.threads)
        try report.write(to: output)
        return report
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
