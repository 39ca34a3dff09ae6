// ChatTemplate — how a conversation becomes prompt text: the model's own Jinja `chat_template`
// (tokenizer_config.json, chat_template.jinja or GGUF `tokenizer.chat_template`, run by the
// sandboxed interpreter in Jinja/), or a built-in chosen by name, or a `{prompt}` format.
//
// Each built-in reproduces, character for character, what transformers'
// `apply_chat_template(…, tokenize=False)` renders for the reference template (checked against
// transformers in Tests/Fixtures/tokenizers):
//   chatml  "<|im_start|>{role}\n{content}<|im_end|>\n" per message;
//           generation prompt "<|im_start|>assistant\n"
//   zephyr  "<|{role}|>\n{content}{eos}\n" per system/user/assistant message (other roles are
//           dropped); generation prompt "<|assistant|>\n" (after at least one message)
//   llama3  "{bos}" once, then "<|start_header_id|>{role}<|end_header_id|>\n\n{trimmed content}<|eot_id|>";
//           generation prompt "<|start_header_id|>assistant<|end_header_id|>\n\n"

import Foundation

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// The speaker: "system", "user" or "assistant" (other roles pass through where the template allows).
    public var role: String
    /// The message text.
    public var content: String

    /// A message from `role` with `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { .init(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { .init(role: "user", content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { .init(role: "assistant", content: content) }
}

/// How a conversation is turned into the prompt text a model sees.
public enum ChatTemplate: Sendable, Equatable, CustomStringConvertible {
    /// ChatML (`<|im_start|>role\n…<|im_end|>`): Qwen, SmolLM, many fine-tunes.
    case chatml
    /// Zephyr (`<|user|>\n…</s>`): HuggingFaceH4/zephyr-7b-beta and Mistral-based SFT models.
    case zephyr
    /// Llama-3 Instruct (`<|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>`).
    case llama3
    /// No wrapping: the messages' contents joined by "\n".
    case none
    /// A Jinja template (the model's own), rendered as transformers' `apply_chat_template` does.
    case jinja(JinjaTemplate)
    /// A user format with `{prompt}` (the user message), and optionally `{system}` (the system
    /// message, empty if none), `{bos}` and `{eos}`; escapes `\n`, `\t` and `\\` are already
    /// resolved. Rendered once per user turn (`{system}` only in the first); each assistant
    /// message is appended verbatim after its turn. `addGenerationPrompt` has no effect: the
    /// format itself ends where the answer begins.
    case format(String)

    /// Parses a command-line choice: `chatml`, `zephyr`, `llama3`, `none` (any case), or a format
    /// string containing `{prompt}` (with `\n`, `\t`, `\\` escapes).
    /// - Throws: `TokenizerError.unknownChatTemplate` for anything else.
    public init(parsing spec: String) throws {
        switch spec.lowercased() {
        case "chatml": self = .chatml
        case "zephyr": self = .zephyr
        case "llama3", "llama-3": self = .llama3
        case "none": self = .none
        default:
            guard spec.contains("{prompt}") else { throw TokenizerError.unknownChatTemplate(template: spec) }
            self = .format(Self.unescape(spec))
        }
    }

    /// The name used by `init(parsing:)` (the format string itself for `.format`).
    public var description: String {
        switch self {
        case .chatml: return "chatml"
        case .zephyr: return "zephyr"
        case .llama3: return "llama3"
        case .none: return "none"
        case .jinja: return "jinja"
        case .format(let f): return f
        }
    }

    /// Renders `messages` as the template does.
    /// - Parameters:
    ///   - messages: the conversation, in order.
    ///   - addGenerationPrompt: append the header that opens the assistant's reply.
    ///   - bosToken: text of the BOS token (used by llama3 and `{bos}`; a Jinja template sees it
    ///     as `bos_token` when not empty).
    ///   - eosToken: text of the EOS token (used by zephyr and `{eos}`; `eos_token` in Jinja).
    ///   - variables: further variables of a Jinja template (`enable_thinking`, `tools`,
    ///     `unk_token`, …), overriding the ones above; ignored by the built-ins.
    ///   - options: the sandbox bounds and clock of a Jinja render.
    /// - Returns: the prompt text; encode it with `addSpecialTokens: false` (as transformers does
    ///   for chat templates): templates write their own BOS.
    /// - Throws: `JinjaError` from a Jinja template (`raise_exception`, invalid operations,
    ///   sandbox bounds); the built-ins and formats never throw.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                       bosToken: String = "", eosToken: String = "",
                       variables: [String: JinjaValue] = [:], options: JinjaOptions = JinjaOptions()) throws -> String {
        var out = ""
        switch self {
        case .jinja(let template):
            var context: [String: JinjaValue] = [
                "messages": .array(messages.map { m in
                    var d = JinjaDict()
                    d["role"] = .string(m.role)
                    d["content"] = .string(m.content)
                    return .dict(d)
                }),
                "add_generation_prompt": .bool(addGenerationPrompt),
            ]
            if !bosToken.isEmpty { context["bos_token"] = .string(bosToken) }
            if !eosToken.isEmpty { context["eos_token"] = .string(eosToken) }
            context.merge(variables) { _, given in given }
            out = try template.render(context, options: options)
        case .chatml:
            for m in messages { out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .zephyr:
            for m in messages where ["user", "system", "assistant"].contains(m.role) {
                out += "<|" + m.role + "|>\n" + m.content + eosToken + "\n"
            }
            if addGenerationPrompt && !messages.isEmpty { out += "<|assistant|>\n" }
        case .llama3:
            for (i, m) in messages.enumerated() {
                if i == 0 { out += bosToken }
                out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Self.pythonStrip(m.content) + "<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .none:
            out = messages.map(\.content).joined(separator: "\n")
        case .format(let format):
            var system = messages.first { $0.role == "system" }?.content ?? ""
            for m in messages {
                switch m.role {
                case "user":
                    out += Self.fill(format, ["system": system, "bos": bosToken, "eos": eosToken, "prompt": m.content])
                    system = ""
                case "assistant":
                    out += m.content
                default:
                    break
                }
            }
        }
        return out
    }

    /// `format` with each `{name}` of `values` replaced, in one pass (substituted text is never
    /// re-scanned, so a prompt containing "{system}" stays as written); other braces are kept.
    /// Names contain no braces, so a name is looked for only up to the next brace of either kind:
    /// every character is scanned at most twice, however many braces the format has.
    static func fill(_ format: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = format[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            if let close = rest[afterOpen...].firstIndex(where: { $0 == "{" || $0 == "}" }), rest[close] == "}",
               let value = values[String(rest[afterOpen..<close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out.append("{")
                rest = rest[afterOpen...]
            }
        }
        return out + rest
    }

    /// Python's `str.strip()` (Jinja's `trim` filter): removes leading and trailing characters
    /// for which `str.isspace()` holds (White_Space plus U+001C–U+001F).
    static func pythonStrip(_ s: String) -> String {
        func isSpace(_ c: Unicode.Scalar) -> Bool {
            UnicodeClass.isWhitespace(c) || (c.value >= 0x1C && c.value <= 0x1F)
        }
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi && isSpace(scalars[lo]) { lo += 1 }
        while hi > lo && isSpace(scalars[hi - 1]) { hi -= 1 }
        return String(String.UnicodeScalarView(scalars[lo..<hi]))
    }

    /// Resolves `\n`, `\t` and `\\` in a command-line format string.
    static func unescape(_ s: String) -> String {
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\": out.append("\\")
                default: out.append("\\"); out.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        if escaping { out.append("\\") }
        return out
    }
}
