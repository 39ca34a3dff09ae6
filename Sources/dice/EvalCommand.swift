import ArgumentParser
import DICEKit
import Foundation

/// `dice eval`: a model's responses against a baseline's on the same prompts, judged by a named
/// judge — win rate (ties as half), AlpacaEval-2-style length-controlled win rate, average
/// lengths, 95% bootstrap intervals — written as JSON and summarised on stdout. Also: the
/// model's responses exported for alpaca_eval (`--export-alpaca-eval`), and alpaca_eval's own
/// annotations scored as its `get_winrate` does (`--annotations`).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Judge a model against a baseline model on prompts (win rate, LC win rate, lengths).",
        discussion: """
        Both models sample --samples responses per prompt with the same seed; response j of the model is judged \
        against response j of the baseline. Judges: \(JudgeRegistry.allNames). \
        toy: the embedded toy task's hidden judge (prompts and responses are token ids of its vocabulary; \
        EOS, id 0, ends responses). length: prefers the longer response (a deterministic sanity check). \
        constraints: IFEval-style verifiable constraints given on each prompt row as "constraints": \
        [{"type": "max_words", "limit": 25}, …] (types max_words, bullet_points, no_commas, include_keywords, \
        end_with, lowercase); more constraints met wins, then the smaller summed violation. \
        llm:DIR: a local chat model (with a chat template) asked which of two answers is better, in both orders; \
        its preference is read from the probabilities of the tokens "1" and "2". \
        rm:DIR: a reward model (dice rm; a one-label …ForSequenceClassification folder, or a LoRA adapter \
        folder of dice rm --lora-rank over the base its adapter_config.json names), Bradley–Terry on its \
        scores: A wins when σ(r_A − r_B) > ½. \
        Responses are judged without their final stop token. \
        --export-alpaca-eval FILE writes the model's responses as alpaca_eval's model_outputs.json \
        (instruction, output, generator, dataset); with it, --baseline, --judge and --output may be left out. \
        --annotations FILE scores alpaca_eval's annotations.json instead of sampling (no model needed): \
        alpaca_eval's win rate, standard error and counts exactly as its get_winrate computes them, \
        DICEKit's length-controlled win rate, and bootstrap intervals.
        """
    )

    @Option(help: "The model folder to evaluate (A).") var model: String?
    @Option(help: "The baseline model folder (B).") var baseline: String?
    @Option(help: "A LoRA adapter folder (PEFT layout) applied over --model (A).") var adapter: String?
    @Option(help: "Prompts, JSONL: {\"prompt\": str} or {\"prompt_ids\": [int]} rows (+ \"constraints\" for --judge constraints).") var prompts: String?
    @Option(help: "The judge: \(JudgeRegistry.allNames.replacingOccurrences(of: ", ", with: " | ")).") var judge: String?
    @Option(help: "The JSON report to write.") var output: String?
    @Option(help: "Write the model's responses here as alpaca_eval's model_outputs.json.") var exportAlpacaEval: String?
    @Option(help: "The generator name in --export-alpaca-eval records (default: the model folder's name).")
    var generator: String?
    @Option(help: "Score alpaca_eval's annotations.json (output_2 the model, output_1 the baseline) instead of sampling.")
    var annotations: String?
    @Option(parsing: .unconditional, help: "Bootstrap resamples of the 95% intervals (≥ 2).") var resamples = 1000
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
        var winRateInterval: BootstrapInterval
        var lcWinRateInterval: BootstrapInterval

        enum CodingKeys: String, CodingKey {
            case judge, prompts, wins, ties, losses, comparisons
            case winRateInterval = "win_rate_ci"
            case lcWinRateInterval = "lc_win_rate_ci"
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
        try reportingErrors {
            if let annotations { try scoreAnnotations(annotations) } else { try evaluate() }
        }
    }

    /// The folder of `--output`'s file, checked to exist before any work.
    private func outputURL(_ output: String) throws -> URL {
        let url = URL(fileURLWithPath: output)
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(description: "\(output): the folder \(folder.path) does not exist")
        }
        return url
    }

    /// `--annotations`: alpaca_eval's annotations scored as its `get_winrate` does.
    private func scoreAnnotations(_ path: String) throws {
        for (flag, value) in [("--model", model), ("--baseline", baseline), ("--prompts", prompts), ("--judge", judge),
                              ("--export-alpaca-eval", exportAlpacaEval)] where value != nil {
            throw InputError(description: "\(flag) does not go with --annotations (the annotations hold both models' outputs)")
        }
        guard let output else { throw InputError(description: "--annotations needs --output (the JSON report to write)") }
        try FlagChecks.require(resamples >= 2, "--resamples", resamples, "a number ≥ 2")
        let url = try outputURL(output)
        let records = try AlpacaEvalAnnotation.read(contentsOf: URL(fileURLWithPath: path))
        guard records.contains(where: { $0.preference != nil }) else {
            throw AlpacaEvalError.noPreferences(path: path, records: records.count)
        }
        let result = try AlpacaEvalWinRate(annotations: records, resamples: resamples, seed: seed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(result), to: url)
        print(String(format: "%@: %d annotations (%d without a preference): win rate %.2f%% ± %.2f (alpaca_eval), discrete %.2f%%, LC win rate %.1f%% [%.1f, %.1f] (DICEKit, no instruction-difficulty term)",
                     path, records.count, result.unannotated, result.winRate, result.standardError ?? .nan,
                     result.discreteWinRate, 100 * result.lengthControlled.rate,
                     100 * result.intervals.lengthControlled.lower, 100 * result.intervals.lengthControlled.upper))
        print("Report: \(url.path)")
    }

    private func evaluate() throws {
        guard let model else { throw InputError(description: "--model is required (or --annotations FILE)") }
        guard let prompts else { throw InputError(description: "--prompts is required") }
        guard let unit = LengthUnit(rawValue: lengthUnit) else {
            throw InputError(description: "--length-unit \(lengthUnit): expected chars or tokens")
        }
        // A head-to-head needs a baseline, a judge and a report; an export alone needs none.
        let headToHead = baseline != nil || judge != nil || output != nil || exportAlpacaEval == nil
        if headToHead {
            for (flag, value) in [("--baseline", baseline), ("--judge", judge), ("--output", output)] where value == nil {
                throw InputError(description: "\(flag) is required for a head-to-head evaluation (only --export-alpaca-eval may go without it)")
            }
        }
        if let judge { try JudgeRegistry.validate(judge) }
        try FlagChecks.require(samples >= 1, "--samples", samples, "a number ≥ 1")
        try FlagChecks.require(resamples >= 2, "--resamples", resamples, "a number ≥ 2")
        try sampling.check()
        let backend = try backendOptions.makeBackend()
        let reportURL = try output.map(outputURL)
        let exportURL = try exportAlpacaEval.map(outputURL)
        let modelFolder = try ModelFolder(model, flag: "--model")
        let baselineFolder = try baseline.map { try ModelFolder($0, flag: "--baseline") }
        if let baselineFolder {
            guard modelFolder.config.vocabSize == baselineFolder.config.vocabSize else {
                throw InputError(description: "--baseline \(baselineFolder.url.path): vocabulary of \(baselineFolder.config.vocabSize) tokens, the model's has \(modelFolder.config.vocabSize)")
            }
            // The baseline's weights are read and checked now, so that a damaged file is named before
            // the model's responses are sampled (the model's are loaded first, before any sampling).
            try baselineFolder.readWeights(flag: "--baseline")
        }
        let spec = modelFolder.spec
        let file = try PromptFile(path: prompts, tokenizer: modelFolder.tokenizer,
                                  template: try modelFolder.chatTemplate(template), vocabularySize: spec.vocabularySize,
                                  maxPositions: min(spec.maxPositions, baselineFolder?.spec.maxPositions ?? spec.maxPositions))
        // What a text judge reads as the prompt: the instruction (a text row, a conversation's last
        // user message), else the decoded ids.
        func promptText(_ i: Int) -> String { file.instructions[i] ?? modelFolder.render(file.prompts[i]) }
        var constraintTable: [String: [Constraint]] = [:]
        if judge == "constraints" {
            for i in file.prompts.indices {
                guard let list = file.constraints[i] else {
                    throw InputError(description: "\(prompts):\(file.lines[i]): the constraints judge needs \"constraints\" on every row (e.g. [{\"type\": \"max_words\", \"limit\": 25}])")
                }
                constraintTable[promptText(i)] = list
            }
        }
        let entry = try judge.map {
            try JudgeRegistry.judge(named: $0, lengthUnit: unit, constraints: constraintTable, backend: backend)
        }
        if let entry {
            for (prompt, line) in zip(file.prompts, file.lines) {
                if let problem = entry.checkPrompt(prompt) { throw InputError(description: "\(prompts):\(line): \(problem)") }
            }
        }
        let stopIDs = entry?.stopTokenIDs ?? []
        let modelParameters = try sampling.parameters(directory: modelFolder.url, tokenizer: modelFolder.tokenizer,
                                                      vocabularySize: spec.vocabularySize, extraStopIDs: stopIDs)
        var runs = [(modelFolder, modelParameters)]
        if let baselineFolder {
            runs.append((baselineFolder, try sampling.parameters(directory: baselineFolder.url, tokenizer: baselineFolder.tokenizer,
                                                                 vocabularySize: spec.vocabularySize, extraStopIDs: stopIDs)))
        }
        // One model is held at a time; both sets of responses are kept until the report.
        for (folder, parameters) in runs {
            var p = parameters
            p.samplesPerPrompt = samples
            try GenerationMemoryEstimate(config: folder.config, prompts: file.prompts, parameters: p, responseSets: runs.count)
                .check(flag: "--samples", value: samples)
        }

        func responses(_ folder: ModelFolder, _ parameters: GenerationParameters, label: String) throws -> [TokenizedText] {
            var p = parameters
            p.samplesPerPrompt = samples
            p.seed = seed
            let lm = try TransformerLM(directory: folder.url, backend: backend, trainable: false)
            if let adapter, label == "model" {
                try lm.attach(PEFTAdapterDirectory.read(from: URL(fileURLWithPath: adapter), for: lm))
            }
            let generator = try Generator(model: lm, parameters: p, tokenizer: folder.tokenizer)
            var bar = ProgressBar(total: file.prompts.count, label: label)
            let groups = try generator.generate(prompts: file.prompts) { bar.update($0.completedPrompts) }
            bar.finish()
            return groups.flatMap { group in
                group.map { sample in
                    let content = sample.finishReason == .stop ? Array(sample.ids.dropLast()) : sample.ids
                    return TokenizedText(text: entry?.render?(content) ?? folder.render(content), tokens: content)
                }
            }
        }
        let a = try responses(modelFolder, modelParameters, label: "model")
        if let exportURL {
            let name = generator ?? modelFolder.url.standardizedFileURL.lastPathComponent
            let defaultDataset = URL(fileURLWithPath: prompts).deletingPathExtension().lastPathComponent
            let records = a.indices.map { i in
                let p = i / samples
                return AlpacaEvalModelOutput(instruction: file.instructions[p] ?? modelFolder.render(file.prompts[p]),
                                             output: a[i].text, generator: name,
                                             dataset: file.datasets[p] ?? defaultDataset)
            }
            try AtomicFile.write(try AlpacaEvalModelOutput.encodedJSON(records), to: exportURL)
            print("alpaca_eval model outputs (\(records.count), generator \(name)): \(exportURL.path)")
        }
        guard let baselineFolder, let baseline, runs.count == 2, let entry, let judge, let reportURL else { return }
        let baselineParameters = runs[1].1
        let b = try responses(baselineFolder, baselineParameters, label: "baseline")
        let promptTexts = file.prompts.indices.flatMap { i in
            let p = file.prompts[i]
            return Array(repeating: TokenizedText(text: entry.render?(p) ?? promptText(i), tokens: p), count: samples)
        }
        let result = try HeadToHeadResult.evaluate(prompts: promptTexts, responses: a, baseline: b, judge: entry.judge,
                                                   lengthUnit: unit, resamples: resamples, seed: seed)
        guard let intervals = result.intervals else { return }
        let report = Report(judge: judge, prompts: file.prompts.count, samplesPerPrompt: samples,
                            comparisons: result.winRate.count, winRate: result.winRate.rate, wins: result.winRate.wins,
                            ties: result.winRate.ties, losses: result.winRate.losses,
                            lcWinRate: result.lengthControlled.rate, lengthControlled: result.lengthControlled,
                            lengthUnit: unit, avgLength: result.averageLength,
                            baselineAvgLength: result.baselineAverageLength,
                            winRateInterval: intervals.winRate, lcWinRateInterval: intervals.lengthControlled)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(report), to: reportURL)
        print(String(format: "%@ vs %@ (%@ judge, %d comparisons): win rate %.1f%% [%.1f, %.1f] (%d W / %d T / %d L), LC win rate %.1f%% [%.1f, %.1f], avg length %.1f vs %.1f %@",
                     model, baseline, judge, report.comparisons, 100 * report.winRate,
                     100 * intervals.winRate.lower, 100 * intervals.winRate.upper, report.wins, report.ties,
                     report.losses, 100 * report.lcWinRate, 100 * intervals.lengthControlled.lower,
                     100 * intervals.lengthControlled.upper, report.avgLength, report.baselineAvgLength, unit.rawValue))
        print("Report: \(reportURL.path)")
    }
}
