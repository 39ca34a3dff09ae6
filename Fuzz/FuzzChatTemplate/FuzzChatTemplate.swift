// FuzzChatTemplate: chat templates as text — `ChatTemplate(parsing:)` (the --template flag),
// tokenizer_config.json bytes whose `chat_template` is parsed and rendered, and
// the Jinja interpreter: the input up to its first NUL byte is a template, the rest (when it is
// JSON) the `messages` variable; each template is parsed and rendered under tight sandbox bounds.

import DICEKit
import Foundation
import FuzzSupport

/// A conversation with every role the templates treat differently, and braces, escapes and
/// spaces in the contents.
let messages: [ChatMessage] = [
    .system("Be brief. {prompt} stays as written."),
    .user("  What is 2+2?\n"),
    .assistant("<think>\nsum\n</think>\n\n4"),
    .init(role: "tool", content: "{system}\\n"),
    .user("And {eos}?\u{1C}"),
]

/// Bounds small enough that every input finishes quickly.
let limits = JinjaLimits(maxOutput: 1 << 16, maxDepth: 32, maxIterations: 20_000, maxRange: 1_000, maxNesting: 100)
let options = JinjaOptions(limits: limits, now: { Date(timeIntervalSince1970: 1_700_000_000) },
                           timeZone: TimeZone(identifier: "UTC") ?? .current)

/// Renders `template` with the fixed conversation and with `jsonMessages` when given.
func renderJinja(_ template: JinjaTemplate, jsonMessages: JinjaValue?) {
    let variables: [String: JinjaValue] = ["enable_thinking": .bool(false), "unk_token": .string("<unk>")]
    for generation in [false, true] {
        _ = try? ChatTemplate.jinja(template).render(messages, addGenerationPrompt: generation, bosToken: "<s>",
                                                     eosToken: "</s>", variables: variables, options: options)
        if let jsonMessages {
            _ = try? template.render(["messages": jsonMessages, "add_generation_prompt": .bool(generation),
                                      "bos_token": .string("<s>")], options: options)
        }
    }
}

@main enum FuzzChatTemplate {
    static func main() {
        FuzzDriver.main { data in
            let text = String(decoding: data, as: UTF8.self)
            var templates: [ChatTemplate] = []
            if let parsed = try? ChatTemplate(parsing: text) { templates.append(parsed) }
            if let config = try? JSONDecoder().decode(TokenizerConfig.self, from: data), let jinja = config.chatTemplate {
                if let template = try? JinjaTemplate(source: jinja, limits: limits) { renderJinja(template, jsonMessages: nil) }
            }
            for template in templates {
                for generation in [false, true] {
                    _ = try? template.render(messages, addGenerationPrompt: generation, bosToken: "<s>", eosToken: "</s>")
                    _ = try? template.render([], addGenerationPrompt: generation)
                }
                _ = template.description
            }
            let parts = text.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false)
            let jsonMessages = parts.count > 1 ? try? JinjaValue(jsonText: String(parts[1])) : nil
            if let template = try? JinjaTemplate(source: String(parts[0]), limits: limits) {
                renderJinja(template, jsonMessages: jsonMessages)
            }
        }
    }
}
