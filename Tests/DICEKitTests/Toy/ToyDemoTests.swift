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
}
