// `dice rm --lora-rank`: a reward model trained as a PEFT SEQ_CLS adapter over the frozen base,
// resumed bit-exactly after a kill, and used by `dice bootstrap --rewarder rm:ADAPTER`.

import DICEKit
import Foundation
import Testing

@Suite("LoRA reward models on the command line", .serialized)
struct LoRARewardModelCLITests {
    static let lora = ["--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout", "0.1", "--checkpoint-activations"]

    @Test("dice rm --lora-rank writes a SEQ_CLS adapter (no model), a killed run resumes to the same bytes, and --rewarder rm:ADAPTER scores with it")
    func trainResumeAndRank() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("rm-lora-cli")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let arguments = { (run: String) in RewardModelCLITests.rmArguments(folder.url, run: run) + Self.lora }
        guard let plain = try DiceTool.run(arguments("plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")
        let run = folder.file("plain")
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent(ModelDirectory.weightsFile).path))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent(PEFTAdapterDirectory.configFile))) as? [String: Any]
        #expect(config?["task_type"] as? String == "SEQ_CLS")
        #expect(config?["modules_to_save"] as? [String] == ["classifier", "score"])
        let rm = try RewardModel(adapter: run, base: folder.file("pi0"), backend: CPUBackend(threads: 1))
        let adapter = try #require(rm.network.adapter)
        #expect(adapter.head != nil && adapter.modules.count == 7)
        let b = try adapter.parameters.get(adapter.modules[0].b.name)
        #expect(b.contains { $0 != 0 }, "the adapter did not train")

        // Killed after its 5th update, then resumed: the same adapter bytes as the plain run.
        let metrics = folder.file("resumed/metrics.jsonl")
        _ = try KilledRun.run(dice, arguments("resumed"), in: folder.url, delay: 0, ready: { _ in
            DPOKillTests.loggedSteps(metrics) >= 5
        })
        guard let resumed = try DiceTool.run(arguments("resumed") + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let weights = PEFTAdapterDirectory.weightsFile
        #expect(try Data(contentsOf: folder.file("resumed/" + weights)) == Data(contentsOf: folder.file("plain/" + weights)))

        // The adapter folder as the rewarder of a DICE round: every sample scored by it.
        let bootstrap = ToyModelFolders.bootstrapArguments(folder.url, run: "dice") + ["--rounds", "1", "--rewarder", "rm:" + run.path]
        guard let ranked = try DiceTool.run(bootstrap, in: folder.url) else { return }
        #expect(ranked.status == 0, "\(ranked.stderr)")
        let prompts = Array(try ToyTask().prompts(count: 18, seed: 1).prefix(6))
        let pairs = try JSONL.read(GeneratedPair.self, from: folder.file("dice/round-1/pairs.jsonl"))
        #expect(!pairs.isEmpty)
        for pair in pairs {
            for sample in [pair.chosen, pair.rejected] {
                let expected = try rm.rewards([TokenPair(prompt: prompts[pair.promptIndex], response: sample.tokens)])[0]
                let score = try #require(sample.score)
                #expect(abs(score.reward - expected) <= 1e-6 * max(1, abs(expected)), "\(sample.tokens): \(score) vs \(expected)")
            }
        }
        #expect(try String(contentsOf: folder.file("dice/settings.json"), encoding: .utf8).contains(" adapter "))
    }
}
