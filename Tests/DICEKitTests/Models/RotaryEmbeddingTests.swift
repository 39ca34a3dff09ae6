import Foundation
import Testing
@testable import DICEKit

/// RoPE frequencies and their configuration: the scaled inverse frequencies against the
/// formulas of transformers' `_compute_llama3_parameters` / `_compute_linear_scaling_rope_parameters`
/// evaluated in Double (the model goldens of ArchitectureParityTests check the Float32 values
/// end to end), and the errors for unsupported RoPE types, which list the supported ones.
@Suite("Rotary embedding")
struct RotaryEmbeddingTests {
    @Test func defaultFrequenciesAreThetaPowers() {
        let f = RotaryEmbedding(theta: 10000).inverseFrequencies(headSize: 8)
        #expect(f.count == 4)
        for (i, value) in f.enumerated() {
            #expect(abs(Double(value) - pow(10000, -Double(2 * i) / 8)) <= 1e-7 * Double(value))
        }
    }

    @Test func llama3ScalingKeepsHighDividesLowAndBlendsBetween() {
        let base = RotaryEmbedding(theta: 500_000).inverseFrequencies(headSize: 16)
        let scaled = RotaryEmbedding(theta: 500_000, scaling: .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                                                       originalMaxPositions: 64))
            .inverseFrequencies(headSize: 16)
        // Wavelengths 2π/f: below 64/4 kept, above 64/1 divided by 8, between blended.
        for (b, s) in zip(base, scaled) {
            let wavelength = 2 * Double.pi / Double(b)
            if wavelength < 16 {
                #expect(s == b)
            } else if wavelength > 64 {
                #expect(s == b / 8)
            } else {
                let smooth = (64 / wavelength - 1) / 3
                let want = (1 - smooth) * Double(b) / 8 + smooth * Double(b)
                #expect(abs(Double(s) - want) <= 1e-6 * want)
            }
        }
        #expect(Set(scaled.indices.map { base[$0] == scaled[$0] ? 0 : base[$0] / 8 == scaled[$0] ? 1 : 2 }) == [0, 1, 2])
    }

    @Test func linearScalingDividesEveryFrequency() {
        let base = RotaryEmbedding(theta: 10000).inverseFrequencies(headSize: 8)
        let scaled = RotaryEmbedding(theta: 10000, scaling: .linear(factor: 4)).inverseFrequencies(headSize: 8)
        #expect(scaled == base.map { $0 / 4 })
    }

    @Test func unsupportedTypesListTheSupportedOnes() {
        let json = #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2, "rope_parameters": {"rope_type": "yarn", "factor": 4.0, "rope_theta": 10000.0}}"#
        let error = #expect(throws: FormatError.self) { try ModelConfig.decode(Data(json.utf8), path: "/m/config.json") }
        #expect(error == .invalidConfig(path: "/m/config.json", key: "rope_parameters.rope_type",
                                        reason: "RoPE type \"yarn\" is not supported (supported: default, linear, llama3)"))
    }

    @Test func llama3ConfigRoundTripsInBothKeys() throws {
        let json = #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "num_attention_heads": 2, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#
        let config = try ModelConfig.decode(Data(json.utf8), path: "config.json")
        let llama = try #require(config.architecture as? LlamaConfig)
        #expect(llama.rope == RotaryEmbedding(theta: 500_000, scaling: .llama3(factor: 32, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                                                             originalMaxPositions: 8192)))
        let again = try ModelConfig.decode(config.encodedJSON(), path: "config.json")
        #expect(again == config)
    }
}
