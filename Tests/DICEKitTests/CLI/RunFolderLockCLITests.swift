// One run per output folder, with two real processes: while a `dice dpo` or `dice bootstrap`
// runs, a second run on its folder is refused at once — one line naming the folder and the first
// run's pid, exit 1, nothing written — and once the first is killed (SIGKILL), a new run takes the
// folder.

import DICEKit
import Foundation
import Testing

@Suite("one run per folder", .serialized)
struct RunFolderLockCLITests {
    /// The refusal a second run must print: exactly one line, naming the folder and the pid.
    static func expectRefusal(_ result: DiceTool.Result, folder: URL, pid: Int32,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("error: \(folder.path): another run is using this folder (process \(pid))"),
                "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("dice dpo: a second run on a running run's folder is refused; after SIGKILL a run takes the folder")
    func dpoSecondRunRefused() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("lock-dpo")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let run = folder.file("run")
        // Long enough (100 000 updates) to be running through the whole test.
        let first = try RunningDice(dice, ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 100_000, saveEvery: 50),
                                    in: folder.url)
        #expect(first.wait { RunningDice.lockHolder(of: run) == first.pid }, "the first run never held its folder: \(first.stderr)")
        #expect(first.wait { (try? DPOCheckpoint.readState(from: run)) != nil }, "no checkpoint: \(first.stderr)")

        // Another learning rate, the same folder.
        let second = BootstrapErrorTests.setting(
            "--lr", "0.02", in: ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 100_000, saveEvery: 50))
        guard let refused = try DiceTool.run(second, in: folder.url) else { return }
        Self.expectRefusal(refused, folder: run, pid: first.pid)
        guard let refusedResume = try DiceTool.run(second + ["--resume"], in: folder.url) else { return }
        Self.expectRefusal(refusedResume, folder: run, pid: first.pid)
        #expect(first.process.isRunning, "the first run was disturbed: \(first.stderr)")
        #expect(RunningDice.lockHolder(of: run) == first.pid)

        // Killed: its lock dies with it; a resumed run takes the folder and finishes.
        _ = first.stop(with: SIGKILL)
        let step = try #require(try DPOCheckpoint.readState(from: run)).step
        guard let resumed = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "run", steps: step + 2, saveEvery: 50)
                                             + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming from step \(step)"), "\(resumed.stderr)")
        #expect(try DPOCheckpoint.readState(from: run)?.step == step + 2)
    }

    @Test("dice bootstrap: a second run on a running run's folder is refused; after SIGKILL a run takes the folder")
    func bootstrapSecondRunRefused() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("lock-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let run = folder.file("run")
        func arguments(seed: String) -> [String] {
            var a = BootstrapErrorTests.setting("--steps", "100000", in: ToyModelFolders.bootstrapArguments(folder.url, run: "run"))
            a = BootstrapErrorTests.setting("--save-every", "50", in: a)
            return BootstrapErrorTests.setting("--seed", seed, in: a)
        }
        let first = try RunningDice(dice, arguments(seed: "3"), in: folder.url)
        #expect(first.wait { RunningDice.lockHolder(of: run) == first.pid }, "the first run never held its folder: \(first.stderr)")
        #expect(first.wait { (try? DPOCheckpoint.readState(from: run.appendingPathComponent("round-1/checkpoint"))) != nil },
                "the first run never checkpointed round 1's training: \(first.stderr)")
        let before = try Self.listing(run)

        guard let fresh = try DiceTool.run(arguments(seed: "4"), in: folder.url) else { return }
        Self.expectRefusal(fresh, folder: run, pid: first.pid)
        guard let resumed = try DiceTool.run(arguments(seed: "3") + ["--resume"], in: folder.url) else { return }
        Self.expectRefusal(resumed, folder: run, pid: first.pid)
        #expect(first.process.isRunning, "the first run was disturbed: \(first.stderr)")
        // The refused runs wrote nothing: the round-1 artifacts are the first run's.
        let after = try Self.listing(run)
        for (name, bytes) in before where name.hasPrefix("round-1/") && name.hasSuffix(".jsonl") && !name.hasSuffix("metrics.jsonl") {
            #expect(after[name] == bytes, "\(name) changed")
        }

        // Killed: a new run takes the folder (its own pid in the lock file) and resumes the run.
        _ = first.stop(with: SIGKILL)
        let next = try RunningDice(dice, arguments(seed: "3") + ["--resume"], in: folder.url)
        #expect(next.wait { RunningDice.lockHolder(of: run) == next.pid }, "the new run never held the folder: \(next.stderr)")
        #expect(next.wait { next.stderr.contains("dpo: resuming from the checkpoint") }, "\(next.stderr)")
        _ = next.stop(with: SIGKILL)
    }

    /// The regular files under `folder` (relative paths) with their bytes.
    static func listing(_ folder: URL) throws -> [String: Data] {
        let names = FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []
        var out: [String: Data] = [:]
        for name in names {
            var isFolder: ObjCBool = false
            let url = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
                out[name] = try? Data(contentsOf: url)
            }
        }
        return out
    }
}
