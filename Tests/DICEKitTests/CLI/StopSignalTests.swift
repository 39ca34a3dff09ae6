// Clean stops: SIGINT or SIGTERM to a running `dice dpo` ends it at the next update with
// "stopped at step N; --resume continues" and exit 130 or 143, a checkpoint of step N on disk;
// --resume then finishes with the uninterrupted run's bytes. The same for `dice bootstrap` (the
// round and phase named). And no leftovers: a resumed run that completes removes what an
// interrupted final checkpoint write or export left behind.

import DICEKit
import Foundation
import Testing

@Suite("clean stops", .serialized)
struct StopSignalTests {
    /// `steps` updates, a checkpoint every 50: a stop lands between checkpoints.
    static func dpoArguments(_ folder: URL, run: String, steps: Int = 300) -> [String] {
        ToyModelFolders.dpoArguments(folder, run: run, steps: steps, saveEvery: 50)
    }

    @Test("dice dpo stopped by a signal: the message, 128 + the signal, a checkpoint of that step; --resume ends as an uninterrupted run",
          arguments: [SIGINT, SIGTERM])
    func dpoStopsCleanly(_ signal: Int32) throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("stop-dpo")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let plain = try DiceTool.run(Self.dpoArguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        let metrics = folder.file("stopped/metrics.jsonl")
        // Started for 100 000 updates, so that it is still running when the signal comes, and
        // resumed for 300 (the schedule is constant: the first 300 updates are the same).
        let running = try RunningDice(dice, Self.dpoArguments(folder.url, run: "stopped", steps: 100_000), in: folder.url)
        #expect(running.wait { DPOKillTests.loggedSteps(metrics) >= 7 }, "\(running.stderr)")
        let (reason, status) = running.stop(with: signal)
        #expect(reason == .exit && status == 128 + signal, "ended by \(reason) with \(status): \(running.stderr)")
        let step = try #require(running.stderr.firstMatch(of: /stopped at step (\d+); --resume continues/).flatMap { Int($0.1) },
                                "\(running.stderr)")
        #expect(step >= 7 && step < 300, "stopped at step \(step): the signal came too late for the 300-step comparison")
        #expect(try DPOCheckpoint.readState(from: folder.file("stopped"))?.step == step, "the stop's checkpoint")
        let rows = try JSONL.read(DPOMetrics.self, from: metrics).filter { !$0.isValidation }
        #expect(rows.map(\.step) == Array(1...step))
        #expect(!FileManager.default.fileExists(atPath: folder.file("stopped/model.safetensors").path))

        guard let resumed = try DiceTool.run(Self.dpoArguments(folder.url, run: "stopped") + ["--resume"], in: folder.url)
        else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming from step \(step)"), "\(resumed.stderr)")
        for name in DPOKillTests.results {
            #expect(try Data(contentsOf: folder.file("stopped/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }

    @Test("dice bootstrap stopped by SIGINT: the round and phase named, exit 130; --resume ends as an uninterrupted run")
    func bootstrapStopsCleanly() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("stop-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        func arguments(_ run: String) -> [String] {
            let a = BootstrapErrorTests.setting("--steps", "200", in: ToyModelFolders.bootstrapArguments(folder.url, run: run))
            return BootstrapErrorTests.setting("--save-every", "50", in: a)
        }
        guard let plain = try DiceTool.run(arguments("plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        let running = try RunningDice(dice, arguments("stopped"), in: folder.url)
        #expect(running.wait { running.stderr.contains("round 1/2 · train") }, "\(running.stderr)")
        let (reason, status) = running.stop(with: SIGINT)
        #expect(reason == .exit && status == 130, "ended by \(reason) with \(status): \(running.stderr)")
        // The signal came as round 1's training began (200 updates): the stop is inside it.
        let step = try #require(running.stderr.firstMatch(of: /stopped in round 1 · train at step (\d+); --resume continues/)
            .flatMap { Int($0.1) }, "\(running.stderr)")
        #expect(try DPOCheckpoint.readState(from: folder.file("stopped/round-1/checkpoint"))?.step == step)
        let logged = try JSONL.read(DPOMetrics.self, from: folder.file("stopped/round-1/metrics.jsonl"))
        #expect(logged.map(\.step) == Array(1...step), "the round's metrics up to the stop are on disk")
        #expect(!FileManager.default.fileExists(atPath: folder.file("stopped/report.json").path))

        guard let resumed = try DiceTool.run(arguments("stopped") + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for name in ["round-1/model/model.safetensors", "round-2/model/model.safetensors", "round-1/metrics.jsonl",
                     "round-2/metrics.jsonl", "round-2/train.jsonl"] {
            #expect(try Data(contentsOf: folder.file("stopped/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }

    @Test("a resumed dice dpo that completes removes .checkpoint-old and temporaries an interrupted final write left")
    func completedResumeLeavesNoLeftovers() throws {
        let folder = try ScratchFolder("stop-leftovers")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let plain = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        // What a run interrupted in its last checkpoint write (while removing the previous
        // checkpoint) and then in the final export leaves: the final checkpoint, half of
        // .checkpoint-old, a checkpoint write's temporary folder, an export's temporary file,
        // and no model.
        let fm = FileManager.default
        try fm.copyItem(at: folder.file("plain"), to: folder.file("resumed"))
        let run = folder.file("resumed")
        try fm.copyItem(at: run.appendingPathComponent("checkpoint"), to: run.appendingPathComponent(".checkpoint-old"))
        try fm.removeItem(at: run.appendingPathComponent(".checkpoint-old/optimizer.safetensors"))
        try fm.createDirectory(at: run.appendingPathComponent(".checkpoint-tmp-3k2j1"), withIntermediateDirectories: false)
        try Data("partial".utf8).write(to: run.appendingPathComponent(".checkpoint-tmp-3k2j1/parameters.safetensors"))
        try Data("partial".utf8).write(to: run.appendingPathComponent(".model.safetensors.tmp-9x8y7"))
        try fm.removeItem(at: run.appendingPathComponent("model.safetensors"))

        guard let resumed = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "resumed") + ["--resume"],
                                             in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!fm.fileExists(atPath: run.appendingPathComponent(".checkpoint-old").path), "the stale .checkpoint-old was kept")
        #expect(KilledRun.temporaries(under: run) == [], "temporaries left behind")
        for name in DPOKillTests.results {
            #expect(try Data(contentsOf: run.appendingPathComponent(name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }
}
