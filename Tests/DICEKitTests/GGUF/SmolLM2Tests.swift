import Foundation
import Testing
@testable import DICEKit

/// DICEKIT_SMOLLM2_DIR, if set.
private let smolLM2Folder = ProcessInfo.processInfo.environment["DICEKIT_SMOLLM2_DIR"].map { URL(fileURLWithPath: $0) }

/// SmolLM2-135M-Instruct from its GGUF against transformers loading the same GGUF. Runs only when
/// DICEKIT_SMOLLM2_DIR names the folder Scripts/smollm2.sh --check fills (the GGUF, the converted
/// directory `hf`, and the goldens of Scripts/check_smollm2.py under `check`); skipped otherwise.
@Suite("SmolLM2 from GGUF", .enabled(if: smolLM2Folder != nil, "set DICEKIT_SMOLLM2_DIR (Scripts/smollm2.sh --check)"))
struct SmolLM2Tests {
    static var folder: URL? { smolLM2Folder }

    struct TokenizerGolden: Decodable {
        let instructions: [String]
        let ids: [[Int]]
        let chats: [String]
        let chat_ids: [[Int]]
    }

    struct GreedyGolden: Decodable {
        let chat_ids: [[Int]]
        let continuations: [[Int]]
    }

    static func url(_ name: String) throws -> URL {
        try #require(folder).appendingPathComponent(name)
    }

    static var gguf: URL { get throws { try url("SmolLM2-135M-Instruct.Q4_1.gguf") } }

    static func tokenizerGolden() throws -> TokenizerGolden {
        try JSONDecoder().decode(TokenizerGolden.self, from: Data(contentsOf: url("check/tokenizer.golden.json")))
    }

    /// All 805 AlpacaEval instructions encode exactly as transformers' tokenizer from the GGUF.
    @Test func tokenizerMatchesOnAlpacaEval() throws {
        let golden = try Self.tokenizerGolden()
        let tokenizer = try Tokenizer(directory: Self.gguf)
        var mismatches: [String] = []
        for (text, ids) in zip(golden.instructions, golden.ids) where tokenizer.encode(text) != ids {
            mismatches.append(text)
        }
        #expect(golden.instructions.count == 805)
        #expect(mismatches.isEmpty, "\(mismatches.count) instructions differ, first: \(mismatches.first ?? "")")
        for (i, chat) in golden.chats.enumerated() {
            let rendered = try tokenizer.applyChatTemplate([.user(Self.prompts[i])], addGenerationPrompt: true)
            #expect(rendered == chat)
            #expect(tokenizer.encode(chat) == golden.chat_ids[i])
        }
    }

    /// The prompts of Scripts/check_smollm2.py.
    static let prompts = [
        "What is the capital of France?", "Write a haiku about the sea.", "Give three tips for staying healthy.",
        "Explain what a prime number is in one sentence.", "Translate 'good morning' into Spanish.",
    ]

    /// Logits of the GGUF (and of the directory `dice convert` wrote) within 1e-4 of transformers'.
    @Test(arguments: ["gguf", "hf"])
    func logitsMatch(_ source: String) throws {
        let golden = try Self.tokenizerGolden()
        let file = try SafeTensorsFile(contentsOf: Self.url("check/logits.golden.safetensors"))
        let model = try TransformerLM(directory: source == "gguf" ? Self.gguf : Self.url("hf"), backend: CPUBackend())
        for (i, ids) in golden.chat_ids.enumerated() {
            let got = try model.logits([ids])[0]
            let want = try file.doubles("logits.\(i)")
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(worst < 1e-4, "\(source) prompt \(i): max error \(worst)")
        }
    }

    /// 32 greedy tokens (argmax of full forward passes) equal transformers' `generate(…,
    /// do_sample=False, min_new_tokens=32)`, which bans EOS (id 2) until the 32nd token: so does
    /// this loop.
    @Test func greedyContinuationsMatch() throws {
        let golden = try JSONDecoder().decode(GreedyGolden.self, from: Data(contentsOf: Self.url("check/greedy.golden.json")))
        let model = try TransformerLM(directory: Self.gguf, backend: CPUBackend())
        let vocab = model.spec.vocabularySize
        let eos = 2
        for (prompt, want) in zip(golden.chat_ids, golden.continuations) {
            var sequence = prompt
            for _ in 0..<want.count {
                let logits = try model.logits([sequence])[0]
                var last = Array(logits[(logits.count - vocab)...])
                last[eos] = -.infinity
                sequence.append(last.indices.max { last[$0] < last[$1] } ?? 0)
            }
            #expect(Array(sequence[prompt.count...]) == want)
        }
    }
}
