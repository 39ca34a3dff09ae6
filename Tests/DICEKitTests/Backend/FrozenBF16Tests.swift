// Frozen parameter stores on a `.bf16` CPU backend: the matrices held only in bfloat16.
//
// The oracle is the trainable `.bf16` path (Float32 masters plus a bfloat16 copy refreshed
// before each pass): on weights that bfloat16 represents exactly (a model saved as BF16) both
// round nothing away, so a frozen model's logits, greedy tokens and LoRA DPO losses must equal
// that path's bit for bit; on Float32 weights the frozen store rounds once, on setting, what the
// trainable path rounds on every refresh — and also the embedding rows, which the trainable
// path reads unrounded.

@testable import DICEKit
import BackendConformance
import Foundation
import Testing

@Suite("frozen bf16 parameter stores")
struct FrozenBF16Tests {
    /// The fixture `name` saved as BF16 safetensors in `folder` (weights rounded once).
    static func bf16Copy(_ name: String, in folder: ScratchFolder) throws -> URL {
        let url = folder.url.appendingPathComponent(name)
        try ModelDirectory.read(from: Fixtures.model(name)).write(to: url, dtype: .bf16)
        return url
    }

    /// A few token sequences inside every fixture's vocabulary.
    static let sequences = [[1, 5, 9, 17, 33, 2], [1, 40, 41], [3, 7, 11, 13, 19, 23, 29, 31, 37]]

    @Test("a frozen store's logits equal the trainable bf16 path's bit for bit (BF16 weights)",
          arguments: Fixtures.modelNames)
    func logitsMatchTheTrainablePath(_ name: String) throws {
        let folder = try ScratchFolder("frozen-bf16")
        defer { folder.remove() }
        let url = try Self.bf16Copy(name, in: folder)
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let trainable = try TransformerLM(directory: url, backend: backend)
        let frozen = try TransformerLM(directory: url, backend: backend, trainable: false)
        #expect(frozen.parameters.isCompact && !trainable.parameters.isCompact)
        let expected = try trainable.logits(Self.sequences), actual = try frozen.logits(Self.sequences)
        #expect(actual.map { $0.map(\.bitPattern) } == expected.map { $0.map(\.bitPattern) })
        // The same weights either way (widened from bfloat16 exactly).
        #expect(try frozen.weightsFingerprint() == trainable.weightsFingerprint())
    }

    @Test("greedy decoding from a frozen store picks the trainable bf16 path's tokens")
    func greedyDecodingMatches() throws {
        let folder = try ScratchFolder("frozen-bf16-greedy")
        defer { folder.remove() }
        let url = try Self.bf16Copy("llama-gqa-tied", in: folder)
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let parameters = GenerationParameters(samplesPerPrompt: 2, maxNewTokens: 12, sampling: SamplingParameters(temperature: 0),
                                              stopTokenIDs: [], seed: 4)
        func tokens(_ trainable: Bool) throws -> [[[Int]]] {
            let model = try TransformerLM(directory: url, backend: backend, trainable: trainable)
            return try Generator(model: model, parameters: parameters).generate(prompts: [[1, 5, 9], [1, 40]]).map { $0.map(\.ids) }
        }
        #expect(try tokens(false) == tokens(true))
    }

    @Test("BF16 tensors keep their bits; F32 tensors are rounded once to nearest even")
    func loadingKeepsTheBits() throws {
        let folder = try ScratchFolder("frozen-bf16-bits")
        defer { folder.remove() }
        let name = "qwen2-bias"
        let url = try Self.bf16Copy(name, in: folder)
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let file = try SafeTensorsFile(contentsOf: url.appendingPathComponent(ModelDirectory.weightsFile))
        let fromBF16 = try TransformerLM(directory: url, backend: backend, trainable: false)
        let original = try ModelDirectory.read(from: Fixtures.model(name))
        let fromF32 = try TransformerLM(directory: Fixtures.model(name), backend: backend, trainable: false)
        for entry in fromBF16.parameters.entries {
            let bits = try file.bfloat16(entry.name)
            #expect(try fromBF16.parameters.get(entry.name).map { bfloat16Bits(from: $0) } == bits, "\(entry.name)")
            let exact = try #require(original.tensors[entry.name]).values
            let loaded = try fromF32.parameters.get(entry.name)
            if entry.shape.count >= 2 {
                #expect(loaded.map(\.bitPattern) == exact.map { float(fromBFloat16Bits: bfloat16Bits(from: $0)).bitPattern }, "\(entry.name)")
                #expect(loaded != exact, "\(entry.name) was not rounded")
            } else {
                #expect(loaded.map(\.bitPattern) == exact.map(\.bitPattern), "vector \(entry.name) must stay Float32")
            }
        }
    }

