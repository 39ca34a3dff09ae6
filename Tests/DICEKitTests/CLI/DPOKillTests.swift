// `dice dpo` killed with SIGKILL at random moments: after every kill each artifact in the output
// folder is absent or whole, and the run resumed with --resume ends with the same weights and
// metrics, byte for byte, as a run that was never interrupted.

import DICEKit
import Foundation
import Testing

@Suite("dice dpo: kill and resume", .serialized)
struct DPOKillTests {
    /// How one interrupted run goes: `kills` SIGKILLs at moments drawn from `seed`.
    struct Interruption: CustomStringConvertible, Sendable {
        var seed: UInt64
        var kills: Int
        var description: String { "seed \(seed), \(kills) kill(s)" }
    }

    /// The files of the finished run that must not depend on interruptions.
    static let results = ["model.safetensors", "config.json", "generation_config.json", "metrics.jsonl",
                          "checkpoint/trainer_state.json", "checkpoint/parameters.safetensors",
                          "checkpoint/optimizer.safetensors"]

    /// Training rows in metrics.jsonl (0 when it does not exist yet).
    static func loggedSteps(_ url: URL) -> Int {
        guard let data = try? Data(contentsOf: url) else { return 0 }
        return data.split(separator: 0x0A).filter { !String(decoding: $0, as: UTF8.self).contains("\"eval_loss\"") }.count
    }

    @Test("killed at random moments and resumed: every artifact whole, the same weights and metrics",
          arguments: [Interruption(seed: 1, kills: 1), Interruption(seed: 2, kills: 2), Interruption(seed: 3, kills: 3),
                      Interruption(seed: 4, kills: 4), Interruption(seed: 5, kills: 2)])
    func killAndResume(_ interruption: Interruption) throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("dpo-kill")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let plain = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        var rng = SplitMix64(seed: interruption.seed)
        var killed = 0
        let metrics = folder.file("resumed/metrics.jsonl")
        for attempt in 0..<interruption.kills {
            // After the k-th logged update (k = 0: while loading, computing or reading the
            // reference log-probs) and up to 20 ms more (an update takes a few ms here): kills
            // land in updates, metrics rewrites, checkpoint writes and the final export. Counted
            // in updates rather than seconds, so that a loaded machine moves the moments too.
            let k = Int(rng.next() % 28), delay = Double(rng.next() % 20) / 1000
            let arguments = ToyModelFolders.dpoArguments(folder.url, run: "resumed") + (attempt > 0 ? ["--resume"] : [])
            let before = Self.loggedSteps(metrics)
            if try KilledRun.run(dice, arguments, in: folder.url, delay: delay, ready: { _ in
                k == 0 || Self.loggedSteps(metrics) >= min(30, before + k)
            }) {
                killed += 1
            }
            #expect(KilledRun.damagedArtifacts(under: folder.file("resumed")) == [],
                    "after kill \(attempt + 1) (after \(k) updates and \(delay) s)")
        }
        #expect(killed >= 1, "no run was killed before it finished")
        guard let resumed = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "resumed") + ["--resume"],
                                             in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for name in Self.results {
            #expect(try Data(contentsOf: folder.file("resumed/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
        #expect(KilledRun.temporaries(under: folder.file("resumed")) == [], "temporaries left behind")
        let rows = try JSONL.read(DPOMetrics.self, from: folder.file("resumed/metrics.jsonl"))
        #expect(rows.filter { !$0.isValidation }.map(\.step) == Array(1...30))
    }
}
