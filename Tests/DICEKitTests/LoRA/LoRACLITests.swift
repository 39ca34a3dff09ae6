import DICEKit
import Foundation
import Testing

/// The LoRA command line: `dice dpo --lora-rank` writes an adapter in PEFT's layout (no model),
/// `dice merge` folds it into a full model whose logits equal the adapted model's, `dice
/// logprobs --adapter` scores with it; an unknown target lists the modules that exist and a
/// damaged adapter makes `dice merge` fail with nothing written.
@Suite("LoRA command line", .serialized)
struct LoRACLITests {
    @Test func dpoWritesAnAdapterThatMergesIntoTheAdaptedModel() throws {
        let folder = try ScratchFolder("lora-cli")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let arguments = ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 4, saveEvery: 2)
            + ["--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "q_proj,v_proj,down_proj"]
        guard let dpo = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(dpo.status == 0, "\(dpo.stderr)")
        let run = folder.file("run")
        for file in [PEFTAdapterDirectory.configFile, PEFTAdapterDirectory.weightsFile] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent(ModelDirectory.weightsFile).path))

        guard let merge = try DiceTool.run(["merge", "--model", folder.file("pi0").path, "--adapter", run.path,
                                            "--output", folder.file("merged").path], in: folder.url) else { return }
        #expect(merge.status == 0, "\(merge.stderr)")
        let base = try TransformerLM(directory: folder.file("pi0"), backend: CPUBackend())
        let adapter = try PEFTAdapterDirectory.read(from: run, for: base)
        #expect(adapter.modules.count == 3)
        let sequences = [[1, 5, 9, 3, 2], [4, 8, 6, 7]]
        let adapted = try base.withAdapter(adapter) { try base.logits(sequences) }
        let plain = try base.logits(sequences)
        let merged = try TransformerLM(directory: folder.file("merged"), backend: CPUBackend()).logits(sequences)
        for (m, (a, p)) in zip(merged, zip(adapted, plain)) {
            let worst = zip(m, a).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-5, "merged vs adapted: \(worst)")
            #expect(a != p, "the trained adapter changes the logits")
        }

        // Resuming the finished run trains nothing more and writes the same adapter.
        let weights = try Data(contentsOf: run.appendingPathComponent(PEFTAdapterDirectory.weightsFile))
        guard let again = try DiceTool.run(arguments + ["--resume"], in: folder.url) else { return }
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: run.appendingPathComponent(PEFTAdapterDirectory.weightsFile)) == weights)
    }

    @Test func anUnknownTargetListsTheModules() throws {
        let folder = try ScratchFolder("lora-cli-target")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let result = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "run")
                                            + ["--lora-rank", "2", "--lora-targets", "q_proj,query_key_value"],
                                            in: folder.url) else { return }
        #expect(result.status != 0)
        #expect(result.stderr.contains("query_key_value") && result.stderr.contains("down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj"),
                "\(result.stderr)")
    }

    @Test func aDamagedAdapterWritesNothing() throws {
        let folder = try ScratchFolder("lora-cli-damaged")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let base = try TransformerLM(directory: folder.file("pi0"), backend: CPUBackend())
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2), for: base)
        try adapter.initialize()
        try PEFTAdapterDirectory.write(adapter, to: folder.file("adapter"))
        let weights = folder.file("adapter").appendingPathComponent(PEFTAdapterDirectory.weightsFile)
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 7).write(to: weights)
        guard let result = try DiceTool.run(["merge", "--model", folder.file("pi0").path, "--adapter", folder.file("adapter").path,
                                             "--output", folder.file("merged").path], in: folder.url) else { return }
        #expect(result.status != 0)
        #expect(result.stderr.contains(PEFTAdapterDirectory.weightsFile), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("merged").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("merged") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
