// JinjaChatInput — rendering a conversation given as JSON (TRL's conversational format, `dice
// template` rows) the way transformers' apply_chat_template prepares it for the template.

extension JinjaTemplate {
    /// Renders `messages` (a list of message objects: `role`, `content` — a string or a list of
    /// parts —, and any other fields) as transformers' `apply_chat_template(…, tokenize=False)`
    /// does: keys whose value is null are dropped from each message, and a message's reasoning
    /// given as `reasoning_content`, `thinking` or `reasoning` is offered under both
    /// `reasoning_content` and `thinking`.
    /// - Parameters:
    ///   - messages: the conversation, a JSON list of message objects.
    ///   - addGenerationPrompt: the template's `add_generation_prompt`.
    ///   - variables: the template's other variables (special tokens, `enable_thinking`, `tools`, …).
    ///   - options: limits and the clock of `strftime_now`.
    /// - Throws: `JinjaError` (.type, line 0) when `messages` is not a list of objects; what
    ///   `render` throws.
    public func renderChat(messages: JinjaValue, addGenerationPrompt: Bool, variables: [String: JinjaValue],
                           options: JinjaOptions = JinjaOptions()) throws -> String {
        guard case .array(let list) = messages else {
            throw JinjaError(.type, "messages must be a list of message objects, not \(messages.typeName)", line: 0, column: 0)
        }
        var normalized: [JinjaValue] = []
        for (index, message) in list.enumerated() {
            guard case .dict(let fields) = message else {
                throw JinjaError(.type, "message \(index) must be an object, not \(message.typeName)", line: 0, column: 0)
            }
            var kept = JinjaDict()
            for (key, value) in fields.items where value != .none { kept[key] = value }
            if let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ kept[$0] }).first {
                var aliased = JinjaDict()
                aliased["thinking"] = kept["thinking"] ?? reasoning
                for (key, value) in kept.items where key != "thinking" { aliased[key] = value }
                aliased["reasoning_content"] = reasoning
                kept = aliased
            }
            normalized.append(.dict(kept))
        }
        var context = variables
        context["messages"] = .array(normalized)
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try render(context, options: options)
    }
}
