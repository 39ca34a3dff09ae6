import ArgumentParser
import DICEKit
import Foundation

/// `dice bench sample`: sampling on a real model (SmolLM2-135M-Instruct: a model directory)
/// with Float32 and with bfloat16 matrix products side by side: `prompts` seeded random
/// prompts of 32 tokens × `samples` samples × `new-tokens` new tokens (no early stop),
/// temperature 0.7, top-p 0.9, all sequences decoded as one batch. Both models are loaded once;
/// the timed generations alternate fp32, bf16, fp32, … (after one untimed warm-up each), so
/// that both sample the same minutes of a shared machine; each side reports its median.
struct BenchSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sampling (16 prompts × K 8 × 128 new tokens) on a model directory, fp32 beside bf16."
    )

    @Option(help: "A model directory (e.g. SmolLM2-135M-Instruct from `dice convert`).")
    var model: String

    @Option(parsing: .unconditional, help: "CPU compute threads (default: every core).")
    var threads: Int?

    @Option(help: "Prompts (32 seeded random tokens each).")
    var prompts = 16

    @Option(help: "Samples per prompt (K).")
    var samples = 8

    @Option(help: "New tokens per sample (no early stop).")
    var newTokens = 128

    @Option(help: "Timed generations per side (the median is kept).")
    var repeats = 3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    struct Report: Encodable {
        let threads: Int
        let prompts: Int
        let samples: Int
        let new_tokens: Int
        let generated_tokens: Int
        let fp32_seconds: [Double]
        let bf16_seconds: [Double]
        let fp32_tokens_per_s: Double
        let bf16_tokens_per_s: Double
        let speedup: Double
        let bf16_kernels: String
        let host_steal_percent: Double?
    }

    func run() throws {
        try reportingErrors {
            guard prompts >= 1, samples >= 1, newTokens >= 1, repeats >= 1 else {
                throw ValidationError("--prompts, --samples, --new-tokens and --repeats must be ≥ 1")
            }
            let url = URL(fileURLWithPath: model)
            let fp32 = CPUBackend(threads: threads), bf16 = CPUBackend(threads: threads, dtype: .bf16)
            if !CPUBackend.nativeBF16, let notice = bf16.bf16Kernels { warn("notice: " + notice) }
            // Sampling only: both frozen (the bf16 one's weights bfloat16 only, as `dice eval` loads them).
            let models = [try TransformerLM(directory: url, backend: fp32, trainable: false),
                          try TransformerLM(directory: url, backend: bf16, trainable: false)]
            var rng = SplitMix64(seed: 3)
            let vocabulary = UInt64(models[0].spec.vocabularySize)
            let ids = (0..<prompts).map { _ in (0..<32).map { _ in Int(rng.next() % vocabulary) } }
            let parameters = GenerationParameters(
                samplesPerPrompt: samples, maxNewTokens: newTokens,
                sampling: SamplingParameters(temperature: 0.7, topP: 0.9), stopTokenIDs: [], seed: 0,
                batchSize: prompts * samples)
            let generators = try models.map { try Generator(model: $0, parameters: parameters) }
            var generated = 0
            for g in generators { generated = try g.generate(prompts: ids).joined().reduce(0) { $0 + $1.ids.count } }
            let steal = StealMeter()
            var seconds: [[Double]] = [[], []]
            for _ in 0..<repeats {
                for (side, g) in generators.enumerated() {
                    Thread.sleep(forTimeInterval: 0.25)
                    seconds[side].append(try Stopwatch.seconds { _ = try g.generate(prompts: ids) })
                }
            }
            func median(_ x: [Double]) -> Double {
                let s = x.sorted()
                return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            }
            let rates = seconds.map { Double(generated) / median($0) }
            let report = Report(threads: fp32.threads, prompts: prompts, samples: samples, new_tokens: newTokens,
                                generated_tokens: generated, fp32_seconds: seconds[0], bf16_seconds: seconds[1],
                                fp32_tokens_per_s: rates[0], bf16_tokens_per_s: rates[1], speedup: rates[1] / rates[0],
                                bf16_kernels: bf16.bf16Kernels ?? "", host_steal_percent: steal.percent)
            if json {
                try printJSON(report)
                return
            }
            print("sampling, \(url.lastPathComponent), \(prompts) prompts × \(samples) samples × \(newTokens) new tokens (prompt 32), T 0.7, top-p 0.9, \(fp32.threads) threads; medians of \(repeats), alternated")
            print(String(format: "  fp32  %8.1f tokens/s", rates[0]))
            print(String(format: "  bf16  %8.1f tokens/s", rates[1]) + "  (\(report.bf16_kernels))")
            print(String(format: "  bf16 / fp32  %.2f×", report.speedup))
            if let stolen = report.host_steal_percent {
                print(String(format: "  host steal %.1f%% of CPU time while the generations ran", stolen))
            }
        }
    }
}
