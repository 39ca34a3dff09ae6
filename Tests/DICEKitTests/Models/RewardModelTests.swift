// Reward models (*ForSequenceClassification, one label): scores against transformers' goldens
// (Scripts/make-rm-fixtures.py), packed batches equal to one sequence at a time, the Bradley–Terry
// gradient against finite differences, a closed-form model, saving (config.json as transformers
// writes it; transformers loads it with equal scores when a Python with it is present), and the
// typed errors of checkpoints that are not one-label reward models.

import DICEKit
import Foundation
import Testing

@Suite("Models: reward models")
struct RewardModelTests {
    static let root = Fixtures.root.appendingPathComponent("reward-models")
    static let names = ["llama", "qwen2", "gpt2"]

    struct Golden: Decodable {
        var sequences: [[Int]]
        var scores: [Double]
    }

    static func goldens() throws -> [String: Golden] {
        try JSONDecoder().decode([String: Golden].self, from: Data(contentsOf: root.appendingPathComponent("goldens.json")))
    }

    static func load(_ name: String) throws -> RewardModel {
        try RewardModel(directory: root.appendingPathComponent(name), backend: CPUBackend(threads: 1))
    }

    /// A sequence as a pair: its first token the prompt, the rest the response.
    static func pair(_ ids: [Int]) -> TokenPair { TokenPair(prompt: [ids[0]], response: Array(ids.dropFirst())) }

    static func close(_ a: Double, _ b: Double, relative: Double = 1e-5) -> Bool {
        abs(a - b) <= relative * max(1, abs(b))
    }

    @Test("scores equal transformers' within 1e-5 relative (Llama, Qwen2, GPT-2), each sequence alone and all packed")
    func goldenScores() throws {
        for (name, golden) in try Self.goldens() {
            let rm = try Self.load(name)
            #expect(rm.config.head == .score(labels: 1))
            let packed = try rm.rewards(golden.sequences.map(Self.pair))
            for (i, ids) in golden.sequences.enumerated() {
                let alone = try rm.rewards([Self.pair(ids)])[0]
                #expect(Self.close(alone, golden.scores[i]), "\(name) #\(i): \(alone) vs \(golden.scores[i])")
                #expect(Self.close(packed[i], golden.scores[i]), "\(name) #\(i) packed: \(packed[i])")
            }
            // Another split of the same sequence into prompt and response gives the same score.
            let ids = golden.sequences[1]
            let split = try rm.rewards([TokenPair(prompt: Array(ids.prefix(4)), response: Array(ids.dropFirst(4)))])[0]
            #expect(Self.close(split, golden.scores[1]))
            // An empty response is scored at the prompt's last token.
            let empty = try rm.rewards([TokenPair(prompt: ids, response: [])])[0]
            #expect(Self.close(empty, golden.scores[1]))
        }
    }

    @Test("shared prompts: chosen and rejected of one prompt packed together score as alone")
    func sharedPrompts() throws {
        let rm = try Self.load("llama")
        let prompt = [1, 5, 9]
        let pairs = [TokenPair(prompt: prompt, response: [13, 21]), TokenPair(prompt: prompt, response: [30, 31, 40]),
                     TokenPair(prompt: [1, 7], response: [8]), TokenPair(prompt: prompt, response: [])]
        let together = try rm.rewards(pairs)
        for (i, pair) in pairs.enumerated() {
            #expect(Self.close(together[i], try rm.rewards([pair])[0], relative: 1e-6))
        }
    }

    @Test("the Bradley–Terry gradient (RewardModelScorer + DPO's sigmoid loss at β = 1, zero reference) against central differences")
    func bradleyTerryGradient() throws {
        let rm = try Self.load("qwen2")
        let scorer = RewardModelScorer(rm)
        let chosen = TokenPair(prompt: [1, 5, 9], response: [13, 21, 7]), rejected = TokenPair(prompt: [1, 5, 9], response: [30, 31])
        func loss() throws -> Double {
            let r = try scorer.logProbs([chosen, rejected])
            return -log(1 / (1 + exp(-(r[0] - r[1]))))
        }
        let p = rm.network.parameters
        try p.zeroGradients()
        let (r, pullback) = try scorer.logProbsWithPullback([chosen, rejected])
        let sigma = 1 / (1 + exp(-(r[0] - r[1])))
        try pullback([-(1 - sigma), 1 - sigma])  // ∂/∂r_w and ∂/∂r_l of −log σ(r_w − r_l)
        let gradient = p.backend.download(try p.gradients())
        for (name, index) in [("score.weight", 3), ("model.layers.1.mlp.down_proj.weight", 17),
                              ("model.embed_tokens.weight", 13 * 16 + 2), ("model.layers.0.self_attn.q_proj.bias", 1)] {
            let entry = try p.entry(name)
            var values = try p.get(name)
            let h: Float = 1e-2, original = values[index]
            values[index] = original + h
            try p.set(name, values)
            let plus = try loss()
            values[index] = original - h
            try p.set(name, values)
            let minus = try loss()
            values[index] = original
            try p.set(name, values)
            let numeric = (plus - minus) / (2 * Double(h)), analytic = Double(gradient[entry.offset + index])
            #expect(abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(numeric), "\(name)[\(index)]: \(analytic) vs \(numeric)")
        }
    }

