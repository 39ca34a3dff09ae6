// RotaryEmbedding: one attention layer's RoPE — base θ and scaling (none, linear, Llama 3's
// frequency-dependent one) — and the inverse frequencies the backend's `rope` rotates by,
// computed once on the host as transformers' rope initialisation functions compute them.

import Foundation

/// The rotary position embedding of an attention layer: base θ and an optional scaling of the
/// frequencies. `inverseFrequencies(headSize:)` gives the `[D/2]` frequencies `Backend.rope`
/// takes.
public struct RotaryEmbedding: Sendable, Hashable {
    /// How the default frequencies θ^(−2i/D) are scaled (transformers' `rope_type`).
    public enum Scaling: Sendable, Hashable {
        /// `default`: θ^(−2i/D) unchanged.
        case unscaled
        /// `linear`: every frequency divided by `factor` (positions interpolated).
        case linear(factor: Double)
        /// `llama3` (Llama 3.1/3.2): wavelengths above `originalMaxPositions / lowFrequencyFactor`
        /// divided by `factor`, below `originalMaxPositions / highFrequencyFactor` kept, and
        /// those between interpolated smoothly.
        case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double,
                    originalMaxPositions: Int)
    }

    /// The base θ (`rope_theta`).
    public var theta: Double
    /// The scaling of the frequencies.
    public var scaling: Scaling

    /// A RoPE of base `theta` with `scaling`.
    public init(theta: Double, scaling: Scaling = .unscaled) {
        self.theta = theta
        self.scaling = scaling
    }

    /// The `[headSize / 2]` inverse frequencies, in Float32 as transformers computes them:
    /// `1 / θ^(2i/D)` with θ and the exponent in Float32 (`_compute_default_rope_parameters`),
    /// then the scaling's arithmetic elementwise in Float32 with its constants rounded to
    /// Float32 (`_compute_linear_scaling_rope_parameters`, `_compute_llama3_parameters`).
    public func inverseFrequencies(headSize: Int) -> [Float] {
        let theta = Float(self.theta)
        let base = (0..<(headSize / 2)).map { i in 1 / powf(theta, Float(2 * i) / Float(headSize)) }
        switch scaling {
        case .unscaled:
            return base
        case let .linear(factor):
            return base.map { $0 / Float(factor) }
        case let .llama3(factor, low, high, original):
            let lowWavelength = Float(Double(original) / low), highWavelength = Float(Double(original) / high)
            let f = Float(factor), twoPi = Float(2 * Double.pi)
            return base.map { inverse in
                // torch: 2π / inv_freq is inv_freq.reciprocal() · 2π.
                let wavelength = (1 / inverse) * twoPi
                if wavelength < highWavelength { return inverse }
                if wavelength > lowWavelength { return inverse / f }
                let smooth = ((1 / wavelength) * Float(original) - Float(low)) / Float(high - low)
                return (1 - smooth) * inverse / f + smooth * inverse
            }
        }
    }
}
