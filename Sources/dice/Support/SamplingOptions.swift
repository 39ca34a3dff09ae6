// SamplingOptions: the sampling flags of `dice bootstrap` and `dice eval`, with the defaults
// of `dice generate` (flags, then the model's generation_config.json, then transformers').

import ArgumentParser
import DICEKit
import Foundation

/// Sampling controls shared by the commands that sample from a model directory.
struct SamplingOptions: ParsableArguments {
    @OptionGroup var controls: SamplingControls

    @Option(help: "Cap on generated tokens per response (default: generation_config.json, else 256).")
    var maxNewTokens: Int?

    @Option(name: .customLong("stop-id"), help: "A token id that ends a response, besides EOS (repeatable).")
    var stopIDs: [Int] = []

    @Option(help: "Sequences decoded together.")
    var generationBatchSize = 64

    /// The generation settings for the model in `directory`: flags first, then its
    /// generation_config.json, then transformers' defaults; responses end at the EOS ids of
    /// generation_config.json and the tokenizer, and at `--stop-id`s (and `extraStopIDs`).
    /// - Throws: `FormatError` for an unreadable generation_config.json;
    ///   `GenerationError.invalidParameter` for a control out of its domain.
    func parameters(directory: URL, tokenizer: Tokenizer?, extraStopIDs: [Int] = []) throws -> GenerationParameters {
        let url = directory.appendingPathComponent(ModelDirectory.generationConfigFile)
        let config = FileManager.default.fileExists(atPath: url.path) ? try GenerationConfig.load(contentsOf: url) : nil
        let sampling = controls.sampling(config)
        var stops = GenerationParameters.defaultStopTokenIDs(generationConfig: config, tokenizer: tokenizer)
        for id in stopIDs + extraStopIDs where !stops.contains(id) { stops.append(id) }
        let parameters = GenerationParameters(maxNewTokens: maxNewTokens ?? config?.maxNewTokens ?? 256, sampling: sampling,
                                              stopTokenIDs: stops, batchSize: generationBatchSize)
        try parameters.validate()
        return parameters
    }
}
