import ArgumentParser
import DICEKit
import Foundation

/// `dice bench logprobs`: tokens/s of sequence log-probs on the small model (or, with
/// `--shape gemma3`, a Gemma-3-270M-like model), forward and forward+backward, beside the
/// PyTorch peer (Benchmarks/peers/logprobs_torch.py, same shape) when `--python` names an
/// interpreter that has torch and transformers.
struct BenchLogProbs: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "logprobs",
        abstract: "Sequence log-prob throughput on the small model (8 pairs × 2, prompt 64, response 64)."
    )

    /// The benchmark models.
    enum Shape: String, ExpressibleByArgument, CaseIterable {
        /// DESIGN.md's small Llama (V 8192, C 512, I 1536, 8 layers, 8 heads over 4 KV heads).
        case small
        /// Gemma-3-270M's block shape with fewer layers and a small vocabulary: gemma3_text,
        /// V 8192, C 640, I 2048, 6 layers (5 local with window 64, then 1 global), 4 heads over
        /// 1 KV head of size 256, tied.
        case gemma3

        /// The model configuration of the shape.
        func config() throws -> ModelConfig {
            switch self {
            case .small:
                return try ModelConfig(.small)
            case .gemma3:
                return ModelConfig(Gemma3TextConfig(vocabSize: 8192, hiddenSize: 640, intermediateSize: 2048,
                                                    numHiddenLayers: 6, numAttentionHeads: 4, numKeyValueHeads: 1,
                                                    headDim: 256, maxPositionEmbeddings: 2048, slidingWindow: 64))
            }
        }
    }

    @Option(help: "Model shape: small (DESIGN.md's Llama) or gemma3 (Gemma-3-270M-like, 6 layers, V 8192).")
    var shape: Shape = .small

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed repetitions (the best is kept).")
    var repeats = 5

    @Option(help: "Python with torch + transformers, to run the PyTorch peer in the same run.")
    var python: String?

    struct Report: Encodable {
        let backend: String
        let shape: String
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
        let model = try TransformerLM(config: shape.config(), backend: backend)
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
                     arguments: ["--threads", "\(backend.threads)", "--repeats", "\(repeats)", "--shape", shape.rawValue])
        }
        let report = Report(backend: backend.name, shape: shape.rawValue, blas_core: BLASCore.active, threads: backend.threads, sequences: sequences,
                            tokens: tokens, forward_tokens_per_s: Double(tokens) / forward,
                            forward_backward_tokens_per_s: Double(tokens) / both, peer: peer)
        if json {
            try printJSON(report)
        } else {
            print("sequence log-probs, \(shape.rawValue) model, \(sequences) sequences × \(prompt + response) tokens, \(backend.threads) threads")
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