    @Test("a frozen bf16 store holds 2 bytes per matrix element and no Float32 copy of them")
    func theFloat32BufferIsGone() throws {
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let url = Fixtures.model("llama-gqa-tied")
        let frozen = try TransformerLM(directory: url, backend: backend, trainable: false)
        let trainable = try TransformerLM(directory: url, backend: backend)
        _ = try trainable.logits([[1, 2, 3]])   // makes the bfloat16 copy
        let p = frozen.parameters
        let vectors = p.entries.filter { $0.shape.count < 2 }.reduce(0) { $0 + $1.count }
        let floatBlock = CPUBufferPool.roundedSize(vectors * 4)
        #expect(p.storedBytes == floatBlock + 2 * p.count)
        #expect(trainable.parameters.storedBytes == CPUBufferPool.roundedSize(4 * p.count) + 2 * p.count)
        #expect(Double(p.storedBytes) < 0.4 * Double(trainable.parameters.storedBytes))
        // A frozen store has no gradients, and an fp32 backend keeps Float32 storage.
        #expect(throws: ModelError.frozenParameters) { _ = try p.gradients() }
        let fp32 = try TransformerLM(directory: url, backend: CPUBackend(threads: 2), trainable: false)
        #expect(!fp32.parameters.isCompact && fp32.parameters.storedBytes == CPUBufferPool.roundedSize(4 * p.count))
        #expect(try fp32.logits(Self.sequences) == CPUBackend(threads: 2).withModel(url) { try $0.logits(Self.sequences) })
    }

    @Test("set/get, fill and copy on a compact store round matrices once and keep vectors exact")
    func compactStorageRoundTrips() throws {
        let backend = CPUBackend(threads: 2, dtype: .bf16)
        let store = try ParameterStore(shapes: [("a", [3, 5]), ("v", [7]), ("b", [4, 2])], on: backend, trainable: false)
        #expect(store.isCompact)
        #expect(try store.entry("v").offset == 0, "vectors first")
        var rng = SplitMix64(seed: 5)
        let a = rng.floats(15), v = rng.floats(7), b = rng.floats(8)
        try store.set("a", a)
        try store.set("v", v)
        try store.set("b", b)
        let round = { (x: [Float]) in x.map { float(fromBFloat16Bits: bfloat16Bits(from: $0)) } }
        #expect(try store.get("a") == round(a) && store.get("b") == round(b) && store.get("v") == v)
        // The whole buffer downloads and uploads across the Float32/bfloat16 boundary.
        let all = backend.download(store.values)
        backend.fill(store.values, with: 0)
        #expect(try store.get("a").allSatisfy { $0 == 0 } && store.get("v").allSatisfy { $0 == 0 })
        backend.upload(all, to: store.values)
        #expect(try store.get("a") == round(a) && store.get("v") == v)
        let other = try ParameterStore(shapes: [("a", [3, 5]), ("v", [7]), ("b", [4, 2])], on: backend, trainable: false)
        backend.copy(store.values, to: other.values)
        #expect(try other.get("b") == round(b))
    }

    @Test("a model written from a frozen store holds its bfloat16 values (F32 widened, BF16 as they are)")
    func savingWritesTheValues() throws {
        let folder = try ScratchFolder("frozen-bf16-save")
        defer { folder.remove() }
        let url = try Self.bf16Copy("gpt2", in: folder)
        let frozen = try TransformerLM(directory: url, backend: CPUBackend(threads: 2, dtype: .bf16), trainable: false)
        let written = try frozen.modelDirectory(config: frozen.config)
        let source = try ModelDirectory.read(from: url)
        #expect(written.tensors == source.tensors)
        let again = folder.url.appendingPathComponent("again")
        try written.write(to: again, dtype: .bf16)
        let a = try SafeTensorsFile(contentsOf: url.appendingPathComponent(ModelDirectory.weightsFile))
        let b = try SafeTensorsFile(contentsOf: again.appendingPathComponent(ModelDirectory.weightsFile))
        for name in a.names { #expect(try a.bfloat16(name) == b.bfloat16(name), "\(name)") }
        // Merging into frozen weights is refused (they may be bfloat16 only).
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 2), for: frozen)
        #expect(throws: ModelError.frozenParameters) { try frozen.merge(adapter) }
    }

    @Test("LoRA DPO on a frozen bf16 base gives the trainable base's losses bit for bit (BF16 weights)")
    func loraDPOMatches() throws {
        let folder = try ScratchFolder("frozen-bf16-lora")
        defer { folder.remove() }
        let url = try Self.bf16Copy("llama-gqa-tied", in: folder)
        let pairs = DPOResumeTests.pairs(8)
        var config = try DPOResumeTests.config(steps: 3)
        config.validationSize = 0
        config.checkpointInterval = 0
        config.evaluationInterval = 0
        func run(_ trainable: Bool) throws -> (losses: [Double], adapter: [Float]) {
            let model = try TransformerLM(directory: url, backend: CPUBackend(threads: 2, dtype: .bf16), trainable: trainable)
            let policy = try LoRADPOTests.policy(model)
            let reference = try ReferenceLogProbs.compute(pairs, reference: TransformerPolicy(model: model, generation: GenerationParameters()))
            var losses: [Double] = []
            _ = try StandardDPOTrainer(configuration: config) { event in
                if case .step(let m) = event { losses.append(m.loss) }
            }.train(policy, pairs: pairs, reference: reference)
            #expect(!model.parameters.hasGradients)
            return (losses, policy.adapter.map { $0.parameters.backend.download($0.values) } ?? [])
        }
        let frozen = try run(false), trainable = try run(true)
        #expect(frozen.losses.count == 3)
        #expect(frozen.losses == trainable.losses)
        #expect(frozen.adapter.map(\.bitPattern) == trainable.adapter.map(\.bitPattern))
    }
}

extension CPUBackend {
    /// `body` applied to the fixture at `url` loaded trainable on this backend.
    fileprivate func withModel<R>(_ url: URL, _ body: (TransformerLM) throws -> R) throws -> R {
        try body(TransformerLM(directory: url, backend: self))
    }
}
