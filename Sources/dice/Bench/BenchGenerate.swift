import ArgumentParser
import DICEKit
import Foundation

/// `dice bench generate`: generated tokens/s on DESIGN.md's sampling shape (small model,
/// 4 prompts × 16 samples × 64 new tokens, prompt 64, no early stop, temperature 0.7, top-p
/// 0.9), beside transformers' `generate` (Benchmarks/peers/generate_torch.py) when `--python`
/// names an interpreter that has torch and transformers.
struct BenchGenerate: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sampling throughput on the small model (4 prompts × 16 samples × 64 new tokens, prompt 64)."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed repetitions on each side (the best is kept).")
    var repeats = 3

    @Option(help: "Python with torch + transformers, to run the transformers peer in the same run.")
    var python: String?

    struct Report: Encodable {
        let backend: String
        let blas_core: String
        let threads: Int
        let prompts: Int
        let samples: Int
        let prompt_tokens: Int
        let new_tokens: Int
        let generated_tokens: Int
        let seconds: Double
        let tokens_per_s: Double
        let peer: [String: JSONValue]?
    }

    func run() throws {
        let backend = try backendOptions.makeBackend()
        let model = try TransformerLM(spec: .small, backend: backend)
        try model.initializeRandomly(seed: 0)
        let prompts = 4, samples = 16, promptLength = 64, newTokens = 64
        var rng = SplitMix64(seed: 3)
        let ids = (0..<prompts).map { _ in (0..<promptLength).map { _ in Int(rng.next() % 8192) } }
        let parameters = GenerationParameters(
            samplesPerPrompt: samples, maxNewTokens: newTokens,
            sampling: SamplingParameters(temperature: 0.7, topP: 0.9), stopTokenIDs: [], seed: 0,
            batchSize: prompts * samples)
        let generator = try Generator(model: model, parameters: parameters)
        var generated = 0
        let seconds = try Stopwatch.best(repeats: repeats) {
            generated = try generator.generate(prompts: ids).joined().reduce(0) { $0 + $1.ids.count }
        }
        let peer = python.map {
            Peer.run(python: $0, script: Peer.script("generate_torch.py"),
                     arguments: ["--threads", "\(backend.threads)", "--repeats", "\(repeats)"])
        }
        let report = Report(backend: backend.name, blas_core: BLASCore.active, threads: backend.threads,
                            prompts: prompts, samples: samples, prompt_tokens: promptLength,
                            new_tokens: newTokens, generated_tokens: generated, seconds: seconds,
                            tokens_per_s: Double(generated) / seconds, peer: peer)
        if json {
            try printJSON(report)
            return
        }
        print("sampling, small model, \(prompts) prompts × \(samples) samples × \(newTokens) new tokens (prompt \(promptLength)), T 0.7, top-p 0.9, \(backend.threads) threads")
        print(String(format: "  DICEKit       %8.0f tokens/s  (%.2f s)", report.tokens_per_s, seconds))
        guard let peer else { return }
        if let t = peer["tokens_per_s"]?.number, let s = peer["seconds"]?.number {
            print(String(format: "  transformers  %8.0f tokens/s  (%.2f s)", t, s))
            print(String(format: "  ratio         %8.2f×", report.tokens_per_s / t))
        } else {
            print("  transformers peer failed: \(peer)")
        }
    }
}
