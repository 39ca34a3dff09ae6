import Foundation
import Testing
@testable import DICEKit

/// DPO with LoRA: the reference is the loaded base with no adapter (no second copy), only the
/// adapter changes, and a run stopped and resumed from its checkpoint ends with the same adapter
/// and metrics, bit for bit (dropout on, so its masks must repeat too).
@Suite("LoRA DPO")
struct LoRADPOTests {
    static func policy(_ model: TransformerLM) throws -> TransformerPolicy {
        let adapter = try LoRAAdapter(configuration: LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, seed: 21), for: model)
        try adapter.initialize()
        return TransformerPolicy(model: model, generation: GenerationParameters(), adapter: adapter)
    }

    @Test func onlyTheAdapterTrainsAndResumeIsBitExact() throws {
        let pairs = DPOResumeTests.pairs(13)
        let config = try DPOResumeTests.config()
        let wholeModel = try DPOResumeTests.model()
        let baseBefore = try wholeModel.weightsFingerprint()
        let whole = try Self.policy(wholeModel)
        // The reference: the same loaded base with the adapter off (B = 0 gives the same values).
        let reference = try ReferenceLogProbs.compute(pairs, reference: TransformerPolicy(model: wholeModel, generation: GenerationParameters()))
        let withZeroB = try ReferenceLogProbs.compute(pairs, reference: whole)
        #expect(reference == withZeroB)

        let folderA = try ScratchFolder("lora-whole")
        defer { folderA.remove() }
        var wholeMetrics: [DPOMetrics] = []
        let initial = whole.adapter.map { $0.parameters.backend.download($0.values) } ?? []
        _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderA.url) { event in
            if case .step(let m) = event { wholeMetrics.append(m) }
        }.train(whole, pairs: pairs, reference: reference)
        #expect(try wholeModel.weightsFingerprint() == baseBefore, "the base changed")
        #expect(!wholeModel.parameters.hasGradients)
        let trained = whole.adapter.map { $0.parameters.backend.download($0.values) } ?? []
        #expect(trained != initial, "the adapter did not train")

        let folderB = try ScratchFolder("lora-resumed")
        defer { folderB.remove() }
        #expect(throws: DPOResumeTests.Stop.self) {
            _ = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url) { event in
                if case .step(let m) = event, m.step == 3 { throw DPOResumeTests.Stop() }
            }.train(try Self.policy(DPOResumeTests.model()), pairs: pairs, reference: reference)
        }
        let fresh = try Self.policy(DPOResumeTests.model())
        var resumedMetrics: [DPOMetrics] = []
        let summary = try StandardDPOTrainer(configuration: config, checkpointFolder: folderB.url, resume: true) { event in
            if case .step(let m) = event { resumedMetrics.append(m) }
        }.train(fresh, pairs: pairs, reference: reference)
        #expect(summary.resumedFrom == 2)
        #expect(resumedMetrics == Array(wholeMetrics.suffix(3)))
        let resumed = fresh.adapter.map { $0.parameters.backend.download($0.values) } ?? []
        #expect(resumed.map(\.bitPattern) == trained.map(\.bitPattern))
    }
}
