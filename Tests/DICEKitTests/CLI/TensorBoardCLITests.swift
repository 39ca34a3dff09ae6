// The TensorBoard event files of `dice dpo` and `dice bootstrap`, read back by TensorBoard's own
// reader (the `tensorboard` package's EventAccumulator, in the Python of DICEKIT_PYTHON or
// /tmp/venv/bin/python; skipped with the reason when neither has it): every scalar equals the
// metrics.jsonl row it comes from (at Float32, as TensorBoard stores scalars), with no missing,
// stale or repeated step, after a plain run and after a run killed and resumed. The flags
// that move or switch off the files are checked without Python.

import DICEKit
import Foundation
import Testing

/// A Python that imports `tensorboard`, and a reader of event folders through it.
enum TensorBoardPython {
    /// DICEKIT_PYTHON, else /tmp/venv/bin/python: the first that imports `tensorboard`.
    static let url: URL? = TransformersPython.python(importing: "tensorboard.backend.event_processing.event_accumulator")

    static let reason: Comment = "no Python with the tensorboard package (set DICEKIT_PYTHON, or make /tmp/venv with pip install tensorboard)"

    /// One scalar as TensorBoard's reader gives it.
    struct Scalar: Decodable, Hashable, Comparable, CustomStringConvertible {
        var tag: String
        var step: Int
        var value: Float
        var description: String { "\(tag)@\(step)=\(value)" }
        static func < (a: Scalar, b: Scalar) -> Bool { (a.tag, a.step, a.value) < (b.tag, b.step, b.value) }
    }

    /// The scalars of the event files in `folder`, read by `EventAccumulator` (orphaned data
    /// not purged, so that repeated steps show), sorted.
    static func scalars(in folder: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Scalar] {
        guard let url else { return [] }
        let script = """
        import json, sys
        from tensorboard.backend.event_processing import event_accumulator as ea
        acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0}, purge_orphaned_data=False)
        acc.Reload()
        print(json.dumps([{"tag": t, "step": e.step, "value": e.value} for t in acc.Tags()["scalars"] for e in acc.Scalars(t)]))
        """
        let out = folder.deletingLastPathComponent().appendingPathComponent("scalars-\(UUID().uuidString).json")
        let process = Process()
        process.executableURL = url
        process.arguments = ["-c", script, folder.path]
        try Data().write(to: out)
        let handle = try FileHandle(forWritingTo: out)
        defer { try? handle.close() }
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the tensorboard reader failed on \(folder.path)", sourceLocation: sourceLocation)
        return try JSONDecoder().decode([Scalar].self, from: Data(contentsOf: out)).sorted()
    }

    /// What TensorBoard should show for a metrics.jsonl: each row's fields but `step` as
    /// scalars at that step, named as transformers' `rewrite_logs` names them (`eval_x` →
    /// `eval/x`, else `train/x`; a validation row's `epoch` is the update's, logged once).
    static func expected(fromMetrics url: URL) throws -> [Scalar] {
        var out: [Scalar] = []
        for line in try Data(contentsOf: url).split(separator: 0x0A) {
            // JSONDecoder parses numbers exactly (JSONSerialization may give an NSDecimalNumber,
            // whose Double can be an ulp off).
            let row = try JSONDecoder().decode([String: Double].self, from: Data(line))
            let step = Int(try #require(row["step"]))
            let validation = row["eval_loss"] != nil
            for (key, value) in row where key != "step" && !(validation && key == "epoch") {
                let tag = key.hasPrefix("eval_") ? "eval/" + key.dropFirst(5) : "train/" + key
                out.append(Scalar(tag: tag, step: step, value: Float(value)))
            }
        }
        return out.sorted()
    }
}

@Suite("TensorBoard event files of dice dpo and dice bootstrap", .serialized)
struct TensorBoardCLITests {
    @Test("dice dpo: TensorBoard's reader gives every metrics.jsonl value, and the same after a kill and --resume",
          .enabled(if: TensorBoardPython.url != nil, TensorBoardPython.reason))
    func dpoReadsBackInTensorBoard() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("tensorboard-dpo")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let arguments = ToyModelFolders.dpoArguments(folder.url, run: "run", steps: 40, saveEvery: 4)
        guard let plain = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(plain.status == 0, "\(plain.stderr)")
        let expected = try TensorBoardPython.expected(fromMetrics: folder.file("run/metrics.jsonl"))
        #expect(expected.count == 40 * 10 + 8 * 7, "40 updates of 10 figures and 8 validations of 7")
        #expect(try TensorBoardPython.scalars(in: folder.file("run/tensorboard")) == expected)
        #expect(try TensorBoardWriter.eventFiles(in: folder.file("run/tensorboard")).count == 1)

        // Killed after 10 or more logged updates, past the checkpoint of step 8: the killed run's
        // file holds steps the resumed run redoes. --resume must leave one history, equal to
        // its metrics.jsonl, and the values of the uninterrupted run.
        let metrics = folder.file("resumed/metrics.jsonl")
        let resumedArguments = ToyModelFolders.dpoArguments(folder.url, run: "resumed", steps: 40, saveEvery: 4)
        let killed = try KilledRun.run(dice, resumedArguments, in: folder.url, delay: 0) { _ in
            DPOKillTests.loggedSteps(metrics) >= 10
        }
        #expect(killed, "the run ended before it was killed")
        let left = try TensorBoardWriter.events(in: folder.file("resumed/tensorboard"))
        #expect(left.contains { $0.step > 8 }, "the killed run logged steps past its checkpoint of step 8")
        // A second later, so that the resumed run's file has another name than the killed
        // run's (names have whole seconds) and the killed run's file must be removed.
        Thread.sleep(forTimeInterval: 1.1)
        guard let resumed = try DiceTool.run(resumedArguments + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try TensorBoardPython.scalars(in: folder.file("resumed/tensorboard"))
                == TensorBoardPython.expected(fromMetrics: metrics))
        #expect(try TensorBoardPython.scalars(in: folder.file("resumed/tensorboard")) == expected)
        #expect(try TensorBoardWriter.eventFiles(in: folder.file("resumed/tensorboard")).count == 1)
    }

