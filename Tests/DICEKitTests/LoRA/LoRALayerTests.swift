import Foundation
import Testing
@testable import DICEKit

/// LoRA as a layer: an adapter with B = 0 leaves the logits bit for bit; the adapter's gradient
/// agrees with central finite differences of the summed log-probs (with and without dropout,
/// `[out, in]` and GPT-2's `[in, out]` weights); the base gets no gradient buffer; target names
/// are resolved as PEFT resolves them.
@Suite("LoRA layers")
struct LoRALayerTests {
    static let bases = ["llama-gqa-tied", "qwen2-bias", "gpt2"]

    static func sequences() -> [[Int]] { [[1, 5, 9, 33, 2, 17], [4, 80, 6], [12, 13, 14, 15, 16, 17, 18, 19]] }

    static func pairs() -> [TokenPair] {
        [TokenPair(prompt: [1, 5, 9], response: [33, 2, 17]), TokenPair(prompt: [4], response: [80, 6]),
         TokenPair(prompt: [12, 13, 14, 15], response: [16, 17, 18, 19])]
    }

    @Test(arguments: bases)
    func zeroBLeavesLogitsBitIdentical(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let base = try model.logits(Self.sequences())
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 4, alpha: 16, seed: 3), for: model)
        try adapter.initialize()
        #expect(try adapter.parameters.get(adapter.modules[0].a.name).contains { $0 != 0 }, "A is initialised")
        try model.attach(adapter)
        let adapted = try model.logits(Self.sequences())
        #expect(adapted == base)
        let pairs = Self.pairs()
        let adaptedLogProbs = try model.logProbs(pairs)
        try model.attach(nil)
        #expect(adaptedLogProbs == (try model.logProbs(pairs)))
    }

    /// Random A and B, the loss L = Σ wᵢ · log p(responseᵢ): the pullback's adapter gradient
    /// against (L(θ + h) − L(θ − h)) / 2h on 12 coordinates of A and of B.
    @Test(arguments: [("llama-gqa-tied", 0.0), ("gpt2", 0.0), ("llama-gqa-tied", 0.3), ("qwen2-bias", 0.25)])
    func gradientMatchesFiniteDifferences(_ name: String, _ dropout: Double) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let configuration = LoRAConfiguration(rank: 3, alpha: 6, dropout: dropout, useRSLoRA: dropout > 0.2, seed: 5)
        let adapter = try LoRAAdapter(configuration: configuration, for: model)
        var rng = SplitMix64(seed: 77)
        for entry in adapter.parameters.entries {
            try adapter.parameters.set(entry.name, (0..<entry.count).map { _ in rng.nextGaussian() * 0.1 })
        }
        try model.attach(adapter)
        let pairs = Self.pairs(), weights = [1.0, -0.5, 0.75]
        func loss() throws -> Double {
            // The training pass (with its dropout masks): the pullback's forward.
            try zip(model.logProbsWithPullback(pairs).logProbs, weights).reduce(0) { $0 + $1.0 * $1.1 }
        }
        try adapter.zeroGradients()
        let (_, pullback) = try model.logProbsWithPullback(pairs)
        try pullback(weights)
        #expect(!model.parameters.hasGradients, "the frozen base allocated a gradient buffer")
        let gradients = adapter.parameters.backend.download(try adapter.gradients())
        #expect(gradients.contains { $0 != 0 })
        let h: Float = 2e-3
        var values = adapter.parameters.backend.download(adapter.values)
        var checked = 0
        for entry in adapter.parameters.entries where checked < 24 {
            for k in [0, entry.count / 2, entry.count - 1] {
                let i = entry.offset + k
                let saved = values[i]
                values[i] = saved + h
                adapter.parameters.backend.upload(values, to: adapter.values)
                let plus = try loss()
                values[i] = saved - h
                adapter.parameters.backend.upload(values, to: adapter.values)
                let minus = try loss()
                values[i] = saved
                adapter.parameters.backend.upload(values, to: adapter.values)
                let numeric = (plus - minus) / (2 * Double(h))
                let analytic = Double(gradients[i])
                #expect(abs(numeric - analytic) <= 5e-3 + 3e-2 * abs(analytic),
                        "\(name) \(entry.name)[\(k)]: finite differences \(numeric), pullback \(analytic)")
                checked += 1
            }
        }
    }

    @Test func trainsOnlyTheAdapter() throws {
        let model = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2), for: model)
        try model.attach(adapter)
        #expect(model.trainableParameters === adapter)
        #expect(adapter.values.count == adapter.parameters.count)
        // 2 layers × (q, k, v, o, gate, up, down), each r·(in + out) values.
        #expect(adapter.modules.count == 14)
        #expect(adapter.parameters.count == adapter.modules.reduce(0) { $0 + 2 * ($1.inputs + $1.outputs) })
        try model.attach(nil)
        #expect(model.trainableParameters === model.parameters)
    }

    @Test func targetsResolveAsPEFTDoes() throws {
        let llama = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        let qv = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2, targetModules: ["q_proj", "v_proj"]), for: llama)
        #expect(qv.modules.map(\.name) == ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                                           "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"])
        let gpt2 = try TransformerLM(directory: Fixtures.model("gpt2"), backend: CPUBackend())
        let proj = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2, targetModules: ["c_proj"]), for: gpt2)
        #expect(Set(proj.modules.map(\.name)) == ["transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_proj",
                                                  "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_proj"])
        #expect(throws: LoRAError.unknownTargetModule(name: "query_key_value", available: ["c_attn", "c_fc", "c_proj"])) {
            _ = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2, targetModules: ["query_key_value"]), for: gpt2)
        }
        #expect(throws: LoRAError.self) { _ = try LoRAAdapter(configuration: LoRAConfiguration(rank: 0), for: gpt2) }
        #expect(throws: LoRAError.self) { _ = try LoRAAdapter(configuration: LoRAConfiguration(dropout: 1), for: gpt2) }
    }

    @Test func anAdapterForAnotherBaseIsRefusedNamingTheModule() throws {
        let backend = CPUBackend()
        let gpt2 = try TransformerLM(directory: Fixtures.model("gpt2"), backend: backend)
        let llama = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: backend)
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2), for: llama)
        #expect(throws: LoRAError.baseMismatch(module: "model.layers.0.self_attn.q_proj",
                                               reason: "the base model (gpt2) has no linear layer of that name")) {
            try gpt2.attach(adapter)
        }
        #expect(gpt2.adapter == nil)
        let elsewhere = try TransformerLM(directory: Fixtures.model("llama-gqa-tied"), backend: CPUBackend())
        #expect(throws: LoRAError.baseMismatch(module: "model.layers.0.self_attn.q_proj",
                                               reason: "the adapter lives on another backend than the model")) {
            try elsewhere.attach(adapter)
        }
    }

    /// Folding the adapter into the weights gives the adapted model's logits (Float32 rounding).
    @Test(arguments: bases)
    func mergeEqualsTheAdaptedModel(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 3, alpha: 5, seed: 2), for: model)
        var rng = SplitMix64(seed: 8)
        for entry in adapter.parameters.entries {
            try adapter.parameters.set(entry.name, (0..<entry.count).map { _ in rng.nextGaussian() * 0.2 })
        }
        let base = try model.logits(Self.sequences())
        let adapted = try model.withAdapter(adapter) { try model.logits(Self.sequences()) }
        try model.merge(adapter)
        let merged = try model.logits(Self.sequences())
        for (m, (a, b)) in zip(merged, zip(adapted, base)) {
            let worst = zip(m, a).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-5, "\(name): merged vs adapted \(worst)")
            #expect(zip(a, b).contains { abs($0 - $1) > 1e-3 }, "\(name): the adapter changes the logits")
        }
    }
}
