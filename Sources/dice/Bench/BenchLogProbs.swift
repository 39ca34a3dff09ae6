import ArgumentParser
import DICEKit
import Foundation

/// `dice bench logprobs`: tokens/s of sequence log-probs on the small model, forward and
/// forward+backward, beside the PyTorch peer (Benchmarks/peers/logprobs_torch.py) when
/// `--python` names an interpreter that has torch and transformers.
struct BenchLogProbs: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "logprobs",
        abstract: "Sequence log-prob throughput on the small model (8 pairs × 2, prompt 64, response 64)."
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed repetitions (the best is kept).")
    var repeats = 5

    @Option(help: "Python with torch + transformers, to run the PyTorch peer in the same run.")
    var python: String?

    struct Report: Encodable {
        let backend: String
        let blas_core: String
        let threads: Int
        let sequences: Int
        let tokens: Int
        let forward_tokens_per_s: Double
        let forward_backward_tokens_per_s: Double
        let peer: [String: JSONValue]?
    }

    func run() throws {
        let backend = try backendOptions.makeBackend()
        let model = try TransformerLM(spec: .small, backend: backend)
        try model.initializeRandomly(seed: 0)
        var rng = SplitMix64(seed: 3)
        let sequences = 16, prompt = 64, response = 64
        let batch = (0..<sequences).map { _ in
            TokenPair(prompt: (0..<prompt).map { _ in Int(rng.next() % 8192) },
                      response: (0..<response).map { _ in Int(rng.next() % 8192) })
        }
        let tokens = sequences * (prompt + response)
        let forward = try Stopwatch.best(repeats: repeats) { _ = try model.logProbs(batch) }
        try model.parameters.zeroGradients()
        let both = try Stopwatch.best(repeats: repeats) {
            try model.parameters.zeroGradients()
            let (values, pullback) = try model.logProbsWithPullback(batch)
            try pullback([Double](repeating: 1, count: values.count))
        }
        let peer = python.map {
            Peer.run(python: $0, script: Peer.script("logprobs_torch.py"),
                     arguments: ["--threads", "\(backend.threads)", "--repeats", "\(repeats)"])
        }
        let report = Report(backend: backend.name, blas_core: BLASCore.active, threads: backend.threads, sequences: sequences,
                            tokens: tokens, forward_tokens_per_s: Double(tokens) / forward,
                            forward_backward_tokens_per_s: Double(tokens) / both, peer: peer)
        if json {
            try printJSON(report)
        } else {
            print("sequence log-probs, small model, \(sequences) sequences × \(prompt + response) tokens, \(backend.threads) threads")
            print(String(format: "  DICEKit  forward %8.0f tokens/s   forward+backward %8.0f tokens/s",
                         report.forward_tokens_per_s, report.forward_backward_tokens_per_s))
            if let peer {
                if let f = peer["forward_tokens_per_s"]?.number, let fb = peer["forward_backward_tokens_per_s"]?.number {
                    print(String(format: "  PyTorch  forward %8.0f tokens/s   forward+backward %8.0f tokens/s", f, fb))
                    print(String(format: "  ratio    forward %8.2f×          forward+backward %8.2f×",
                                 report.forward_tokens_per_s / f, report.forward_backward_tokens_per_s / fb))
                } else {
                    print("  PyTorch peer failed: \(peer)")
                }
            }
        }
    }
}
