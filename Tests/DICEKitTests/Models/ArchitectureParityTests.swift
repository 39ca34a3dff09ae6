import Foundation
import Testing
@testable import DICEKit

/// The newer architectures against transformers 5 (Scripts/make-arch-fixtures.py): Llama 3 with
/// `llama3` RoPE scaling and an explicit head_dim, Mistral with a sliding window shorter than the
/// sequences, Qwen3 (q/k norms, decoupled head_dim) and Gemma 3 (local and global layers, window
/// 4, scaled global RoPE, query_pre_attn_scalar ≠ head_dim). Logits and log-probs within 1e-5
/// relative of the float64 goldens, every gradient within 1e-4 relative (norm of the error over
/// norm of the golden), transformers' greedy 24 tokens, cached decoding equal to the full
/// forward, and the directory DICEKit writes loading in transformers with identical logits.
@Suite("Architectures vs transformers")
struct ArchitectureParityTests {
    struct Greedy: Decodable {
        let prompt: [Int]
        let tokens: [Int]
    }

    func load(_ name: String) throws -> (TransformerLM, TransformerGoldenTests.Golden, SafeTensorsFile) {
        let dir = Fixtures.model(name)
        let model = try TransformerLM(directory: dir, backend: CPUBackend())
        let golden = try JSONDecoder().decode(TransformerGoldenTests.Golden.self,
                                              from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        let file = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("golden.safetensors"))
        try #require(golden.prompts.count == 3 && golden.responses.count == 3 && golden.weights.count == 3)
        return (model, golden, file)
    }

    @Test(arguments: Fixtures.architectureModelNames)
    func logitsAndLogProbsWithin1e5(_ name: String) throws {
        let (model, golden, file) = try load(name)
        let sequences = zip(golden.prompts, golden.responses).map { $0 + $1 }
        // The window (4) is shorter than every sequence but the second: it must bite.
        #expect(sequences.map(\.count) == [12, 5, 10])
        let logits = try model.logits(sequences)
        try #require(logits.count == 3)
        for (i, got) in logits.enumerated() {
            let want = try file.doubles("logits.\(i)")
            try #require(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-5, "\(name) sequence \(i): max error \(worst)")
        }
        let pairs = zip(golden.prompts, golden.responses).map { TokenPair(prompt: $0, response: $1) }
        let got = try model.logProbs(pairs), want = try file.doubles("logprob")
        try #require(got.count == 3 && want.count == 3)
        for (g, w) in zip(got, want) {
            #expect(abs(g - w) <= 1e-5 * max(1, abs(w)), "\(name): \(g) vs \(w)")
        }
    }

    @Test(arguments: Fixtures.architectureModelNames)
    func everyGradientWithin1e4(_ name: String) throws {
        let (model, golden, file) = try load(name)
        let pairs = zip(golden.prompts, golden.responses).map { TokenPair(prompt: $0, response: $1) }
        try model.parameters.zeroGradients()
        let (_, pullback) = try model.logProbsWithPullback(pairs)
        try pullback(golden.weights)
        let names = file.names.filter { $0.hasPrefix("grad.") }
        #expect(Set(names.map { String($0.dropFirst("grad.".count)) }) == Set(model.parameters.entries.map(\.name)))
        for key in names {
            let param = String(key.dropFirst("grad.".count))
            let want = try file.doubles(key)
            let got = try model.parameters.gradient(model.parameters.entry(param)).toArray()
            try #require(got.count == want.count, "\(name) \(param)")
            let diff = zip(got, want).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
            let norm = want.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(diff <= 1e-4 * max(norm, 1e-6), "\(name) \(param): relative error \(diff / max(norm, 1e-12))")
        }
    }

    @Test(arguments: Fixtures.architectureModelNames)
    func greedy24TokensEqualTransformers(_ name: String) throws {
        let dir = Fixtures.model(name)
        let golden = try JSONDecoder().decode(Greedy.self, from: Data(contentsOf: dir.appendingPathComponent("greedy.json")))
        #expect(golden.tokens.count == 24)
        let model = try TransformerLM(directory: dir, backend: CPUBackend())
        let parameters = GenerationParameters(maxNewTokens: 24, sampling: .greedy, stopTokenIDs: [])
        let out = try Generator(model: model, parameters: parameters).generate(prompts: [golden.prompt])
        #expect(out.first?.first?.ids == golden.tokens, "\(name)")
    }

    /// Every position of two sequences longer than the window, decoded one token at a time
    /// after a prefill, against the full forward.
    @Test(arguments: Fixtures.architectureModelNames)
    func cachedDecodingEqualsFullForward(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let v = model.spec.vocabularySize
        var rng = SplitMix64(seed: 11)
        let a = (0..<14).map { _ in Int(rng.next() % UInt64(v)) }, b = (0..<11).map { _ in Int(rng.next() % UInt64(v)) }
        let full = try model.logits([a, b])
        let cache = try model.makeCache(slots: 2, capacity: 16)
        let prefill = try model.decode([DecodeSegment(slot: 0, start: 0, tokens: Array(a[0..<6])),
                                        DecodeSegment(slot: 1, start: 0, tokens: Array(b[0..<2]))], cache: cache)
        #expect(DecodingTests.maxError(prefill[0..<v], full[0][(5 * v)..<(6 * v)]) < 1e-5)
        #expect(DecodingTests.maxError(prefill[v..<(2 * v)], full[1][v..<(2 * v)]) < 1e-5)
        for t in 6..<a.count {
            var segments = [DecodeSegment(slot: 0, start: t, tokens: [a[t]])]
            let u = t - 4
            if u < b.count { segments.append(DecodeSegment(slot: 1, start: u, tokens: [b[u]])) }
            let logits = try model.decode(segments, cache: cache)
            let e = DecodingTests.maxError(logits[0..<v], full[0][(t * v)..<((t + 1) * v)])
            #expect(e < 1e-5, "\(name) a position \(t): \(e)")
            if u < b.count {
                let e = DecodingTests.maxError(logits[v..<(2 * v)], full[1][(u * v)..<((u + 1) * v)])
                #expect(e < 1e-5, "\(name) b position \(u): \(e)")
            }
        }
    }

    /// DICEKit's written directory (F32) loads in transformers with max |Δlogit| = 0 against the
    /// fixture, checked by Scripts/make-arch-fixtures.py --check-dicekit-dir; skipped with the
    /// reason when /tmp/venv (or DICEKIT_PYTHON) has no transformers.
    @Test(.enabled(if: Self.python != nil, "no Python with torch and transformers (set DICEKIT_PYTHON, or make /tmp/venv)"),
          arguments: Fixtures.architectureModelNames)
    func writtenDirectoryLoadsInTransformersWithIdenticalLogits(_ name: String) throws {
        let python = try #require(Self.python)
        let scratch = try ScratchFolder("arch-parity")
        defer { scratch.remove() }
        let out = scratch.file(name)
        try ModelDirectory.read(from: Fixtures.model(name)).write(to: out)
        let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/make-arch-fixtures.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--check-dicekit-dir", out.path, "--reference", Fixtures.model(name).path,
                             "--tolerance", "0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(name): \(output.suffix(600))")
    }

    /// DICEKIT_PYTHON, else /tmp/venv/bin/python: the first that imports transformers.
    static let python: String? = TransformersPython.url?.path
}
