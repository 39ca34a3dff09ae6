import ArgumentParser
import DICEKit
import Foundation

/// `dice template`: renders conversations with a model's own chat template, as transformers'
/// `apply_chat_template` does, and tokenizes the renderings.
///
/// Each input row is `{"messages": [...], "add_generation_prompt": bool, "template_kwargs": {...}}`
/// (the last two optional); each output row is the input row (fields in order) with `"text"` (the
/// rendering) and `"ids"` (its tokens, encoded without added special tokens — the template
/// writes its own — as transformers does for chat templates) appended.
struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render conversations with the model's chat template and tokenize them.",
        discussion: """
        Input rows are {"messages": [{"role": …, "content": …}, …], "add_generation_prompt": bool, \
        "template_kwargs": {…}} (the last two optional; template_kwargs become template variables, e.g. \
        enable_thinking or tools). The template sees the tokenizer's special tokens (bos_token, eos_token, \
        unk_token, pad_token) as transformers passes them. Output rows add "text" and "ids".
        """
    )

    @Option(help: "Model directory with tokenizer.json and a chat template (tokenizer_config.json or chat_template.jinja).")
    var model: String

    @Option(help: "Input JSONL file.")
    var input: String

    @Option(help: "Output JSONL file (written atomically; its folder must exist).")
    var output: String

    /// A row that cannot be rendered, named by file and line.
    struct RowError: Error, CustomStringConvertible {
        let path: String
        let line: Int
        let reason: String
        var description: String { "\(path):\(line): \(reason)" }
    }

    func run() throws {
        try reportingErrors(renderRows)
    }

    private func renderRows() throws {
        let inputURL = URL(fileURLWithPath: input)
        let tokenizer = try Tokenizer(directory: URL(fileURLWithPath: model))
        guard let source = tokenizer.config.chatTemplate else {
            throw TokenizerError.missingChatTemplate(path: URL(fileURLWithPath: model).appendingPathComponent("tokenizer_config.json").path)
        }
        let template = try JinjaTemplate(source: source)
        let text = String(decoding: try Data(contentsOf: inputURL), as: UTF8.self)
        var out = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            func fail(_ reason: String) -> RowError { RowError(path: inputURL.path, line: index + 1, reason: reason) }
            let row: JinjaValue
            do {
                row = try JinjaValue(jsonText: line)
            } catch let error as JinjaError {
                throw fail("invalid JSON: \(error.message)")
            }
            guard case .dict(var fields) = row else { throw fail("expected a JSON object") }
            guard let messages = fields["messages"] else { throw fail("missing field \"messages\"") }
            var generation = false
            switch fields["add_generation_prompt"] {
            case nil: break
            case .bool(let b)?: generation = b
            default: throw fail("\"add_generation_prompt\" must be true or false")
            }
            var variables = tokenizer.chatTemplateVariables
            switch fields["template_kwargs"] {
            case nil: break
            case .dict(let kwargs)?: for (key, value) in kwargs.items { variables[key] = value }
            default: throw fail("\"template_kwargs\" must be an object")
            }
            for field in ["text", "ids"] where fields[field] != nil {
                throw fail("the row already has a \"\(field)\" field (the output adds it)")
            }
            let rendering: String
            do {
                rendering = try template.renderChat(messages: messages, addGenerationPrompt: generation, variables: variables)
            } catch let error as JinjaError {
                throw fail(error.line > 0 ? error.description : error.message)
            }
            fields["text"] = .string(rendering)
            fields["ids"] = .array(tokenizer.encode(rendering).map { .int($0) })
            out += try JinjaValue.dict(fields).jsonText() + "\n"
        }
        try AtomicFile.write(Data(out.utf8), to: URL(fileURLWithPath: output))
    }
}
