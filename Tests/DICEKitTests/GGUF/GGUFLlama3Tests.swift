import Foundation
import Testing
@testable import DICEKit

/// Llama 3's RoPE scaling as llama.cpp stores it — a `rope_freqs.weight` tensor of
/// per-frequency divisors (Scripts/make-arch-fixtures.py computes them with
/// convert_hf_to_gguf.py's formula) — read back as a `llama3` scaling.
@Suite("GGUF Llama 3 RoPE factors")
struct GGUFLlama3Tests {
    struct Case: Decodable, CustomTestStringConvertible {
        var name: String
        var theta: Double
        var head_dim: Int
        var factors: [Float]
        var inverse_frequencies: [Float]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = Fixtures.gguf("llama3-rope-factors.json")
        return (try? JSONDecoder().decode([Case].self, from: Data(contentsOf: url))) ?? []
    }()

    @Test func fixturesPresent() { #expect(Self.cases.count == 4) }

    /// The scaling read from the factors gives transformers' llama3 inverse frequencies
    /// (`_compute_llama3_parameters` with the original settings) within float rounding.
    @Test(arguments: cases)
    func factorsGiveTransformersFrequencies(_ c: Case) throws {
        let scaling = try RotaryEmbedding.Scaling(llamaCppFactors: c.factors, theta: c.theta, headSize: c.head_dim)
        guard case .llama3 = scaling else {
            Issue.record("\(c.name): \(scaling), expected llama3")
            return
        }
        let got = RotaryEmbedding(theta: c.theta, scaling: scaling).inverseFrequencies(headSize: c.head_dim)
        #expect(got.count == c.inverse_frequencies.count)
        for (g, w) in zip(got, c.inverse_frequencies) {
            #expect(abs(g - w) <= 2e-6 * w, "\(c.name): \(g) vs \(w)")
        }
    }

    @Test func unscaledAndLinearFactors() throws {
        #expect(try RotaryEmbedding.Scaling(llamaCppFactors: [1, 1, 1, 1], theta: 10000, headSize: 8) == .unscaled)
        #expect(try RotaryEmbedding.Scaling(llamaCppFactors: [2, 2, 2, 2], theta: 10000, headSize: 8) == .linear(factor: 2))
    }

    /// Factors that no Llama 3 scaling gives, or of the wrong count, are refused with the reason.
    @Test(arguments: [
        [Float](arrayLiteral: 1, 8, 1, 8), [1, 3, 2, 8], [1, 1, 1], [1, .nan, 8, 8], [0.5, 1, 1, 1],
    ])
    func otherFactorsAreRefused(_ factors: [Float]) {
        #expect(throws: RotaryEmbedding.Scaling.FactorsMismatch.self) {
            _ = try RotaryEmbedding.Scaling(llamaCppFactors: factors, theta: 10000, headSize: 8)
        }
    }

    /// A Llama 3 GGUF as llama.cpp writes it (Q/K permuted, rope_freqs.weight) loads as the Hugging
    /// Face llama3-scaled fixture: same config (its llama3 scaling read from the factors), the
    /// transformers golden logits within 1e-5 relative.
    @Test func ggufLoadsAsTheHuggingFaceModel() throws {
        let gguf = try ModelDirectory.read(from: Fixtures.gguf("tiny-llama3.gguf"))
        guard case .llama3(let factor, _, _, _) = try #require(gguf.config.architecture as? LlamaConfig).ropeScaling else {
            Issue.record("expected llama3 scaling")
            return
        }
        #expect(factor == 8)
        #expect(gguf.ignoredTensors == ["rope_freqs.weight"])
        let dir = Fixtures.model("llama3-scaled")
        let golden = try JSONDecoder().decode(TransformerGoldenTests.Golden.self,
                                              from: Data(contentsOf: dir.appendingPathComponent("golden.json")))
        let file = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("golden.safetensors"))
        let sequences = zip(golden.prompts, golden.responses).map { $0 + $1 }
        let logits = try TransformerLM(gguf, backend: CPUBackend()).logits(sequences)
        for (i, got) in logits.enumerated() {
            let want = try file.doubles("logits.\(i)")
            try #require(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-5, "sequence \(i): max error \(worst)")
        }
    }
}
