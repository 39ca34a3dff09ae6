// SamplingControls: the sampling flags every sampling command shares, and how they combine
// with a model's generation_config.json.

import ArgumentParser
import DICEKit

/// `--temperature`, `--top-p`, `--top-k`, `--min-p`: flags first, then generation_config.json,
/// then transformers' defaults.
struct SamplingControls: ParsableArguments {
    @Option(parsing: .unconditional, help: "Softmax temperature (0 = greedy; default: generation_config.json, else 1).")
    var temperature: Double?

    @Option(parsing: .unconditional, help: "Nucleus mass in (0, 1] (default: generation_config.json, else 1).")
    var topP: Double?

    @Option(parsing: .unconditional, help: "Keep the k most likely tokens (0 = off).")
    var topK: Int?

    @Option(parsing: .unconditional, help: "Drop tokens below min-p × the top probability (0 = off).")
    var minP: Double?

    /// Checks the values given on the command line (before any work; the merged values are
    /// checked again by `SamplingParameters.validate`, which then names generation_config.json).
    /// - Throws: `ValidationError` "FLAG VALUE: expected …" for a value outside its domain.
    func check() throws {
        if let t = temperature { try FlagChecks.require(t.isFinite && t >= 0, "--temperature", t, "a finite number ≥ 0 (0 = greedy)") }
        if let p = topP { try FlagChecks.require(p > 0 && p <= 1, "--top-p", p, "a number in (0, 1]") }
        try FlagChecks.require(topK, atLeast: 0, "--top-k", "an integer ≥ 0 (0 = off)")
        if let m = minP { try FlagChecks.require(m >= 0 && m <= 1, "--min-p", m, "a number in [0, 1]") }
    }

    /// Checks a repetition penalty given on the command line: finite, > 0, and a normal Float32
    /// (the sampler divides and multiplies Float32 logits by it, so a penalty that rounds to 0 or
    /// ∞ in Float32 would make them NaN).
    /// - Throws: `ValidationError` "--repetition-penalty VALUE: expected …".
    static func checkRepetitionPenalty(_ penalty: Double?) throws {
        guard let r = penalty else { return }
        let range = Double(Float.leastNormalMagnitude)...Double(Float.greatestFiniteMagnitude)
        try FlagChecks.require(range.contains(r), "--repetition-penalty", r,
                               "a finite number > 0 within Float32's normal range [\(range.lowerBound), \(range.upperBound)] (1 = off)")
    }

    /// The sampling parameters: greedy when `greedy`, or when the config says `do_sample:
    /// false` and no temperature is given; `repetitionPenalty` overrides the config's.
    func sampling(_ config: GenerationConfig?, greedy: Bool = false, repetitionPenalty: Double? = nil)
        -> SamplingParameters {
        let configGreedy = temperature == nil && config?.doSample == false
        return SamplingParameters(
            temperature: greedy || configGreedy ? 0 : (temperature ?? config?.temperature ?? 1),
            topP: topP ?? config?.topP ?? 1, topK: topK ?? config?.topK ?? 0, minP: minP ?? 0,
            repetitionPenalty: repetitionPenalty ?? config?.repetitionPenalty ?? 1)
    }
}
