import ArgumentParser
import DICEKit
import Foundation

/// `dice dpo`: DPO-train a Hugging Face model on preference pairs.
///
/// Writes OUTPUT/metrics.jsonl (one row per update, TRL's metric names; validation rows with
/// the `eval_` prefix), the same scalars as TensorBoard event files in OUTPUT/tensorboard/
/// (`--tensorboard`, `--no-tensorboard`; tags as Hugging Face's Trainer logs TRL's metrics:
/// `train/loss`, …, `eval/loss`, …), OUTPUT/checkpoint/ (resumable with --resume) and, at the
/// end, the trained model as a Hugging Face directory in OUTPUT/ (with the tokenizer files
/// copied).
/// Reference log-probs are cached in --cache-dir, keyed by the reference weights and the
/// tokenized data, and reused by later runs.
///
/// Under `mpirun -np N` (Documentation/Distributed.md) the same command trains data-parallel:
/// the ranks check that they hold the same settings, data and weights, score the reference by
/// slices, and each takes a share of every batch; rank 0 alone writes the output folder.
/// `--zero 1` shards AdamW's moments over the ranks.
///
/// With `--lora-rank R` (or `--adapter DIR`) only a LoRA adapter over the frozen base trains; the
/// reference is the same loaded base without it, and OUTPUT/ gets the adapter in PEFT's layout
/// (adapter_config.json, adapter_model.safetensors) instead of a model (`dice merge` makes one).
struct DPOCommand: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Train a model with DPO on preference pairs (JSONL).",
        discussion: """
        Pair rows: {"prompt","chosen","rejected"} as strings; conversational message lists \
        ([{"role","content"}], as UltraFeedback-binarized: the prompt is everything before the final \
        assistant message); or {"prompt_ids","chosen_ids","rejected_ids"}. Empty responses are errors; \
        pairs whose responses are identical are dropped (reported). Pairs longer than --max-length: \
        --truncation error (default) stops naming the line; --truncation truncate cuts the prompt from \
        the left to --max-prompt-length (default half of --max-length), then the responses from the right.
        """
    )

    @Option(help: "The policy's Hugging Face model folder (also the reference unless --reference).") var model: String
    @OptionGroup var pairData: PairDataOptions
    @Option(help: "Output folder: final model, metrics.jsonl, checkpoint/.") var output: String
    @Option(help: "The reference model folder (default: the initial policy).") var reference: String?
    @Option(parsing: .unconditional, help: "β (> 0, at most Float32's largest, 3.4e38).") var beta = 0.1
    @OptionGroup var training: DPOOptions
    @Option(parsing: .unconditional, help: "Pairs held out for validation.") var valSize = 0
    @Option(parsing: .unconditional, help: "Validate every N updates (0: at the end only).") var evalEvery = 50
    @Option(parsing: .unconditional, help: "Seed (validation split, shuffling).") var seed: UInt64 = 0
    @Option(help: "Folder of cached reference log-probs (default: $XDG_CACHE_HOME/dicekit/reference-logprobs, else $HOME/.cache/dicekit/reference-logprobs).")
    var cacheDir: String?
    @Flag(help: "Continue from OUTPUT/checkpoint when it exists.") var resume = false
    @OptionGroup var tensorBoard: TensorBoardOptions
    @Option(parsing: .unconditional, help: "Under mpirun: 1 shards AdamW's moments over the ranks (ZeRO stage 1); 0 (default) keeps a whole copy on every rank.")
    var zero = 0
    @OptionGroup var lora: LoRAOptions

    func run() throws {
        StopSignals.install()
        try DistributedLaunch.run(train)
    }

    private func train(_ communicator: any Communicator) throws {
        let leader = communicator.rank == 0
        try FlagChecks.require(zero >= 0 && zero <= 1, "--zero", zero, "0 or 1")
        var configuration = try training.configuration(beta: beta, seed: seed)
        configuration.validationSize = valSize
        configuration.evaluationInterval = evalEvery
        // Flags that need no model or data, and the cache folder, before anything is read.
        try pairData.checkFlags()
        let cacheURL = try cacheDir.map { URL(fileURLWithPath: $0) } ?? Self.defaultCacheFolder()
        let modelURL = URL(fileURLWithPath: model), outputURL = URL(fileURLWithPath: output)
        let tensorBoardFolder = try tensorBoard.folder(default: outputURL.appendingPathComponent("tensorboard"))
        let backend = try backendOptions.makeBackend(localRank: DistributedLaunch.localRank(of: communicator))
        var directory = try ModelDirectory.read(from: modelURL)
        // With LoRA the base never trains: frozen (bfloat16 only under --dtype bf16).
        let policy = try TransformerLM(directory, backend: backend, trainable: !lora.enabled)
        policy.checkpointsActivations = training.checkpointActivations
        directory.tensors = [:]
        // With LoRA the base is frozen and the adapter trains; the reference is the same loaded
        // base, with no adapter (a new one starts at B = 0: the same model) or with a frozen copy
        // of --adapter's.
        if lora.enabled, reference != nil {
            throw ValidationError("--reference: not with LoRA (the reference is the base model with the starting adapter)")
        }
        let adapter = try lora.makeAdapter(for: policy, seed: seed)
        let referenceAdapter = try lora.adapter.map { try PEFTAdapterDirectory.read(from: URL(fileURLWithPath: $0), for: policy) }
        let trained = TransformerPolicy(model: policy, generation: GenerationParameters(), adapter: adapter)
        let loaded = try pairData.load(modelURL: modelURL, context: policy.spec.maxPositions,
                                       eosTokenID: directory.config.eosTokenId?.first)
        let pairs = loaded.pairs, chatTemplate = loaded.template
        // The validation split is checked against the pairs before any model is scored.
        try DPOOptions.withFlagNames { try configuration.validate(pairs: pairs.count) }
        try training.checkBatchSize(atMost: pairs.count - valSize,
                                    "the training pairs (\(pairs.count) pairs − --val-size \(valSize))")

        // One run per folder, held until the command ends; what the folder holds is checked
        // before the reference pass: a run there needs --resume, and a resumed run must read the
        // models and pairs it was started with (their fingerprints are in its checkpoint).
        // Under several ranks: every rank must hold the same settings, pairs and weights; only
        // rank 0 holds the folder's lock and checks what the folder holds, and the ranks agree on
        // the outcome before any work.
        let referenceURL = reference.map { URL(fileURLWithPath: $0) }
        let baseFingerprint = try policy.weightsFingerprint()
        let policyFingerprint = try referenceAdapter.map { baseFingerprint + " adapter " + (try WeightsFingerprint.of($0.parameters)) }
            ?? baseFingerprint
        let weightsFingerprint = try referenceURL.map { try ModelDirectory.read(from: $0).weightsFingerprint() }
            ?? policyFingerprint
        try communicator.requireSame([
            ("the settings", "\(configuration) zero \(zero) resume \(resume) template \(chatTemplate.description) eos \(pairData.appendEos) lora \(lora.summary)"),
            ("--output", outputURL.standardizedFileURL.path),
            ("--data (the tokenized pairs)", PreferenceDataset.fingerprint(pairs, template: chatTemplate.description, appendEOS: pairData.appendEos)),
            ("--model (its weights)", policyFingerprint), ("--reference (its weights)", weightsFingerprint),
        ])
        let lock = try communicator.agree { leader ? try RunFolderLock(folder: outputURL) : nil }
        defer { lock?.release() }
        let trainer = StandardDPOTrainer(configuration: configuration, checkpointFolder: outputURL, resume: resume)
        trainer.communicator = communicator
        // CUDA ranks sum their gradients with NCCL (the communicator still shares the batches,
        // gathers the metrics and leaves the writes to rank 0).
        if let nccl = try DistributedLaunch.gpuReducer(communicator, backend: backend) { trainer.reducer = nccl }
        if zero == 1 {
            trainer.optimizer = ShardedOptimizer(try configuration.optimizer.makeOptimizer(weightDecay: configuration.weightDecay),
                                                 communicator: communicator)
        }
        trainer.inputs = ["--model": "weights " + policyFingerprint, "--reference": "weights " + weightsFingerprint]
        if lora.enabled { trainer.inputs["--lora"] = lora.summary }
        try communicator.agree {
            if resume {
                _ = try trainer.resumableStep(pairs: pairs, parameterCount: trained.trainableParameters.values.count)
            } else if leader {
                try DPORunFolder.refuseExistingRun(in: outputURL, output: output)
            }
        }

        // Reference log-probs: from the cache, or computed (loading the reference only then).
        let key = ReferenceLogProbCache.key(
            weightsFingerprint: weightsFingerprint,
            dataFingerprint: PreferenceDataset.fingerprint(pairs, template: chatTemplate.description, appendEOS: pairData.appendEos))
        var referenceBar = ProgressBar(total: pairs.count, label: "reference")
        var computed = false
        let referenceModel: () throws -> any ReferenceModel = {
            computed = true
            if let referenceURL { return try TransformerLM(directory: referenceURL, backend: backend, trainable: false) }
            return TransformerPolicy(model: policy, generation: GenerationParameters(), adapter: referenceAdapter)
        }
        let referenceBatch = training.microBatchSize ?? min(training.batchSize, 8)
        let referenceLogProbs = communicator.size > 1
            ? try DistributedLaunch.referenceLogProbs(ReferenceLogProbCache(folder: cacheURL), key: key, pairs: pairs,
                                                      batchSize: referenceBatch, communicator: communicator,
                                                      reference: referenceModel)
            : try ReferenceLogProbCache(folder: cacheURL).logProbs(
                key: key, pairs: pairs, reference: referenceModel,
                batchSize: referenceBatch, progress: { done, _ in referenceBar.update(done) })
        if computed { referenceBar.finish() } else if leader { warn("reference log-probs: cached (\(cacheURL.path)/\(key).json)") }
        if StopSignals.received != nil {
            warn("stopped before the first update (the reference log-probs are cached); run the command again to train")
            throw StopSignals.exitCode
        }

        // A LoRA run writes the adapter (PEFT layout), not the model.
        let export: (URL) throws -> Void = { url in
            if let adapter {
                try PEFTAdapterDirectory.write(adapter, to: url, baseModel: modelURL.standardizedFileURL.path)
            } else {
                try policy.write(to: url, config: directory.config, generationConfig: directory.generationConfig)
            }
            try copyTokenizerFiles(from: modelURL, to: url)
        }
        let summary = try runTraining(trainer, policy: trained, pairs: pairs, reference: referenceLogProbs,
                                      outputURL: outputURL, tensorBoardFolder: tensorBoardFolder, label: "dpo",
                                      communicator: communicator, export: export)
        guard leader else { return }
        try export(outputURL)
        if let m = summary.lastStep {
            print(String(format: "trained %d steps: loss %.4f, rewards/accuracies %.3f, rewards/margins %.4f → %@",
                         summary.steps, m.loss, m.rewardsAccuracies, m.rewardsMargins, outputURL.path))
        }
        if let v = summary.lastValidation {
            print(String(format: "validation: loss %.4f, rewards/accuracies %.3f", v.loss, v.rewardsAccuracies))
        }
    }

    /// The reference log-prob cache's folder per XDG (`ReferenceLogProbCache.defaultFolder`).
    /// - Throws: `ValidationError` naming XDG_CACHE_HOME, HOME and --cache-dir when the
    ///   environment gives no folder.
    static func defaultCacheFolder() throws -> URL {
        do {
            return try ReferenceLogProbCache.defaultFolder()
        } catch let error as ReferenceLogProbCache.LocationError {
            throw ValidationError("no folder for the reference log-prob cache: \(error.reason); set XDG_CACHE_HOME or HOME to an existing folder, or pass --cache-dir")
        }
    }
}

/// Copies the tokenizer files a model folder has into `destination`.
func copyTokenizerFiles(from source: URL, to destination: URL) throws {
    let names = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                 "vocab.json", "merges.txt", "tokenizer.model"]
    for name in names {
        let from = source.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: from.path) else { continue }
        try AtomicFile.write(try Data(contentsOf: from), to: destination.appendingPathComponent(name))
    }
}
