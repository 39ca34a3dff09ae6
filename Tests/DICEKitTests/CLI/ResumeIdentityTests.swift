// Resume checks what a run reads: `dice dpo --resume` with another --reference or --model (same
// architecture) and `dice bootstrap --resume` with the policy's or reference's weights replaced
// at the same path are refused before any work, naming what changed; `dice dpo` without --resume
// into a folder holding a run (a checkpoint or a finished model) is refused and leaves it as it
// was.

import DICEKit
import Foundation
import Testing

@Suite("resume identity", .serialized)
struct ResumeIdentityTests {
    /// The one error line of a refused run (exit 1, nothing on stdout).
    static func errorLine(_ result: DiceTool.Result, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        return String(errors.first ?? "")
    }

    /// The files of a run folder that a refused run must leave as they were: all but the lock
    /// file (which holds the pid of the last process that took the folder).
    static func snapshot(_ run: URL) throws -> [String: Data] {
        try RunFolderLockCLITests.listing(run).filter { $0.key != RunFolderLock.fileName }
    }

    enum Changed: String, CaseIterable, CustomStringConvertible {
        case reference, model
        var description: String { rawValue }
    }

    @Test("dice dpo --resume with another --reference or --model of the same architecture is refused, naming it",
          arguments: Changed.allCases)
    func dpoResumeWithAnotherModel(_ changed: Changed) throws {
        let folder = try ScratchFolder("resume-identity-dpo")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        try ToyModelFolders.writeModel(seed: 9, to: folder.file("other"))
        // A run killed at step 6 of 12 looks like one that ran 6 steps: resume asks for 12.
        guard let first = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 6), in: folder.url)
        else { return }
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.snapshot(folder.file("run"))
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache").path).sorted()

        var arguments = ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 12) + ["--resume"]
        switch changed {
        case .reference: arguments += ["--reference", folder.file("other").path]
        case .model: arguments = BootstrapErrorTests.setting("--model", folder.file("other").path, in: arguments)
        }
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        let line = Self.errorLine(result)
        #expect(line.contains("--\(changed.rawValue): weights ") && line.contains("differs from the checkpoint's weights "),
                "\(line)")
        #expect(line.contains(folder.file("run/checkpoint").path), "\(line)")
        #expect(!result.stderr.contains("resuming"), "\(result.stderr)")
        // Refused before the reference pass (no new cache entry) and before any write.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("cache").path).sorted() == cached)
        #expect(try Self.snapshot(folder.file("run")) == before)

        // The same models resume.
        guard let same = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 12) + ["--resume"],
                                          in: folder.url) else { return }
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stderr.contains("resuming from step 6"), "\(same.stderr)")
    }

    enum Held: String, CaseIterable, CustomStringConvertible {
        case checkpoint, finishedModel
        var description: String { rawValue }
    }

    @Test("dice dpo without --resume into a folder holding a run is refused and leaves it as it was",
          arguments: Held.allCases)
    func dpoWithoutResumeIntoARun(_ held: Held) throws {
        let folder = try ScratchFolder("resume-identity-fresh")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard let first = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 6), in: folder.url)
        else { return }
        #expect(first.status == 0, "\(first.stderr)")
        let evidence: String
        switch held {
        case .checkpoint:
            evidence = folder.file("run/checkpoint/trainer_state.json").path
        case .finishedModel:
            try FileManager.default.removeItem(at: folder.file("run/checkpoint"))
            evidence = folder.file("run/model.safetensors").path
        }
        let before = try Self.snapshot(folder.file("run"))
        // Another learning rate: a new run, not a continuation.
        let arguments = BootstrapErrorTests.setting("--lr", "0.02", in: ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 6))
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        let line = Self.errorLine(result)
        #expect(line == "error: \(folder.file("run").path): already holds a run (\(evidence)); pass --resume to continue it, or choose another --output folder",
                "\(line)")
        #expect(try Self.snapshot(folder.file("run")) == before)
    }

    @Test("dice bootstrap --resume with π_0's or π_ref's weights replaced at the same path is refused, naming it",
          arguments: ["pi0", "ref"])
    func bootstrapResumeWithReplacedWeights(_ replaced: String) throws {
        let folder = try ScratchFolder("resume-identity-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let one = BootstrapErrorTests.setting("--rounds", "1", in: ToyModelFolders.bootstrapArguments(folder.url, run: "run"))
        guard let first = try DiceTool.run(one, in: folder.url) else { return }
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.snapshot(folder.file("run"))

        // Same path, same architecture, other weights.
        try FileManager.default.removeItem(at: folder.file(replaced))
        try ToyModelFolders.writeModel(seed: 9, to: folder.file(replaced))
        let two = ToyModelFolders.bootstrapArguments(folder.url, run: "run") + ["--resume"]
        guard let result = try DiceTool.run(two, in: folder.url) else { return }
        let line = Self.errorLine(result)
        let flag = replaced == "pi0" ? "--policy" : "--reference"
        #expect(line.hasPrefix("error: --resume: the \(flag) weights differ from those the run in "), "\(line)")
        #expect(try Self.snapshot(folder.file("run")) == before)
    }
}
