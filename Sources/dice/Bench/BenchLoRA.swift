import ArgumentParser
import DICEKit
import Foundation

/// `dice bench lora`: a LoRA DPO step on SmolLM2-135M-Instruct's shape — plain and with activation
/// checkpointing — beside DICEKit's full fine-tuning and TRL's DPOTrainer with a PEFT LoRA of the
/// same rank (Benchmarks/peers/lora_trl.py), in the same run:
///
/// - 8 pairs, prompt 64 + chosen 128 / rejected 128 tokens (seeded random ids), fp32, sigmoid
///   loss β 0.1, AdamW, clip 1.0, reference log-probs precomputed (DICEKit LoRA and TRL: the base
///   with the adapter off; full: the starting model), one warm-up update then `repeats` timed;
/// - LoRA rank 16, alpha 16, no dropout, on every attention and MLP projection.
///
/// The model is `--model` (a SmolLM2 directory) or, without it, SmolLM2-135M's shape with seeded
/// random weights (written to a scratch folder so that the peer reads the same weights). Each
/// side runs in its own process, so each peak (VmHWM, model loading included) is its own.
/// Step time is the median of the timed updates. `--tiny` runs the same program on a tiny random
/// Llama (2 layers, hidden 64, vocabulary 512) with prompt 8 + responses 16: a smoke test of every
/// side, peer included, in seconds.
struct BenchLoRA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora",
        abstract: "LoRA DPO step (rank 16, 8 pairs × (64 + 128)) vs full fine-tuning and TRL + PEFT on SmolLM2-135M."
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case lora, loraCheckpointed = "lora-checkpointed", full
    }

    @Option(help: "A SmolLM2-135M-Instruct model directory (default: its shape with random weights).") var model: String?
    @Option(help: "Python with torch, transformers, trl and peft, to run the TRL peer in the same run.") var python: String?
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "Timed updates of each side (the median is kept).") var repeats = 5
    @Option(help: "LoRA rank.") var rank = 16
    @Flag(help: "A tiny random Llama and prompt 8 + responses 16 instead of SmolLM2-135M's shape (a smoke test).") var tiny = false
    @Option(help: .hidden) var phase: Phase?
    @Option(help: .hidden) var batch: String?

    static let pairs = 8, promptLength = 64, responseLength = 128
    /// `--tiny`'s prompt and response lengths.
    static let tinyPromptLength = 8, tinyResponseLength = 16

    /// What one side measured, in one process.
    struct PhaseReport: Codable {
        var seconds: Double
        var pairs_per_s: Double
        var peak_rss_mib: Double
        var trainable_parameters: Int
        var first_loss: Double?
    }

    struct Report: Encodable {
        let model: String
        let threads: Int
        let rank: Int
        let prompt_length: Int
        let response_length: Int
        let lora: PhaseReport?
        let lora_checkpointed: PhaseReport?
        let full: PhaseReport?
        let errors: [String: String]
        let peer: [String: JSONValue]?
        /// DICEKit LoRA over TRL: pairs/s (target ≥ 2) and peak (target ≤ 0.5); LoRA peak over
        /// full fine-tuning's (target ≤ 0.6); the checkpointed LoRA side's peak ratios likewise.
        let ratios: [String: Double]
    }

    /// SmolLM2-135M's shape: Llama, 30 layers, hidden 576, intermediate 1536, 9 heads / 3 KV,
    /// vocabulary 49152, tied embeddings, RoPE θ 100000.
    static let smolLM2 = TransformerSpec(modelType: "llama", vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536,
                                         layers: 30, heads: 9, kvHeads: 3, ropeTheta: 100_000, maxPositions: 2048,
                                         tiedEmbeddings: true)
    /// `--tiny`'s model: a Llama of SmolLM2's kind, 2 layers, hidden 64, vocabulary 512.
    static let tinyLlama = TransformerSpec(modelType: "llama", vocabularySize: 512, hiddenSize: 64, intermediateSize: 128,
                                           layers: 2, heads: 4, kvHeads: 2, ropeTheta: 100_000, maxPositions: 128,
                                           tiedEmbeddings: true)

    func run() throws {
        if let phase {
            guard let batch, let model else { throw ValidationError("--phase needs --batch and --model") }
            let inputs = try JSONDecoder().decode(BenchSmolLM2.Batch.self, from: Data(contentsOf: URL(fileURLWithPath: batch)))
            try printJSON(try measure(phase, model: model, inputs))
            return
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if tiny, model != nil { throw ValidationError("--tiny: not with --model (it makes its own tiny model)") }
        let spec = tiny ? Self.tinyLlama : Self.smolLM2
        let promptLength = tiny ? Self.tinyPromptLength : Self.promptLength
        let responseLength = tiny ? Self.tinyResponseLength : Self.responseLength
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dice-bench-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let modelPath: String
        if let model {
            modelPath = model
        } else {
            let random = try TransformerLM(spec: spec, backend: CPUBackend())
            try random.initializeRandomly(seed: 1)
            let url = folder.appendingPathComponent("model")
            try random.modelDirectory(config: ModelConfig(spec)).write(to: url)
            if tiny { try Self.writeTinyTokenizer(to: url, vocabulary: spec.vocabularySize) }
            modelPath = url.path
        }
        var rng = SplitMix64(seed: 3)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(spec.vocabularySize)) } }
        let inputs = BenchSmolLM2.Batch(prompt: (0..<Self.pairs).map { _ in ids(promptLength) },
                                        chosen: (0..<Self.pairs).map { _ in ids(responseLength) },
                                        rejected: (0..<Self.pairs).map { _ in ids(responseLength) },
                                        generation_prompt: [])
        let batchURL = folder.appendingPathComponent("batch.json")
        try AtomicFile.write(try JSONEncoder().encode(inputs), to: batchURL)
        var results: [Phase: PhaseReport] = [:], errors: [String: String] = [:]
        for phase in Phase.allCases {
            do {
                results[phase] = try Self.child(["bench", "lora", "--model", modelPath, "--phase", phase.rawValue,
                                                 "--batch", batchURL.path, "--repeats", "\(repeats)", "--rank", "\(rank)"])
            } catch {
                errors[phase.rawValue] = "\(error)"
            }
        }
        let threads = CPUBackend().threads
        let peer = python.map {
            Peer.run(python: $0, script: Peer.script("lora_trl.py"),
                     arguments: ["--model", modelPath, "--batch", batchURL.path, "--rank", "\(rank)", "--threads", "\(threads)",
                                 "--repeats", "\(repeats)", "--work", folder.appendingPathComponent("trl").path])
        }
        let peerSeconds = peer?["seconds"]?.number, peerPeak = peer?["peak_rss_mib"]?.number
        var ratios: [String: Double] = [:]
        for (name, side) in [("lora", results[.lora]), ("lora_checkpointed", results[.loraCheckpointed])] {
            guard let side else { continue }
            if let peerSeconds { ratios[name + "_over_trl_pairs_per_s"] = peerSeconds / side.seconds }
            if let peerPeak { ratios[name + "_over_trl_peak"] = side.peak_rss_mib / peerPeak }
            if let full = results[.full] { ratios[name + "_over_full_peak"] = side.peak_rss_mib / full.peak_rss_mib }
        }
        let name = model ?? (tiny ? "tiny Llama (2 layers, hidden 64, vocabulary 512), random weights" : "SmolLM2-135M shape, random weights")
        let report = Report(model: name, threads: threads, rank: rank, prompt_length: promptLength,
                            response_length: responseLength, lora: results[.lora], lora_checkpointed: results[.loraCheckpointed],
                            full: results[.full], errors: errors, peer: peer, ratios: ratios)
        if json { return try printJSON(report) }
        print("\(report.model), fp32, \(threads) threads; DPO step of \(Self.pairs) pairs × (prompt \(promptLength) + response \(responseLength)), median of \(repeats); peak = VmHWM")
        func line(_ name: String, _ s: Double?, _ peak: Double?, _ trainable: Int?) {
            guard let s, let peak else { return print("  \(name)  (no result)") }
            print(String(format: "  %@  %6.2f s/step  %6.2f pairs/s  peak %6.0f MiB", name, s, Double(Self.pairs) / s, peak)
                + (trainable.map { "  trainable \($0)" } ?? ""))
        }
        line("DICEKit LoRA r\(rank)       ", results[.lora]?.seconds, results[.lora]?.peak_rss_mib, results[.lora]?.trainable_parameters)
        line("DICEKit LoRA + ckpt     ", results[.loraCheckpointed]?.seconds, results[.loraCheckpointed]?.peak_rss_mib,
             results[.loraCheckpointed]?.trainable_parameters)
        line("DICEKit full            ", results[.full]?.seconds, results[.full]?.peak_rss_mib, results[.full]?.trainable_parameters)
        for (phase, error) in errors.sorted(by: { $0.key < $1.key }) { print("  DICEKit \(phase) failed: \(error)") }
        if let peer {
            if peer["error"] != nil { print("  TRL peer failed: \(peer)") } else {
                line("TRL + PEFT LoRA         ", peerSeconds, peerPeak, nil)
            }
        }
        for (key, value) in ratios.sorted(by: { $0.key < $1.key }) { print(String(format: "  %@ %.2f", key, value)) }
    }

    /// One side in this process: load, precompute the reference, one warm-up and `repeats` timed
    /// updates.
    func measure(_ phase: Phase, model path: String, _ inputs: BenchSmolLM2.Batch) throws -> PhaseReport {
        let model = try TransformerLM(directory: URL(fileURLWithPath: path), backend: CPUBackend())
        let pairs = (0..<inputs.prompt.count).map {
            PreferencePair(prompt: inputs.prompt[$0], chosen: inputs.chosen[$0], rejected: inputs.rejected[$0])
        }
        model.checkpointsActivations = phase == .loraCheckpointed
        let policy: any TrainablePolicy
        if phase != .full {
            let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: rank, alpha: Double(rank), seed: 1), for: model)
            try adapter.initialize()
            policy = TransformerPolicy(model: model, generation: GenerationParameters(), adapter: adapter)
        } else {
            policy = model
        }
        // LoRA: the base with the adapter off (the same loaded model); full: the starting model.
        let reference = try ReferenceLogProbs.compute(pairs, reference: model)
        let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw,
                                      learningRate: phase == .full ? 5e-7 : 5e-5, batchSize: pairs.count,
                                      steps: repeats + 1, maxGradNorm: 1.0, evaluationInterval: 0, checkpointInterval: 0)
        var times: [Double] = []
        var first: DPOMetrics?
        var start = DispatchTime.now().uptimeNanoseconds
        _ = try StandardDPOTrainer(configuration: config) { event in
            guard case .step(let m) = event else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            if m.step == 1 { first = m } else { times.append(Double(now - start) / 1e9) }
            start = now
        }.train(policy, pairs: pairs, reference: reference)
        let median = times.sorted()[times.count / 2]
        return PhaseReport(seconds: median, pairs_per_s: Double(pairs.count) / median, peak_rss_mib: PeakMemory.mebibytes(),
                           trainable_parameters: policy.trainableParameters.values.count, first_loss: first?.loss)
    }

    /// A tokenizer.json and tokenizer_config.json for `--tiny`'s model (the TRL peer loads a
    /// tokenizer; the ids are given, so only its pad token matters): a word-level vocabulary of
    /// `vocabulary` tokens `t0`, `t1`, ….
    static func writeTinyTokenizer(to url: URL, vocabulary: Int) throws {
        let vocab = Dictionary(uniqueKeysWithValues: (0..<vocabulary).map { ("t\($0)", $0) })
        let tokenizer: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": [Any](), "normalizer": NSNull(),
            "pre_tokenizer": ["type": "WhitespaceSplit"], "post_processor": NSNull(), "decoder": NSNull(),
            "model": ["type": "WordLevel", "vocab": vocab, "unk_token": "t0"],
        ]
        try AtomicFile.write(JSONSerialization.data(withJSONObject: tokenizer, options: [.sortedKeys]),
                             to: url.appendingPathComponent("tokenizer.json"))
        let config: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "t0", "pad_token": "t0",
                                     "unk_token": "t0", "model_max_length": 128]
        try AtomicFile.write(JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]),
                             to: url.appendingPathComponent("tokenizer_config.json"))
    }

    /// Runs this tool with `arguments` in a child process and decodes its one-line JSON report.
    static func child(_ arguments: [String]) throws -> PhaseReport {
        try runChild(arguments, as: PhaseReport.self)
    }
}
