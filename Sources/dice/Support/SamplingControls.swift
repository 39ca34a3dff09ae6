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
