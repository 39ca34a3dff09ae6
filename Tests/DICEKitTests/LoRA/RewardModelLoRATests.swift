import Foundation
import Testing
@testable import DICEKit

/// A reward model's LoRA (PEFT's SEQ_CLS task: adapters on the backbone, the score head trained
/// in full as `modules_to_save`): PEFT's adapter scores as PEFT scores it; DICEKit's adapter reads
/// back bit for bit and loads in peft with equal scores; training moves only the adapter and the
/// head copy and resumes bit-exactly; what does not fit is a typed error.
@Suite("LoRA reward models")
struct RewardModelLoRATests {
    static let fixture = Fixtures.root.appendingPathComponent("lora/llama-gqa-tied-seq-cls")
    static let base = Fixtures.model("llama-gqa-tied")

    struct Golden: Decodable {
        let sequences: [[Int]]
        let scores: [Double]
    }

    /// Each sequence as a pair scored at its last token (prompt: the first two ids).
    static func pairs(_ sequences: [[Int]]) -> [TokenPair] {
        sequences.map { TokenPair(prompt: Array($0.prefix(2)), response: Array($0.dropFirst(2))) }
    }

    static func worst(_ got: [Double], _ want: [Double]) -> Double {
        #expect(got.count == want.count)
        return zip(got, want).map { abs($0 - $1) / max(1e-3, abs($1)) }.max() ?? .infinity
    }

