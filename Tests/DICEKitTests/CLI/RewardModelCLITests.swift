// `dice rm` (Bradley–Terry training of a reward model through the DPO loop), and the reward
// model in `dice eval --judge rm:DIR` and `dice bootstrap --rewarder rm:DIR`.

import DICEKit
import Foundation
import Testing

@Suite("CLI: reward models")
struct RewardModelCLITests {
    static func rmArguments(_ folder: URL, run: String, steps: Int = 12) -> [String] {
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        return ["rm", "--model", path("pi0"), "--data", path("pairs.jsonl"), "--output", path(run),
                "--steps", String(steps), "--batch-size", "4", "--lr", "0.003", "--save-every", "3",
                "--val-size", "4", "--eval-every", "6", "--seed", "5"]
    }

    @Test("dice rm: the loss falls, the output is a reward model transformers' layout names, and a killed run resumes to the same bytes")
    func trainAndResume() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("rm-cli")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let plain = try DiceTool.run(Self.rmArguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")
        let rows = try JSONL.read(DPOMetrics.self, from: folder.file("plain/metrics.jsonl")).filter { !$0.isValidation }
        #expect(rows.map(\.step) == Array(1...12))
        let first = rows.prefix(3).map(\.loss).reduce(0, +), last = rows.suffix(3).map(\.loss).reduce(0, +)
        #expect(last < first, "Bradley–Terry loss did not fall: \(rows.map(\.loss))")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("plain/config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["LlamaForSequenceClassification"])
        let rm = try RewardModel(directory: folder.file("plain"), backend: CPUBackend(threads: 1))
        #expect(rm.network.parameters.entries.contains { $0.name == "score.weight" })

        // Killed after its 5th update, then resumed: the same final weights as the plain run.
        let metrics = folder.file("resumed/metrics.jsonl")
        _ = try KilledRun.run(dice, Self.rmArguments(folder.url, run: "resumed"), in: folder.url, delay: 0, ready: { _ in
            DPOKillTests.loggedSteps(metrics) >= 5
        })
        guard let resumed = try DiceTool.run(Self.rmArguments(folder.url, run: "resumed") + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: folder.file("resumed/model.safetensors")) == Data(contentsOf: folder.file("plain/model.safetensors")))
        // A second run in the same folder without --resume is refused.
        guard let again = try DiceTool.run(Self.rmArguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(again.status != 0 && again.stderr.contains("--resume"))
        // --loss other than sigmoid and an SFT term are refused by flag.
        guard let ipo = try DiceTool.run(Self.rmArguments(folder.url, run: "ipo") + ["--loss", "ipo"], in: folder.url),
              let sft = try DiceTool.run(Self.rmArguments(folder.url, run: "sft") + ["--sft-weight", "0.5"], in: folder.url)
        else { return }
        #expect(ipo.status != 0 && ipo.stderr.contains("--loss"))
        #expect(sft.status != 0 && sft.stderr.contains("--sft-weight"))
    }

    /// A reward model over the toy vocabulary that scores a sequence ending in `good` above every
    /// other (closed form: blocks zero, embeddings one-hot, the score reading two channels).
    static func writeEndingRM(to url: URL, good: Int) throws {
        let spec = ToyModelFolders.spec
        let network = try TransformerLM(config: ModelConfig(ModelConfig(spec).architecture, head: .score(labels: 1)),
                                        backend: CPUBackend(threads: 1))
        try network.initializeRandomly(seed: 1)
        let h = spec.hiddenSize, v = spec.vocabularySize
        for entry in network.parameters.entries where entry.name.contains("o_proj") || entry.name.contains("down_proj") {
            try network.parameters.set(entry.name, [Float](repeating: 0, count: entry.count))
        }
        var embedding = [Float](repeating: 0, count: v * h)
        for t in 0..<v { embedding[t * h + (t == good ? 1 : 2)] = 1 }
        try network.parameters.set("model.embed_tokens.weight", embedding)
        var score = [Float](repeating: 0, count: h)
        score[1] = 1
        score[2] = -1
        try network.parameters.set("score.weight", score)
        try RewardModel(network).modelDirectory().write(to: url)
    }

    @Test("dice eval --judge rm:DIR ranks by the reward model; an RM that is a causal LM is refused by config.json field")
    func judge() throws {
        let folder = try ScratchFolder("rm-judge")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 2, to: folder.file("a"))
        try ToyModelFolders.writeModel(seed: 3, to: folder.file("b"))
        try ToyModelFolders.writePrompts([[3], [8], [13], [5]], to: folder.file("prompts.jsonl"))
        try Self.writeEndingRM(to: folder.file("rm"), good: 0)
        // The judge needs a tokenizer: without one it is refused before any sampling.
        guard let noTokenizer = try DiceTool.run(
            ["eval", "--model", folder.file("a").path, "--baseline", folder.file("b").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "rm:" + folder.file("rm").path,
             "--output", folder.file("out.json").path], in: folder.url) else { return }
        #expect(noTokenizer.status == 1 && noTokenizer.stderr.contains("tokenizer"))
        guard let causal = try DiceTool.run(
            ["eval", "--model", folder.file("a").path, "--baseline", folder.file("b").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "rm:" + folder.file("a").path,
             "--output", folder.file("out.json").path], in: folder.url) else { return }
        #expect(causal.status == 1 && causal.stderr.contains("architectures"), "\(causal.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.json").path))
    }

    @Test("dice bootstrap --rewarder rm:DIR ranks the samples by the reward model (every pair's chosen scores above its rejected) and records it for resume")
    func rewarder() throws {
        let folder = try ScratchFolder("rm-rewarder")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        try Self.writeEndingRM(to: folder.file("rm"), good: 0)
        let arguments = ToyModelFolders.bootstrapArguments(folder.url, run: "run") + ["--rounds", "1",
                                                                                      "--rewarder", "rm:" + folder.file("rm").path]
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let rm = try RewardModel(directory: folder.file("rm"), backend: CPUBackend(threads: 1))
        let prompts = Array(try ToyTask().prompts(count: 18, seed: 1).prefix(6))
        let pairs = try JSONL.read(GeneratedPair.self, from: folder.file("run/round-1/pairs.jsonl"))
        #expect(!pairs.isEmpty)
        for pair in pairs {
            for sample in [pair.chosen, pair.rejected] {
                let expected = try rm.rewards([TokenPair(prompt: prompts[pair.promptIndex], response: sample.tokens)])[0]
                let score = try #require(sample.score)
                #expect(abs(score.reward - expected) <= 1e-6 * max(1, abs(expected)) && score.policyLogProb == nil,
                        "\(sample.tokens): \(score) vs the RM's \(expected)")
            }
        }
        let settings = try String(contentsOf: folder.file("run/settings.json"), encoding: .utf8)
        #expect(settings.contains("rm weights "))
        guard let bad = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "bad")
                                         + ["--rewarder", "judge:x"], in: folder.url) else { return }
        #expect(bad.status != 0 && bad.stderr.contains("--rewarder"))
    }
}
