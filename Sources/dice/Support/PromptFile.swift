// PromptFile: a JSONL file of prompts — `{"prompt": str}`, `{"prompt": [{"role", "content"}…]}`
// (TRL's conversational format) or `{"prompt_ids": [int]}` rows, as `dice generate` reads them —
// turned into token ids and checked against a model.

import DICEKit
import Foundation

/// The prompts of a JSONL file as token ids, with the line each came from.
struct PromptFile {
    /// Token ids of every prompt, in file order.
    var prompts: [[Int]]
    /// The 1-based line of each prompt.
    var lines: [Int]
    /// Each prompt as an instruction text: a text row's prompt, a conversation's last user
    /// message, or nil for a row of token ids (the caller decodes those).
    var instructions: [String?]
    /// Each row's `"dataset"` string, when it has one (AlpacaEval's instructions carry it).
    var datasets: [String?]
    /// Each row's `"constraints"` (the constraints judge's; `Constraint`'s JSON form), when it
    /// has them.
    var constraints: [[Constraint]?]

    /// A problem with a prompt file, found before any work.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads `path`: ids rows as they are; text rows rendered as one user turn, conversation rows
    /// as their messages, with `template` and the generation prompt, and encoded without special
    /// tokens, as
    /// `PreferenceDataset` encodes the prompts of preference pairs (so that the same prompt gives
    /// the same ids in both files).
    ///
    /// - Parameters:
    ///   - vocabularySize, maxPositions: every id must be in 0..<vocabularySize and every
    ///     prompt shorter than maxPositions (room for at least one response token).
    /// - Throws: `JSONLError` for unreadable rows (file and line); `InputError` naming the file
    ///   and line for an empty file, a text row without a tokenizer, an id out of range or a
    ///   prompt too long; `TokenizerError` from the template.
    init(path: String, tokenizer: Tokenizer?, template: ChatTemplate, vocabularySize: Int, maxPositions: Int) throws {
        let url = URL(fileURLWithPath: path)
        let records = try JSONL.readRecords(Generate.Row.self, from: url)
        guard !records.isEmpty else { throw InputError(description: "\(path): no prompts (the file is empty)") }
        prompts = try records.map { record in
            let line = record.line
            func encode(_ conversation: [ChatMessage]) throws -> [Int] {
                guard let tokenizer else {
                    throw InputError(description: "\(path):\(line): a text prompt needs a tokenizer (tokenizer.json in the model folder)")
                }
                let rendered = try tokenizer.applyChatTemplate(conversation, addGenerationPrompt: true, template: template)
                return tokenizer.encode(rendered, addSpecialTokens: false)
            }
            let ids: [Int]
            switch record.value.prompt {
            case .ids(let given): ids = given
            case .text(let text): ids = try encode([.user(text)])
            case .messages(let messages): ids = try encode(messages)
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw InputError(description: "\(path):\(line): token id \(bad) is outside the model's vocabulary 0..<\(vocabularySize)")
            }
            guard !ids.isEmpty else { throw InputError(description: "\(path):\(line): the prompt is empty") }
            guard ids.count < maxPositions else {
                throw InputError(description: "\(path):\(line): the prompt has \(ids.count) tokens; the model's context is \(maxPositions)")
            }
            return ids
        }
        lines = records.map(\.line)
        instructions = records.map { record in
            switch record.value.prompt {
            case .text(let text): return text
            case .messages(let messages): return messages.last { $0.role == "user" }?.content
            case .ids: return nil
            }
        }
        datasets = records.map { record in
            if case .string(let name)? = record.value.fields["dataset"] { return name }
            return nil
        }
        constraints = records.map(\.value.constraints)
    }
}
