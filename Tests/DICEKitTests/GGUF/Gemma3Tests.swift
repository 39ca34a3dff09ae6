import Foundation
import Testing
@testable import DICEKit

/// The folder Scripts/gemma3.sh --check fills: DICEKIT_GEMMA3_DIR, else .build-gemma3 in the
/// repository (the GGUF, the converted directory `hf`, Scripts/check_gemma3.py's goldens in `check`).
private let gemma3Folder: URL = {
    if let dir = ProcessInfo.processInfo.environment["DICEKIT_GEMMA3_DIR"] { return URL(fileURLWithPath: dir) }
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { root.deleteLastPathComponent() }  // Tests/DICEKitTests/GGUF/Gemma3Tests.swift
    return root.appendingPathComponent(".build-gemma3")
}()

/// Whether the GGUF and the goldens are there.
private let gemma3Present = ["gemma-3-270m-q4_k_m.gguf", "check/tokenizer.golden.json", "check/greedy.golden.json",
                             "check/logits.golden.safetensors"]
    .allSatisfy { FileManager.default.fileExists(atPath: gemma3Folder.appendingPathComponent($0).path) }

/// Gemma-3-270M (base, Q4_K_M GGUF) against transformers loading the same GGUF. Runs only when the
/// folder of Scripts/gemma3.sh --check holds the GGUF and Scripts/check_gemma3.py's goldens
/// (`make gemma3` then `Scripts/gemma3.sh --check`, or DICEKIT_GEMMA3_DIR naming such a folder);
/// skipped otherwise, as the 253 MB file is never part of the repository.
@Suite("Gemma-3-270M from GGUF",
       .enabled(if: gemma3Present, "needs the Gemma-3-270M GGUF and goldens: run Scripts/gemma3.sh --check (or set DICEKIT_GEMMA3_DIR)"))
struct Gemma3Tests {
    struct TokenizerGolden: Decodable {
        let instructions: [String]
        let ids: [[Int]]
        let prompts: [String]
        let prompt_ids: [[Int]]
    }

    struct GreedyGolden: Decodable {
        let prompt_ids: [[Int]]
        let continuations: [[Int]]
    }

    static func url(_ name: String) -> URL { gemma3Folder.appendingPathComponent(name) }

    static var gguf: URL { url("gemma-3-270m-q4_k_m.gguf") }

    static func tokenizerGolden() throws -> TokenizerGolden {
        try JSONDecoder().decode(TokenizerGolden.self, from: Data(contentsOf: url("check/tokenizer.golden.json")))
    }

    /// All 805 AlpacaEval instructions encode exactly as transformers' tokenizer from the GGUF
    /// (GemmaTokenizer with merges rebuilt from the token order), and the prompts with <bos>.
    @Test func tokenizerMatchesOnAlpacaEval() throws {
        let golden = try Self.tokenizerGolden()
        let tokenizer = try Tokenizer(directory: Self.gguf)
        var mismatches: [String] = []
        for (text, ids) in zip(golden.instructions, golden.ids) where tokenizer.encode(text) != ids {
            mismatches.append(text)
        }
        #expect(golden.instructions.count == 805)
        #expect(mismatches.isEmpty, "\(mismatches.count) instructions differ, first: \(mismatches.first ?? "")")
        for (prompt, ids) in zip(golden.prompts, golden.prompt_ids) {
            #expect(tokenizer.encode(prompt, addSpecialTokens: true) == ids)
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == prompt)
        }
        #expect(tokenizer.bosTokenID == 2)
        #expect(tokenizer.eosTokenID == 1)
    }

    /// Logits of the GGUF (and of the directory `dice convert` wrote) within 1e-4 relative of
    /// transformers' float64 evaluation of the same weights.
    @Test(arguments: ["gguf", "hf"])
    func logitsMatch(_ source: String) throws {
        let golden = try Self.tokenizerGolden()
        let file = try SafeTensorsFile(contentsOf: Self.url("check/logits.golden.safetensors"))
        let model = try TransformerLM(directory: source == "gguf" ? Self.gguf : Self.url("hf"), backend: CPUBackend())
        for (i, ids) in golden.prompt_ids.enumerated() {
            let got = try model.logits([ids])[0]
            let want = try file.doubles("logits.\(i)")
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            #expect(worst < 1e-4, "\(source) prompt \(i): max error \(worst)")
        }
    }

    /// 32 greedy tokens (argmax of full forward passes) equal transformers' `generate(…,
    /// do_sample=False, min_new_tokens=32)`, which bans EOS (<eos>, id 1) until the 32nd token: so
    /// does this loop.
    @Test func greedyContinuationsMatch() throws {
        let golden = try JSONDecoder().decode(GreedyGolden.self, from: Data(contentsOf: Self.url("check/greedy.golden.json")))
        let model = try TransformerLM(directory: Self.gguf, backend: CPUBackend())
        let vocab = model.spec.vocabularySize
        let eos = 1
        for (prompt, want) in zip(golden.prompt_ids, golden.continuations) {
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
