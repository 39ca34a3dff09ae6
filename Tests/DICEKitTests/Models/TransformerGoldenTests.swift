import Foundation
import Testing
@testable import DICEKit

/// The transformer against PyTorch (transformers, float64) on the three fixture models:
/// logits and sequence log-probs within 1e-4, gradients within 1e-3 relative.
/// Fixtures: Scripts/make_fixtures.py → Tests/Fixtures/models/<name>/.
@Suite("Transformer vs PyTorch goldens")
struct TransformerGoldenTests {
    struct Golden: Decodable {
        let prompts: [[Int]]
        let responses: [[Int]]
        let weights: [Double]
    }

    static let models = ["llama-gqa-tied", "qwen2-bias", "gpt2"]

    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/models/\(name)")
    }

    func load(_ name: String) throws -> (TransformerLM, Golden, SafeTensorsFile) {
        let dir = Self.fixture(name)
        let model = try TransformerLM(directory: dir, backend: CPUBackend())
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        let file = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("golden.safetensors"))
        // Every sequence of the golden file is checked: none may be silently dropped by a zip.
        #expect(golden.prompts.count == 3 && golden.responses.count == 3 && golden.weights.count == 3,
                "\(name): the golden file holds \(golden.prompts.count) prompts, \(golden.responses.count) responses")
        return (model, golden, file)
    }

    @Test(arguments: models)
    func logitsMatch(_ name: String) throws {
        let (model, golden, file) = try load(name)
        let sequences = zip(golden.prompts, golden.responses).map { $0 + $1 }
        let logits = try model.logits(sequences)
        #expect(logits.count == sequences.count && file.names.filter { $0.hasPrefix("logits.") }.count == sequences.count)
        for (i, got) in logits.enumerated() {
            let want = try file.doubles("logits.\(i)")
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-4, "\(name) sequence \(i): max error \(worst)")
        }
    }

    @Test(arguments: models)
    func sequenceLogProbsMatch(_ name: String) throws {
        let (model, golden, file) = try load(name)
        let pairs = zip(golden.prompts, golden.responses).map { TokenPair(prompt: $0, response: $1) }
        let got = try model.logProbs(pairs)
        let want = try file.doubles("logprob")
        #expect(got.count == pairs.count && want.count == pairs.count)
        for (g, w) in zip(got, want) {
            #expect(abs(g - w) <= 1e-4 * max(1, abs(w)), "\(name): \(g) vs \(w)")
        }
    }

    @Test(arguments: models)
    func gradientsMatch(_ name: String) throws {
        let (model, golden, file) = try load(name)
        let pairs = zip(golden.prompts, golden.responses).map { TokenPair(prompt: $0, response: $1) }
        try model.parameters.zeroGradients()
        let (_, pullback) = try model.logProbsWithPullback(pairs)
        try pullback(golden.weights)
        let names = file.names.filter { $0.hasPrefix("grad.") }
        // A golden gradient for every weight.
        #expect(Set(names.map { String($0.dropFirst("grad.".count)) }) == Set(model.parameters.entries.map(\.name)))
        for key in names {
            let param = String(key.dropFirst("grad.".count))
            let want = try file.doubles(key)
            let got = try model.parameters.gradient(model.parameters.entry(param)).toArray()
            #expect(got.count == want.count, "\(name) \(param)")
            let diff = zip(got, want).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
            let norm = want.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            #expect(diff <= 1e-3 * max(norm, 1e-6), "\(name) \(param): relative error \(diff / max(norm, 1e-12))")
        }
    }
}