    @Test("closed form: with every block's output projections zero, r = score · RMSNorm(embedding of the last token)")
    func closedForm() throws {
        let spec = TransformerSpec(modelType: "llama", vocabularySize: 8, hiddenSize: 4, intermediateSize: 8,
                                   layers: 1, heads: 2, kvHeads: 1, maxPositions: 16)
        let network = try TransformerLM(config: ModelConfig(ModelConfig(spec).architecture, head: .score(labels: 1)),
                                        backend: CPUBackend(threads: 1))
        try network.initializeRandomly(seed: 3)
        let p = network.parameters
        for name in ["model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.down_proj.weight"] {
            try p.set(name, [Float](repeating: 0, count: try p.entry(name).count))
        }
        let embedding = try p.get("model.embed_tokens.weight"), score = try p.get("score.weight")
        let epsilon = Double(try #require(ModelConfig(spec).architecture as? LlamaConfig).rmsNormEps)
        func expected(_ token: Int) -> Double {
            let row = (0..<4).map { Double(embedding[token * 4 + $0]) }
            let rms = (row.map { $0 * $0 }.reduce(0, +) / 4 + epsilon).squareRoot()
            return zip(row, score).map { $0 / rms * Double($1) }.reduce(0, +)
        }
        let rm = try RewardModel(network)
        let rewards = try rm.rewards([TokenPair(prompt: [1, 2], response: [3, 5]), TokenPair(prompt: [4], response: [6, 7])])
        #expect(Self.close(rewards[0], expected(5), relative: 1e-5) && Self.close(rewards[1], expected(7), relative: 1e-5))
    }

    @Test("RewardModelJudge: P(A better) = σ(r_A − r_B) in closed form, ties for equal texts, wins and losses by the sign")
    func judge() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2_bytelevel")
        let v = tokenizer.vocabularySize
        let spec = TransformerSpec(modelType: "llama", vocabularySize: v, hiddenSize: 4, intermediateSize: 8,
                                   layers: 1, heads: 2, kvHeads: 1, maxPositions: 1024)
        let network = try TransformerLM(config: ModelConfig(ModelConfig(spec).architecture, head: .score(labels: 1)),
                                        backend: CPUBackend(threads: 1))
        try network.initializeRandomly(seed: 4)
        for name in ["model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.down_proj.weight"] {
            try network.parameters.set(name, [Float](repeating: 0, count: try network.parameters.entry(name).count))
        }
        // Every token's embedding is (1, 0, 0, 0) except "!" (0, 1, 0, 0); the score reads channel 1:
        // r = 2 (= √4 · 1, RMSNorm's scale) for a text ending in "!", 0 otherwise.
        let bang = try #require(tokenizer.encode("!").last)
        var embedding = [Float](repeating: 0, count: v * 4)
        for t in 0..<v { embedding[t * 4 + (t == bang ? 1 : 0)] = 1 }
        try network.parameters.set("model.embed_tokens.weight", embedding)
        try network.parameters.set("score.weight", [0, 1, 0, 0])
        let judge = try RewardModelJudge(model: RewardModel(network), tokenizer: tokenizer, template: .chatml)
        let p = try judge.preference(instruction: "Greet me.", a: "Hello!", b: "Hello.")
        let epsilon = try #require(ModelConfig(spec).architecture as? LlamaConfig).rmsNormEps
        let r = 1 / (0.25 + epsilon).squareRoot()  // 1 / RMS of (0, 1, 0, 0)
        #expect(abs(p - 1 / (1 + exp(-r))) < 1e-5, "\(p)")
        let prompt = TokenizedText(text: "Greet me.", tokens: [])
        func verdict(_ a: String, _ b: String) throws -> Verdict {
            try judge.verdict(prompt: prompt, a: TokenizedText(text: a, tokens: []), b: TokenizedText(text: b, tokens: []))
        }
        #expect(try verdict("Hello!", "Hello.") == .win)
        #expect(try verdict("Hi.", "Hey!") == .loss)
        #expect(try verdict("Hi.", "Hello.") == .tie)
    }

