// `dice dpo` writing into a file system too small for its later checkpoints: it stops with one
// clear line (the path and the system's "No space left on device"), the last good checkpoint
// stays whole and loadable, and once space is freed `--resume` from it ends exactly as a run
// that never ran out of space.

import DICEKit
import Foundation
import Testing

@Suite("full disk", .serialized)
struct FullDiskTests {
    @Test("dice dpo on a full disk: one clear error line, the last checkpoint kept, --resume finishes the run")
    func dpoOnAFullDisk() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("full-disk")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        // 80 updates, a checkpoint every 10: metrics.jsonl outgrows every checkpoint file
        // before the end (what makes the per-file size limit bite, where no tmpfs can be had).
        func arguments(_ output: String) -> [String] {
            ToyModelFolders.dpoArguments(folder.url, run: output, steps: 80, saveEvery: 10)
        }
        guard let plain = try DiceTool.run(arguments("plain"), in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")

        // Room for one checkpoint and a half, in whole pages (tmpfs counts pages), plus the
        // metrics file and its temporary: the second checkpoint cannot fit beside the first.
        let checkpoint = try Self.files(under: folder.file("plain/checkpoint"))
        let pages = checkpoint.reduce(0) { $0 + ($1.size + 4095) / 4096 }
        let tmpfsBytes = 4096 * (pages + pages / 2 + 6)
        // The per-file limit: above every checkpoint file, below the final metrics.jsonl.
        let largest = checkpoint.map(\.size).max() ?? 0
        let metricsSize = try Self.files(under: folder.file("plain")).first { $0.path.hasSuffix("/metrics.jsonl") }?.size ?? 0
        #expect(metricsSize > largest + 512, "metrics.jsonl (\(metricsSize) bytes) must outgrow the largest checkpoint file (\(largest))")

        guard let outcome = try Self.runOutOfSpace(dice, arguments("mnt/run"), in: folder,
                                                   bytes: { $0 == .fileSizeLimit ? largest + 512 : tmpfsBytes }) else { return }
        let line = outcome.errorLine

        // What the failed run left: whole, no temporaries, a loadable checkpoint.
        let left = folder.file("after-full")
        #expect(KilledRun.damagedArtifacts(under: left) == [])
        #expect(KilledRun.temporaries(under: left) == [])
        let saved = try #require(try DPOCheckpoint.read(from: left))
        #expect(saved.state.step >= 10 && saved.state.step < 80)
        #expect(line.contains("of step \(saved.state.step)") || !line.contains("checkpoint"), "\(line)")
        let model = try TransformerLM(directory: left.appendingPathComponent("checkpoint/model"), backend: CPUBackend(threads: 1))
        #expect(model.parameters.values.count == saved.parameters.count)

        // Space freed: --resume finishes with the uninterrupted run's bytes.
        #expect(outcome.resumed.status == 0, "\(outcome.resumed.stderr)")
        #expect(outcome.resumed.stderr.contains("resuming from step \(saved.state.step)"))
        for name in DPOKillTests.results {
            #expect(try Data(contentsOf: folder.file("resumed/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }

    @Test("dice bootstrap on a full disk: one clear error line, every artifact whole, --resume finishes the run")
    func bootstrapOnAFullDisk() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("full-disk-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let plain = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "plain"), in: folder.url)
        else { return }
        #expect(plain.status == 0, "\(plain.stderr)")
        // Half of what the finished run holds (in pages), or half of its largest file.
        let files = try Self.files(under: folder.file("plain"))
        let pages = files.reduce(0) { $0 + ($1.size + 4095) / 4096 }
        let largest = files.map(\.size).max() ?? 0
        guard let outcome = try Self.runOutOfSpace(dice, ToyModelFolders.bootstrapArguments(folder.url, run: "mnt/run"),
                                                   in: folder, bytes: { $0 == .fileSizeLimit ? largest / 2 : 4096 * (pages / 2) })
        else { return }
        let left = folder.file("after-full")
        #expect(KilledRun.damagedArtifacts(under: left) == [])
        #expect(!outcome.errorLine.isEmpty)
        #expect(outcome.resumed.status == 0, "\(outcome.resumed.stderr)")
        #expect(try Data(contentsOf: folder.file("resumed/report.json")) == Data(contentsOf: folder.file("plain/report.json")))
        for t in [1, 2] {
            let weights = "round-\(t)/model/model.safetensors"
            #expect(try Data(contentsOf: folder.file("resumed/" + weights)) == Data(contentsOf: folder.file("plain/" + weights)))
        }
    }

    /// What a run on a small file system did: its one error line, and the rerun with --resume.
    struct Outcome {
        var errorLine: String
        var resumed: DiceTool.Result
    }

    /// Runs `dice arguments…` (whose output goes under `folder`/mnt) on a small file system of
    /// `bytes(way)`, copies what it left to `folder`/after-full, frees space, reruns it with
    /// `--resume` and copies the result to `folder`/resumed. Expects the first run to fail with
    /// exit status 1 and exactly one `error:` line that names a path under `folder`/mnt and the
    /// system's words for the failure. Prints which way ran; records an issue and returns nil
    /// when no way can be set up.
    static func runOutOfSpace(_ dice: URL, _ arguments: [String], in folder: ScratchFolder,
                              bytes: (SmallFileSystem) -> Int,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome? {
        let command = ([dice.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let out = folder.url.path
        let body = """
        cd '\(out)'
        limited \(command) >full.out 2>full.err; echo $? >full.status
        cp -a "$MNT/run" after-full
        grow
        \(command) --resume >resume.out 2>resume.err; echo $? >resume.status
        cp -a "$MNT/run" resumed
        """
        var used: SmallFileSystem?
        for way in SmallFileSystem.candidates where try way.run(body, bytes: bytes(way), in: folder.url) != nil {
            used = way
            break
        }
        guard let way = used else {
            Issue.record("no small file system could be set up (tmpfs, unshare, ulimit -f)", sourceLocation: sourceLocation)
            return nil
        }
        print("full disk: \(way.rawValue)")
        func text(_ name: String) -> String { (try? String(contentsOf: folder.file(name), encoding: .utf8)) ?? "" }
        func status(_ name: String) -> Int32 { Int32(text(name).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(status("full.status") == 1, "\(text("full.err"))", sourceLocation: sourceLocation)
        let errors = text("full.err").split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(text("full.err"))", sourceLocation: sourceLocation)
        let line = String(errors.first ?? "")
        #expect(line.contains(folder.file("mnt/run").path) && line.contains(way.errorText), "\(line)",
                sourceLocation: sourceLocation)
        return Outcome(errorLine: line, resumed: DiceTool.Result(status: status("resume.status"), stdout: text("resume.out"),
                                                                 stderr: text("resume.err")))
    }

    /// Every regular file under `root`, with its size in bytes.
    static func files(under root: URL) throws -> [(path: String, size: Int)] {
        let fm = FileManager.default
        let names = fm.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        return try names.compactMap { name in
            let path = root.appendingPathComponent(name).path
            let attributes = try fm.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
            return (path, (attributes[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
