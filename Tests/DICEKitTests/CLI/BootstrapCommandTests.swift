// `dice bootstrap` end to end on tiny toy transformers: two rounds write every artifact, the
// summary agrees with the round reports, and a run killed at random moments (SIGKILL) and
// resumed ends with the same report and weights as an uninterrupted run.

import DICEKit
import Foundation
import Testing

@Suite("dice bootstrap", .serialized)
struct BootstrapCommandTests {
    @Test("two rounds write samples, scores, pairs, training sets, models, metrics and reports")
    func endToEnd() throws {
        let folder = try ScratchFolder("bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let result = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "run"), in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let layout = RunLayout(root: folder.file("run"))
        for t in [1, 2] {
            for url in [layout.samples(t), layout.scored(t), layout.pairs(t), layout.trainingSet(t), layout.metrics(t),
                        layout.roundReportJSON(t), layout.roundReportMarkdown(t),
                        layout.modelDirectory(round: t).appendingPathComponent("model.safetensors"),
                        layout.modelDirectory(round: t).appendingPathComponent("generation_config.json")] {
                #expect(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
            }
            // K = 4 samples for each of the 6 prompts; 3 logged DPO steps.
            let samples = try JSONL.read(SampleRecord.self, from: layout.scored(t))
            #expect(samples.count == 24 && samples.allSatisfy { $0.score != nil })
            #expect(try JSONL.read(DPOMetrics.self, from: layout.metrics(t)).map(\.step) == [1, 2, 3])
        }
        let state = try RunState.read(from: layout.state)
        #expect(state == RunState(round: 2, phase: .evaluate))
        let summary = try JSONDecoder().decode(RunReport.self, from: Data(contentsOf: layout.reportJSON))
        #expect(summary.rounds.map(\.round) == [1, 2] && summary.finalModel == "round-2/model")
        #expect(summary.configuration.samplesPerPrompt == 4 && summary.configuration.lengthUnit == .tokens)
        for report in summary.rounds {
            let saved = try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: layout.roundReportJSON(report.round)))
            #expect(saved == report)
            // The training set is what the report says it is.
            let rows = try JSONL.read(TrainingPairRecord.self, from: layout.trainingSet(report.round))
            #expect(rows.count == report.generatedPairsUsed + report.offlinePairsUsed && !rows.isEmpty)
            #expect(report.training?["loss"] != nil)
        }
        // The summary table on stdout has one row per round; progress went to stderr.
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("    1 ") || $0.hasPrefix("    2 ") }.count == 2)
        #expect(result.stderr.contains("round 2/2 · train"))
        // π_2 differs from π_0: the rounds trained.
        let p0 = try ModelDirectory.read(from: folder.file("pi0")).weightsFingerprint()
        let p2 = try ModelDirectory.read(from: layout.modelDirectory(round: 2)).weightsFingerprint()
        #expect(p0 != p2)
    }

    @Test("--resume with changed flags is refused naming them; with more rounds it continues the run")
    func resumeWithChangedSettings() throws {
        let folder = try ScratchFolder("bootstrap-resume")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let base = BootstrapErrorTests.setting("--rounds", "1", in: ToyModelFolders.bootstrapArguments(folder.url, run: "run"))
        guard let first = try DiceTool.run(base, in: folder.url) else { return }
        #expect(first.status == 0, "\(first.stderr)")
        let state = try Data(contentsOf: folder.file("run/state.json"))
        let changed = BootstrapErrorTests.setting("--seed", "8", in: BootstrapErrorTests.setting("--samples", "3", in: base))
        guard let refused = try DiceTool.run(changed + ["--resume"], in: folder.url) else { return }
        #expect(refused.status == 1)
        for fragment in ["--resume: ", "samplesPerPrompt (4 → 3)", "seed (7 → 8)", "differ from those the run in", "settings.json"] {
            #expect(refused.stderr.contains(fragment), "'\(fragment)' not in: \(refused.stderr)")
        }
        #expect(try Data(contentsOf: folder.file("run/state.json")) == state)
        guard let more = try DiceTool.run(BootstrapErrorTests.setting("--rounds", "2", in: base) + ["--resume"], in: folder.url) else { return }
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stderr.contains("round 1/2 · train: done earlier") && more.stderr.contains("round 2/2 · train"))
        #expect(try RunState.read(from: folder.file("run/state.json")) == RunState(round: 2, phase: .evaluate))
    }

    /// How one interrupted run goes: kill after the k-th phase line plus a delay, once or twice.
    struct Interruption: CustomStringConvertible, Sendable {
        var seed: UInt64
        var kills: Int
        var description: String { "seed \(seed), \(kills) kill(s)" }
    }

    @Test("killed with SIGKILL at random moments and rerun with --resume: the same report and weights",
          arguments: [Interruption(seed: 1, kills: 1), Interruption(seed: 2, kills: 1), Interruption(seed: 3, kills: 2),
                      Interruption(seed: 4, kills: 2), Interruption(seed: 5, kills: 3), Interruption(seed: 6, kills: 3)])
    func killAndResume(_ interruption: Interruption) throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("bootstrap-kill")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        // 24 DPO steps with a checkpoint every four: kills during training resume from a
        // checkpoint before the step that was running, and training is long enough that a kill
        // lands before the run ends however fast the machine is.
        func arguments(_ run: String) -> [String] {
            ToyModelFolders.bootstrapArguments(folder.url, run: run) + ["--steps", "24", "--save-every", "4"]
        }
        guard let plain = try DiceTool.run(arguments("plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        var rng = SplitMix64(seed: interruption.seed)
        var killed = 0
        for attempt in 0..<interruption.kills {
            // After the k-th of the first 8 phases to start, then up to 20 ms more.
            let k = 1 + Int(rng.next() % 8)
            let delay = Double(rng.next() % 20) / 1000
            let wasRunning = try KilledRun.run(dice, arguments("resumed") + (attempt > 0 ? ["--resume"] : []),
                                               in: folder.url, delay: delay) { text in
                text.split(separator: "\n").filter { $0.contains(" · ") && !$0.hasSuffix("done earlier") }.count >= k
            }
            if wasRunning { killed += 1 }
            #expect(KilledRun.damagedArtifacts(under: folder.file("resumed")) == [], "after kill \(attempt + 1)")
        }
        guard let resumed = try DiceTool.run(arguments("resumed") + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(killed >= 1, "no run was killed before it finished")

        let report = try Data(contentsOf: folder.file("plain/report.json"))
        #expect(try Data(contentsOf: folder.file("resumed/report.json")) == report)
        for t in [1, 2] {
            let weights = "round-\(t)/model/model.safetensors", metrics = "round-\(t)/metrics.jsonl"
            #expect(try Data(contentsOf: folder.file("resumed/" + weights)) == Data(contentsOf: folder.file("plain/" + weights)))
            #expect(try Data(contentsOf: folder.file("resumed/" + metrics)) == Data(contentsOf: folder.file("plain/" + metrics)))
        }
    }
}
