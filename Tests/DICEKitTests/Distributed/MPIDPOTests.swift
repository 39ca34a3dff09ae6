// `dice dpo` under mpirun on this host, against one process: 2 ranks (and 2 ranks with
// --zero 1) end 10 updates with the same weights within 1e-6 relative (‖Δw‖/‖w‖), and with the
// bytes of one process with --micro-batches 2 (weights, metrics, optimizer state; with LoRA the
// adapter); a rerun gives the same bytes; ranks started with different settings refuse before
// any work; a rank killed with SIGKILL ends the job within 60 s naming it, leaves the checkpoint
// whole, and --resume then finishes with the bytes of an uninterrupted run.

import DICEKit
import Foundation
import Testing

@Suite("dice dpo data-parallel (2 ranks under mpirun)", .serialized)
struct MPIDPOTests {
    /// `dice dpo` of the toy inputs: 10 updates of 4 pairs (2 per rank), a checkpoint every 2,
    /// learning rate 1e-3. (At the toy tests' usual 1e-2 two ranks end 3e-6 from one process:
    /// Adam turns the last-bit differences of gradients that nearly cancel into whole steps.)
    static func arguments(_ folder: URL, run: String, steps: Int = 10) -> [String] {
        ToyModelFolders.dpoArguments(folder, run: run, steps: steps, saveEvery: 2).map { $0 == "0.01" ? "0.001" : $0 }
    }

    /// One process, one thread: the oracle.
    static func single(_ folder: URL, run: String, extra: [String] = []) throws -> Bool {
        var environment = ProcessInfo.processInfo.environment
        environment["DICEKIT_THREADS"] = "1"
        guard let result = try DiceTool.run(arguments(folder, run: run) + extra, in: folder, environment: environment) else {
            return false
        }
        #expect(result.status == 0, "\(result.stderr)")
        return result.status == 0
    }

    @Test("2 ranks and 2 ranks with --zero 1 equal one process after 10 updates, and one process with --micro-batches 2 bit for bit; a rerun gives the same bytes")
    func equalsOneProcess() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-dpo")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        guard try Self.single(folder.url, run: "one") else { return }
        for (run, extra) in [("two", [String]()), ("again", []), ("zero", ["--zero", "1"])] {
            let result = try MPIRun.run(ranks: 2, Self.arguments(folder.url, run: run) + extra, in: folder.url)
            #expect(result.status == 0, "\(run): \(result.stderr)")
            guard result.status == 0 else { return }
        }
        let one = folder.file("one/model.safetensors")
        let moved = try MPIRun.relativeDifference(one, folder.file("pi0/model.safetensors"))
        #expect(moved > 1e-3, "training moved the weights by only \(moved)")
        for run in ["two", "zero"] {
            let relative = try MPIRun.relativeDifference(one, folder.file("\(run)/model.safetensors"))
            #expect(relative <= 1e-6, "\(run): ‖Δw‖/‖w‖ = \(relative)")
        }
        #expect(try Data(contentsOf: folder.file("two/model.safetensors")) == Data(contentsOf: folder.file("again/model.safetensors")),
                "a rerun of 2 ranks gave other weights")
        // One process with 2 micro-batches computes what the 2 ranks compute, bit for bit.
        guard try Self.single(folder.url, run: "micro", extra: ["--micro-batches", "2"]) else { return }
        for run in ["two", "zero"] {
            for name in ["model.safetensors", "metrics.jsonl", "checkpoint/parameters.safetensors",
                         "checkpoint/optimizer.safetensors"] {
                #expect(try Data(contentsOf: folder.file("micro/" + name)) == Data(contentsOf: folder.file("\(run)/" + name)),
                        "\(run): \(name) differs from one process's with --micro-batches 2")
            }
        }
        #expect(try Data(contentsOf: folder.file("two/checkpoint/optimizer.safetensors"))
                == Data(contentsOf: folder.file("zero/checkpoint/optimizer.safetensors")),
                "--zero 1 gathered another optimizer state than a whole copy")
        let rows = try JSONL.read(DPOMetrics.self, from: folder.file("two/metrics.jsonl"))
        #expect(rows.filter { !$0.isValidation }.map(\.step) == Array(1...10))
    }

    @Test("LoRA: 2 ranks end 10 updates with the adapter bytes of one process with --micro-batches 2")
    func loraEqualsMicroBatches() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-dpo-lora")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        // No dropout: its masks follow the rows of each pass (the same here, but not in general).
        let lora = ["--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout", "0"]
        guard try Self.single(folder.url, run: "micro", extra: lora + ["--micro-batches", "2"]) else { return }
        let two = try MPIRun.run(ranks: 2, Self.arguments(folder.url, run: "two") + lora, in: folder.url)
        #expect(two.status == 0, "\(two.stderr)")
        guard two.status == 0 else { return }
        for name in [PEFTAdapterDirectory.weightsFile, "metrics.jsonl"] {
            #expect(try Data(contentsOf: folder.file("micro/" + name)) == Data(contentsOf: folder.file("two/" + name)),
                    "\(name) differs from one process's with --micro-batches 2")
        }
    }

    @Test("ranks started with different settings refuse before any work, naming what differs")
    func mismatchRefused() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-mismatch")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        var arguments = Self.arguments(folder.url, run: "bad")
        let other = arguments.map { $0 == "0.001" ? "0.002" : $0 }  // --lr 0.002 on rank 1
        guard let dice = DiceTool.url else { return }
        arguments += [":", "-np", "1", dice.path] + other
        let result = try MPIRun.run(ranks: 1, arguments, in: folder.url, limit: 120)
        #expect(result.status != 0)
        #expect(result.stderr.contains("the ranks disagree on the settings"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("bad/metrics.jsonl").path), "a rank started training")
    }

    @Test("a rank killed with SIGKILL ends the job within 60 s naming it; --resume ends as an uninterrupted run")
    func killedRankAndResume() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-kill")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let plain = try MPIRun.run(ranks: 2, Self.arguments(folder.url, run: "plain", steps: 16), in: folder.url)
        #expect(plain.status == 0, "\(plain.stderr)")

        // Kill rank 1 once rank 0 has logged 5 updates (checkpoints after 2 and 4 are whole).
        let (process, _, errURL) = try MPIRun.start(ranks: 2, Self.arguments(folder.url, run: "killed", steps: 16),
                                                     in: folder.url)
        let metrics = folder.file("killed/metrics.jsonl")
        guard try MPIRun.killRankOne(of: process, stderr: errURL, artifacts: folder.file("killed"),
                                     when: { DPOKillTests.loggedSteps(metrics) >= 5 }) else { return }

        let resumed = try MPIRun.run(ranks: 2, Self.arguments(folder.url, run: "killed", steps: 16) + ["--resume"],
                                     in: folder.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for name in ["model.safetensors", "metrics.jsonl", "checkpoint/parameters.safetensors",
                     "checkpoint/optimizer.safetensors"] {
            #expect(try Data(contentsOf: folder.file("killed/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }
}
