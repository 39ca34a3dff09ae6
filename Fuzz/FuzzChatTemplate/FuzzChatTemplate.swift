// FuzzChatTemplate: chat templates as text — `ChatTemplate(parsing:)` (the --template flag),
// `ChatTemplate.detect(jinja:)` (a Jinja `chat_template`), and tokenizer_config.json bytes whose
// `chat_template` is detected — each template found rendered over a fixed conversation.

import DICEKit
import Foundation
import FuzzSupport

/// A conversation with every role the templates treat differently, and braces, escapes and
/// spaces in the contents.
let messages: [ChatMessage] = [
    .system("Be brief. {prompt} stays as written."),
    .user("  What is 2+2?\n"),
    .assistant("4"),
    .init(role: "tool", content: "{system}\\n"),
    .user("And {eos}?\u{1C}"),
]

@main enum FuzzChatTemplate {
    static func main() {
        FuzzDriver.main { data in
            let text = String(decoding: data, as: UTF8.self)
            var templates: [ChatTemplate] = []
            if let parsed = try? ChatTemplate(parsing: text) { templates.append(parsed) }
            if let detected = try? ChatTemplate.detect(jinja: text) { templates.append(detected) }
            if let config = try? JSONDecoder().decode(TokenizerConfig.self, from: data), let jinja = config.chatTemplate,
               let detected = try? ChatTemplate.detect(jinja: jinja) {
                templates.append(detected)
            }
            for template in templates {
                for generation in [false, true] {
                    _ = template.render(messages, addGenerationPrompt: generation, bosToken: "<s>", eosToken: "</s>")
                    _ = template.render([], addGenerationPrompt: generation)
                }
                _ = template.description
            }
        }
    }
}
