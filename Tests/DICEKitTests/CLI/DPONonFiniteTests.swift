// `dice dpo` whose training diverges (a learning rate of 1e30): it stops at the first step whose
// log-probs, loss or gradient norm is NaN or infinite, with one error line that names the step
// and the last good checkpoint, and that checkpoint and the metrics before the step stay whole.

import DICEKit
import Foundation
import Testing

@Suite("dice dpo: NaN and infinity")
struct DPONonFiniteTests {
    @Test("a diverging run stops with one line naming the step; the last good checkpoint is kept")
    func divergingRunStops() throws {
        let folder = try ScratchFolder("dpo-nan")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let arguments = ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 20, saveEvery: 1)
            + ["--optimizer", "sgd", "--lr", "1e30", "--max-grad-norm", "0"]
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(result.stderr)")
        let line = String(errors.first ?? "")
        // "the <quantity> became NaN or infinite at step N; … The last good checkpoint is from step N − 1."
        let step = try #require(line.firstMatch(of: /became NaN or infinite at step (\d+)/).flatMap { Int($0.1) }, "\(line)")
        #expect(step >= 2, "the first update should still be finite: \(line)")
        #expect(line.contains("The last good checkpoint is from step \(step - 1)."), "\(line)")

        let run = folder.file("run")
        #expect(KilledRun.damagedArtifacts(under: run) == [])
        let saved = try #require(try DPOCheckpoint.read(from: run))
        #expect(saved.state.step == step - 1)
        #expect(saved.parameters.allSatisfy { $0.isFinite })
        let rows = try JSONL.read(DPOMetrics.self, from: run.appendingPathComponent("metrics.jsonl")).filter { !$0.isValidation }
        #expect(rows.map(\.step) == Array(1..<step))
        #expect(rows.allSatisfy { $0.loss.isFinite })
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("model.safetensors").path),
                "no final model is exported from a run that stopped")
    }

    @Test("--max-length beyond the model's context is refused before any work, naming both")
    func maxLengthBeyondContext() throws {
        let folder = try ScratchFolder("dpo-max-length")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let arguments = ToyModelFolders.dpoArguments(folder.url, run: "run") + ["--max-length", "33"]
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.contains("--max-length 33 exceeds the model's context of 32"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").appendingPathComponent("metrics.jsonl").path))
    }
}
