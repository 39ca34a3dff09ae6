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

        // The run goes to mnt/run: $MNT/run, on the small file system.
        let command = ([dice.path] + arguments("mnt/run")).map { "\"\($0)\"" }.joined(separator: " ")
        let out = folder.url.path
        let body = """
        limited \(command) >"\(out)/full.out" 2>"\(out)/full.err"; echo $? >"\(out)/full.status"
        cp -a "$MNT/run" "\(out)/after-full"
        grow
        \(command) --resume >"\(out)/resume.out" 2>"\(out)/resume.err"; echo $? >"\(out)/resume.status"
        cp -a "$MNT/run" "\(out)/resumed"
        """
        var used: SmallFileSystem?
        for way in SmallFileSystem.allCases {
            let bytes = way == .fileSizeLimit ? largest + 512 : tmpfsBytes
            if try way.run(body, bytes: bytes, in: folder.url) != nil {
                used = way
                break
            }
        }
        guard let way = used else {
            Issue.record("no small file system could be set up (tmpfs, unshare, ulimit -f)")
            return
        }
        print("full disk: \(way.rawValue)")
        func text(_ name: String) -> String { (try? String(contentsOf: folder.file(name), encoding: .utf8)) ?? "" }

        // One clear line: "error: <path under the run folder>…: <errno text>", exit status 1.
        #expect(text("full.status").trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(text("full.err"))")
        let errors = text("full.err").split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(text("full.err"))")
        let line = String(errors.first ?? "")
        #expect(line.contains(folder.file("mnt/run").path) && line.contains(way.errorText), "\(line)")

        // What the failed run left: whole, no temporaries, a loadable checkpoint.
        let left = folder.file("after-full")
        #expect(KilledRun.damagedArtifacts(under: left) == [])
        #expect(KilledRun.temporaries(under: left) == [])
        let saved = try #require(try DPOCheckpoint.read(from: left))
        #expect(saved.state.step >= 10 && saved.state.step < 80)
        #expect(line.contains("of step \(saved.state.step)") || !line.contains("checkpoint"), "\(line)")
        let model = try TransformerLM(directory: left.appendingPathComponent("checkpoint/model"), backend: CPUBackend(threads: 1))
        #expect(try model.parameters.values.count == saved.parameters.count)

        // Space freed: --resume finishes with the uninterrupted run's bytes.
        #expect(text("resume.status").trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(text("resume.err"))")
        #expect(text("resume.err").contains("resuming from step \(saved.state.step)"))
        for name in DPOKillTests.results {
            #expect(try Data(contentsOf: folder.file("resumed/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
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
