import Foundation
import Testing
@testable import DICEKit

/// The demo pipeline at a reduced size: it writes its report, and the same seed gives the same
/// report bytes (in a fresh folder, and when rerun in a finished folder).
@Suite("Toy demo")
struct ToyDemoTests {
    static func small() throws -> ToyDemoConfiguration {
        var c = try ToyDemoConfiguration.standard(seed: 3)
        c.heldOutPrompts = 20
        c.sftExamplesPerPrompt = 4
        c.sft.steps = 20
        c.initialDPO.steps = 4
        c.dice.dpo.steps = 3
        c.dice.samplesPerPrompt = 4
        c.dice.minValid = 2
        c.evaluationSamplesPerPrompt = 2
        c.ablations = false
        return c
    }

    @Test func sameSeedSameReport() throws {
        let a = try ScratchFolder(), b = try ScratchFolder()
        defer { a.remove(); b.remove() }
        let report = try ToyDemo(configuration: try Self.small(), folder: a.url, backend: CPUBackend()).run()
        #expect(report.rounds.map(\.round) == [0, 1, 2])
        #expect(report.rounds[0].winRate == 0.5 && report.rounds[0].lcWinRate == 0.5)
        #expect(FileManager.default.fileExists(atPath: a.url.appendingPathComponent("report.json").path))
        let first = try Data(contentsOf: a.url.appendingPathComponent("report.json"))
        _ = try ToyDemo(configuration: try Self.small(), folder: b.url, backend: CPUBackend()).run()
        #expect(try Data(contentsOf: b.url.appendingPathComponent("report.json")) == first)
        _ = try ToyDemo(configuration: try Self.small(), folder: a.url, backend: CPUBackend()).run()
        #expect(try Data(contentsOf: a.url.appendingPathComponent("report.json")) == first)
        let decoded = try JSONDecoder().decode(ToyDemoReport.self, from: first)
        #expect(decoded == report)
    }

    /// Rounds 1 and 2 of the demo's DICE run, checked against what must hold whatever the
    /// seed: each round trains exactly its configured steps; its first update starts from
    /// π_t = π_{t−1} = the training reference, so the sigmoid loss is log 2 and every reward 0
    /// (closed form); training changes the weights; and the reported rates are proportions.
    @Test func roundsOneAndTwoTrainFromTheirReference() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let c = try Self.small()
        #expect(c.dice.dpo.loss.kind == .sigmoid && c.dice.dpo.loss.labelSmoothing == 0 && c.dice.dpo.loss.sftWeight == 0)
        let report = try ToyDemo(configuration: c, folder: folder.url, backend: CPUBackend()).run()
        let run = folder.url.appendingPathComponent("runs/dice")
        var previous = folder.url.appendingPathComponent("models/pi_0/model.safetensors")
        for t in 1...2 {
            let round = run.appendingPathComponent("round-\(t)")
            let rows = try JSONL.read(DPOMetrics.self, from: round.appendingPathComponent("metrics.jsonl"))
            #expect(rows.map(\.step) == Array(1...c.dice.dpo.steps), "round \(t)")
            let first = try #require(rows.first)
            #expect(abs(first.loss - log(2)) < 1e-6, "round \(t): first loss \(first.loss)")
            #expect(abs(first.rewardsChosen) < 1e-6 && abs(first.rewardsRejected) < 1e-6, "round \(t)")
            #expect(rows.allSatisfy { $0.loss.isFinite && ($0.gradNorm ?? .nan).isFinite }, "round \(t)")
            let weights = round.appendingPathComponent("model/model.safetensors")
            #expect(try Data(contentsOf: weights) != Data(contentsOf: previous), "round \(t) did not change the weights")
            previous = weights
            let row = report.rounds[t]
            #expect(row.round == t && row.alpha != nil)
            #expect((0...1).contains(row.winRate) && (0...1).contains(row.lcWinRate) && row.averageLength > 0)
        }
    }
}
