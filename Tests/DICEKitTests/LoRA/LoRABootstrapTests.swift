// `dice bootstrap --lora-rank`: two DICE rounds over one frozen base, each round's policy stored as
// a PEFT adapter; `dice merge` of round 2's adapter gives the adapted model's log-probs; a run
// killed part-way and resumed ends with the same bytes.

import DICEKit
import Foundation
import Testing

@Suite("LoRA dice bootstrap", .serialized)
struct LoRABootstrapTests {
    /// Two rounds on the toy inputs (π_0 = the --policy base, π_ref another model), a rank-4
    /// adapter with dropout, activation checkpointing on, 16 DPO steps a round.
    static func arguments(_ folder: URL, run: String) -> [String] {
        ToyModelFolders.bootstrapArguments(folder, run: run) + ["--steps", "16", "--save-every", "4", "--lora-rank", "4", "--lora-alpha", "8",
                            "--lora-dropout", "0.1", "--checkpoint-activations"]
    }

    @Test("two LoRA rounds store adapters over one base; merging round 2's gives its log-probs; a killed run resumes to the same bytes")
    func twoRounds() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("lora-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let plain = try DiceTool.run(Self.arguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")
        let layout = RunLayout(root: folder.file("plain"))
        let base = try TransformerLM(directory: folder.file("pi0"), backend: CPUBackend(threads: 1))
        var adapters: [[Float]] = []
        for t in [1, 2] {
            let model = layout.modelDirectory(round: t)
            for file in [PEFTAdapterDirectory.configFile, PEFTAdapterDirectory.weightsFile] {
                #expect(FileManager.default.fileExists(atPath: model.appendingPathComponent(file).path), "round \(t): \(file)")
            }
            #expect(!FileManager.default.fileExists(atPath: model.appendingPathComponent(ModelDirectory.weightsFile).path),
                    "round \(t) stored a full model")
            #expect(try PEFTAdapterDirectory.baseModel(of: model) == folder.file("pi0").standardizedFileURL.path)
            let adapter = try PEFTAdapterDirectory.read(from: model, for: base)
            adapters.append(adapter.backend.download(adapter.values))
        }
        #expect(adapters[0] != adapters[1], "round 2 did not train its adapter")

        // Every policy of the run is the one loaded base with an adapter (none: π_0).
        let store = try LoRAPolicyStore(base: base, baseFolder: folder.file("pi0"), referenceModel: folder.file("ref"),
                                        initialAdapter: nil, configuration: LoRAConfiguration(rank: 4, alpha: 8),
                                        layout: layout, generation: GenerationParameters())
        for id in [ModelID.policy(0), .policy(1), .policy(2)] {
            let policy = try #require(try store.scorer(id) as? TransformerPolicy, "\(id)")
            #expect(policy.model === base, "\(id) loaded another model")
            #expect((policy.adapter != nil) == (id.index >= 1), "\(id)")
        }

        // dice merge of round 2's adapter: the merged model's log-probs are the adapted model's.
        guard let merge = try DiceTool.run(["merge", "--model", folder.file("pi0").path, "--adapter",
                                            layout.modelDirectory(round: 2).path, "--output", folder.file("merged").path],
                                           in: folder.url) else { return }
        #expect(merge.status == 0, "\(merge.stderr)")
        let pairs = [TokenPair(prompt: [3, 5, 9], response: [12, 4, 0]), TokenPair(prompt: [8, 1], response: [20, 21, 22, 0])]
        let adapted = try base.withAdapter(PEFTAdapterDirectory.read(from: layout.modelDirectory(round: 2), for: base)) {
            try base.logProbs(pairs)
        }
        let merged = try TransformerLM(directory: folder.file("merged"), backend: CPUBackend(threads: 1)).logProbs(pairs)
        for (m, a) in zip(merged, adapted) {
            #expect(abs(m - a) <= 1e-5 * max(1, abs(a)), "merged \(m) vs adapted \(a)")
        }
        #expect(adapted != (try base.logProbs(pairs)), "round 2's adapter changes nothing")

        // Killed during round 2's training (after its 6th phase started), then resumed.
        _ = try KilledRun.run(dice, Self.arguments(folder.url, run: "resumed"), in: folder.url, delay: 0.01) { text in
            text.split(separator: "\n").filter { $0.contains(" · ") && !$0.hasSuffix("done earlier") }.count >= 6
        }
        #expect(KilledRun.damagedArtifacts(under: folder.file("resumed")) == [])
        guard let resumed = try DiceTool.run(Self.arguments(folder.url, run: "resumed") + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Data(contentsOf: folder.file("resumed/report.json")) == Data(contentsOf: folder.file("plain/report.json")))
        for t in [1, 2] {
            for file in ["model/" + PEFTAdapterDirectory.weightsFile, "metrics.jsonl"] {
                let path = "round-\(t)/" + file
                #expect(try Data(contentsOf: folder.file("resumed/" + path)) == Data(contentsOf: folder.file("plain/" + path)), "\(path)")
            }
        }
    }
}
