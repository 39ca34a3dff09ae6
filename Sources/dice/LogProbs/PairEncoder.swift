// PairEncoder: turns a `dice logprobs` row into the token ids that are scored.

import DICEKit
import Foundation

/// Builds a `TokenPair` from a row: text rows are tokenised with the model's tokenizer (the
/// prompt wrapped in the chat template as one user turn with the generation prompt; prompt and
/// response encoded separately without added special tokens, then concatenated); id rows are
/// taken as given. With `eos` set it is appended to every response.
struct PairEncoder {
    /// The model's tokenizer; nil when the directory has none (then only id rows can be encoded).
    let tokenizer: Tokenizer?
    /// The template that wraps text prompts.
    let template: ChatTemplate
    /// The token appended to each response (`--append-eos`), or nil.
    let eos: Int?

    /// The encoder for the model directory `directory` (`config` is its config.json,
    /// `generationConfig` its generation_config.json).
    /// - Parameters:
    ///   - template: `--template`, already parsed; nil means the model's own template (detected
    ///     from tokenizer_config.json / chat_template.jinja), or `none` when it has none.
    ///   - needsTokenizer: whether some row holds text; tokenizer.json is then required.
    ///   - appendEOS: `--append-eos`. The EOS is the tokenizer's `eos_token` when the directory
    ///     has a tokenizer, else the first `eos_token_id` of generation_config.json, else of
    ///     config.json.
    /// - Throws: `LogProbsError.missingTokenizer` (reported at `firstTextLine` of `inputPath`),
    ///   `.unmappedChatTemplate`, `.missingEOS`; `TokenizerError` for a malformed tokenizer.
    init(directory: URL, config: ModelConfig, generationConfig: GenerationConfig?, template: ChatTemplate?,
         firstTextLine: Int?, inputPath: String, appendEOS: Bool) throws {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let hasTokenizer = FileManager.default.fileExists(atPath: tokenizerURL.path)
        if let line = firstTextLine, !hasTokenizer {
            throw LogProbsError.missingTokenizer(path: inputPath, line: line, tokenizerPath: tokenizerURL.path)
        }
        let tokenizer = hasTokenizer && (firstTextLine != nil || appendEOS)
            ? try Tokenizer(directory: directory) : nil
        self.tokenizer = tokenizer

        if let template {
            self.template = template
        } else if let tokenizer, firstTextLine != nil {
            do {
                self.template = try tokenizer.chatTemplate
            } catch TokenizerError.missingChatTemplate {
                self.template = ChatTemplate.none
            } catch let error as TokenizerError {
                throw LogProbsError.unmappedChatTemplate(directory: directory.path, reason: error.description)
            } catch let error as JinjaError {
                throw LogProbsError.unmappedChatTemplate(directory: directory.path, reason: error.description)
            }
        } else {
            self.template = ChatTemplate.none
        }

        if appendEOS {
            let fromTokenizer = tokenizer.flatMap { $0.eosTokenID }
            guard let eos = fromTokenizer ?? generationConfig?.eosTokenId?.first ?? config.eosTokenId?.first else {
                throw LogProbsError.missingEOS(directory: directory.path)
            }
            self.eos = eos
        } else {
            self.eos = nil
        }
    }

    /// The ids of `content`. Ids are not range-checked here (the model does that).
    /// - Precondition: a tokenizer exists when `content` is text (the initializer ensures it).
    func pair(_ content: LogProbsRow.Content) throws -> TokenPair {
        var pair: TokenPair
        switch content {
        case let .ids(prompt, response):
            pair = TokenPair(prompt: prompt, response: response)
        case let .text(prompt, response):
            guard let tokenizer else { preconditionFailure("text rows need a tokenizer (checked at init)") }
            let rendered = try tokenizer.applyChatTemplate([.user(prompt)], addGenerationPrompt: true, template: template)
            pair = TokenPair(prompt: tokenizer.encode(rendered, addSpecialTokens: false),
                             response: tokenizer.encode(response, addSpecialTokens: false))
        }
        if let eos { pair.response.append(eos) }
        return pair
    }
}
