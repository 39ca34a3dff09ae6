import ArgumentParser
import DICEKit
import Foundation

/// `dice bootstrap`: DICE rounds on a model directory — sample from π_{t−1}, score with the
/// implicit reward of (π_{t−1}, π_{t−2}), build length-regularized pairs, mix in offline pairs,
/// DPO-train π_t — with every phase's artifacts in RUN (see Documentation/DICELoop.md).
///
/// TensorBoard event files go to RUN/tensorboard (`--tensorboard`, `--no-tensorboard`): each
/// round's DPO curves in `round-t/` (step: the update) and each round's figures in `rounds/`
/// (step: the round; see `RoundReport.tensorBoardScalars`).
///
/// All input is checked before any work starts; a RUN folder that holds a run is continued only
/// with `--resume`, and only with the settings it was started with (the number of rounds may
/// grow): `DICEBootstrapper.run` checks RUN/settings.json, this command names its flags.
///
/// Under `mpirun -np N` (Documentation/Distributed.md) the same command runs data-parallel: the
/// ranks check that they hold the same settings, data and weights, split sampling by prompt and
/// scoring and the held-out evaluation by sample (the same bytes as one process for the same
/// policy), train each round's DPO data-parallel (within ≈1e-7 of one process; the bits of one
/// process with `--micro-batches N` for N ranks), and rank 0 alone writes RUN and prints.
struct BootstrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Self-align a DPO model with DICE rounds (implicit-reward pairs + replay).",
        discussion: """
        Prompts rows: {"prompt": str} (one user turn, wrapped by the chat template) or {"prompt_ids": [int]}. \
        Offline pairs: rows as `dice dpo` reads them. --policy is π_0 (a DPO model), --reference the model it was \
        trained against (π_ref). RUN gets round-t/{samples,scored,pairs,train,metrics}.jsonl, round-t/model, \
        round-t/report.{json,md}, state.json, settings.json and, at the end, report.{json,md}; TensorBoard event \
        files in RUN/tensorboard (round-t/: the round's DPO curves; rounds/: per round α, length gaps, pair counts, \
        rewards, held-out figures). One β is used for the implicit reward and the DPO loss.
        """
    )

    @Option(help: "π_0: the DPO-trained policy's model folder (its tokenizer renders text).") var policy: String
    @Option(help: "π_ref: the model π_0 was trained against.") var reference: String
    @Option(help: "Prompts X, JSONL.") var prompts: String
    @Option(help: "Offline preference pairs D_offline, JSONL.") var offline: String
    @Option(help: "The run folder.") var output: String
    // Numbers parse `.unconditional`ly, so that a negative value reaches the range checks.
    @Option(parsing: .unconditional, help: "Rounds T (≥ 1).") var rounds = 2
    @Option(parsing: .unconditional, help: "Responses sampled per prompt, K (≥ 2; bounded by memory).") var samples = 16
    @Option(parsing: .unconditional, help: "Replay ratio γ: the offline share of each round's training set, in [0, 1].")
    var gamma = 0.5
    @Option(parsing: .unconditional,
            help: "Length penalty α of r − α·|y|: auto (per round, balances chosen and rejected lengths), or a number ≥ 0 (0: off).")
    var alpha = "auto"
    @Option(help: "Unit of |y|: chars | tokens.") var lengthUnit = "chars"
    @Option(parsing: .unconditional, help: "β of the implicit reward and of the DPO loss (> 0, at most 3.4e38).") var beta = 0.1
    @Option(parsing: .unconditional,
            help: "Keep a prompt only if at least this many responses survive filtering (default: K/2, at least 2).")
    var minValid: Int?
    @Option(parsing: .unconditional, help: "Responses shorter than this (in --length-unit) are degenerate.")
    var minResponseLength = 1
    @Option(parsing: .unconditional, help: "Responses longer than this (in --length-unit) are degenerate (default: no bound).")
    var maxResponseLength: Int?
    @Option(help: "Held-out preference pairs (JSONL): each round reports its implicit reward's accuracy on them.")
    var heldOut: String?
    @Option(parsing: .unconditional, help: "Pairs per scoring pass.") var scoringBatchSize = 64
    @Option(help: "What ranks the samples: implicit (DPO's implicit reward of π_{t−1} against π_{t−2}) or rm:DIR (a reward model, e.g. from dice rm, or its LoRA adapter folder over the base its adapter_config.json names, with the policy's vocabulary; --length-alpha is then in its reward units).")
    var rewarder = "implicit"
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var dpo: DPOOptions
    @Option(help: "Chat template: chatml, zephyr, llama3, none, or a format with {prompt} (default: the tokenizer's, else none).")
    var template: String?
    @Flag(help: "Append EOS to every offline response.") var appendEos = false
    @Option(parsing: .unconditional, help: "Seed of sampling, replay and DPO data order.") var seed: UInt64 = 0
    @Flag(help: "Continue the run in --output from its last completed phase.") var resume = false
    @OptionGroup var tensorBoard: TensorBoardOptions
    @OptionGroup var lora: LoRAOptions

    /// A problem with the command's inputs, found before any work.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        StopSignals.install()
        try DistributedLaunch.run(bootstrap)
    }

    private func bootstrap(_ communicator: any Communicator) throws {
        let leader = communicator.rank == 0
        // Settings first: nothing is read or written before they are known to be usable.
        guard let unit = LengthUnit(rawValue: lengthUnit) else {
            throw InputError(description: "--length-unit \(lengthUnit): expected chars or tokens")
        }
        let configuration = try FlagChecks.naming(FlagChecks.diceFlags) {
            let configuration = DICEConfiguration(
                rounds: rounds, samplesPerPrompt: samples, beta: beta, alpha: try AlphaSetting(parsing: alpha),
                lengthUnit: unit, minLength: minResponseLength, maxLength: maxResponseLength,
                minValid: minValid ?? max(2, samples / 2), gamma: gamma,
                dpo: try dpo.configuration(beta: beta, seed: seed), seed: seed, scoringBatchSize: scoringBatchSize)
            try configuration.validate()
            return configuration
        }
        if minResponseLength < 1 { throw InputError(description: "--min-response-length \(minResponseLength): expected ≥ 1") }
        if let m = maxResponseLength, m < minResponseLength {
            throw InputError(description: "--max-response-length \(m): expected ≥ --min-response-length (\(minResponseLength))")
        }
        try sampling.check()
        let tensorBoardFolder = try tensorBoard.folder(default: URL(fileURLWithPath: output).appendingPathComponent("tensorboard"))
        let backend = try backendOptions.makeBackend(localRank: DistributedLaunch.localRank(of: communicator))

        let policyFolder = try ModelFolder(policy, flag: "--policy")
        let referenceFolder = try ModelFolder(reference, flag: "--reference")
        let spec = policyFolder.spec
        guard referenceFolder.config.vocabSize == spec.vocabularySize else {
            throw InputError(description: "--reference \(reference): vocabulary of \(referenceFolder.config.vocabSize) tokens, the policy's has \(spec.vocabularySize)")
        }
        // Both models' weights are read and checked (every tensor, its shape, the file's bytes)
        // now, so that a damaged file is named before any sampling; the same read gives the
        // fingerprints recorded for resume (one model's copy in memory at a time).
        let policyWeights = try policyFolder.readWeights(flag: "--policy").weightsFingerprint()
        let referenceWeights = try referenceFolder.readWeights(flag: "--reference").weightsFingerprint()
        let layout = RunLayout(root: URL(fileURLWithPath: output))
        let rewardModel = try rewardModel(vocabularySize: spec.vocabularySize, backend: backend)

        let template = try policyFolder.chatTemplate(self.template)
        let promptFile = try PromptFile(path: prompts, tokenizer: policyFolder.tokenizer, template: template,
                                        vocabularySize: spec.vocabularySize, maxPositions: spec.maxPositions)
        let offlinePairs = try readPairs(offline, folder: policyFolder, template: template)
        let heldOutPairs = try heldOut.map { try readPairs($0, folder: policyFolder, template: template) }
        let generation = try sampling.parameters(directory: policyFolder.url, tokenizer: policyFolder.tokenizer,
                                                 vocabularySize: spec.vocabularySize)
        // Bounds from the data: a round trains on at most the pairs the replay mixer can draw
        // (one generated pair per prompt, offline pairs by γ), and sampling must fit in memory.
        let mixable = try ExperienceReplayMixer(gamma: gamma).sizes(generated: promptFile.prompts.count,
                                                                   offline: offlinePairs.count)
        try dpo.checkBatchSize(atMost: mixable.generated + mixable.offline,
                               "the most pairs a round can train on (\(mixable.generated) generated, one per prompt, + \(mixable.offline) offline at γ = \(gamma))")
        var sampled = generation
        sampled.samplesPerPrompt = samples
        try GenerationMemoryEstimate(config: policyFolder.config, prompts: promptFile.prompts, parameters: sampled,
                                     modelsHeld: 2).check(flag: "--samples", value: samples)
        // Recorded in RUN/settings.json beside the loop's settings and data fingerprints; the
        // library refuses to resume a run with any of them changed (weights replaced at the same
        // path included).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let inputs = [
            "--policy": policyFolder.url.standardizedFileURL.path,
            "--reference": referenceFolder.url.standardizedFileURL.path,
            "the --policy weights": policyWeights,
            "the --reference weights": referenceWeights,
            "the sampling settings": String(decoding: try encoder.encode(generation), as: UTF8.self),
            "the rewarder": try rewardModel.map { rm in
                "rm weights " + (try rm.network.weightsFingerprint())
                    + (try rm.network.adapter.map { " adapter " + (try WeightsFingerprint.of($0.parameters)) } ?? "")
            } ?? "implicit",
            "the held-out pairs": heldOutPairs.map { PreferenceDataset.fingerprint($0, template: "held-out", appendEOS: false) } ?? "none",
            "the LoRA settings": lora.enabled ? lora.summary : "none",
        ]

        // With LoRA every π_t is an adapter over --policy's weights, loaded once; round-t/model
        // holds the adapter. π_ref is that same base when --reference names the --policy folder.
        let store: any PolicyStore
        if lora.enabled {
            let base = try TransformerLM(directory: policyFolder.url, backend: backend, trainable: false)
            base.checkpointsActivations = dpo.checkpointActivations
            let configuration = try lora.configuration(seed: seed) ?? LoRAConfiguration()
            let sameReference = referenceFolder.url.standardizedFileURL.path == policyFolder.url.standardizedFileURL.path
            store = try LoRAPolicyStore(base: base, baseFolder: policyFolder.url.standardizedFileURL,
                                        referenceModel: sameReference ? nil : referenceFolder.url,
                                        initialAdapter: lora.adapter.map { URL(fileURLWithPath: $0) },
                                        configuration: configuration, layout: layout, generation: generation,
                                        tokenizer: policyFolder.tokenizer)
        } else {
            let directories = try DirectoryPolicyStore(referenceModel: referenceFolder.url, initialPolicy: policyFolder.url,
                                                       layout: layout, backend: backend, generation: generation,
                                                       tokenizer: policyFolder.tokenizer)
            directories.checkpointsActivations = dpo.checkpointActivations
            store = directories
        }
        let bootstrapper = try DICEBootstrapper(configuration: configuration, render: policyFolder.render)
        bootstrapper.communicator = communicator
        // CUDA ranks sum each round's DPO gradients with NCCL.
        if let nccl = try DistributedLaunch.gpuReducer(communicator, backend: backend) {
            bootstrapper.makeTrainer = { configuration, folder in
                StandardDPOTrainer(configuration: configuration, reducer: nccl, checkpointFolder: folder, resume: true)
            }
        }
        if let rewardModel {
            let rewarder = try RewardModelRewarder(model: rewardModel, batchSize: configuration.scoringBatchSize)
            bootstrapper.makeRewarder = { _, _, _ in rewarder }
        }
        if let heldOutPairs {
            bootstrapper.evaluator = { round, policy in
                // Split over the ranks by scoring batches, gathered: one process's numbers.
                (nil, try DICERound.rewardAccuracy(of: policy, reference: try store.scorer(.pi(round - 1)), on: heldOutPairs,
                                                   beta: configuration.beta, batchSize: configuration.scoringBatchSize,
                                                   communicator: communicator))
            }
        }
        var progress = Progress(rounds: rounds, prompts: promptFile.prompts.count, configuration: configuration)
        var stoppedAt = ""
        // Rank 0 alone shows progress and writes TensorBoard files.
        var board = leader ? tensorBoardFolder.map { RoundsTensorBoard(folder: $0, layout: layout) } : nil
        bootstrapper.observer = { event in
            // First, so that the update a stop request interrupts is logged as metrics.jsonl
            // logs it.
            try board?.handle(event)
            // SIGINT/SIGTERM (to any rank): stop before the next phase, or after the current DPO
            // update (the trainer checkpoints it first).
            switch event {
            case .phaseStarted(let round, let phase):
                if let stop = try StopSignals.request(over: communicator) {
                    stoppedAt = "before round \(round) · \(phase.rawValue)"
                    throw stop
                }
            case .training(let round, .step(let m)):
                if let stop = try StopSignals.request(over: communicator) {
                    if leader { progress.handle(event) }
                    stoppedAt = "in round \(round) · train at step \(m.step)"
                    throw stop
                }
            default:
                break
            }
            guard leader else { return }
            progress.handle(event)
            if case .roundFinished(let report) = event {
                // Saved policies get the tokenizer and generation settings of π_0, so that
                // `dice generate` and `dice eval` use them as they are.
                try copyModelExtras(from: policyFolder.url, to: layout.modelDirectory(round: report.output.index))
            }
        }
        let reports: [RoundReport]
        do {
            reports = try bootstrapper.run(prompts: promptFile.prompts, offline: offlinePairs, store: store, layout: layout,
                                           mode: resume ? .resume : .fresh, inputs: inputs)
        } catch is RunStopped {
            if leader {
                progress.stop()
                warn("stopped \(stoppedAt); --resume continues")
            }
            throw StopSignals.exitCode
        } catch DICEError.runExists {
            throw InputError(description: "\(output) already holds a run (\(layout.state.path)): pass --resume to continue it, or choose another --output folder")
        } catch let DICEError.settingsChanged(path, differences) {
            throw InputError(description: "--resume: \(differences.joined(separator: ", ")) differ from those the run in \(output) was started with (\(path)); rerun with the same flags, or choose another --output folder")
        }
        guard leader else { return }
        let summary = RunReport(configuration: configuration, rounds: reports)
        try summary.write(to: layout)
        print(Self.table(reports, unit: unit))
        if lora.enabled {
            print("Final adapter: \(layout.modelDirectory(round: rounds).path) (over \(policyFolder.url.path); dice merge makes a model)")
        } else {
            print("Final model: \(layout.modelDirectory(round: rounds).path)")
        }
        print("Report: \(layout.reportJSON.path) (and report.md; per round: round-t/report.json)")
    }

    /// The reward model of `--rewarder rm:DIR` (nil for the implicit reward).
    /// - Throws: `InputError` for another value, or an RM whose vocabulary is not the policy's;
    ///   what loading the reward model throws (naming config.json's field when it is not one).
    private func rewardModel(vocabularySize: Int, backend: any Backend) throws -> RewardModel? {
        if rewarder == "implicit" { return nil }
        guard rewarder.hasPrefix("rm:"), rewarder.count > 3 else {
            throw InputError(description: "--rewarder \(rewarder): expected implicit or rm:DIR")
        }
        let folder = try RewardModelFolder(String(rewarder.dropFirst(3)), flag: "--rewarder rm:")
        guard folder.model.config.vocabSize == vocabularySize else {
            throw InputError(description: "--rewarder \(rewarder): vocabulary of \(folder.model.config.vocabSize) tokens, the policy's has \(vocabularySize) (the reward model scores the policy's token ids)")
        }
        return try folder.load(backend: backend)
    }

    /// Offline or held-out pairs, tokenized as `dice dpo` does (errors name the file and line).
    private func readPairs(_ path: String, folder: ModelFolder, template: ChatTemplate) throws -> [PreferencePair] {
        let spec = folder.spec
        let encoding = PreferenceDataset.Encoding(tokenizer: folder.tokenizer, template: template, appendEOS: appendEos,
                                                  eosTokenID: folder.tokenizer?.eosTokenID ?? folder.config.eosTokenId?.ids.first)
        let dataset = try PreferenceDataset(contentsOf: URL(fileURLWithPath: path), encoding: encoding,
                                            maxLength: spec.maxPositions, truncation: .error)
        for (k, pair) in dataset.pairs.enumerated() {
            for (field, ids) in [("prompt", pair.prompt), ("chosen", pair.chosen), ("rejected", pair.rejected)] {
                if let bad = ids.first(where: { $0 >= spec.vocabularySize }) {
                    throw InputError(description: "\(path):\(dataset.lines[k]): \(field): token id \(bad) is outside the model's vocabulary 0..<\(spec.vocabularySize)")
                }
            }
        }
        for (line, reason) in dataset.dropped.prefix(5) { warn("\(path):\(line): dropped: \(reason)") }
        if dataset.dropped.count > 5 { warn("… \(dataset.dropped.count) pairs dropped in all") }
        return dataset.pairs
    }

    /// The end-of-run table (columns padded to their widest cell).
    static func table(_ reports: [RoundReport], unit: LengthUnit) -> String {
        var rows = [["round", "pairs", "gen + off", "α", "length gap (\(unit.rawValue)) before → after", "loss",
                     "accuracy", "held-out reward acc."]]
        for r in reports {
            let g = r.lengthRegularization
            rows.append(["\(r.round)", "\(r.pairing.pairs)", "\(r.generatedPairsUsed) + \(r.offlinePairsUsed)",
                         String(format: "%.6g", g.alpha),
                         String(format: "%.2f → %.2f", g.meanLengthGapBefore, g.meanLengthGapAfter),
                         (r.training?["loss"]).map { String(format: "%.4f", $0) } ?? "–",
                         (r.training?["rewards/accuracies"]).map { String(format: "%.3f", $0) } ?? "–",
                         r.rewardAccuracy.map { String(format: "%.3f", $0.accuracy) } ?? "–"])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { cell, width in String(repeating: " ", count: width - cell.count) + cell }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// The TensorBoard event files of a DICE run: `round-t/` with the round's DPO updates as they
/// happen, `rounds/` with every finished round's figures (step: the round).
///
/// A round's training file is started at its first update, restarted from the round's
/// metrics.jsonl when training resumes from a checkpoint, and rebuilt from metrics.jsonl when
/// the round finishes without having trained in this process (a resumed run whose training was
/// done earlier, perhaps without TensorBoard): it always ends with the rows metrics.jsonl has.
private struct RoundsTensorBoard {
    let folder: URL
    let layout: RunLayout
    var training: TensorBoardWriter?
    var trainedRound: Int?
    var finished: [TensorBoardWriter.Row] = []

    init(folder: URL, layout: RunLayout) {
        self.folder = folder
        self.layout = layout
    }

    mutating func handle(_ event: DICEEvent) throws {
        switch event {
        case .phaseStarted(let round, .train):
            // The file is started by the first update or a resume (which keeps the wall times
            // of the files it replaces).
            training = nil
            trainedRound = round
        case .training(let round, .resumed(let step)):
            training = try TensorBoardWriter(directory: roundFolder(round), history: try metricsRows(round, upTo: step))
        case .training(let round, .step(let m)):
            if training == nil { training = try TensorBoardWriter(directory: roundFolder(round)) }
            try training?.add(m.tensorBoardScalars, step: m.step)
        case .roundFinished(let report):
            if trainedRound != report.round {
                _ = try TensorBoardWriter(directory: roundFolder(report.round), history: try metricsRows(report.round))
            }
            training = nil
            finished.append(TensorBoardWriter.Row(step: report.round, scalars: report.tensorBoardScalars))
            _ = try TensorBoardWriter(directory: folder.appendingPathComponent("rounds"), history: finished)
        default:
            break
        }
    }

    func roundFolder(_ round: Int) -> URL {
        folder.appendingPathComponent("round-\(round)")
    }

    /// The rows of `round-t/metrics.jsonl` up to `step` (all when nil; none when the file does
    /// not exist).
    func metricsRows(_ round: Int, upTo step: Int? = nil) throws -> [TensorBoardWriter.Row] {
        let url = layout.metrics(round)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let lines = try Data(contentsOf: url).split(separator: 0x0A).map { Data($0) }
        return try TensorBoardOptions.rows(ofMetrics: lines, file: url).filter { step == nil || $0.step <= step ?? 0 }
    }
}

/// Progress of a DICE run on stderr: one line per phase, a bar while DPO trains.
private struct Progress {
    let rounds: Int
    let prompts: Int
    let configuration: DICEConfiguration
    let start = Date()
    var bar: ProgressBar?

    init(rounds: Int, prompts: Int, configuration: DICEConfiguration) {
        self.rounds = rounds
        self.prompts = prompts
        self.configuration = configuration
    }

    mutating func handle(_ event: DICEEvent) {
        switch event {
        case .phaseStarted(let round, let phase):
            bar?.finish()
            bar = nil
            line("round \(round)/\(rounds) · \(phase.rawValue): \(describe(phase, round: round))")
            if phase == .train { bar = ProgressBar(total: configuration.dpo.steps, label: "  dpo", lineInterval: 5) }
        case .phaseSkipped(let round, let phase):
            line("round \(round)/\(rounds) · \(phase.rawValue): done earlier")
        case .training(_, .resumed(let step)):
            line("  dpo: resuming from the checkpoint of step \(step)")
            bar?.update(step)
        case .training(_, .step(let m)):
            bar?.update(m.step, detail: String(format: "loss %.4f acc %.2f", m.loss, m.rewardsAccuracies))
        case .training:
            break
        case .roundFinished(let report):
            bar?.finish()
            bar = nil
            let g = report.lengthRegularization
            line(String(format: "round %d/%d done: %d pairs, α = %.6g, length gap %.2f → %.2f, training set %d + %d",
                        report.round, rounds, report.pairing.pairs, g.alpha, g.meanLengthGapBefore, g.meanLengthGapAfter,
                        report.generatedPairsUsed, report.offlinePairsUsed))
        }
    }

    func describe(_ phase: RunPhase, round: Int) -> String {
        let plan = RoundPlan(round: round)
        switch phase {
        case .sample: return "\(configuration.samplesPerPrompt) responses for each of \(prompts) prompts from \(plan.sampler)"
        case .score: return "β·(log \(plan.rewardPolicy) − log \(plan.rewardReference))"
        case .pair: return "filter, length-regularized best/worst pairs, replay (γ = \(configuration.gamma))"
        case .train: return "DPO \(plan.output) from \(plan.trainingInitialization) against \(plan.trainingReference), \(configuration.dpo.steps) steps"
        case .evaluate: return "report"
        }
    }

    /// Ends the DPO bar, if one is drawn (before a last message).
    mutating func stop() {
        bar?.finish()
        bar = nil
    }

    func line(_ text: String) {
        warn(String(format: "[%7.1fs] ", Date().timeIntervalSince(start)) + text)
    }
}

/// Copies the tokenizer files and generation_config.json of `source` into the model folder
/// `destination` (those it has; atomically, each).
func copyModelExtras(from source: URL, to destination: URL) throws {
    try copyTokenizerFiles(from: source, to: destination)
    let generation = source.appendingPathComponent(ModelDirectory.generationConfigFile)
    if FileManager.default.fileExists(atPath: generation.path) {
        try AtomicFile.write(try Data(contentsOf: generation),
                             to: destination.appendingPathComponent(ModelDirectory.generationConfigFile))
    }
}
