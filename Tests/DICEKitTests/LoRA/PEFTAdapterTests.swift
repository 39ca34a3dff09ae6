import Foundation
import Testing
@testable import DICEKit

/// PEFT interop: adapters `peft` saved (Scripts/make-peft-fixtures.py → Tests/Fixtures/lora/)
/// load and give PEFT's logits within 1e-5 relative; adapters DICEKit saves read back exactly and
/// load in `peft` with equal logits (when /tmp/venv or DICEKIT_PYTHON has peft; skipped, with
/// the reason, otherwise); damaged or mismatched adapters are refused with typed errors.
@Suite("PEFT adapters")
struct PEFTAdapterTests {
    static let bases = LoRALayerTests.bases

    static func adapterFixture(_ name: String) -> URL { Fixtures.root.appendingPathComponent("lora/\(name)") }

    static func goldenSequences(_ name: String) throws -> [[Int]] {
        let golden = try JSONDecoder().decode(TransformerGoldenTests.Golden.self,
                                              from: Data(contentsOf: Fixtures.model(name).appendingPathComponent("golden.json")))
        return zip(golden.prompts, golden.responses).map { $0 + $1 }
    }

    /// The worst |got − want| / max(1, |want|) over every logit of `file`'s `logits.<i>`.
    static func worstError(_ logits: [[Float]], _ file: SafeTensorsFile) throws -> Double {
        #expect(file.names.filter { $0.hasPrefix("logits.") }.count == logits.count)
        var worst = 0.0
        for (i, got) in logits.enumerated() {
            let want = try file.doubles("logits.\(i)")
            #expect(got.count == want.count)
            worst = max(worst, zip(got, want).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0)
        }
        return worst
    }

    @Test(arguments: bases)
    func peftAdapterGivesPEFTLogits(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let adapter = try PEFTAdapterDirectory.read(from: Self.adapterFixture(name), for: model)
        #expect(adapter.modules.count == (name == "gpt2" ? 8 : 14))
        try model.attach(adapter)
        let file = try SafeTensorsFile(contentsOf: Self.adapterFixture(name).appendingPathComponent("golden.safetensors"))
        let worst = try Self.worstError(model.logits(Self.goldenSequences(name)), file)
        #expect(worst < 1e-5, "\(name): max relative error \(worst)")
        try model.attach(nil)
        #expect(try Self.worstError(model.logits(Self.goldenSequences(name)), file) > 1e-3, "the fixture's adapter changes the logits")
    }

    @Test(arguments: bases)
    func savedAdapterReadsBackExactly(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let adapter = try PEFTAdapterDirectory.read(from: Self.adapterFixture(name), for: model)
        let folder = try ScratchFolder("peft-roundtrip")
        defer { folder.remove() }
        try PEFTAdapterDirectory.write(adapter, to: folder.url, baseModel: Fixtures.model(name).path)
        let again = try PEFTAdapterDirectory.read(from: folder.url, for: model)
        #expect(again.configuration.rank == adapter.configuration.rank)
        #expect(again.configuration.scale == adapter.configuration.scale)
        #expect(again.modules.map(\.name) == adapter.modules.map(\.name))
        #expect(again.parameters.backend.download(again.values) == adapter.parameters.backend.download(adapter.values))
    }

    /// A trained-looking adapter DICEKit writes, loaded by `PeftModel.from_pretrained` over the
    /// same base: PEFT's logits equal DICEKit's within 1e-5 relative.
    @Test(arguments: bases)
    func peftLoadsWhatDICEKitSaves(_ name: String) throws {
        guard let python = TransformersPython.python(importing: "torch, transformers, peft") else {
            print("skipped: no Python with torch, transformers and peft (set DICEKIT_PYTHON or make /tmp/venv)")
            return
        }
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let configuration = LoRAConfiguration(rank: 3, alpha: 7, useRSLoRA: name == "qwen2-bias",
                                              targetModules: name == "gpt2" ? ["c_attn", "c_fc"] : ["q_proj", "v_proj", "down_proj"], seed: 4)
        let adapter = try LoRAAdapter(configuration: configuration, for: model)
        var rng = SplitMix64(seed: 12)
        for entry in adapter.parameters.entries {
            try adapter.parameters.set(entry.name, (0..<entry.count).map { _ in rng.nextGaussian() * 0.2 })
        }
        let folder = try ScratchFolder("peft-export")
        defer { folder.remove() }
        let adapterURL = folder.file("adapter"), out = folder.file("logits.safetensors")
        try PEFTAdapterDirectory.write(adapter, to: adapterURL, baseModel: Fixtures.model(name).path)
        _ = try TransformersPython.run(python, script: "make-peft-fixtures.py",
                                       arguments: ["--logits", Fixtures.model(name).path, adapterURL.path, out.path])
        try model.attach(adapter)
        let worst = try Self.worstError(model.logits(Self.goldenSequences(name)), SafeTensorsFile(contentsOf: out))
        #expect(worst < 1e-5, "\(name): PEFT vs DICEKit, max relative error \(worst)")
    }

