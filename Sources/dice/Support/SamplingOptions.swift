// SamplingOptions: the sampling flags of `dice bootstrap` and `dice eval`, with the defaults
// of `dice generate` (flags, then the model's generation_config.json, then transformers').

import ArgumentParser
import DICEKit
import Foundation

/// Sampling controls shared by the commands that sample from a model directory.
struct SamplingOptions: ParsableArguments {
    @OptionGroup var controls: SamplingControls

    @Option(parsing: .unconditional, help: "Cap on generated tokens per response (default: generation_config.json, else 256).")
    var maxNewTokens: Int?

    @Option(name: .customLong("stop-id"), parsing: .unconditionalSingleValue,
            help: "A token id that ends a response, besides EOS (repeatable).")
    var stopIDs: [Int] = []

    @Option(parsing: .unconditional, help: "Sequences decoded together.")
    var generationBatchSize = 64

    /// Checks the values given on the command line, before any work.
    /// - Throws: `ValidationError` "FLAG VALUE: expected …" for a value outside its domain.
    func check() throws {
        try controls.check()
        try FlagChecks.require(maxNewTokens, atLeast: 1, "--max-new-tokens")
        try FlagChecks.require(generationBatchSize >= 1, "--generation-batch-size", generationBatchSize, "a number ≥ 1")
    }

    /// Checks `--stop-id`s against the model's vocabulary.
    /// - Throws: `ValidationError` "--stop-id ID: expected a token id in 0..<V".
    func checkStopIDs(vocabularySize: Int) throws {
        for id in stopIDs {
            try FlagChecks.require((0..<vocabularySize).contains(id), "--stop-id", id,
                                   "a token id in 0..<\(vocabularySize) (the model's vocabulary)")
        }
    }

    /// The generation settings for the model in `directory`: flags first, then its
    /// generation_config.json, then transformers' defaults; responses end at the EOS ids of
    /// generation_config.json and the tokenizer, and at `--stop-id`s (and `extraStopIDs`).
    /// - Throws: `FormatError` for an unreadable generation_config.json; `ValidationError`
    ///   naming the flag (see `check`, `checkStopIDs`) or generation_config.json for a control
    ///   out of its domain.
    func parameters(directory: URL, tokenizer: Tokenizer?, vocabularySize: Int, extraStopIDs: [Int] = []) throws
        -> GenerationParameters {
        try check()
        try checkStopIDs(vocabularySize: vocabularySize)
        let url = directory.appendingPathComponent(ModelDirectory.generationConfigFile)
        let config = FileManager.default.fileExists(atPath: url.path) ? try GenerationConfig.load(contentsOf: url) : nil
        let sampling = controls.sampling(config)
        var stops = GenerationParameters.defaultStopTokenIDs(generationConfig: config, tokenizer: tokenizer)
        for id in stopIDs + extraStopIDs where !stops.contains(id) { stops.append(id) }
        let parameters = GenerationParameters(maxNewTokens: maxNewTokens ?? config?.maxNewTokens ?? 256, sampling: sampling,
                                              stopTokenIDs: stops, batchSize: generationBatchSize)
        do {
            try parameters.validate()
        } catch let error as GenerationError {
            // The flags were checked above: what is left came from generation_config.json.
            throw ValidationError("\(url.path): \(error)")
        }
        return parameters
    }
}
