import ArgumentParser
import DICEKit
import Foundation

/// `dice plan`: the predicted peak memory of a DPO update, of DICE's scoring and of K-sample
/// generation, by component (`MemoryPlan`), from a model's config.json alone.
///
/// `--measure` checks the prediction here: each phase runs in its own child process on a model
/// of the same configuration with random weights (the weights on disk are not read), and its
/// peak resident memory (VmHWM) is printed beside the prediction; under `--dtype bf16` on a
/// `.bf16` CPU backend, with the scoring and sampling models frozen (bfloat16 weights only) and
/// the trained one keeping Float32 masters. With `--lora-rank` every model is a frozen base (under
/// bf16 held in bfloat16 only) with rank-r adapters on every projection: DPO trains one adapter,
/// scoring runs two adapter sets over the one base, sampling runs one.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Predict peak memory (weights, adapters, gradients, optimizer, activations, KV cache, logits) of DPO, scoring and sampling from config.json.",
        discussion: """
        dpo: one update of --batch-size pairs, each a prompt of --prompt-length tokens (default half \
        of --max-length) with a chosen and a rejected response of the rest, AdamW, reference log-probs \
        precomputed. scoring: log-probs of --batch-size sequences of --max-length tokens under two models \
        (DICE's implicit reward). sampling: --samples responses to each of --batch-size prompts in one batch. \
        Documentation/Memory.md derives every term.
        """
    )

    @Option(help: "A model folder (its config.json is read, nothing else) or a config.json file.") var model: String
    @Option(parsing: .unconditional, help: "B: pairs per DPO update, sequences per scoring pass, prompts per sampling batch.") var batchSize: Int
    @Option(parsing: .unconditional, help: "L: tokens per sequence, prompt + response.") var maxLength: Int
    @Option(parsing: .unconditional, help: "P: prompt tokens (default L/2).") var promptLength: Int?
    @Option(parsing: .unconditional, help: "K: samples per prompt when sampling.") var samples = 1
    @Option(parsing: .unconditional, help: "LoRA rank on every attention and MLP projection (default: full fine-tuning).") var loraRank: Int?
    @Option(help: "Weight storage: fp32 | bf16.") var dtype = "fp32"
    @Flag(help: "Plan DPO with activation checkpointing.") var checkpointActivations = false
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Also run each phase in a child process (random weights) and report its measured peak.") var measure = false
    @Option(help: .hidden) var measurePhase: Phase?

    /// The phases of a plan.
    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case dpo, scoring, sampling
    }

    /// The JSON report: bytes by component, the total, and the measured peak where measured.
    struct Report: Encodable {
        struct PhaseBytes: Encodable {
            let weights, adapters, gradients, optimizer, activations, kv_cache, logits, runtime, total: Double
            let measured_peak: Double?
        }
        let model: String
        let model_type: String
        let parameters: Double
        let settings: MemoryPlan.Settings
        let dpo: PhaseBytes
        let scoring: PhaseBytes
        let sampling: PhaseBytes
    }

    func run() throws {
        try reportingErrors {
            let config = try loadConfig()
            guard let weightType = MemoryPlan.WeightType(rawValue: dtype.lowercased()) else {
                throw ValidationError("--dtype \(dtype): expected fp32 or bf16")
            }
            let settings = MemoryPlan.Settings(batchSize: batchSize, maxLength: maxLength, promptLength: promptLength,
                                               samples: samples, loraRank: loraRank, weightType: weightType,
                                               checkpointActivations: checkpointActivations)
            let plan: MemoryPlan
            do {
                plan = try MemoryPlan(config: config, settings: settings)
            } catch let e as MemoryPlan.InvalidSetting {
                let flags = ["batchSize": "--batch-size", "maxLength": "--max-length", "promptLength": "--prompt-length",
                             "samples": "--samples", "loraRank": "--lora-rank"]
                throw ValidationError("\(flags[e.name] ?? e.name) \(e.value): expected \(e.expected)")
            }
            if let measurePhase {
                try printJSON(["peak_bytes": try Self.runPhase(measurePhase, config: config, settings: settings)])
                return
            }
            var measured: [Phase: Double] = [:]
            if measure {
                for phase in Phase.allCases {
                    measured[phase] = try Self.child(CommandLine.arguments.dropFirst().filter { $0 != "--measure" && $0 != "--json" }
                                                     + ["--measure-phase", phase.rawValue])
                }
            }
            let parameters = config.expectedWeights().reduce(0.0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
            if json {
                func bytes(_ p: MemoryPlan.Phase, _ phase: Phase) -> Report.PhaseBytes {
                    .init(weights: p.weights, adapters: p.adapters, gradients: p.gradients, optimizer: p.optimizer,
                          activations: p.activations, kv_cache: p.kvCache, logits: p.logits, runtime: p.runtime,
                          total: p.total, measured_peak: measured[phase])
                }
                try printJSON(Report(model: model, model_type: config.spec.modelType, parameters: parameters, settings: settings,
                                     dpo: bytes(plan.dpo, .dpo), scoring: bytes(plan.scoring, .scoring),
                                     sampling: bytes(plan.sampling, .sampling)))
                return
            }
            print(Self.table(plan, config: config, parameters: parameters, measured: measured))
        }
    }

    /// config.json of `--model` (a folder or the file itself).
    private func loadConfig() throws -> ModelConfig {
        var url = URL(fileURLWithPath: model)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            url = url.appendingPathComponent(ModelDirectory.configFile)
        }
        return try ModelConfig.load(contentsOf: url)
    }

    /// The human table: one column per phase, one row per component, in binary units.
    static func table(_ plan: MemoryPlan, config: ModelConfig, parameters: Double, measured: [Phase: Double]) -> String {
        let s = plan.settings
        let spec = config.spec
        var lines = [
            String(format: "%@ (%.1f M parameters), %@ weights%@%@", spec.modelType, parameters / 1e6, s.weightType.rawValue,
                   s.loraRank.map { ", LoRA rank \($0) on all projections" } ?? ", full fine-tuning",
                   s.checkpointActivations ? ", activation checkpointing" : ""),
            "dpo: \(s.batchSize) pairs × (prompt \(s.promptLength) + chosen/rejected \(s.maxLength - s.promptLength)); "
                + "scoring: \(s.batchSize) × \(s.maxLength) tokens, two models; sampling: \(s.batchSize) prompts × \(s.samples) samples × \(s.maxLength - s.promptLength) new tokens",
            "",
            "component        dpo         scoring     sampling",
        ]
        let phases = [plan.dpo, plan.scoring, plan.sampling]
        let rows: [(String, (MemoryPlan.Phase) -> Double)] = [
            ("weights", \.weights), ("adapters", \.adapters), ("gradients", \.gradients), ("optimizer", \.optimizer),
            ("activations", \.activations), ("KV cache", \.kvCache), ("logits", \.logits), ("runtime", \.runtime),
            ("total", \.total),
        ]
        func cell(_ bytes: Double) -> String {
            GenerationMemoryEstimate.format(bytes).padding(toLength: 12, withPad: " ", startingAt: 0)
        }
        for (name, value) in rows {
            lines.append(name.padding(toLength: 17, withPad: " ", startingAt: 0) + phases.map { cell(value($0)) }.joined())
        }
        if !measured.isEmpty {
            let all = Phase.allCases
            lines.append("measured peak    " + all.map { measured[$0].map(cell) ?? cell(.nan) }.joined())
            lines.append("prediction error " + zip(all, phases).map { phase, p in
                measured[phase].map { String(format: "%+.1f%%", 100 * (p.total - $0) / $0).padding(toLength: 12, withPad: " ", startingAt: 0) } ?? ""
            }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// Runs this tool with `arguments` in a child process; its peak resident bytes.
    static func child(_ arguments: [String]) throws -> Double {
        guard let peak = try runChild(arguments, as: [String: Double].self)["peak_bytes"] else {
            throw ValidationError("`dice \(arguments.joined(separator: " "))` reported no peak")
        }
        return peak
    }

    /// Runs `phase` of the plan in this process on random weights (seeded) and returns its
    /// peak resident bytes (VmHWM). The models that only score or sample are frozen, and so is
    /// a LoRA base; its adapters (alpha = rank, seeded) start as PEFT's, B = 0.
    static func runPhase(_ phase: Phase, config: ModelConfig, settings s: MemoryPlan.Settings) throws -> Double {
        let backend = CPUBackend(dtype: s.weightType == .bf16 ? .bf16 : .fp32)
        var rng = SplitMix64(seed: 7)
        let vocabulary = UInt64(config.spec.vocabularySize)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % vocabulary) } }
        func model(seed: UInt64) throws -> TransformerLM {
            let m = try TransformerLM(config: config, backend: backend, trainable: phase == .dpo && s.loraRank == nil)
            try m.initializeRandomly(seed: seed)
            return m
        }
        // A new adapter over `m` (nil without LoRA).
        func adapter(_ m: TransformerLM, seed: UInt64) throws -> LoRAAdapter? {
            guard let rank = s.loraRank else { return nil }
            let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: rank, alpha: Double(rank), seed: seed), for: m)
            try adapter.initialize()
            return adapter
        }
        let p = s.promptLength, r = s.maxLength - s.promptLength
        switch phase {
        case .dpo:
            let base = try model(seed: 0)
            base.checkpointsActivations = s.checkpointActivations
            let policy: any TrainablePolicy = try adapter(base, seed: 1)
                .map { TransformerPolicy(model: base, generation: GenerationParameters(), adapter: $0) } ?? base
            let pairs = (0..<s.batchSize).map { _ in PreferencePair(prompt: ids(p), chosen: ids(r), rejected: ids(r)) }
            let zeros = [Double](repeating: 0, count: pairs.count)
            let configuration = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .adamw,
                                                 learningRate: 5e-7, batchSize: s.batchSize, steps: 2, maxGradNorm: 1.0,
                                                 evaluationInterval: 0, checkpointInterval: 0)
            _ = try StandardDPOTrainer(configuration: configuration)
                .train(policy, pairs: pairs, reference: ReferenceLogProbs(chosen: zeros, rejected: zeros))
        case .scoring:
            // Two models, or (LoRA) two adapter sets over one base.
            let batch = (0..<s.batchSize).map { _ in TokenPair(prompt: ids(p), response: ids(r)) }
            if s.loraRank == nil {
                for m in [try model(seed: 0), try model(seed: 1)] { _ = try m.logProbs(batch) }
            } else {
                let base = try model(seed: 0)
                for a in [try adapter(base, seed: 1), try adapter(base, seed: 2)] { _ = try base.withAdapter(a) { try base.logProbs(batch) } }
            }
        case .sampling:
            let m = try model(seed: 0)
            let parameters = GenerationParameters(samplesPerPrompt: s.samples, maxNewTokens: r, seed: 1,
                                                  batchSize: s.batchSize * s.samples)
            let prompts = (0..<s.batchSize).map { _ in ids(p) }
            _ = try m.withAdapter(adapter(m, seed: 1)) { try Generator(model: m, parameters: parameters).generate(prompts: prompts) }
        }
        return PeakMemory.mebibytes() * 1_048_576
    }
}