    // MARK: - Bad input

    /// A copy of the llama fixture adapter in a scratch folder, changed by `edit`.
    static func damaged(_ edit: (URL) throws -> Void) throws -> ScratchFolder {
        let folder = try ScratchFolder("peft-damaged")
        for file in [PEFTAdapterDirectory.configFile, PEFTAdapterDirectory.weightsFile] {
            try FileManager.default.copyItem(at: adapterFixture("llama-gqa-tied").appendingPathComponent(file),
                                             to: folder.file(file))
        }
        try edit(folder.url)
        return folder
    }

    static func llama() throws -> TransformerLM {
        try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
    }

    @Test func truncatedWeightsAreAFormatError() throws {
        let folder = try Self.damaged { url in
            let weights = url.appendingPathComponent(PEFTAdapterDirectory.weightsFile)
            let data = try Data(contentsOf: weights)
            try data.prefix(data.count / 2).write(to: weights)
        }
        defer { folder.remove() }
        #expect(throws: FormatError.self) { _ = try PEFTAdapterDirectory.read(from: folder.url, for: Self.llama()) }
    }

    @Test func aRankOtherThanTheConfigsNamesTheModule() throws {
        let folder = try Self.damaged { url in
            let config = url.appendingPathComponent(PEFTAdapterDirectory.configFile)
            let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"r\": 4", with: "\"r\": 8")
            try Data(text.utf8).write(to: config)
        }
        defer { folder.remove() }
        do {
            _ = try PEFTAdapterDirectory.read(from: folder.url, for: Self.llama())
            Issue.record("a rank-4 adapter read as rank 8")
        } catch let LoRAError.baseMismatch(module, reason) {
            #expect(module == "model.layers.0.mlp.down_proj")
            #expect(reason.contains("rank r = 8"))
        }
    }

    @Test func anAdapterForAnotherBaseNamesTheModule() throws {
        let qwen = try TransformerLM(directory: Fixtures.model("gpt2"), backend: CPUBackend())
        do {
            _ = try PEFTAdapterDirectory.read(from: Self.adapterFixture("llama-gqa-tied"), for: qwen)
            Issue.record("a Llama adapter loaded over GPT-2")
        } catch let LoRAError.baseMismatch(module, _) {
            #expect(module == "model.layers.0.mlp.down_proj")
        }
    }

    @Test func unsupportedSettingsAndBrokenJSONAreRefused() throws {
        for (from, to, key) in [("\"use_dora\": false", "\"use_dora\": true", "use_dora"),
                                ("\"bias\": \"none\"", "\"bias\": \"all\"", "bias"),
                                ("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "peft_type"),
                                ("\"r\": 4", "\"r\": 0", "r")] {
            let folder = try Self.damaged { url in
                let config = url.appendingPathComponent(PEFTAdapterDirectory.configFile)
                let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: from, with: to)
                try Data(text.utf8).write(to: config)
            }
            defer { folder.remove() }
            do {
                _ = try PEFTAdapterDirectory.read(from: folder.url, for: Self.llama())
                Issue.record("\(key): accepted")
            } catch let FormatError.invalidConfig(path, k, _) {
                #expect(k == key && path.hasSuffix(PEFTAdapterDirectory.configFile))
            }
        }
        let broken = try Self.damaged { url in
            try Data("{\"r\": 4, ".utf8).write(to: url.appendingPathComponent(PEFTAdapterDirectory.configFile))
        }
        defer { broken.remove() }
        #expect(throws: FormatError.self) { _ = try PEFTAdapterDirectory.read(from: broken.url, for: Self.llama()) }
        let missing = try ScratchFolder("peft-missing")
        defer { missing.remove() }
        #expect(throws: FormatError.self) { _ = try PEFTAdapterDirectory.read(from: missing.url, for: Self.llama()) }
    }
}
