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
/// `--ranks N` runs the same update data-parallel over N ranks (the command starts itself under
/// `mpirun -np N`; each rank takes N-th of the 8 pairs, gradients all-reduced): pairs/s is then the
/// whole job's, and `bytes_sent_per_update` what rank 0 sent per update. No peer then.
struct BenchDPO: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "DPO update throughput on the small model (8 pairs, prompt/chosen/rejected 64)."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed updates per side (the best is kept).")
    var repeats = 10

    @Option(help: "Python with torch + transformers, to run the PyTorch peer in the same run.")
    var python: String?

    @Option(help: "Data-parallel ranks (started with mpirun; 1: this process alone).")
    var ranks = 1

    struct Report: Encodable {
        let backend: String
        /// The matrix products' input type (`--dtype`); the peer runs under bf16 autocast with bf16.
        let dtype: String
        let threads: Int
        let pairs: Int
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
        let pairsCount = 8, prompt = 64, response = 64
        var rng = SplitMix64(seed: 3)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % 8192) } }
        let pairs = (0..<pairsCount).map { _ in PreferencePair(prompt: ids(prompt), chosen: ids(response), rejected: ids(response)) }
        let model = try TransformerLM(spec: .small, backend: backend)
        try model.initializeRandomly(seed: 0)
        let reference = try ReferenceLogProbs.compute(pairs, reference: model)
        // The reference is a shifted copy of the policy's own log-probs, so the loss is not log 2.
        let shifted = ReferenceLogProbs(chosen: reference.chosen.map { $0 - 0.5 }, rejected: reference.rejected.map { $0 + 0.5 })

        // The peer's inputs: the same initial weights and batch.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dice-bench-dpo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        if python != nil {
            try model.modelDirectory(config: Self.smallConfig()).write(to: folder)
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
                                      batchSize: pairsCount, steps: repeats + 1, maxGradNorm: 1.0,
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
        let report = Report(backend: backend.name, dtype: backendOptions.dtype.rawValue, threads: backend.threads, pairs: pairsCount, tokens_per_step: tokens,
                            pairs_per_s: Double(pairsCount) / best, tokens_per_s: Double(tokens) / best,
                            peak_rss_mib: PeakMemory.mebibytes(), host_steal_percent: steal.percent, first_loss: first?.loss ?? .nan,
                            first_grad_norm: first?.gradNorm ?? .nan, peer: peer, ranks: communicator.size,
                            bytes_sent_per_update: Double(communicator.bytesSent - sentBefore) / Double(max(1, repeats)))
        if json {
            try printJSON(report)
            return
        }
        print("DPO update, small model, \(pairsCount) pairs × (prompt \(prompt), chosen \(response), rejected \(response)), AdamW, clip 1.0, \(communicator.size) rank(s) × \(backend.threads) threads, \(report.dtype)")
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
