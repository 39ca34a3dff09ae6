// ToyModelFolders: tiny transformer model folders over the toy task's vocabulary, and toy
// prompt and preference files, for the tests that run `dice bootstrap` and `dice eval`.

import DICEKit
import Foundation

enum ToyModelFolders {
    /// A tiny Llama over the toy vocabulary (25 ids, EOS = 0).
    static let spec = TransformerSpec(modelType: "llama", vocabularySize: 25, hiddenSize: 16, intermediateSize: 32,
                                      layers: 1, heads: 2, kvHeads: 1, maxPositions: 32)

    /// Writes a randomly initialised model (seed `seed`) to `url`, with generation_config.json
    /// naming EOS (id 0) so that sampling stops there. Embedding channel 0 is set to 1 for every
    /// token and the EOS row of the output projection reads it, so that about one token in four
    /// sampled at temperature 1 is EOS (short responses that end, as the toy task's do).
    static func writeModel(seed: UInt64, to url: URL) throws {
        let model = try TransformerLM(spec: spec, backend: CPUBackend(threads: 1))
        try model.initializeRandomly(seed: seed)
        let h = spec.hiddenSize, v = spec.vocabularySize
        var embedding = try model.parameters.get("model.embed_tokens.weight")
        for t in 0..<v { embedding[t * h] = 1 }
        try model.parameters.set("model.embed_tokens.weight", embedding)
        var head = try model.parameters.get("lm_head.weight")
        head[0] = 0.5
        try model.parameters.set("lm_head.weight", head)
        try write(model, to: url)
    }

    /// Writes `model` with the toy generation config (EOS 0).
    static func write(_ model: TransformerLM, to url: URL) throws {
        var directory = try model.modelDirectory(config: ModelConfig(spec))
        directory.generationConfig = GenerationConfig(eosTokenId: .single(ToyTask.eos))
        try directory.write(to: url)
    }

    /// JSONL rows `{"prompt_ids": …}`.
    static func writePrompts(_ prompts: [[Int]], to url: URL) throws {
        try Data(prompts.map { "{\"prompt_ids\": \($0)}\n" }.joined().utf8).write(to: url)
    }

    /// JSONL rows `{"prompt_ids", "chosen_ids", "rejected_ids"}`.
    static func writePairs(_ pairs: [PreferencePair], to url: URL) throws {
        let lines = pairs.map { "{\"prompt_ids\": \($0.prompt), \"chosen_ids\": \($0.chosen), \"rejected_ids\": \($0.rejected)}\n" }
        try Data(lines.joined().utf8).write(to: url)
    }

    /// A folder with π_ref (`ref`), π_0 (`pi0`), 6 toy prompts (`prompts.jsonl`) and offline
    /// pairs on 12 other prompts (`offline.jsonl`).
    static func bootstrapInputs(in folder: URL) throws {
        try writeModel(seed: 1, to: folder.appendingPathComponent("ref"))
        try writeModel(seed: 2, to: folder.appendingPathComponent("pi0"))
        let task = try ToyTask()
        let all = try task.prompts(count: 18, seed: 1)
        try writePrompts(Array(all.prefix(6)), to: folder.appendingPathComponent("prompts.jsonl"))
        try writePairs(try task.offlinePairs(prompts: Array(all.suffix(12)), seed: 2),
                       to: folder.appendingPathComponent("offline.jsonl"))
    }

    /// `dice bootstrap` on the inputs of `bootstrapInputs(in: folder)`, into `run`: 2 rounds,
    /// K = 4, 3 DPO steps of 4 pairs, a checkpoint after every step.
    static func bootstrapArguments(_ folder: URL, run: String) -> [String] {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        return ["bootstrap", "--policy", path("pi0"), "--reference", path("ref"), "--prompts", path("prompts.jsonl"),
                "--offline", path("offline.jsonl"), "--output", path(run), "--rounds", "2", "--samples", "4",
                "--min-valid", "2", "--length-unit", "tokens", "--max-new-tokens", "12", "--steps", "3",
                "--batch-size", "4", "--lr", "0.01", "--save-every", "1", "--seed", "7"]
    }

    /// A folder with a tiny policy (`pi0`) and 24 toy preference pairs (`pairs.jsonl`), for
    /// `dice dpo`.
    static func dpoInputs(in folder: URL) throws {
        try writeModel(seed: 2, to: folder.appendingPathComponent("pi0"))
        let task = try ToyTask()
        try writePairs(try task.offlinePairs(prompts: try task.prompts(count: 24, seed: 3), seed: 4),
                       to: folder.appendingPathComponent("pairs.jsonl"))
    }

    /// `dice dpo` on the inputs of `dpoInputs(in: folder)`, into `run`: `steps` updates of 4
    /// pairs, 4 pairs held out and validated every 5 updates, a checkpoint every `saveEvery`,
    /// reference log-probs cached in `folder`/cache.
    static func dpoArguments(_ folder: URL, run: String, steps: Int = 30, saveEvery: Int = 3) -> [String] {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        return ["dpo", "--model", path("pi0"), "--data", path("pairs.jsonl"), "--output", path(run),
                "--cache-dir", path("cache"), "--steps", String(steps), "--batch-size", "4", "--lr", "0.01",
                "--save-every", String(saveEvery), "--val-size", "4", "--eval-every", "5", "--seed", "5"]
    }
}
