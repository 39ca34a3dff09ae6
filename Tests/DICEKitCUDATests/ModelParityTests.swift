import DICEKit
import Foundation
import Testing
@testable import DICEKitCUDA

/// Whole models on the GPU against the CPU backend: the logits and greedy generations of the
/// fixture models, and one full DPO step (forward, backward, clipping, an SGD update). Needs a CUDA
/// device; skipped with the reason otherwise.
@Suite("CUDA models vs CPU", .enabled(if: Availability.hasDevice, Availability.deviceComment))
struct ModelParityTests {
    static let modelNames = ["llama-gqa-tied", "qwen2-bias", "gpt2", "llama3-scaled", "mistral-window", "qwen3", "gemma3"]

    /// Tests/Fixtures/<path>: from `DICEKIT_FIXTURES` when set (a test runner copied to another
    /// machine, see Scripts/gpu-check.sh), else the working folder's Tests/Fixtures, else the
    /// one beside this source file.
    static func fixture(_ path: String) -> URL {
        let fm = FileManager.default
        if let root = ProcessInfo.processInfo.environment["DICEKIT_FIXTURES"], !root.isEmpty {
            return URL(fileURLWithPath: root).appendingPathComponent(path)
        }
        let local = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("Tests/Fixtures")
        if fm.fileExists(atPath: local.path) { return local.appendingPathComponent(path) }
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !fm.fileExists(atPath: url.appendingPathComponent("Tests/Fixtures").path) {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path)
    }

    @Test(arguments: modelNames)
    func logitsAndGreedyGeneration(_ name: String) throws {
        let directory = Self.fixture("models/\(name)")
        let cpu = try TransformerLM(directory: directory, backend: CPUBackend(threads: 2))
        let cuda = try TransformerLM(directory: directory, backend: try CUDABackend())
        var rng = SplitMix64(seed: 21)
        let vocabulary = UInt64(cpu.spec.vocabularySize)
        let prompts = [5, 17, 9].map { n in (0..<n).map { _ in Int(rng.next() % vocabulary) } }
        let want = try cpu.logits(prompts), got = try cuda.logits(prompts)
        for (w, g) in zip(want.joined(), got.joined()) {
            #expect(abs(w - g) <= 1e-3 + 1e-3 * abs(w), "\(name) logits: cuda \(g) vs cpu \(w)")
        }
        let parameters = GenerationParameters(maxNewTokens: 12, sampling: SamplingParameters(temperature: 0))
        let greedyCPU = try Generator(model: cpu, parameters: parameters).generate(prompts: prompts)
        let greedyCUDA = try Generator(model: cuda, parameters: parameters).generate(prompts: prompts)
        #expect(greedyCUDA.map { $0.map(\.ids) } == greedyCPU.map { $0.map(\.ids) }, "\(name): greedy tokens differ")
    }

    @Test(arguments: modelNames)
    func dpoStep(_ name: String) throws {
        let directory = Self.fixture("models/\(name)")
        var rng = SplitMix64(seed: 22)
        let probe = try TransformerLM(directory: directory, backend: CPUBackend(threads: 2))
        let vocabulary = UInt64(probe.spec.vocabularySize)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % vocabulary) } }
        let pairs = (0..<4).map { i in PreferencePair(prompt: ids(6 + i), chosen: ids(5 + i), rejected: ids(7 - i)) }
        let reference = try ReferenceLogProbs.compute(pairs, reference: probe)
        let shifted = ReferenceLogProbs(chosen: reference.chosen.map { $0 - 0.3 }, rejected: reference.rejected.map { $0 + 0.2 })
        func step(_ backend: any Backend) throws -> (DPOMetrics?, [String: [Float]]) {
            let model = try TransformerLM(directory: directory, backend: backend)
            var metrics: DPOMetrics?
            let config = DPOConfiguration(loss: try DPOLoss(kind: .sigmoid, beta: 0.1), optimizer: .sgd, learningRate: 1.0,
                                          batchSize: 4, steps: 1, maxGradNorm: 1.0)
            _ = try StandardDPOTrainer(configuration: config) { event in
                if case .step(let m) = event { metrics = m }
            }.train(model, pairs: pairs, reference: shifted)
            var weights: [String: [Float]] = [:]
            for entry in model.parameters.entries { weights[entry.name] = try model.parameters.get(entry.name) }
            return (metrics, weights)
        }
        let (wantMetrics, wantWeights) = try step(CPUBackend(threads: 2))
        let (gotMetrics, gotWeights) = try step(try CUDABackend())
        let w = try #require(wantMetrics), g = try #require(gotMetrics)
        #expect(abs(g.loss - w.loss) <= 1e-4 * max(1, abs(w.loss)), "\(name) loss: \(g.loss) vs \(w.loss)")
        #expect(abs((g.gradNorm ?? .nan) - (w.gradNorm ?? .nan)) <= 1e-3 * max(1e-3, abs(w.gradNorm ?? 1)),
                "\(name) grad norm: \(g.gradNorm ?? .nan) vs \(w.gradNorm ?? .nan)")
        for (key, want) in wantWeights {
            let got = try #require(gotWeights[key])
            let before = try probe.parameters.get(key)
            // The update itself (−lr · clipped gradient), compared on its own scale.
            let update = zip(want, before).map { abs($0 - $1) }.max() ?? 0
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-6 + 1e-3 * update, "\(name) \(key): worst |Δ| \(worst), largest update \(update)")
        }
    }
}
