import ArgumentParser
import DICEKit
import Foundation

/// `dice bench dpo`: the DPO-step shape of DESIGN.md — small model (random init), 8 pairs,
/// prompt 64, chosen 64, rejected 64, reference log-probs precomputed, AdamW, clip 1.0 — through
/// `StandardDPOTrainer`, beside the PyTorch peer (Benchmarks/peers/dpo_torch.py, TRL-style
/// concatenated forward) which loads the same initial weights and batch, so the first step's
/// loss and gradient norm can be compared.
///
/// Side by side: the peer runs in its own process, started (and warmed up by one untimed
/// update) before DICEKit's first update; after that the two sides' timed updates alternate,
/// one each, every one starting after a 0.25 s pause, so that both sample the same minutes of
/// a shared machine and neither one's idle threads are still spinning when the other starts.
///
/// pairs/s = 8 / (seconds per update, best of `repeats`); tokens/s counts the tokens of the
/// plain path, 8 × 2 × (64 + 64) per update. Peak memory is each process's RSS high-water mark
/// (VmHWM); DICEKit's is reset before training so that setting up the peer's files is not
/// counted.
///
/// `--shape smollm2` runs the same update on SmolLM2-135M (its converted directory in
/// ~/.cache/dicekit/smollm2/hf when there, else its shape with random weights);
/// `--prompt-length` and `--response-length` set the pair shape, and `--checkpoint-activations`
/// trains with activation checkpointing (Documentation/Memory.md compares the two).
/// Step times are reported as the best and the median of the timed updates.
///
/// `--micro-batches N` cuts each update's pairs (a rank's share) into N micro-batches whose
/// gradients are made apart and summed in order: one process with N gives the first step's
/// bits of `--ranks N`.
///
/// `--ranks N` runs the same update data-parallel over N ranks (the command starts itself under
/// `mpirun -np N`; each rank takes N-th of the 8 pairs, gradients all-reduced): pairs/s is then the
/// whole job's, and `bytes_sent_per_update` what rank 0 sent per update. No peer then.
struct BenchDPO: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "DPO update throughput: 8 pairs, the small model with prompt/chosen/rejected 64 unless told otherwise."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed updates per side (the best is kept).")
    var repeats = 10

    @Option(help: "Python with torch + transformers, to run the PyTorch peer in the same run.")
    var python: String?

    @Option(help: "Data-parallel ranks (started with mpirun; 1: this process alone).")
    var ranks = 1

    /// The model of the update.
    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case small, smollm2
    }

    @Option(help: "small (DESIGN.md's small model, random weights) or smollm2 (SmolLM2-135M: ~/.cache/dicekit/smollm2/hf when present, else its shape with random weights).")
    var shape = Shape.small

    @Option(help: "Prompt tokens of each pair.")
    var promptLength = 64

    @Option(help: "Tokens of each response (chosen and rejected).")
    var responseLength = 64

    @Flag(help: "Train with activation checkpointing (each block's forward recomputed in the backward pass).")
    var checkpointActivations = false

    @Option(help: "Cut the 8 pairs (a rank's share) into N micro-batches whose gradients are made apart and summed in order (dice dpo --micro-batches).")
    var microBatches = 1

    struct Report: Encodable {
        let backend: String
        /// The matrix products' input type (`--dtype`); the peer runs under bf16 autocast with bf16.
        let dtype: String
        let threads: Int
        let model: String
        let checkpoint_activations: Bool
        /// Micro-batches per update (per rank).
        let micro_batches: Int
        let prompt_length: Int
        let response_length: Int
        let pairs: Int
        /// Seconds per timed update: the best and the median.
        let best_seconds: Double
        let median_seconds: Double
        let tokens_per_step: Int
        let pairs_per_s: Double
        let tokens_per_s: Double
        let peak_rss_mib: Double
        /// Percent of the host's CPU time stolen by other guests while the updates ran.
        let host_steal_percent: Double?
        let first_loss: Double
        let first_grad_norm: Double
        let peer: [String: JSONValue]?
        let ranks: Int
        /// Bytes rank 0 sent per timed update (0 for one rank).
        let bytes_sent_per_update: Double
    }

    func run() throws {
        if ranks > 1 && !MPICommunicator.isLaunched() {
            try MPILauncher.relaunch(ranks: ranks)
            return
        }
        try reportingErrors {
            let communicator = try DistributedLaunch.communicator()
            try measure(communicator)
            (communicator as? MPICommunicator)?.finalize()
        }
    }

    private func measure(_ communicator: any Communicator) throws {
        let python = communicator.size > 1 ? nil : self.python
        let backend = try backendOptions.makeBackend()
        try FlagChecks.require(promptLength >= 1, "--prompt-length", promptLength, "a number ≥ 1")
        try FlagChecks.require(responseLength >= 1, "--response-length", responseLength, "a number ≥ 1")
        let pairsCount = 8, prompt = promptLength, response = responseLength
        let (model, modelConfig, modelName) = try Self.model(shape, backend: backend)
        try FlagChecks.require(prompt + response <= model.spec.maxPositions, "--response-length", response,
                               "at most the context (\(model.spec.maxPositions)) − --prompt-length")
        model.checkpointsActivations = checkpointActivations
        let vocabulary = UInt64(model.spec.vocabularySize)
        var rng = SplitMix64(seed: 3)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % vocabulary) } }
        let pairs = (0..<pairsCount).map { _ in PreferencePair(prompt: ids(prompt), chosen: ids(response), rejected: ids(response)) }
        let reference = try ReferenceLogProbs.compute(pairs, reference: model)
        // The reference is a shifted copy of the policy's own log-probs, so the loss is not log 2.
        let shifted = ReferenceLogProbs(chosen: reference.chosen.map { $0 - 0.5 }, rejected: reference.rejected.map { $0 + 0.5 })

        // The peer's inputs: the same initial weights and batch.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dice-bench-dpo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        if python != nil {
            try model.modelDirectory(config: modelConfig).write(to: folder)
            let batch: [String: Any] = [
                "prompt": pairs.map(\.prompt), "chosen": pairs.map(\.chosen), "rejected": pairs.map(\.rejected),
                "reference_chosen": shifted.chosen, "reference_rejected": shifted.rejected,
            ]
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: batch), to: folder.appendingPathComponent("batch.json"))
        }
        var session: PeerSession?
        var peerFailure: String?
        if let python {
            do {
                let started = try PeerSession(
                    python: python, script: Peer.script("dpo_torch.py"),
                    arguments: ["--threads", "\(backend.threads)", "--serve", "--model", folder.path,
                                "--batch", folder.appendingPathComponent("batch.json").path]
                        + ["--autocast", backendOptions.dtype.rawValue])
                _ = try started.read()  // the peer's untimed first update is done
                session = started
            } catch {
                peerFailure = "\(error)"
            }
        }
        PeakMemory.reset()
        let steal = StealMeter()

        var times: [Double] = []
        var first: DPOMetrics?
        let pause = 0.25
        var start = DispatchTime.now().uptimeNanoseconds
        var sentBefore = 0
        let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw, learningRate: 5e-7,
                                      batchSize: pairsCount, microBatches: microBatches, steps: repeats + 1, maxGradNorm: 1.0,
                                      evaluationInterval: 0, checkpointInterval: 0)
        let trainer = StandardDPOTrainer(configuration: config) { event in
            guard case .step(let m) = event else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            if m.step == 1 { first = m; sentBefore = communicator.bytesSent } else { times.append(Double(now - start) / 1e9) }
            if m.step > 1, let peer = session {
                Thread.sleep(forTimeInterval: pause)
                do {
                    _ = try peer.request("step")
                } catch {
                    peerFailure = "\(error)"
                    session = nil
                }
            }
            Thread.sleep(forTimeInterval: pause)
            start = DispatchTime.now().uptimeNanoseconds
        }
        trainer.communicator = communicator
        _ = try trainer.train(model, pairs: pairs, reference: shifted)
        guard communicator.rank == 0 else { return }
        let best = times.min() ?? .infinity
        let sorted = times.sorted()
        let median = sorted.isEmpty ? .infinity
            : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let tokens = pairsCount * 2 * (prompt + response)
        var peer: [String: JSONValue]?
        if let session {
            do {
                peer = try session.request("end")
            } catch {
                peerFailure = "\(error)"
            }
        }
        if let peerFailure { peer = ["error": .string(peerFailure)] }
        let report = Report(backend: backend.name, dtype: backendOptions.dtype.rawValue, threads: backend.threads, model: modelName,
                            checkpoint_activations: checkpointActivations, micro_batches: microBatches,
                            prompt_length: prompt, response_length: response,
                            pairs: pairsCount, best_seconds: best, median_seconds: median, tokens_per_step: tokens,
                            pairs_per_s: Double(pairsCount) / best, tokens_per_s: Double(tokens) / best,
                            peak_rss_mib: PeakMemory.mebibytes(), host_steal_percent: steal.percent, first_loss: first?.loss ?? .nan,
                            first_grad_norm: first?.gradNorm ?? .nan, peer: peer, ranks: communicator.size,
                            bytes_sent_per_update: Double(communicator.bytesSent - sentBefore) / Double(max(1, repeats)))
        if json {
            try printJSON(report)
            return
        }
        print("DPO update, \(modelName), \(pairsCount) pairs × (prompt \(prompt), chosen \(response), rejected \(response)), AdamW, clip 1.0, \(communicator.size) rank(s) × \(backend.threads) threads, \(report.dtype)\(checkpointActivations ? ", activation checkpointing" : "")\(microBatches > 1 ? ", \(microBatches) micro-batches" : "")")
        print(String(format: "  DICEKit  update %.3f s best, %.3f s median of %d", best, median, times.count))
        if communicator.size > 1 {
            print(String(format: "  sent by rank 0 per update: %.1f MiB", report.bytes_sent_per_update / 1_048_576))
        }
        print(String(format: "  DICEKit  %7.2f pairs/s  %8.0f tokens/s  peak RSS %7.0f MiB  first step: loss %.6f grad_norm %.6f",
                     report.pairs_per_s, report.tokens_per_s, report.peak_rss_mib, report.first_loss, report.first_grad_norm))
        if let peer {
            if let p = peer["pairs_per_s"]?.number, let t = peer["tokens_per_s"]?.number, let m = peer["peak_rss_mib"]?.number {
                print(String(format: "  PyTorch  %7.2f pairs/s  %8.0f tokens/s  peak RSS %7.0f MiB  first step: loss %.6f grad_norm %.6f",
                             p, t, m, peer["first_loss"]?.number ?? .nan, peer["first_grad_norm"]?.number ?? .nan))
                print(String(format: "  ratio    %7.2f×  (timed updates alternated, best of %d each)", report.pairs_per_s / p, repeats))
            } else {
                print("  PyTorch peer failed: \(peer)")
            }
        }
        if let stolen = report.host_steal_percent {
            print(String(format: "  host steal %.1f%% of CPU time while the updates ran", stolen))
        }
    }

    /// The model of `shape`, its config.json and its name for the report. The small model and a
    /// SmolLM2 without its weights on disk are initialised randomly (seed 0).
    /// - Throws: what reading the SmolLM2 directory throws; `BackendError.allocationFailed`.
    static func model(_ shape: Shape, backend: any Backend) throws -> (TransformerLM, ModelConfig, String) {
        switch shape {
        case .small:
            let model = try TransformerLM(spec: .small, backend: backend)
            try model.initializeRandomly(seed: 0)
            return (model, try smallConfig(), "small model")
        case .smollm2:
            let folder = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/dicekit/smollm2/hf")
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(ModelDirectory.configFile).path) {
                let directory = try ModelDirectory.read(from: folder)
                return (try TransformerLM(directory, backend: backend), directory.config, "SmolLM2-135M (\(folder.path))")
            }
            let config = try smollm2Config()
            let model = try TransformerLM(config: config, backend: backend)
            try model.initializeRandomly(seed: 0)
            return (model, config, "SmolLM2-135M shape, random weights")
        }
    }

    /// config.json of SmolLM2-135M-Instruct (DESIGN.md's real model).
    static func smollm2Config() throws -> ModelConfig {
        let json = """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
         "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
         "rope_theta": 100000.0, "rms_norm_eps": 1e-5, "max_position_embeddings": 8192, "tie_word_embeddings": true,
         "hidden_act": "silu"}
        """
        return try ModelConfig.decode(Data(json.utf8), path: "smollm2/config.json")
    }

    /// config.json of `TransformerSpec.small` (DESIGN.md), for the peer.
    static func smallConfig() throws -> ModelConfig {
        let json = """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 8192, "hidden_size": 512,
         "intermediate_size": 1536, "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 4,
         "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "tie_word_embeddings": false,
         "hidden_act": "silu"}
        """
        return try ModelConfig.decode(Data(json.utf8), path: "small/config.json")
    }
}

/// The process's resident-set high-water mark (Linux /proc/self/status VmHWM).
enum PeakMemory {
    /// Resets the high-water mark to the current RSS (writes 5 to /proc/self/clear_refs).
    static func reset() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    /// VmHWM in MiB (NaN where unavailable).
    static func mebibytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kb / 1024
        }
        return .nan
    }
}
