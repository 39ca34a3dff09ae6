import ArgumentParser
import DICEKit
import Foundation

/// `dice generate`: K sampled responses for every prompt of a JSONL file.
///
/// Input rows are `{"prompt": str}` (wrapped by the chat template, then tokenized) or
/// `{"prompt_ids": [int]}` (used as they are), with any other fields; output rows are the
/// input's fields plus `"responses": [{"text", "ids", "finish_reason"}]`, written atomically.
/// Sampling controls not given default to the model's generation_config.json, then to
/// transformers' defaults (temperature 1, top-p 1, top-k off, min-p off, penalty 1). Responses
/// end at the EOS ids of generation_config.json and the tokenizer, at `--stop-id`s and
/// `--stop` strings.
struct Generate: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        abstract: "Sample K responses per prompt from a model (JSONL in, JSONL out)."
    )

    @Option(help: "Hugging Face model directory (config.json, safetensors; tokenizer.json for text prompts).")
    var model: String

    @Option(help: "JSONL of {\"prompt\": str}, {\"prompt\": [{\"role\", \"content\"}…]} (a conversation) or {\"prompt_ids\": [int]} rows.")
    var input: String

    @Option(help: "JSONL to write: each input row plus \"responses\".")
    var output: String

    @OptionGroup var adapterOption: AdapterOption

    // Numbers parse `.unconditional`ly, so that a negative value reaches the range checks.
    @Option(parsing: .unconditional, help: "Responses per prompt (K ≥ 1; bounded by memory).")
    var samples: Int

    @Option(parsing: .unconditional, help: "Cap on generated tokens per response.")
    var maxNewTokens: Int

    @Option(parsing: .unconditional, help: "Seed; sample j of row i uses the random stream (i, j).")
    var seed: UInt64

    @OptionGroup var controls: SamplingControls

    @Option(parsing: .unconditional, help: "Penalty on tokens already present (1 = off).")
    var repetitionPenalty: Double?

    @Flag(help: "Greedy decoding (temperature 0).")
    var greedy = false

    @Option(help: "Chat template for text prompts: chatml, zephyr, llama3, none, or a format with {prompt} (default: the tokenizer's).")
    var template: String?

    @Option(name: .customLong("stop"), help: "A string that ends a response (repeatable).")
    var stopStrings: [String] = []

    @Option(name: .customLong("stop-id"), parsing: .unconditionalSingleValue,
            help: "A token id that ends a response, besides EOS (repeatable).")
    var stopIDs: [Int] = []

    @Option(parsing: .unconditional, help: "Sequences decoded together (rounded to whole prompts).")
    var batchSize = 64

    /// One input row: its fields, kept for the output, and its prompt.
    struct Row: Decodable {
        /// A prompt as given: text (one user turn), a conversation (TRL's conversational
        /// format: `[{"role", "content"}…]`, rendered with the generation prompt), or token ids.
        enum Prompt { case text(String), messages([ChatMessage]), ids([Int]) }
        enum Key: String, CodingKey { case prompt, prompt_ids, constraints }

        let fields: [String: JSONValue]
        let prompt: Prompt
        /// The row's `"constraints"` (`Constraint`'s JSON form), for `dice eval --judge constraints`.
        let constraints: [Constraint]?

        init(from decoder: any Decoder) throws {
            fields = try [String: JSONValue](from: decoder)
            let c = try decoder.container(keyedBy: Key.self)
            constraints = try c.decodeIfPresent([Constraint].self, forKey: .constraints)
            if c.contains(.prompt_ids) {
                let ids = try c.decode([Int].self, forKey: .prompt_ids)
                guard !ids.isEmpty else {
                    throw DecodingError.dataCorruptedError(forKey: .prompt_ids, in: c, debugDescription: "the prompt is empty")
                }
                prompt = .ids(ids)
            } else if c.contains(.prompt) {
                if let messages = try? c.decode([ChatMessage].self, forKey: .prompt) {
                    guard !messages.isEmpty else {
                        throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription: "the conversation has no messages")
                    }
                    prompt = .messages(messages)
                } else {
                    guard let text = try? c.decode(String.self, forKey: .prompt) else {
                        throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription:
                            "\"prompt\" must be a string or a list of {\"role\": string, \"content\": string} messages")
                    }
                    guard !text.isEmpty else {
                        throw DecodingError.dataCorruptedError(forKey: .prompt, in: c, debugDescription: "the prompt is empty")
                    }
                    prompt = .text(text)
                }
            } else {
                throw DecodingError.keyNotFound(Key.prompt, .init(
                    codingPath: [], debugDescription: "a row needs \"prompt\" (a string) or \"prompt_ids\" (token ids)"))
            }
        }
    }

    /// One output row: the input's fields plus the responses.
    struct OutputRow: Encodable {
        struct Response: Encodable {
            let text: String?
            let ids: [Int]
            let finish_reason: FinishReason
        }
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        let fields: [String: JSONValue]
        let responses: [Response]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in fields where key != "responses" { try c.encode(value, forKey: Key(stringValue: key)) }
            try c.encode(responses, forKey: Key(stringValue: "responses"))
        }
    }

    /// A problem with the command's inputs, found before any generation.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        try reportingErrors(generate)
    }

    /// The command's work; every error ends as one `error: …` line (`reportingErrors`).
    private func generate() throws {
        try checkFlags()
        let directory = URL(fileURLWithPath: model)
        let inputURL = URL(fileURLWithPath: input), outputURL = URL(fileURLWithPath: output)
        let outputFolder = outputURL.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(description: "\(output): the folder \(outputFolder.path) does not exist")
        }
        let records = try JSONL.readRecords(Row.self, from: inputURL)
        let rows = records.map(\.value), lines = records.map(\.line)
        let generationConfigURL = directory.appendingPathComponent(ModelDirectory.generationConfigFile)
        let generationConfig = FileManager.default.fileExists(atPath: generationConfigURL.path)
            ? try GenerationConfig.load(contentsOf: generationConfigURL) : nil
        let hasTokenizer = FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path)
        let tokenizer = hasTokenizer ? try Tokenizer(directory: directory) : nil

        let parameters = GenerationParameters(
            samplesPerPrompt: samples, maxNewTokens: maxNewTokens, sampling: sampling(generationConfig),
            stopTokenIDs: GenerationParameters.defaultStopTokenIDs(generationConfig: generationConfig, tokenizer: tokenizer)
                + stopIDs,
            stopStrings: stopStrings, seed: seed, batchSize: batchSize)
        do {
            try parameters.validate()
        } catch let error as GenerationError {
            // The flags were checked first: what is left came from generation_config.json.
            throw InputError(description: "\(generationConfigURL.path): \(error)")
        }
        let prompts = try tokenize(rows, tokenizer: tokenizer, lines: lines)
        // Stop ids and memory from config.json alone, before the weights are loaded (a .gguf
        // file's configuration is known once it is loaded).
        let isGGUF = GGUFFile.isGGUF(directory)
        if !isGGUF {
            try checkSizes(try ModelConfig.load(contentsOf: directory.appendingPathComponent(ModelDirectory.configFile)),
                           prompts: prompts, parameters: parameters)
        }
        // The weights only sample: a frozen model (bfloat16 only under --dtype bf16).
        let lm = try TransformerLM(directory: directory, backend: try backendOptions.makeBackend(), trainable: false)
        if isGGUF { try checkSizes(lm.config, prompts: prompts, parameters: parameters) }
        try adapterOption.attach(to: lm)
        let generator = try Generator(model: lm, parameters: parameters, tokenizer: tokenizer)
        do {
            try generator.validate(prompts: prompts)
        } catch let error as GenerationError {
            guard let line = line(of: error, lines) else { throw error }
            throw InputError(description: "\(input):\(line): \(error)")
        }

        var bar = ProgressBar(total: prompts.count, label: "generate (\(samples) per prompt)")
        let results = try generator.generate(prompts: prompts) {
            bar.update($0.completedPrompts, detail: "\($0.generatedTokens) tokens")
        }
        bar.finish()
        let out = zip(rows, results).map { row, samples in
            OutputRow(fields: row.fields, responses: samples.map {
                .init(text: tokenizer?.decode($0.ids, skipSpecialTokens: true), ids: $0.ids, finish_reason: $0.finishReason)
            })
        }
        try JSONL.write(out, to: outputURL)
    }

    /// Checks every numeric flag (before anything is read).
    /// - Throws: `ValidationError` "FLAG VALUE: expected …".
    func checkFlags() throws {
        try FlagChecks.require(samples >= 1, "--samples", samples, "a number ≥ 1")
        try FlagChecks.require(maxNewTokens >= 1, "--max-new-tokens", maxNewTokens, "a number ≥ 1")
        try FlagChecks.require(batchSize >= 1, "--batch-size", batchSize, "a number ≥ 1")
        try controls.check()
        try SamplingControls.checkRepetitionPenalty(repetitionPenalty)
        if stopStrings.contains("") { throw FlagChecks.error("--stop", "\"\"", "a non-empty string") }
    }

    /// Checks `--stop-id`s against the vocabulary of `config` and the memory the generation
    /// needs against the machine's (`GenerationMemoryEstimate`, naming `--samples`).
    /// - Throws: `ValidationError` "FLAG VALUE: expected …".
    func checkSizes(_ config: ModelConfig, prompts: [[Int]], parameters: GenerationParameters) throws {
        for id in stopIDs {
            try FlagChecks.require((0..<config.vocabSize).contains(id), "--stop-id", id,
                                   "a token id in 0..<\(config.vocabSize) (the model's vocabulary)")
        }
        try GenerationMemoryEstimate(config: config, prompts: prompts, parameters: parameters)
            .check(flag: "--samples", value: samples)
    }

    /// The sampling controls: flags first, then generation_config.json, then transformers'
    /// defaults; greedy with `--greedy`, temperature 0, or `do_sample: false` in the config
    /// when no temperature is given.
    func sampling(_ config: GenerationConfig?) -> SamplingParameters {
        controls.sampling(config, greedy: greedy, repetitionPenalty: repetitionPenalty)
    }

    /// Token ids of every row: `prompt_ids` as given; a text `prompt` rendered as a user turn,
    /// a conversation as its messages, with the chat template and the generation prompt, then
    /// encoded (special tokens added only without a template).
    func tokenize(_ rows: [Row], tokenizer: Tokenizer?, lines: [Int]) throws -> [[Int]] {
        var chosen: ChatTemplate?
        return try rows.enumerated().map { i, row in
            func encode(_ conversation: [ChatMessage]) throws -> [Int] {
                guard let tokenizer else {
                    throw InputError(description: "\(input):\(lines[i]): a text prompt needs tokenizer.json in \(model)")
                }
                if chosen == nil { chosen = try template.map(ChatTemplate.init(parsing:)) ?? tokenizer.chatTemplate }
                let rendered = try tokenizer.applyChatTemplate(conversation, addGenerationPrompt: true, template: chosen)
                return tokenizer.encode(rendered, addSpecialTokens: chosen == ChatTemplate.none)
            }
            switch row.prompt {
            case .ids(let ids): return ids
            case .text(let text): return try encode([.user(text)])
            case .messages(let messages): return try encode(messages)
            }
        }
    }

    /// The input line of the prompt a `GenerationError` is about (`lines[row]`), or nil when it
    /// is about no prompt.
    func line(of error: GenerationError, _ lines: [Int]) -> Int? {
        switch error {
        case .emptyPrompt(let row), .promptTooLong(let row, _, _), .tokenOutOfRange(let row, _, _, _):
            return lines.indices.contains(row) ? lines[row] : nil
        default:
            return nil
        }
    }
}
