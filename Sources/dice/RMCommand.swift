import ArgumentParser
import DICEKit
import Foundation

/// `dice rm`: train a scalar reward model on preference pairs with the Bradley–Terry loss.
///
/// The model starts from --model: a causal language model (its backbone, with a new `score`
/// head drawn with --seed) or a reward model (`…ForSequenceClassification`, one label) to train
/// further. Training is `dice dpo`'s loop (`RewardModelScorer`: DPO's sigmoid loss with β = 1
/// against a zero reference is −log σ(r_chosen − r_rejected)), with the same batches, schedules,
/// validation split, metrics.jsonl (`rewards/accuracies` is the reward accuracy), TensorBoard
/// events, OUTPUT/checkpoint/ and --resume. At the end OUTPUT/ holds the reward model as a
/// Hugging Face `…ForSequenceClassification` directory that transformers loads. With
/// `--lora-rank` (or `--adapter`) the backbone is frozen: LoRA adapters on the targets train and
/// the score head trains in full (PEFT's SEQ_CLS task, `modules_to_save = ["score"]`), and
/// OUTPUT/ holds a PEFT adapter folder over --model instead. It runs in one process (several
/// MPI ranks are refused before any work).
struct RMCommand: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Train a reward model (Bradley–Terry) on preference pairs (JSONL).",
        discussion: """
        Pair rows as for dice dpo. --model is a causal language model (a new score head is drawn \
        with --seed) or a one-label …ForSequenceClassification reward model. --loss must be sigmoid \
        (the Bradley–Terry loss) and --sft-weight 0; --lr has dice dpo's default (5e-7): reward \
        models usually train at 1e-5 to 1e-6. With --lora-rank the backbone is frozen, LoRA adapters \
        and the score head train, and OUTPUT is a PEFT SEQ_CLS adapter folder over --model \
        (--rewarder rm:OUTPUT and --judge rm:OUTPUT load it over the base its adapter_config.json names).
        """
    )

    @Option(help: "The base: a causal LM's or a reward model's Hugging Face folder.") var model: String
    @OptionGroup var pairData: PairDataOptions
    @Option(help: "Output folder: the reward model, metrics.jsonl, checkpoint/.") var output: String
    @OptionGroup var training: DPOOptions
    @OptionGroup var lora: LoRAOptions
    @Option(parsing: .unconditional, help: "Pairs held out for validation (reward accuracy).") var valSize = 0
    @Option(parsing: .unconditional, help: "Validate every N updates (0: at the end only).") var evalEvery = 50
    @Option(parsing: .unconditional, help: "Seed (the new score head, validation split, shuffling).") var seed: UInt64 = 0
    @Flag(help: "Continue from OUTPUT/checkpoint when it exists.") var resume = false
    @OptionGroup var tensorBoard: TensorBoardOptions

    func run() throws {
        StopSignals.install()
        try reportingErrors {
            try DistributedLaunch.refuseSeveralRanks("dice rm")
            try train()
        }
    }

    private func train() throws {
        try FlagChecks.require(training.loss.lowercased() == "sigmoid", "--loss", training.loss,
                               "sigmoid (the Bradley–Terry loss of a reward model)")
        try FlagChecks.require(training.sftWeight == 0, "--sft-weight", training.sftWeight,
                               "0 (a reward model has no token log-probs to fit)")
        var configuration = try training.configuration(beta: 1, seed: seed)
        configuration.validationSize = valSize
        configuration.evaluationInterval = evalEvery
        try pairData.checkFlags()
        let modelURL = URL(fileURLWithPath: model), outputURL = URL(fileURLWithPath: output)
        let tensorBoardFolder = try tensorBoard.folder(default: outputURL.appendingPathComponent("tensorboard"))
        let backend = try backendOptions.makeBackend()
        let base = try ModelDirectory.read(from: modelURL)
        let baseFingerprint = base.weightsFingerprint()
        let rm: RewardModel
        switch base.config.head {
        case .languageModel:
            rm = try RewardModel(languageModel: base, backend: backend, seed: seed)
        case .score:
            rm = try RewardModel(directory: modelURL, backend: backend)
        }
        rm.network.checkpointsActivations = training.checkpointActivations
        // With LoRA the backbone is frozen; the adapter and its copy of the score head train.
        let adapter = try lora.makeAdapter(for: rm.network, seed: seed, trainsHead: true)
        try rm.network.attach(adapter)
        let loaded = try pairData.load(modelURL: modelURL, context: rm.network.spec.maxPositions,
                                       eosTokenID: base.config.eosTokenId?.first)
        let pairs = loaded.pairs
        try DPOOptions.withFlagNames { try configuration.validate(pairs: pairs.count) }
        try training.checkBatchSize(atMost: pairs.count - valSize,
                                    "the training pairs (\(pairs.count) pairs − --val-size \(valSize))")

        let lock = try RunFolderLock(folder: outputURL)
        defer { lock.release() }
        let trainer = StandardDPOTrainer(configuration: configuration, checkpointFolder: outputURL, resume: resume)
        trainer.inputs = ["--model": "weights " + baseFingerprint]
        if lora.enabled { trainer.inputs["--lora"] = lora.summary }
        let scorer = RewardModelScorer(rm)
        if resume {
            _ = try trainer.resumableStep(pairs: pairs, parameterCount: scorer.trainableParameters.values.count)
        } else {
            try DPORunFolder.refuseExistingRun(in: outputURL, output: output)
        }
        let generationConfig = base.generationConfig
        let export: (URL) throws -> Void = { url in
            if let adapter {
                try PEFTAdapterDirectory.write(adapter, to: url, baseModel: modelURL.standardizedFileURL.path)
            } else {
                try rm.modelDirectory(generationConfig: generationConfig).write(to: url)
            }
            try copyTokenizerFiles(from: modelURL, to: url)
        }
        let summary = try runTraining(trainer, policy: scorer, pairs: pairs, reference: .zero(count: pairs.count),
                                      outputURL: outputURL, tensorBoardFolder: tensorBoardFolder, label: "rm",
                                      export: export)
        try export(outputURL)
        if let m = summary.lastStep {
            print(String(format: "trained %d steps: loss %.4f, reward accuracy %.3f, margin %.4f → %@",
                         summary.steps, m.loss, m.rewardsAccuracies, m.rewardsMargins, outputURL.path))
        }
        if let v = summary.lastValidation {
            print(String(format: "validation: loss %.4f, reward accuracy %.3f", v.loss, v.rewardsAccuracies))
        }
    }
}
