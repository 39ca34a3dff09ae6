// The Swift section of Documentation/GettingStarted.md, run as written (public API only) on the
// fixture model llama-gqa-tied with the fixture tokenizer of the same vocabulary (96 ids): load
// a Hugging Face folder, render its chat template, generate, score. The score is checked
// against the chain rule: the sum of each response token's log-probability given everything
// before it, scored one token at a time.

import DICEKit
import Foundation
import Testing

@Suite("Getting started: the Swift section")
struct GettingStartedTests {
    /// Tests/Fixtures, found from this file's path.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    @Test("load, template, generate and score, as the guide shows")
    func guide() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let fm = FileManager.default
        let folder = scratch.file("tiny")
        try fm.copyItem(at: Self.fixtures.appendingPathComponent("models/llama-gqa-tied"), to: folder)
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            try fm.copyItem(at: Self.fixtures.appendingPathComponent("cli/tokenizer96/\(name)"), to: folder.appendingPathComponent(name))
        }

        // --- The guide's code, from here to the end marker. ---
        let model = try TransformerLM(directory: folder, backend: CPUBackend())
        let tokenizer = try Tokenizer(directory: folder)

        // The chat template of tokenizer_config.json, then token ids.
        let text = try tokenizer.applyChatTemplate([.user("Name a colour.")], addGenerationPrompt: true)
        let prompt = tokenizer.encode(text)

        // Sample one response (seeded) until an EOS id or 32 new tokens.
        let generationConfig = try GenerationConfig.load(contentsOf: folder.appendingPathComponent("generation_config.json"))
        let parameters = GenerationParameters(
            maxNewTokens: 32, sampling: SamplingParameters(temperature: 0.7, topP: 0.9),
            stopTokenIDs: GenerationParameters.defaultStopTokenIDs(generationConfig: generationConfig, tokenizer: tokenizer),
            seed: 0)
        let generator = try Generator(model: model, parameters: parameters, tokenizer: tokenizer)
        let response = try generator.generate(prompts: [prompt])[0][0]
        let answer = tokenizer.decode(response.ids, skipSpecialTokens: true)

        // Score it: Σ log p(response token | everything before it), in nats, the prompt masked.
        let logProb = try model.logProbs([TokenPair(prompt: prompt, response: response.ids)])[0]
        // --- End of the guide's code. ---

        #expect(text == "<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n")
        #expect(Array(prompt.prefix(1)) == [2] && prompt.allSatisfy { (0 ..< 96).contains($0) })
        #expect(!response.ids.isEmpty && response.ids.count <= 32)
        #expect(response.finishReason == .length ? response.ids.count == 32 : parameters.stopTokenIDs.contains(response.ids.last ?? -1))
        #expect(answer == tokenizer.decode(response.ids, skipSpecialTokens: true))
        // The same seed gives the same response.
        #expect(try generator.generate(prompts: [prompt])[0][0] == response)
        // The chain rule: one token at a time, each given the prompt and the tokens before it.
        let steps = try model.logProbs(response.ids.indices.map {
            TokenPair(prompt: prompt + response.ids[..<$0], response: [response.ids[$0]])
        })
        #expect(logProb < 0 && abs(logProb - steps.reduce(0, +)) < 1e-4 * max(1, abs(logProb)))
    }
}
