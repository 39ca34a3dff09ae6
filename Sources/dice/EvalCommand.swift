import ArgumentParser
import DICEKit
import Foundation

/// `dice eval`: a model's responses against a baseline's on the same prompts, judged by a named
/// judge — win rate (ties as half), AlpacaEval-2-style length-controlled win rate, average
/// lengths — written as JSON and summarised on stdout.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Judge a model against a baseline model on prompts (win rate, LC win rate, lengths).",
        discussion: """
        Both models sample --samples responses per prompt with the same seed; response j of the model is judged \
        against response j of the baseline. Judges: \(JudgeRegistry.names.joined(separator: ", ")). \
        toy: the embedded toy task's hidden judge (prompts and responses are token ids of its vocabulary; \
        EOS, id 0, ends responses). length: prefers the longer response (a deterministic sanity check). \
        Responses are judged without their final stop token.
        """
    )

    @Option(help: "The model folder to evaluate (A).") var model: String
    @Option(help: "The baseline model folder (B).") var baseline: String
    @Option(help: "Prompts, JSONL: {\"prompt\": str} or {\"prompt_ids\": [int]} rows.") var prompts: String
    @Option(help: "The judge: \(JudgeRegistry.names.joined(separator: " | ")).") var judge: String
    @Option(help: "The JSON report to write.") var output: String
    @Option(parsing: .unconditional, help: "Responses per prompt and model (≥ 1; bounded by memory).") var samples = 1
    @Option(parsing: .unconditional, help: "Seed of sampling (the same for both models).") var seed: UInt64 = 0
    @Option(help: "Unit of lengths (and of the length judge): chars | tokens.") var lengthUnit = "chars"
    @OptionGroup var backendOptions: BackendOptions
    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Chat template for text prompts (default: the model's tokenizer's, else none).") var template: String?

    /// The JSON report.
    struct Report: Encodable {
        var judge: String
        var prompts: Int
        var samplesPerPrompt: Int
        var comparisons: Int
        var winRate: Double
        var wins: Int
        var ties: Int
        var losses: Int
        var lcWinRate: Double
        var lengthControlled: LengthControlledWinRate
        var lengthUnit: LengthUnit
        var avgLength: Double
        var baselineAvgLength: Double

        enum CodingKeys: String, CodingKey {
            case judge, prompts, wins, ties, losses, comparisons
            case samplesPerPrompt = "samples_per_prompt"
            case winRate = "win_rate"
            case lcWinRate = "lc_win_rate"
            case lengthControlled = "length_controlled"
            case lengthUnit = "length_unit"
            case avgLength = "avg_length"
            case baselineAvgLength = "baseline_avg_length"
        }
    }

    /// A problem with the command's inputs, found before any work.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        try reportingErrors(evaluate)
    }

    private func evaluate() throws {
        guard let unit = LengthUnit(rawValue: lengthUnit) else {
            throw InputError(description: "--length-unit \(lengthUnit): expected chars or tokens")
        }
        let entry = try JudgeRegistry.judge(named: judge, lengthUnit: unit)
        try FlagChecks.require(samples >= 1, "--samples", samples, "a number ≥ 1")
        try sampling.check()
        let backend = try backendOptions.makeBackend()
        let outputURL = URL(fileURLWithPath: output)
        let outputFolder = outputURL.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(description: "--output \(output): the folder \(outputFolder.path) does not exist")
        }
        let modelFolder = try ModelFolder(model, flag: "--model")
        let baselineFolder = try ModelFolder(baseline, flag: "--baseline")
        guard modelFolder.config.vocabSize == baselineFolder.config.vocabSize else {
            throw InputError(description: "--baseline \(baseline): vocabulary of \(baselineFolder.config.vocabSize) tokens, the model's has \(modelFolder.config.vocabSize)")
        }
        // The baseline's weights are read and checked now, so that a damaged file is named before
        // the model's responses are sampled (the model's are loaded first, before any sampling).
        try baselineFolder.readWeights(flag: "--baseline")
        let spec = modelFolder.spec
        let file = try PromptFile(path: prompts, tokenizer: modelFolder.tokenizer,
                                  template: try modelFolder.chatTemplate(template), vocabularySize: spec.vocabularySize,
                                  maxPositions: min(spec.maxPositions, baselineFolder.spec.maxPositions))
        for (prompt, line) in zip(file.prompts, file.lines) {
            if let problem = entry.checkPrompt(prompt) { throw InputError(description: "\(prompts):\(line): \(problem)") }
        }
        let modelParameters = try sampling.parameters(directory: modelFolder.url, tokenizer: modelFolder.tokenizer,
                                                      vocabularySize: spec.vocabularySize, extraStopIDs: entry.stopTokenIDs)
        let baselineParameters = try sampling.parameters(directory: baselineFolder.url, tokenizer: baselineFolder.tokenizer,
                                                         vocabularySize: spec.vocabularySize, extraStopIDs: entry.stopTokenIDs)
        // One model is held at a time; both sets of responses are kept until the report.
        for (folder, parameters) in [(modelFolder, modelParameters), (baselineFolder, baselineParameters)] {
            var p = parameters
            p.samplesPerPrompt = samples
            try GenerationMemoryEstimate(config: folder.config, prompts: file.prompts, parameters: p, responseSets: 2)
                .check(flag: "--samples", value: samples)
        }

        func responses(_ folder: ModelFolder, _ parameters: GenerationParameters, label: String) throws -> [TokenizedText] {
            var p = parameters
            p.samplesPerPrompt = samples
            p.seed = seed
            let generator = try Generator(model: try TransformerLM(directory: folder.url, backend: backend), parameters: p,
                                          tokenizer: folder.tokenizer)
            var bar = ProgressBar(total: file.prompts.count, label: label)
            let groups = try generator.generate(prompts: file.prompts) { bar.update($0.completedPrompts) }
            bar.finish()
            return groups.flatMap { group in
                group.map { sample in
                    let content = sample.finishReason == .stop ? Array(sample.ids.dropLast()) : sample.ids
                    return TokenizedText(text: entry.render?(content) ?? folder.render(content), tokens: content)
                }
            }
        }
        let a = try responses(modelFolder, modelParameters, label: "model")
        let b = try responses(baselineFolder, baselineParameters, label: "baseline")
        let promptTexts = file.prompts.flatMap { p in
            Array(repeating: TokenizedText(text: entry.render?(p) ?? modelFolder.render(p), tokens: p), count: samples)
        }
        let result = try HeadToHeadResult.evaluate(prompts: promptTexts, responses: a, baseline: b, judge: entry.judge,
                                                   lengthUnit: unit)
        let report = Report(judge: judge, prompts: file.prompts.count, samplesPerPrompt: samples,
                            comparisons: result.winRate.count, winRate: result.winRate.rate, wins: result.winRate.wins,
                            ties: result.winRate.ties, losses: result.winRate.losses,
                            lcWinRate: result.lengthControlled.rate, lengthControlled: result.lengthControlled,
                            lengthUnit: unit, avgLength: result.averageLength,
                            baselineAvgLength: result.baselineAverageLength)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(report), to: outputURL)
        print(String(format: "%@ vs %@ (%@ judge, %d comparisons): win rate %.1f%% (%d W / %d T / %d L), LC win rate %.1f%%, avg length %.1f vs %.1f %@",
                     model, baseline, judge, report.comparisons, 100 * report.winRate, report.wins, report.ties,
                     report.losses, 100 * report.lcWinRate, report.avgLength, report.baselineAvgLength, unit.rawValue))
        print("Report: \(outputURL.path)")
    }
}
