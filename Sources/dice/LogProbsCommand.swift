import ArgumentParser
import DICEKit
import Foundation

/// `dice logprobs`: the summed log-probability of each row's response given its prompt, under a
/// Hugging Face model directory, written as JSONL.
///
/// Each output line is the input line's JSON object as written (every field kept, in order,
/// byte for byte) with `"logprob"` (Σ over response tokens of log p(token | everything before
/// it), in nats) and `"response_tokens"` (how many tokens were scored) appended.
struct LogProbsCommand: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "logprobs",
        abstract: "Score responses: Σ log p(response | prompt) for each row of a JSONL file.",
        discussion: """
        Input rows are {"prompt": str, "response": str} or {"prompt_ids": [int], "response_ids": [int]} \
        (ids win when a row has both); other fields are copied to the output unchanged. Text is tokenised \
        with the model directory's tokenizer.json: the prompt wrapped in the chat template (one user turn \
        plus the generation prompt) and the response, each without added special tokens, then concatenated. \
        Output rows add "logprob" (nats, summed over response tokens) and "response_tokens".
        """
    )

    @Option(help: "Hugging Face model directory (config.json, safetensors; tokenizer.json for text rows).")
    var model: String

    @Option(help: "Input JSONL file.")
    var input: String

    @Option(help: "Output JSONL file (written atomically; its folder must exist).")
    var output: String

    @Option(help: """
        Chat template for text prompts: chatml, zephyr, llama3, none, or a format with {prompt} \
        (and optionally {system}, {bos}, {eos}). Default: the model's own; none when it has none.
        """)
    var template: String?

    @Flag(help: "Append the EOS token to every response (the tokenizer's eos_token, else the config's eos_token_id).")
    var appendEos = false

    @Option(parsing: .unconditional, help: "Rows per forward pass (≥ 1; a batch never holds more than the rows).")
    var batchSize = 8

    @OptionGroup var adapterOption: AdapterOption

    func run() throws {
        try reportingErrors(score)
    }

    private func score() throws {
        try FlagChecks.require(batchSize >= 1, "--batch-size", batchSize, "a number ≥ 1")
        let chosenTemplate = try template.map { try ChatTemplate(parsing: $0) }
        let inputURL = URL(fileURLWithPath: input)
        let modelURL = URL(fileURLWithPath: model)
        let rows = try JSONL.readRecords(LogProbsRow.self, from: inputURL)
        for row in rows {
            if let field = row.value.existingOutputField {
                throw LogProbsError.outputFieldPresent(path: inputURL.path, line: row.line, field: field)
            }
        }

        // The weights only score: a frozen model (bfloat16 only under --dtype bf16). A .gguf
        // file's generation settings come with its weights.
        let lm: TransformerLM, generationConfig: GenerationConfig?
        if GGUFFile.isGGUF(modelURL) {
            let directory = try ModelDirectory.read(from: modelURL)
            lm = try TransformerLM(directory, backend: try backendOptions.makeBackend(), trainable: false)
            generationConfig = directory.generationConfig
        } else {
            lm = try TransformerLM(directory: modelURL, backend: try backendOptions.makeBackend(), trainable: false)
            let url = modelURL.appendingPathComponent(ModelDirectory.generationConfigFile)
            generationConfig = FileManager.default.fileExists(atPath: url.path) ? try GenerationConfig.load(contentsOf: url) : nil
        }
        try adapterOption.attach(to: lm)
        let encoder = try PairEncoder(directory: modelURL, config: lm.config,
                                      generationConfig: generationConfig, template: chosenTemplate,
                                      firstTextLine: rows.first { $0.value.isText }?.line,
                                      inputPath: inputURL.path, appendEOS: appendEos)

        var progress = ProgressBar(total: rows.count, label: "logprobs", unit: "rows")
        var out = Data()
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let batch = rows[start..<min(start + batchSize, rows.count)]
            let pairs = try batch.map { try encoder.pair($0.value.content) }
            let values: [Double]
            do {
                values = try lm.logProbs(pairs)
            } catch ModelError.invalidInput(let sequence, let reason) {
                throw LogProbsError.invalidRow(path: inputURL.path, line: batch[start + sequence].line, reason: reason)
            }
            for (row, (pair, value)) in zip(batch, zip(pairs, values)) {
                guard value.isFinite else { throw LogProbsError.nonFinite(path: inputURL.path, line: row.line, value: value) }
                out.append(Self.outputLine(row.text, logprob: value, responseTokens: pair.response.count))
            }
            progress.advance(by: batch.count)
        }
        try AtomicFile.write(out, to: URL(fileURLWithPath: output))
        progress.finish()
    }

    /// `text` (a JSON object, as read) with `"logprob"` and `"response_tokens"` appended before
    /// its closing brace, and a line end. The object has at least one field (rows need two).
    static func outputLine(_ text: Data, logprob: Double, responseTokens: Int) -> Data {
        var line = Data(text)
        while let last = line.last, last == 0x20 || last == 0x09 || last == 0x0D { line.removeLast() }
        while let first = line.first, first == 0x20 || first == 0x09 { line.removeFirst() }
        line.removeLast()  // "}"
        line.append(Data(",\"logprob\":\(logprob),\"response_tokens\":\(responseTokens)}\n".utf8))
        return line
    }
}
