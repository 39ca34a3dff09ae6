// PairDataOptions: the preference-data flags of `dice dpo` and `dice rm` — the pairs file, chat
// template, EOS, length limit and truncation — and the dataset they read.

import ArgumentParser
import DICEKit
import Foundation

/// Where the pairs come from and how they are encoded.
struct PairDataOptions: ParsableArguments {
    @Option(help: "Preference pairs, JSONL.") var data: String
    @Option(help: "Chat template: chatml, zephyr, llama3, none, or a format with {prompt} (default: the tokenizer's, else none).")
    var template: String?
    @Flag(help: "Append EOS to every response.") var appendEos = false
    @Option(parsing: .unconditional, help: "Longest prompt + response, in tokens (default: the model's context).")
    var maxLength: Int?
    @Option(help: "error | truncate.") var truncation = "error"
    @Option(parsing: .unconditional, help: "With --truncation truncate: the prompt's length limit (default: half of --max-length).")
    var maxPromptLength: Int?

    /// The pairs read and what they were encoded with.
    struct Loaded {
        let pairs: [PreferencePair]
        let template: ChatTemplate
        let tokenizer: Tokenizer?
    }

    /// Checks the flags that need no model or data.
    /// - Throws: `ValidationError` naming the flag.
    func checkFlags() throws {
        try FlagChecks.require(maxLength, atLeast: 2, "--max-length", "a number ≥ 2 (a prompt token and a response token)")
        try FlagChecks.require(maxPromptLength, atLeast: 1, "--max-prompt-length")
    }

    /// Reads the pairs with the tokenizer of `modelURL` (if it has one), warning about dropped
    /// and truncated pairs.
    /// - Parameters:
    ///   - context: the model's context, the default and the bound of --max-length.
    ///   - eosTokenID: EOS when the tokenizer names none (config.json's).
    /// - Throws: `ValidationError` for flags out of range; what reading the tokenizer, the
    ///   template and the pairs throws.
    func load(modelURL: URL, context: Int, eosTokenID: Int?) throws -> Loaded {
        let tokenizerFile = modelURL.appendingPathComponent("tokenizer.json")
        let tokenizer = FileManager.default.fileExists(atPath: tokenizerFile.path) ? try Tokenizer(directory: modelURL) : nil
        let chatTemplate: ChatTemplate = try template.map { try ChatTemplate(parsing: $0) }
            ?? (try tokenizer?.defaultChatTemplate ?? ChatTemplate.none)
        let limit = maxLength ?? context
        guard limit <= context else {
            throw ValidationError("--max-length \(limit) exceeds the model's context of \(context)")
        }
        let policyKind: TruncationPolicy
        switch truncation {
        case "error": policyKind = .error
        case "truncate":
            let promptLimit = maxPromptLength ?? limit / 2
            try FlagChecks.require(promptLimit < limit, "--max-prompt-length", promptLimit,
                                   "a number below --max-length \(limit) (room for the responses)")
            policyKind = .truncate(maxPromptLength: promptLimit)
        default: throw ValidationError("--truncation must be error or truncate")
        }
        let encoding = PreferenceDataset.Encoding(tokenizer: tokenizer, template: chatTemplate, appendEOS: appendEos,
                                                  eosTokenID: tokenizer?.eosTokenID ?? eosTokenID)
        let dataset = try PreferenceDataset(contentsOf: URL(fileURLWithPath: data), encoding: encoding, maxLength: limit,
                                            truncation: policyKind)
        for (line, reason) in dataset.dropped.prefix(5) { warn("\(data):\(line): dropped: \(reason)") }
        if dataset.dropped.count > 5 { warn("… \(dataset.dropped.count) pairs dropped in all") }
        if dataset.truncatedCount > 0 { warn("\(dataset.truncatedCount) pairs truncated to \(limit) tokens") }
        return Loaded(pairs: dataset.pairs, template: chatTemplate, tokenizer: tokenizer)
    }
}
