import ArgumentParser
import DICEKit
import Foundation

/// `dice bench smollm2`: DICEKit on a real model, SmolLM2-135M-Instruct (a converted directory or
/// its .gguf), beside TRL and transformers on the same weights in the same run
/// (Benchmarks/peers/smollm2_trl.py):
///
/// - a DPO step: 2 pairs, prompt 64 + chosen 64 / rejected 64 tokens (seeded random ids), fp32,
///   sigmoid loss β 0.1, AdamW (lr 5e-7, no weight decay), clip 1.0, reference log-probs
///   precomputed by the starting model itself (TRL: `precompute_ref_log_probs=True`, no
///   `ref_model`), through `StandardDPOTrainer` and TRL's `DPOTrainer`;
/// - K = 16 sampling: 1 chat prompt × 16 samples × 32 new tokens (no early stop), temperature
///   0.7, top-p 0.9, through `Generator` and transformers' `generate`.
///
/// Each phase of each side runs in its own process, so each peak memory (VmHWM: the process's
/// resident high-water mark, model loading included) is that phase's alone. Step time and
/// sampling time are the best of `repeats` after a warm-up.
struct BenchSmolLM2: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smollm2",
        abstract: "DPO step (2 pairs × 128 tokens) and K = 16 sampling on SmolLM2-135M-Instruct, beside TRL and transformers."
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case dpo, generate
    }

    @Option(help: "SmolLM2-135M-Instruct: a model directory (from `dice convert`) or its .gguf.")
    var model: String

    @Option(help: "Python with torch, transformers and trl, to run the peers in the same run.")
    var python: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed repetitions of each phase (the best is kept).")
    var repeats = 3

    @Option(help: .hidden)
    var phase: Phase?

    @Option(help: .hidden)
    var batch: String?

    static let pairs = 2, promptLength = 64, responseLength = 64
    static let samples = 16, newTokens = 32
    static let chatPrompt = "Give me three tips for staying focused while studying."

    /// The shared inputs of both sides, written to batch.json for the peers.
    struct Batch: Codable {
        var prompt: [[Int]]
        var chosen: [[Int]]
        var rejected: [[Int]]
        var generation_prompt: [Int]
    }

    /// What one phase measured, in one process.
    struct PhaseReport: Codable {
        var seconds: Double
        var peak_rss_mib: Double
        var pairs_per_s: Double?
        var tokens_per_s: Double
        var first_loss: Double?
        var first_grad_norm: Double?
    }

    struct Report: Encodable {
        let model: String
        let threads: Int
        let blas_core: String
        let dpo: PhaseReport?
        let generate: PhaseReport?
        let dpo_error: String?
        let generate_error: String?
        let peer: [String: JSONValue]?
        let peer_generate: [String: JSONValue]?
    }

    func run() throws {
        if let phase {
            guard let batch else { throw ValidationError("--phase needs --batch") }
            let inputs = try JSONDecoder().decode(Batch.self, from: Data(contentsOf: URL(fileURLWithPath: batch)))
            try printJSON(phase == .dpo ? try dpoPhase(inputs) : try generatePhase(inputs))
            return
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dice-bench-smollm2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let modelURL = URL(fileURLWithPath: model)
        let tokenizer = try Tokenizer(directory: modelURL)
        var rng = SplitMix64(seed: 3)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(tokenizer.vocabularySize)) } }
        let rendered = try tokenizer.applyChatTemplate([.user(Self.chatPrompt)], addGenerationPrompt: true)
        let inputs = Batch(prompt: (0..<Self.pairs).map { _ in ids(Self.promptLength) },
                           chosen: (0..<Self.pairs).map { _ in ids(Self.responseLength) },
                           rejected: (0..<Self.pairs).map { _ in ids(Self.responseLength) },
                           generation_prompt: tokenizer.encode(rendered))
        let batchURL = folder.appendingPathComponent("batch.json")
        try AtomicFile.write(try JSONEncoder().encode(inputs), to: batchURL)

        var results: [Phase: Result<PhaseReport, Error>] = [:]
        for phase in Phase.allCases {
            results[phase] = Result {
                try Self.child(["bench", "smollm2", "--model", model, "--phase", phase.rawValue,
                                "--batch", batchURL.path, "--repeats", "\(repeats)"])
            }
        }
        // The peers need a model directory (transformers reads the .gguf only with `gguf` installed).
        var peerModel = model
        if python != nil, GGUFFile.isGGUF(modelURL) {
            let converted = folder.appendingPathComponent("model")
            let gguf = try GGUFFile(contentsOf: modelURL)
            try gguf.modelDirectory().write(to: converted)
            let files = try gguf.tokenizerFiles()
            try AtomicFile.write(files.tokenizerJSON, to: converted.appendingPathComponent("tokenizer.json"))
            try AtomicFile.write(files.tokenizerConfig, to: converted.appendingPathComponent("tokenizer_config.json"))
            peerModel = converted.path
        }
        let threads = CPUBackend().threads
        func peer(_ phase: Phase) -> [String: JSONValue]? {
            python.map {
                Peer.run(python: $0, script: Peer.script("smollm2_trl.py"),
                         arguments: ["--phase", phase.rawValue, "--model", peerModel, "--batch", batchURL.path,
                                     "--threads", "\(threads)", "--repeats", "\(repeats)",
                                     "--work", folder.appendingPathComponent("trl-\(phase.rawValue)").path])
            }
        }
        let dpoPeer = peer(.dpo), generatePeer = peer(.generate)
        func value(_ p: Phase) -> PhaseReport? { try? results[p]?.get() }
        func failure(_ p: Phase) -> String? {
            if case .failure(let e) = results[p] { return "\(e)" }
            return nil
        }
        let report = Report(model: model, threads: threads, blas_core: BLASCore.active, dpo: value(.dpo),
                            generate: value(.generate), dpo_error: failure(.dpo), generate_error: failure(.generate),
                            peer: dpoPeer, peer_generate: generatePeer)
        if json {
            try printJSON(report)
            return
        }
        print("SmolLM2-135M-Instruct (\(model)), fp32, \(threads) threads; each phase in its own process, peak = VmHWM")
        print("DPO step: \(Self.pairs) pairs × (prompt \(Self.promptLength) + response \(Self.responseLength)), AdamW, clip 1.0, reference log-probs precomputed")
        func dpoLine(_ name: String, _ s: Double?, _ loss: Double?, _ norm: Double?, _ peak: Double?) {
            guard let s, let peak else { return print("  \(name)  (no result)") }
            print(String(format: "  %@  %6.2f s/step  %7.0f tokens/s  peak %6.0f MiB  first step: loss %.6f grad_norm %.4f",
                         name, s, Double(2 * Self.pairs * (Self.promptLength + Self.responseLength)) / s, peak,
                         loss ?? .nan, norm ?? .nan))
        }
        dpoLine("DICEKit", report.dpo?.seconds, report.dpo?.first_loss, report.dpo?.first_grad_norm, report.dpo?.peak_rss_mib)
        if let e = report.dpo_error { print("  DICEKit failed: \(e)") }
        if let p = dpoPeer {
            if p["error"] != nil { print("  TRL peer failed: \(p)") } else {
                dpoLine("TRL    ", p["seconds"]?.number, p["first_loss"]?.number, p["first_grad_norm"]?.number, p["peak_rss_mib"]?.number)
            }
        }
        print("Sampling: 1 prompt × \(Self.samples) samples × \(Self.newTokens) new tokens, T 0.7, top-p 0.9, no early stop")
        func sampleLine(_ name: String, _ t: Double?, _ s: Double?, _ peak: Double?) {
            guard let t, let s, let peak else { return print("  \(name)  (no result)") }
            print(String(format: "  %@  %7.0f tokens/s  (%.2f s)  peak %6.0f MiB", name, t, s, peak))
        }
        sampleLine("DICEKit     ", report.generate?.tokens_per_s, report.generate?.seconds, report.generate?.peak_rss_mib)
        if let e = report.generate_error { print("  DICEKit failed: \(e)") }
        if let p = generatePeer {
            if p["error"] != nil { print("  transformers peer failed: \(p)") } else {
                sampleLine("transformers", p["tokens_per_s"]?.number, p["seconds"]?.number, p["peak_rss_mib"]?.number)
            }
        }
    }

    /// The DPO phase in this process: load, precompute the reference log-probs with the starting
    /// model, then one warm-up and `repeats` timed updates.
    func dpoPhase(_ inputs: Batch) throws -> PhaseReport {
        let model = try TransformerLM(directory: URL(fileURLWithPath: self.model), backend: CPUBackend())
        let pairs = (0..<inputs.prompt.count).map {
            PreferencePair(prompt: inputs.prompt[$0], chosen: inputs.chosen[$0], rejected: inputs.rejected[$0])
        }
        let reference = try ReferenceLogProbs.compute(pairs, reference: model)
        let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw, learningRate: 5e-7,
                                      batchSize: pairs.count, steps: repeats + 1, maxGradNorm: 1.0,
                                      evaluationInterval: 0, checkpointInterval: 0)
        var times: [Double] = []
        var first: DPOMetrics?
        var start = DispatchTime.now().uptimeNanoseconds
        _ = try StandardDPOTrainer(configuration: config) { event in
            guard case .step(let m) = event else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            if m.step == 1 { first = m } else { times.append(Double(now - start) / 1e9) }
            start = now
        }.train(model, pairs: pairs, reference: reference)
        let best = times.min() ?? .infinity
        let tokens = pairs.reduce(0) { $0 + 2 * $1.prompt.count + $1.chosen.count + $1.rejected.count }
        return PhaseReport(seconds: best, peak_rss_mib: PeakMemory.mebibytes(), pairs_per_s: Double(pairs.count) / best,
                           tokens_per_s: Double(tokens) / best, first_loss: first?.loss, first_grad_norm: first?.gradNorm)
    }

    /// The sampling phase in this process: load, one warm-up and `repeats` timed calls.
    func generatePhase(_ inputs: Batch) throws -> PhaseReport {
        let model = try TransformerLM(directory: URL(fileURLWithPath: self.model), backend: CPUBackend())
        let parameters = GenerationParameters(samplesPerPrompt: Self.samples, maxNewTokens: Self.newTokens,
                                              sampling: SamplingParameters(temperature: 0.7, topP: 0.9),
                                              stopTokenIDs: [], seed: 0, batchSize: Self.samples)
        let generator = try Generator(model: model, parameters: parameters)
        var generated = 0
        let seconds = try Stopwatch.best(repeats: repeats) {
            generated = try generator.generate(prompts: [inputs.generation_prompt]).joined().reduce(0) { $0 + $1.ids.count }
        }
        return PhaseReport(seconds: seconds, peak_rss_mib: PeakMemory.mebibytes(), pairs_per_s: nil,
                           tokens_per_s: Double(generated) / seconds, first_loss: nil, first_grad_norm: nil)
    }

    /// Runs this tool with `arguments` in a child process and decodes its one-line JSON report.
    static func child(_ arguments: [String]) throws -> PhaseReport {
        try runChild(arguments, as: PhaseReport.self)
    }
}