    @Test("dice bootstrap: each round's DPO curves equal its metrics.jsonl, and rounds/ its reports' figures",
          .enabled(if: TensorBoardPython.url != nil, TensorBoardPython.reason))
    func bootstrapReadsBackInTensorBoard() throws {
        let folder = try ScratchFolder("tensorboard-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let result = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "run"), in: folder.url)
        else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let board = folder.file("run/tensorboard")
        var rounds: [TensorBoardPython.Scalar] = []
        for t in [1, 2] {
            let expected = try TensorBoardPython.expected(fromMetrics: folder.file("run/round-\(t)/metrics.jsonl"))
            #expect(expected.count == 3 * 10)
            #expect(try TensorBoardPython.scalars(in: board.appendingPathComponent("round-\(t)")) == expected, "round \(t)")
            let report = try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: folder.file("run/round-\(t)/report.json")))
            rounds += report.tensorBoardScalars.map { TensorBoardPython.Scalar(tag: $0.tag, step: t, value: $0.value) }
            // A few figures named from the report itself.
            func value(_ tag: String) -> Float? { rounds.first { $0.step == t && $0.tag == tag }?.value }
            #expect(value("round/alpha") == Float(report.lengthRegularization.alpha))
            #expect(value("round/length_gap_after") == Float(report.lengthRegularization.meanLengthGapAfter))
            #expect(value("round/pairs") == Float(report.pairing.pairs))
            #expect(value("round/train/loss") == report.training?["loss"].map { Float($0) })
        }
        #expect(try TensorBoardPython.scalars(in: board.appendingPathComponent("rounds")) == rounds.sorted())
    }

    @Test("dice bootstrap killed in each round's training and resumed: the files equal metrics.jsonl and the reports again",
          .enabled(if: TensorBoardPython.url != nil, TensorBoardPython.reason))
    func bootstrapKilledAndResumed() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("tensorboard-bootstrap-kill")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let arguments = ToyModelFolders.bootstrapArguments(folder.url, run: "run") + ["--steps", "24", "--save-every", "4"]
        let board = folder.file("run/tensorboard")
        // Killed once round t's event file has 6 updates (a checkpoint every 4: the file then
        // holds updates the resumed run redoes); the second run resumes round 1's training
        // and is killed in round 2's, the last finishes round 2 with round 1 done earlier.
        for t in [1, 2] {
            let roundBoard = board.appendingPathComponent("round-\(t)")
            // (A second apart, so that each run's files have other names than the last run's:
            // the files they replace must be removed.)
            if t > 1 { Thread.sleep(forTimeInterval: 1.1) }
            let killed = try KilledRun.run(dice, arguments + (t > 1 ? ["--resume"] : []), in: folder.url, delay: 0) { _ in
                Set(((try? TensorBoardWriter.events(in: roundBoard)) ?? []).map(\.step)).count >= 1 + 6
            }
            #expect(killed, "the run ended before it was killed in round \(t)")
        }
        Thread.sleep(forTimeInterval: 1.1)
        guard let resumed = try DiceTool.run(arguments + ["--resume"], in: folder.url) else { return }
        #expect(resumed.status == 0, "\(resumed.stderr)")
        var rounds: [TensorBoardPython.Scalar] = []
        for t in [1, 2] {
            #expect(try TensorBoardPython.scalars(in: board.appendingPathComponent("round-\(t)"))
                    == TensorBoardPython.expected(fromMetrics: folder.file("run/round-\(t)/metrics.jsonl")), "round \(t)")
            #expect(try TensorBoardWriter.eventFiles(in: board.appendingPathComponent("round-\(t)")).count == 1)
            let report = try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: folder.file("run/round-\(t)/report.json")))
            rounds += report.tensorBoardScalars.map { TensorBoardPython.Scalar(tag: $0.tag, step: t, value: $0.value) }
        }
        #expect(try TensorBoardPython.scalars(in: board.appendingPathComponent("rounds")) == rounds.sorted())
    }

    @Test("--tensorboard DIR moves the event files, --no-tensorboard writes none, both together are refused")
    func flags() throws {
        let folder = try ScratchFolder("tensorboard-flags")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let moved = folder.file("elsewhere/tb")
        guard let a = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "a", steps: 2) + ["--tensorboard", moved.path],
                                       in: folder.url) else { return }
        #expect(a.status == 0, "\(a.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("a/tensorboard").path))
        let events = try TensorBoardWriter.events(in: moved)
        #expect(events.first?.content == .fileVersion("brain.Event:2"))
        #expect(Set(events.dropFirst().map(\.step)) == [1, 2])

        guard let b = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "b", steps: 2) + ["--no-tensorboard"],
                                       in: folder.url) else { return }
        #expect(b.status == 0, "\(b.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("b/metrics.jsonl").path))
        #expect(!FileManager.default.fileExists(atPath: folder.file("b/tensorboard").path))

        guard let c = try DiceTool.run(ToyModelFolders.dpoArguments(folder.url, run: "c", steps: 2)
                                       + ["--no-tensorboard", "--tensorboard", moved.path], in: folder.url) else { return }
        #expect(c.status != 0)
        #expect(c.stderr.contains("--no-tensorboard"), "\(c.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("c").path))
    }
}