    @Test("a new reward model from a causal LM: the LM head dropped, the score head seeded; saved as …ForSequenceClassification and read back")
    func fromLanguageModelAndSave() throws {
        let folder = try ScratchFolder("rm-save")
        defer { folder.remove() }
        let base = try ModelDirectory.read(from: Fixtures.model("qwen2-bias"))
        let a = try RewardModel(languageModel: base, backend: CPUBackend(threads: 1), seed: 7)
        let b = try RewardModel(languageModel: base, backend: CPUBackend(threads: 1), seed: 7)
        let c = try RewardModel(languageModel: base, backend: CPUBackend(threads: 1), seed: 8)
        #expect(try a.network.parameters.get("score.weight") == b.network.parameters.get("score.weight"))
        #expect(try a.network.parameters.get("score.weight") != c.network.parameters.get("score.weight"))
        #expect(!a.network.parameters.entries.contains { $0.name == "lm_head.weight" })
        try a.modelDirectory().write(to: folder.url)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["Qwen2ForSequenceClassification"])
        #expect(config?["num_labels"] as? Int == 1)
        #expect((config?["id2label"] as? [String: String]) == ["0": "LABEL_0"])
        let reloaded = try RewardModel(directory: folder.url, backend: CPUBackend(threads: 1))
        let pairs = [TokenPair(prompt: [1, 2, 3], response: [4, 5]), TokenPair(prompt: [9], response: [])]
        #expect(try reloaded.rewards(pairs) == a.rewards(pairs))
    }

    @Test("transformers loads a reward model DICEKit saved, with equal scores (skipped without a Python with torch + transformers)")
    func transformersLoadsSaved() throws {
        guard let python = TransformersPython.url else { return }
        let folder = try ScratchFolder("rm-transformers")
        defer { folder.remove() }
        for name in Self.names {
            let rm = try Self.load(name)
            // Train-like change: different weights than the fixture, so that the check is not of the file alone.
            var score = try rm.network.parameters.get("score.weight")
            score = score.map { $0 * 1.5 + 0.01 }
            try rm.network.parameters.set("score.weight", score)
            let out = folder.file(name)
            try rm.modelDirectory().write(to: out)
            let sequences = try Self.goldens()[name]!.sequences
            try JSONEncoder().encode(sequences).write(to: folder.file("\(name).json"))
            let theirs = try TransformersPython.run(python, script: "make-rm-fixtures.py",
                                                    arguments: ["--check", out.path, folder.file("\(name).json").path])
            let scores = try JSONDecoder().decode([Double].self, from: theirs)
            let ours = try rm.rewards(sequences.map(Self.pair))
            for i in ours.indices { #expect(Self.close(ours[i], scores[i]), "\(name) #\(i): \(ours[i]) vs \(scores[i])") }
        }
    }

    @Test("typed errors: a causal LM, two labels, no score weight; an LM's functions on a score head")
    func errors() throws {
        let folder = try ScratchFolder("rm-errors")
        defer { folder.remove() }
        #expect {
            _ = try RewardModel(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend(threads: 1))
        } throws: { error in
            guard case let FormatError.invalidConfig(path, key, _) = error else { return false }
            return key == "architectures" && path.hasSuffix("config.json")
        }
        let source = Self.root.appendingPathComponent("llama")
        for (file, label) in [("two", "num_labels"), ("noscore", "score.weight")] {
            let target = folder.file(file)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            var config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
            if file == "two" {
                config = config.replacingOccurrences(of: "\"0\": \"LABEL_0\"", with: "\"0\": \"LABEL_0\", \"1\": \"LABEL_1\"")
            }
            try config.write(to: target.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            var tensors = try ModelDirectory.read(from: source).tensors
            if file == "two" {
                tensors["score.weight"] = HostTensor(shape: [2, 16], values: [Float](repeating: 0.1, count: 32))
            } else {
                tensors["score.weight"] = nil
            }
            try SafeTensors.write(tensors, to: target.appendingPathComponent("model.safetensors"))
            do {
                _ = try RewardModel(directory: target, backend: CPUBackend(threads: 1))
                Issue.record("\(file): loaded")
            } catch let FormatError.invalidConfig(path, key, _) {
                #expect(key == label && path.hasSuffix("config.json"))
            } catch let FormatError.missingTensor(_, tensor, _) {
                #expect(tensor == label)
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
        let network = try TransformerLM(directory: source, backend: CPUBackend(threads: 1))
        #expect(throws: ModelError.self) { _ = try network.logProbs([TokenPair(prompt: [1], response: [2])]) }
        #expect(throws: ModelError.self) { _ = try network.logits([[1, 2]]) }
    }
}
