// `dice eval`: the length judge on two constructed greedy models whose response lengths have a
// closed form, the toy judge on toy models, and an unknown judge.

import DICEKit
import Foundation
import Testing

@Suite("dice eval")
struct EvalCommandTests {
    /// A greedy "count-down" model: after token i it emits max(i − step, 0), and 0 is EOS. Each
    /// token's embedding is a one-hot vector, attention and MLP outputs are zero, so the last
    /// hidden state is the normalised one-hot of the last token and the output projection maps
    /// it to its successor.
    static func writeCountdown(step: Int, to url: URL) throws {
        let spec = TransformerSpec(modelType: "llama", vocabularySize: 25, hiddenSize: 32, intermediateSize: 8,
                                   layers: 1, heads: 2, kvHeads: 1, maxPositions: 32)
        let model = try TransformerLM(spec: spec, backend: CPUBackend(threads: 1))
        try model.initializeRandomly(seed: 3)
        let h = spec.hiddenSize, v = spec.vocabularySize
        var embedding = [Float](repeating: 0, count: v * h), head = [Float](repeating: 0, count: v * h)
        for i in 0..<v {
            embedding[i * h + i] = 1
            head[max(i - step, 0) * h + i] = 1
        }
        try model.parameters.set("model.embed_tokens.weight", embedding)
        try model.parameters.set("lm_head.weight", head)
        try model.parameters.set("model.norm.weight", [Float](repeating: 1, count: h))
        try model.parameters.set("model.layers.0.self_attn.o_proj.weight", [Float](repeating: 0, count: h * h))
        try model.parameters.set("model.layers.0.mlp.down_proj.weight", [Float](repeating: 0, count: h * 8))
        var directory = try model.modelDirectory(config: ModelConfig(spec))
        directory.generationConfig = GenerationConfig(eosTokenId: .single(ToyTask.eos))
        try directory.write(to: url)
    }

    struct Report: Decodable {
        var win_rate: Double
        var wins: Int
        var ties: Int
        var losses: Int
        var comparisons: Int
        var lc_win_rate: Double
        var avg_length: Double
        var baseline_avg_length: Double
        var win_rate_ci: BootstrapInterval
        var lc_win_rate_ci: BootstrapInterval
    }