    @Test func peftSequenceClassifierAdapterScoresAsPEFT() throws {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("golden.json")))
        let rm = try RewardModel(adapter: Self.fixture, base: Self.base, backend: CPUBackend())
        let adapter = try #require(rm.network.adapter)
        #expect(adapter.head?.shape == [1, rm.network.spec.hiddenSize])
        #expect(adapter.modules.count == 14)
        let worst = Self.worst(try rm.rewards(Self.pairs(golden.sequences)), golden.scores)
        #expect(worst < 1e-5, "PEFT vs DICEKit scores, max relative error \(worst)")
        // The base's own (randomly drawn) head is not what scores.
        try rm.network.attach(nil)
        #expect(Self.worst(try rm.rewards(Self.pairs(golden.sequences)), golden.scores) > 1e-3)
    }

    /// A reward model on the causal base with an adapter of random A, B and head.
    static func randomAdapterRM(seed: UInt64) throws -> (RewardModel, LoRAAdapter) {
        let rm = try RewardModel(languageModel: ModelDirectory.read(from: base), backend: CPUBackend(), seed: 3)
        let configuration = LoRAConfiguration(rank: 3, alpha: 6, targetModules: ["q_proj", "v_proj", "down_proj"],
                                              seed: 4, trainsHead: true)
        let adapter = try LoRAAdapter(configuration: configuration, for: rm.network)
        #expect(try adapter.parameters.get(OutputHead.scoreWeightName) == rm.network.parameters.get(OutputHead.scoreWeightName),
                "the head starts as a copy of the model's")
        var rng = SplitMix64(seed: seed)
        for entry in adapter.parameters.entries {
            try adapter.parameters.set(entry.name, (0..<entry.count).map { _ in rng.nextGaussian() * 0.2 })
        }
        try rm.network.attach(adapter)
        return (rm, adapter)
    }

    @Test func dicekitAdapterReadsBackAndLoadsInPEFT() throws {
        let (rm, adapter) = try Self.randomAdapterRM(seed: 12)
        let folder = try ScratchFolder("rm-lora-export")
        defer { folder.remove() }
        let adapterURL = folder.file("adapter")
        try PEFTAdapterDirectory.write(adapter, to: adapterURL, baseModel: Self.base.path)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: adapterURL.appendingPathComponent(PEFTAdapterDirectory.configFile))) as? [String: Any]
        #expect(config?["task_type"] as? String == "SEQ_CLS")
        #expect(config?["modules_to_save"] as? [String] == ["classifier", "score"])
        let names = try SafeTensorsFile(contentsOf: adapterURL.appendingPathComponent(PEFTAdapterDirectory.weightsFile)).names
        #expect(names.contains("base_model.model.score.weight"))
        #expect(try PEFTAdapterDirectory.baseModel(of: adapterURL) == Self.base.path)

        let again = try RewardModel(adapter: adapterURL, base: Self.base, backend: CPUBackend())
        let reread = try #require(again.network.adapter)
        #expect(reread.backend.download(reread.values).map(\.bitPattern) == adapter.backend.download(adapter.values).map(\.bitPattern))
        let sequences = try PEFTAdapterTests.goldenSequences("llama-gqa-tied")
        let scores = try rm.rewards(Self.pairs(sequences))
        #expect(try again.rewards(Self.pairs(sequences)) == scores)

        guard let python = TransformersPython.python(importing: "torch, transformers, peft") else {
            print("skipped: no Python with torch, transformers and peft (set DICEKIT_PYTHON or make /tmp/venv)")
            return
        }
        let sequencesURL = folder.file("sequences.json")
        try JSONEncoder().encode(sequences).write(to: sequencesURL)
        let out = try TransformersPython.run(python, script: "make-peft-fixtures.py",
                                             arguments: ["--scores", Self.base.path, adapterURL.path, sequencesURL.path])
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        let peft = try JSONDecoder().decode([Double].self, from: Data((lines.last ?? "").utf8))
        let worst = Self.worst(scores, peft)
        #expect(worst < 1e-5, "DICEKit vs PEFT scores, max relative error \(worst)")
    }

    /// Bradley–Terry training of the adapter (dropout on): the backbone is unchanged and has no
    /// gradient buffer, A, B and the head copy move, and a run stopped after step 3 and resumed
    /// ends with the same bits and metrics.
    @Test func onlyTheAdapterAndHeadTrainAndResumeIsBitExact() throws {
        let pairs = DPOResumeTests.pairs(13)
        var config = try DPOResumeTests.config()
        config.loss = try DPOLoss(kind: .sigmoid, beta: 1)
        func scorer() throws -> (RewardModelScorer, LoRAAdapter) {
            let rm = try RewardModel(languageModel: ModelDirectory.read(from: Self.base), backend: CPUBackend(), seed: 3)
            let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, seed: 21, trainsHead: true),
                                          for: rm.network)
            try adapter.initialize()
            try rm.network.attach(adapter)
            return (RewardModelScorer(rm), adapter)
        }
        let (whole, wholeAdapter) = try scorer()
        #expect(whole.trainableParameters.values.count == wholeAdapter.values.count)
        let baseBefore = try whole.model.network.weightsFingerprint()
        let initial = wholeAdapter.backend.download(wholeAdapter.values)
        let headBefore = try wholeAdapter.parameters.get(OutputHead.scoreWeightName)
        let folderA = try ScratchFolder("rm-lora-whole")
        defer { folderA.remove() }
        var wholeMetrics: [DPOMetrics] = []
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderA.url) { event in
            if case .step(let m) = event { wholeMetrics.append(m) }
        }.train(whole, pairs: pairs, reference: .zero(count: pairs.count))
        #expect(try whole.model.network.weightsFingerprint() == baseBefore, "the backbone changed")
        #expect(!whole.model.network.parameters.hasGradients)
        let trained = wholeAdapter.backend.download(wholeAdapter.values)
        #expect(trained != initial, "the adapter did not train")
        #expect(try wholeAdapter.parameters.get(OutputHead.scoreWeightName) != headBefore, "the head did not train")

        let folderB = try ScratchFolder("rm-lora-resumed")
        defer { folderB.remove() }
        #expect(throws: DPOResumeTests.Stop.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url) { event in
                if case .step(let m) = event, m.step == 3 { throw DPOResumeTests.Stop() }
            }.train(try scorer().0, pairs: pairs, reference: .zero(count: pairs.count))
        }
        let (fresh, freshAdapter) = try scorer()
        var resumedMetrics: [DPOMetrics] = []
        let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url, resume: true) { event in
            if case .step(let m) = event { resumedMetrics.append(m) }
        }.train(fresh, pairs: pairs, reference: .zero(count: pairs.count))
        #expect(summary.resumedFrom == 2)
        #expect(resumedMetrics == Array(wholeMetrics.suffix(3)))
        #expect(freshAdapter.backend.download(freshAdapter.values).map(\.bitPattern) == trained.map(\.bitPattern))
    }

    /// The reward model's adapter gradients (head included) are bit-identical under activation
    /// checkpointing.
    @Test func checkpointedGradientsAreBitIdentical() throws {
        let (rm, adapter) = try Self.randomAdapterRM(seed: 5)
        let pairs = Self.pairs(try PEFTAdapterTests.goldenSequences("llama-gqa-tied"))
        var results: [[UInt32]] = []
        for checkpoint in [false, true] {
            rm.network.checkpointsActivations = checkpoint
            try adapter.zeroGradients()
            let (_, pullback) = try rm.rewardsWithPullback(pairs)
            try pullback(pairs.indices.map { Double($0) - 0.5 })
            results.append(adapter.backend.download(try adapter.gradients()).map(\.bitPattern))
        }
        let head = try #require(adapter.head)
        #expect(results[0][head.offset..<(head.offset + head.count)].contains { $0 != 0 }, "no head gradient")
        #expect(results[0] == results[1])
    }

    @Test func whatDoesNotFitIsRefused() throws {
        // A reward model's adapter over a causal language model.
        let lm = try TransformerLM(directory: Self.base, backend: CPUBackend())
        do {
            _ = try PEFTAdapterDirectory.read(from: Self.fixture, for: lm)
            Issue.record("a SEQ_CLS adapter loaded over a causal LM")
        } catch let LoRAError.baseMismatch(module, _) {
            #expect(module == "score")
        }
        // A language model's adapter as a reward model.
        do {
            _ = try RewardModel(adapter: PEFTAdapterTests.adapterFixture("llama-gqa-tied"), base: Self.base, backend: CPUBackend())
            Issue.record("a CAUSAL_LM adapter loaded as a reward model")
        } catch let LoRAError.invalidConfiguration(field, _) {
            #expect(field == "modules_to_save")
        }
        // A head to train on a model without one.
        #expect(throws: LoRAError.self) {
            _ = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2, trainsHead: true), for: lm)
        }
        // Other saved modules, and a listed head the weights lack.
        let folder = try ScratchFolder("rm-lora-damaged")
        defer { folder.remove() }
        for file in [PEFTAdapterDirectory.configFile, PEFTAdapterDirectory.weightsFile] {
            try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent(file), to: folder.file(file))
        }
        let configURL = folder.file(PEFTAdapterDirectory.configFile)
        let text = try String(contentsOf: configURL, encoding: .utf8)
        let rm = try RewardModel(languageModel: ModelDirectory.read(from: Self.base), backend: CPUBackend(), seed: 1)
        try Data(text.replacingOccurrences(of: "\"classifier\"", with: "\"lm_head\"").utf8).write(to: configURL)
        do {
            _ = try PEFTAdapterDirectory.read(from: folder.url, for: rm.network)
            Issue.record("modules_to_save lm_head accepted")
        } catch let FormatError.invalidConfig(_, key, _) {
            #expect(key == "modules_to_save")
        }
        let weights = try SafeTensorsFile(contentsOf: Self.fixture.appendingPathComponent(PEFTAdapterDirectory.weightsFile))
        var tensors: [String: HostTensor] = [:]
        for name in weights.names where !name.hasSuffix("score.weight") {
            tensors[name] = try weights.tensor(name)
        }
        try SafeTensors.write(tensors, to: folder.file(PEFTAdapterDirectory.weightsFile), metadata: ["format": "pt"])
        try Data(text.utf8).write(to: configURL)
        do {
            _ = try PEFTAdapterDirectory.read(from: folder.url, for: rm.network)
            Issue.record("a SEQ_CLS adapter without its head accepted")
        } catch let FormatError.missingTensor(_, tensor, _) {
            #expect(tensor == "base_model.model.score.weight")
        }
    }
}
