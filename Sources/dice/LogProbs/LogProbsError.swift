// LogProbsError: why `dice logprobs` could not score an input, naming the file and line.

/// A problem with the input of `dice logprobs` found after its rows were read (reading errors
/// themselves are `JSONLError`, model-directory errors `FormatError`/`TokenizerError`).
enum LogProbsError: Error, Equatable, CustomStringConvertible {
    /// Row at `line` of `path` cannot be scored (`reason`: id out of range, empty prompt, too long…).
    case invalidRow(path: String, line: Int, reason: String)
    /// Row at `line` of `path` holds text, but the model directory has no tokenizer.json.
    case missingTokenizer(path: String, line: Int, tokenizerPath: String)
    /// Row at `line` of `path` already has `field`, which the command writes.
    case outputFieldPresent(path: String, line: Int, field: String)
    /// The model's chat template (in `directory`) maps to no built-in one; `reason` says how to choose.
    case unmappedChatTemplate(directory: String, reason: String)
    /// `--append-eos` was given but no EOS token is defined for the model in `directory`.
    case missingEOS(directory: String)
    /// The log-probability of row at `line` is not a finite number (NaN or infinite weights?).
    case nonFinite(path: String, line: Int, value: Double)

    var description: String {
        switch self {
        case let .invalidRow(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .missingTokenizer(path, line, tokenizerPath):
            return "\(path):\(line): the row holds text (\"prompt\"/\"response\") but \(tokenizerPath) does not exist; "
                + "add the model's tokenizer.json or give \"prompt_ids\"/\"response_ids\""
        case let .outputFieldPresent(path, line, field):
            return "\(path):\(line): the row already has a \"\(field)\" field, which dice logprobs writes; rename or remove it"
        case let .unmappedChatTemplate(directory, reason):
            return "\(directory): the model's chat template: \(reason)"
        case let .missingEOS(directory):
            return "\(directory): --append-eos needs an EOS token, but neither tokenizer_config.json (eos_token) "
                + "nor generation_config.json / config.json (eos_token_id) defines one"
        case let .nonFinite(path, line, value):
            return "\(path):\(line): the log-probability is \(value), not a finite number (do the weights hold NaN or infinity?)"
        }
    }
}
