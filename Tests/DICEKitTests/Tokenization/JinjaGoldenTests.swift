// Real chat templates (Tests/Fixtures/chat-templates/*.jinja) rendered by DICEKit's Jinja
// interpreter must equal transformers' apply_chat_template byte for byte, and encode to the same
// ids (goldens.json, made by Scripts/make-template-goldens.py).

import Foundation
import Testing
@testable import DICEKit

@Suite("Jinja chat templates against transformers")
struct JinjaGoldenTests {
    static let directory = TokenizerFixtures.root.appendingPathComponent("chat-templates")

    /// The goldens document.
    static func goldens() throws -> JinjaValue {
        let data = try Data(contentsOf: directory.appendingPathComponent("goldens.json"))
        return try JinjaValue(jsonText: String(decoding: data, as: UTF8.self))
    }

    static func field(_ value: JinjaValue, _ key: String) -> JinjaValue? {
        guard case .dict(let d) = value else { return nil }
        return d[key]
    }

    /// The pinned clock of the goldens (`now`, a naive local time), read in UTC.
    static func pinnedOptions(_ doc: JinjaValue) throws -> JinjaOptions {
        guard case .string(let now)? = field(doc, "now") else { throw JinjaError(.type, "no now", line: 0, column: 0) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let date = try #require(formatter.date(from: now))
        return JinjaOptions(now: { date }, timeZone: try #require(TimeZone(identifier: "UTC")))
    }

    @Test("every golden case renders and encodes as transformers does", arguments: [
        "llama-3", "llama-3.1", "llama-3.2", "qwen2.5", "qwen3", "gemma-3", "mistral-7b-v0.2", "mistral-nemo",
        "zephyr", "smollm2",
    ])
    func family(_ name: String) throws {
        let doc = try Self.goldens()
        let options = try Self.pinnedOptions(doc)
        let source = try String(contentsOf: Self.directory.appendingPathComponent(name + ".jinja"), encoding: .utf8)
        let template = ChatTemplate.jinja(try JinjaTemplate(source: source))
        guard case .array(let cases)? = Self.field(doc, "cases") else { Issue.record("no cases"); return }
        var checked = 0
        for c in cases where Self.field(c, "template") == .string(name) {
            guard case .string(let tokenizerName)? = Self.field(c, "tokenizer"),
                  case .array(let rawMessages)? = Self.field(c, "messages"),
                  case .bool(let generation)? = Self.field(c, "add_generation_prompt"),
                  case .dict(let kwargs)? = Self.field(c, "kwargs") else {
                Issue.record("malformed case \(c)")
                continue
            }
            let messages = rawMessages.compactMap { m -> ChatMessage? in
                guard case .string(let role)? = Self.field(m, "role"), case .string(let content)? = Self.field(m, "content") else { return nil }
                return ChatMessage(role: role, content: content)
            }
            let tokenizer = try TokenizerFixtures.tokenizer(tokenizerName)
            var variables = tokenizer.chatTemplateVariables
            for (k, v) in kwargs.items { variables[k] = v }
            let label = "\(name) \(Self.field(c, "conversation").map { (try? $0.pyStr()) ?? "" } ?? "") gen=\(generation) \(kwargs.keys)"
            let rendering = Result {
                try template.render(messages, addGenerationPrompt: generation, variables: variables, options: options)
            }
            if case .string(let message)? = Self.field(c, "error") {
                switch rendering {
                case .success(let text): Issue.record("\(label): expected error \(message), rendered \(text.debugDescription)")
                case .failure(let error):
                    let jinja = error as? JinjaError
                    #expect(jinja?.kind == .raised, "\(label)")
                    #expect(jinja?.message == message, "\(label)")
                    #expect((jinja?.line ?? 0) > 0, "\(label)")
                }
            } else {
                guard case .string(let expected)? = Self.field(c, "text"), case .array(let ids)? = Self.field(c, "ids") else {
                    Issue.record("\(label): no text")
                    continue
                }
                let text = try rendering.get()
                #expect(text == expected, "\(label)")
                #expect(tokenizer.encode(text).map { JinjaValue.int($0) } == ids, "\(label)")
            }
            checked += 1
        }
        #expect(checked >= 8, "\(name): only \(checked) cases")
    }
}
