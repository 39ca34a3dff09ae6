// PreferenceRow: one line of a preference JSONL file, in any of the three layouts DPO data
// comes in, decoded strictly (errors name the field; JSONL adds the file and line).

import Foundation

/// One row of a preference data file, before tokenization.
///
/// Accepted layouts:
/// - token ids: `{"prompt_ids": [..], "chosen_ids": [..], "rejected_ids": [..]}`, used as they are;
/// - strings: `{"prompt": "…", "chosen": "…", "rejected": "…"}`: the prompt is one user message;
/// - conversations (as in UltraFeedback-binarized): `chosen` and `rejected` are message lists
///   `[{"role", "content"}]` ending in an assistant message; the prompt is everything before that
///   final message (which must be the same in both), and any `prompt` field is then ignored.
///   With one-message `chosen`/`rejected` lists, `prompt` supplies the context: a message list,
///   or a string (one user message).
public enum PreferenceRow: Sendable, Equatable, Decodable {
    /// Pre-tokenized.
    case ids(prompt: [Int], chosen: [Int], rejected: [Int])
    /// A conversation to wrap with a chat template, and the two final assistant replies.
    case conversation(prompt: [ChatMessage], chosen: String, rejected: String)

    private enum Keys: String, CodingKey {
        case promptIDs = "prompt_ids", chosenIDs = "chosen_ids", rejectedIDs = "rejected_ids"
        case prompt, chosen, rejected
    }

    /// A string or a message list.
    private enum Content: Decodable {
        case text(String)
        case messages([ChatMessage])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s); return }
            do {
                self = .messages(try c.decode([ChatMessage].self))
            } catch {
                throw DecodingError.typeMismatch(
                    String.self, .init(codingPath: decoder.codingPath,
                                       debugDescription: "expected a string or a list of {\"role\", \"content\"} messages"))
            }
        }
    }

    /// Decodes one row in any of the three layouts above (ids when any `*_ids` field is present).
    /// - Throws: `DecodingError` naming the missing or mistyped field, or a conversation whose
    ///   chosen and rejected lists disagree before their final message.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if c.contains(.promptIDs) || c.contains(.chosenIDs) || c.contains(.rejectedIDs) {
            self = .ids(prompt: try c.decode([Int].self, forKey: .promptIDs),
                        chosen: try c.decode([Int].self, forKey: .chosenIDs),
                        rejected: try c.decode([Int].self, forKey: .rejectedIDs))
            return
        }
        let chosen = try c.decode(Content.self, forKey: .chosen)
        let rejected = try c.decode(Content.self, forKey: .rejected)
        let prompt = try c.decodeIfPresent(Content.self, forKey: .prompt)

        func split(_ content: Content, key: Keys) throws -> (context: [ChatMessage], reply: String) {
            switch content {
            case .text(let s): return ([], s)
            case .messages(let list):
                guard let last = list.last, last.role == "assistant" else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: c, debugDescription: "the conversation must end with an assistant message")
                }
                return (Array(list.dropLast()), last.content)
            }
        }
        let (chosenContext, chosenReply) = try split(chosen, key: .chosen)
        let (rejectedContext, rejectedReply) = try split(rejected, key: .rejected)
        guard chosenContext == rejectedContext else {
            throw DecodingError.dataCorruptedError(
                forKey: .rejected, in: c,
                debugDescription: "the messages before the final reply differ between chosen and rejected")
        }
        var context = chosenContext
        if context.isEmpty {
            switch prompt {
            case .text(let s): context = [.user(s)]
            case .messages(let list): context = list
            case nil:
                throw DecodingError.keyNotFound(Keys.prompt, .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "no prompt: give \"prompt\", or conversations with the context before the reply"))
            }
        }
        self = .conversation(prompt: context, chosen: chosenReply, rejected: rejectedReply)
    }
}