    @Test("length judge: win rate, ties, lengths and LC win rate in closed form")
    func lengthJudge() throws {
        let folder = try ScratchFolder("eval")
        defer { folder.remove() }
        try Self.writeCountdown(step: 1, to: folder.file("one"))
        try Self.writeCountdown(step: 2, to: folder.file("two"))
        let starts = [1, 2, 3, 5, 8, 13, 20]
        try ToyModelFolders.writePrompts(starts.map { [$0] }, to: folder.file("prompts.jsonl"))
        // From prompt p, step 1 counts p−1 … 1 then EOS (p − 1 tokens); step 2 gives ⌊(p − 1)/2⌋.
        let lengthsOne = starts.map { $0 - 1 }, lengthsTwo = starts.map { ($0 - 1) / 2 }
        for (model, baseline, a, b) in [("one", "two", lengthsOne, lengthsTwo), ("two", "one", lengthsTwo, lengthsOne)] {
            guard let result = try DiceTool.run(
                ["eval", "--model", folder.file(model).path, "--baseline", folder.file(baseline).path,
                 "--prompts", folder.file("prompts.jsonl").path, "--judge", "length", "--output", folder.file("\(model).json").path,
                 "--samples", "2", "--temperature", "0", "--length-unit", "tokens", "--max-new-tokens", "30"],
                in: folder.url) else { return }
            #expect(result.status == 0, "\(result.stderr)")
            let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.file("\(model).json")))
            // Two identical greedy samples per prompt.
            let verdicts = zip(a, b).flatMap { la, lb -> [Verdict] in
                let v: Verdict = la > lb ? .win : la == lb ? .tie : .loss
                return [v, v]
            }
            let wins = verdicts.count { $0 == .win }, ties = verdicts.count { $0 == .tie }
            #expect(report.comparisons == 14 && report.wins == wins && report.ties == ties && report.losses == 14 - wins - ties)
            #expect(abs(report.win_rate - (Double(wins) + 0.5 * Double(ties)) / 14) < 1e-12)
            #expect(abs(report.avg_length - Double(a.reduce(0, +)) / 7) < 1e-12)
            #expect(abs(report.baseline_avg_length - Double(b.reduce(0, +)) / 7) < 1e-12)
            let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: a.flatMap { [$0, $0] }, lengthsB: b.flatMap { [$0, $0] })
            #expect(abs(report.lc_win_rate - lc.rate) < 1e-12)
            #expect(result.stdout.contains("win rate"))
        }
        // "one" is longer on every prompt but p = 1 (a tie): 6.5 of 7.
        let one = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.file("one.json")))
        #expect(abs(one.win_rate - 6.5 / 7) < 1e-12)
    }

    @Test("constraints judge: at most 3 words, count-down models, verdicts in closed form")
    func constraintsJudge() throws {
        let folder = try ScratchFolder("eval-constraints")
        defer { folder.remove() }
        try Self.writeCountdown(step: 1, to: folder.file("one"))
        try Self.writeCountdown(step: 2, to: folder.file("two"))
        // Without a tokenizer a response renders as its ids, one word each: "one" writes p − 1 words,
        // "two" ⌊(p − 1)/2⌋. Under "at most 3 words": p = 1, 2, 3 both meet it (tie); p = 5, 8 only
        // "two" does; p = 13, 20 both miss with violation capped at 1 (tie).
        let starts = [1, 2, 3, 5, 8, 13, 20]
        let rows = starts.map { #"{"prompt_ids": [\#($0)], "constraints": [{"type": "max_words", "limit": 3}]}"# }
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: folder.file("prompts.jsonl"))
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("one").path, "--baseline", folder.file("two").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "constraints", "--output", folder.file("out.json").path,
             "--samples", "2", "--temperature", "0", "--max-new-tokens", "30"], in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.file("out.json")))
        #expect(report.comparisons == 14 && report.wins == 0 && report.ties == 10 && report.losses == 4)
        #expect(abs(report.win_rate - 5.0 / 14) < 1e-12)
        // A row without constraints is named.
        try Data((rows.dropLast().joined(separator: "\n") + "\n{\"prompt_ids\": [4]}\n").utf8).write(to: folder.file("missing.jsonl"))
        guard let missing = try DiceTool.run(
            ["eval", "--model", folder.file("one").path, "--baseline", folder.file("two").path,
             "--prompts", folder.file("missing.jsonl").path, "--judge", "constraints", "--output", folder.file("m.json").path],
            in: folder.url) else { return }
        #expect(missing.status == 1 && missing.stderr.contains("missing.jsonl:7") && missing.stderr.contains("constraints"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("m.json").path))
    }

    @Test("llm:DIR judge: a judge model whose LM head is zero finds every comparison a tie (both orders, ½ each)")
    func llmJudge() throws {
        let folder = try ScratchFolder("eval-llm")
        defer { folder.remove() }
        try Self.writeCountdown(step: 1, to: folder.file("one"))
        try Self.writeCountdown(step: 2, to: folder.file("two"))
        let tokenizerFolder = TokenizerFixtures.directory("gpt2_bytelevel")
        let vocabulary = try TokenizerFixtures.tokenizer("gpt2_bytelevel").vocabularySize
        let spec = TransformerSpec(modelType: "llama", vocabularySize: vocabulary, hiddenSize: 16, intermediateSize: 32,
                                   layers: 1, heads: 2, kvHeads: 1, maxPositions: 1024)
        let judgeModel = try TransformerLM(spec: spec, backend: CPUBackend(threads: 1))
        try judgeModel.initializeRandomly(seed: 5)
        try judgeModel.parameters.set("lm_head.weight", [Float](repeating: 0, count: vocabulary * 16))
        try judgeModel.modelDirectory(config: ModelConfig(spec)).write(to: folder.file("judge"))
        for file in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: tokenizerFolder.appendingPathComponent(file),
                                             to: folder.file("judge").appendingPathComponent(file))
        }
        try ToyModelFolders.writePrompts([[3], [8], [13]], to: folder.file("prompts.jsonl"))
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("one").path, "--baseline", folder.file("two").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "llm:" + folder.file("judge").path,
             "--output", folder.file("out.json").path, "--temperature", "0", "--max-new-tokens", "20"],
            in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.file("out.json")))
        #expect(report.comparisons == 3 && report.ties == 3 && report.win_rate == 0.5)
        // A judge folder without a tokenizer is named before any sampling.
        guard let bad = try DiceTool.run(
            ["eval", "--model", folder.file("one").path, "--baseline", folder.file("two").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "llm:" + folder.file("one").path,
             "--output", folder.file("bad.json").path], in: folder.url) else { return }
        #expect(bad.status == 1 && bad.stderr.contains("tokenizer"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("bad.json").path))
    }

    @Test("toy judge runs on toy prompts and models")
    func toyJudge() throws {
        let folder = try ScratchFolder("eval-toy")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 1, to: folder.file("a"))
        try ToyModelFolders.writeModel(seed: 2, to: folder.file("b"))
        try ToyModelFolders.writePrompts(try ToyTask().prompts(count: 5, seed: 3), to: folder.file("prompts.jsonl"))
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("a").path, "--baseline", folder.file("b").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "toy", "--output", folder.file("out.json").path,
             "--samples", "3", "--seed", "4", "--max-new-tokens", "12"], in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: folder.file("out.json")))
        #expect(report.comparisons == 15 && report.wins + report.ties + report.losses == 15)
        #expect(report.win_rate >= 0 && report.win_rate <= 1 && report.lc_win_rate >= 0 && report.lc_win_rate <= 1)
        #expect(report.win_rate_ci.lower <= report.win_rate && report.win_rate <= report.win_rate_ci.upper)
        #expect(report.lc_win_rate_ci.lower <= report.lc_win_rate_ci.upper && report.win_rate_ci.resamples == 1000)
    }

    @Test("--export-alpaca-eval writes model_outputs.json: one record per sample, with the prompt and the dataset")
    func exportAlpacaEval() throws {
        let folder = try ScratchFolder("eval-export")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 1, to: folder.file("a"))
        try ToyModelFolders.writePrompts(try ToyTask().prompts(count: 4, seed: 3), to: folder.file("held-out.jsonl"))
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("a").path, "--prompts", folder.file("held-out.jsonl").path,
             "--export-alpaca-eval", folder.file("outputs.json").path, "--generator", "round-2",
             "--samples", "2", "--max-new-tokens", "6"], in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("outputs.json"))) as? [[String: String]])
        #expect(rows.count == 8)
        #expect(rows.allSatisfy { Set($0.keys) == ["instruction", "output", "generator", "dataset"] })
        #expect(rows.allSatisfy { $0["generator"] == "round-2" && $0["dataset"] == "held-out" })
        #expect(rows[0]["instruction"] == rows[1]["instruction"] && rows[1]["instruction"] != rows[2]["instruction"])
    }

    @Test("--annotations: alpaca_eval's get_winrate figures in the report; a bad file is named and nothing is written")
    func annotations() throws {
        let folder = try ScratchFolder("eval-annotations")
        defer { folder.remove() }
        let fixtures = Fixtures.root.appendingPathComponent("alpaca-eval")
        guard let result = try DiceTool.run(
            ["eval", "--annotations", fixtures.appendingPathComponent("weighted.annotations.json").path,
             "--output", folder.file("report.json").path], in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("report.json"))) as? [String: Any])
        let golden = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: fixtures.appendingPathComponent("weighted.winrate.json"))) as? [String: Double])
        for key in ["win_rate", "standard_error", "n_wins", "n_wins_base", "n_draws", "n_total", "discrete_win_rate"] {
            let value = try #require(report[key] as? Double, "\(key)")
            #expect(abs(value - (golden[key] ?? .nan)) <= 1e-9 * max(1, abs(value)), "\(key)")
        }
        try Data(#"[{"instruction": "i", "output_1": "a", "output_2": "b", "preference": 7}]"#.utf8)
            .write(to: folder.file("bad.json"))
        guard let bad = try DiceTool.run(["eval", "--annotations", folder.file("bad.json").path,
                                          "--output", folder.file("bad-report.json").path], in: folder.url) else { return }
        #expect(bad.status == 1 && bad.stderr.contains("bad.json") && bad.stderr.contains("record 0")
                && bad.stderr.contains("preference"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("bad-report.json").path))
    }

    @Test("unknown judges and non-toy prompts fail before sampling, naming what is allowed")
    func badJudgeInput() throws {
        let folder = try ScratchFolder("eval-bad")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 1, to: folder.file("a"))
        try ToyModelFolders.writePrompts([[1, 7, 8], [20, 3]], to: folder.file("prompts.jsonl"))
        func run(_ judge: String) throws -> DiceTool.Result? {
            try DiceTool.run(["eval", "--model", folder.file("a").path, "--baseline", folder.file("a").path,
                              "--prompts", folder.file("prompts.jsonl").path, "--judge", judge,
                              "--output", folder.file("out.json").path], in: folder.url)
        }
        guard let unknown = try run("gpt4"), let toy = try run("toy") else { return }
        #expect(unknown.status == 1 && unknown.stderr.contains("gpt4") && unknown.stderr.contains("constraints, length, toy"))
        #expect(toy.status == 1 && toy.stderr.contains("prompts.jsonl:2") && toy.stderr.contains("not a toy prompt"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.json").path))
    }
}
