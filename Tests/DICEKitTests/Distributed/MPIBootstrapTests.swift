// `dice bootstrap` under mpirun on this host, against one process: 2 ranks × 1 thread, 3 rounds
// of the toy task with a held-out evaluation. Against one process with --micro-batches 2 (each
// rank's gradient is one of its micro-batches) every JSONL file of the run folder, every round's
// report.json (held-out reward accuracy included) and the final weights are byte-identical.
// Against one process with the same flags, round 1's samples, scores, pairs and training set are
// byte-identical (sampling and scoring split over both ranks); π_1 differs in the last bits (the
// ranks' gradients are summed in another order than one process accumulates them) and later
// rounds' files hold the same rows, token ids and text, their numbers within 1e-6 (relative
// above 1), as do the metrics; the final weights are within 1e-6 relative. A rank killed with SIGKILL in
// round 1's training ends the job naming it, leaves every artifact whole, and --resume under
// mpirun then ends with the bytes of an uninterrupted 2-rank run.

import DICEKit
import Foundation
import Testing

@Suite("dice bootstrap data-parallel (2 ranks under mpirun)", .serialized)
struct MPIBootstrapTests {
    /// The toy bootstrap (2 rounds, K = 4, 6 prompts, 3 DPO steps of 4 pairs, 2 per rank) with
    /// batches that give both ranks work: 2 prompts per sampling batch (3 batches: 2 on rank 0, 1
    /// on rank 1) and 8 samples per scoring batch (likewise). Learning rate 1e-3, as in
    /// `MPIDPOTests` (at the toy tests' usual 1e-2 two ranks end 1.8e-6 from one process: Adam
    /// turns the last-bit differences of gradients that nearly cancel into whole steps).
    static func arguments(_ folder: URL, run: String) -> [String] {
        ToyModelFolders.bootstrapArguments(folder, run: run).map { $0 == "0.01" ? "0.001" : $0 }
            + ["--generation-batch-size", "8", "--scoring-batch-size", "8", "--no-tensorboard"]
    }

    /// `arguments` for 3 rounds with 10 held-out pairs (`heldout.jsonl`, from `writeHeldOut`),
    /// evaluated after every round in 3 scoring batches (2 on rank 0, 1 on rank 1).
    static func threeRounds(_ folder: URL, run: String) -> [String] {
        BootstrapErrorTests.setting("--rounds", "3", in: arguments(folder, run: run))
            + ["--held-out", folder.appendingPathComponent("heldout.jsonl").path]
    }

    /// 10 toy preference pairs on prompts the run does not train on.
    static func writeHeldOut(in folder: URL) throws {
        let task = try ToyTask()
        try ToyModelFolders.writePairs(try task.offlinePairs(prompts: try task.prompts(count: 10, seed: 9), seed: 10),
                                       to: folder.appendingPathComponent("heldout.jsonl"))
    }

    /// Whether two decoded JSON values are equal, numbers within `tolerance` (relative above 1,
    /// absolute below: rewards are differences of log-probs), strings, booleans, integers and
    /// nulls exactly (integers: numbers without a fraction on both sides).
    static func close(_ a: Any, _ b: Any, tolerance: Double) -> Bool {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            return Set(x.keys) == Set(y.keys) && x.allSatisfy { key, value in close(value, y[key]!, tolerance: tolerance) }
        case let (x as [Any], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { close($0, $1, tolerance: tolerance) }
        case let (x as String, y as String):
            return x == y
        case let (x as NSNumber, y as NSNumber):
            let p = x.doubleValue, q = y.doubleValue
            if p.rounded() == p && q.rounded() == q && abs(p) < 1e6 { return p == q }
            return abs(p - q) <= tolerance * max(abs(p), abs(q), 1)
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    /// A metrics row without `rewards/accuracies` when its rewards are rounding noise (both
    /// means below 1e-6: a round's first update, where the policy still equals its reference and
    /// r = β·(log π − log π_ref) is exactly 0 but for rounding), since the order of the sums then
    /// decides the signs that the accuracy counts (seen: 0.5 against 0.75 at rewards of 1e-8).
    /// Other rows, and every other value, as they are.
    static func withoutNoiseSigns(_ row: Any) -> Any {
        guard var d = row as? [String: Any], let c = (d["rewards/chosen"] as? NSNumber)?.doubleValue,
              let r = (d["rewards/rejected"] as? NSNumber)?.doubleValue, abs(c) < 1e-6, abs(r) < 1e-6 else { return row }
        d["rewards/accuracies"] = nil
        return d
    }

    /// The rows of a JSONL file, decoded as JSON objects.
    static func rows(_ url: URL) throws -> [Any] {
        try Data(contentsOf: url).split(separator: 0x0A).map { try JSONSerialization.jsonObject(with: Data($0)) }
    }

    /// Every `.jsonl` file under `root`, relative paths, sorted.
    static func jsonlFiles(under root: URL) -> [String] {
        let items = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        return items.filter { $0.hasSuffix(".jsonl") && !KilledRun.isTemporary(($0 as NSString).lastPathComponent) }.sorted()
    }

    @Test("2 ranks: one process's bytes with --micro-batches 2; with the same flags, round 1's files its bytes, the rest within 1e-6")
    func equalsOneProcess() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        try Self.writeHeldOut(in: folder.url)
        var environment = ProcessInfo.processInfo.environment
        environment["DICEKIT_THREADS"] = "1"
        guard let single = try DiceTool.run(Self.threeRounds(folder.url, run: "one"), in: folder.url,
                                            environment: environment),
              let micro = try DiceTool.run(Self.threeRounds(folder.url, run: "micro") + ["--micro-batches", "2"],
                                           in: folder.url, environment: environment) else { return }
        #expect(single.status == 0, "\(single.stderr)")
        #expect(micro.status == 0, "\(micro.stderr)")
        let two = try MPIRun.run(ranks: 2, Self.threeRounds(folder.url, run: "two"), in: folder.url)
        #expect(two.status == 0, "\(two.stderr)")
        guard single.status == 0, micro.status == 0, two.status == 0 else { return }

        let files = Self.jsonlFiles(under: folder.file("one"))
        // samples, scored, pairs, train and metrics of the three rounds.
        #expect(files.count == 15, "\(files)")
        #expect(Self.jsonlFiles(under: folder.file("micro")) == files)

        // 2 ranks ≡ one process with 2 micro-batches: every byte of the rounds.
        let weights = "round-3/model/model.safetensors"
        for name in files + (1...3).map({ "round-\($0)/report.json" }) + [weights] {
            #expect(try Data(contentsOf: folder.file("micro/" + name)) == Data(contentsOf: folder.file("two/" + name)),
                    "\(name) differs from the one-process run's with --micro-batches 2")
        }
        // …which the plain one-process run is not (the comparison tells the layouts apart).
        #expect(try Data(contentsOf: folder.file("micro/" + weights)) != Data(contentsOf: folder.file("one/" + weights)))
        let report = try (JSONSerialization.jsonObject(with: Data(contentsOf: folder.file("two/report.json"))) as? [String: Any])?["rounds"] as? [[String: Any]]
        #expect(report?.count == 3 && report?.allSatisfy { ($0["rewardAccuracy"] as? [String: Any])?["total"] as? Int == 10 } == true,
                "every round evaluated the 10 held-out pairs: \(String(describing: report))")
        #expect(Self.jsonlFiles(under: folder.file("two")) == files)
        for name in ["samples", "scored", "pairs", "train"].map({ "round-1/\($0).jsonl" }) {
            #expect(try Data(contentsOf: folder.file("one/" + name)) == Data(contentsOf: folder.file("two/" + name)),
                    "\(name) differs from the one-process run's")
        }
        for name in files {
            let one = try Self.rows(folder.file("one/" + name)), two = try Self.rows(folder.file("two/" + name))
            #expect(one.count == two.count && !one.isEmpty, "\(name): \(one.count) and \(two.count) rows")
            for (k, (a, b)) in zip(one, two).enumerated() {
                #expect(Self.close(Self.withoutNoiseSigns(a), Self.withoutNoiseSigns(b), tolerance: 1e-6),
                        "\(name) row \(k + 1): \(a) against \(b)")
            }
        }
        let relative = try MPIRun.relativeDifference(folder.file("one/" + weights), folder.file("two/" + weights))
        #expect(relative <= 1e-6, "‖Δw‖/‖w‖ = \(relative)")
        #expect(try MPIRun.relativeDifference(folder.file("pi0/model.safetensors"), folder.file("two/" + weights)) > 1e-4,
                "the rounds did not train")
        // One summary table, from rank 0.
        #expect(two.stdout.components(separatedBy: "Final model:").count == 2, "\(two.stdout)")
    }

    @Test("LoRA: 2 ranks write round 1's files of one process and end with its adapter within 1e-6")
    func lora() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-bootstrap-lora")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        // No dropout: its masks follow the rows of each pass, which differ between the layouts.
        func arguments(_ run: String) -> [String] {
            Self.arguments(folder.url, run: run) + ["--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout", "0"]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["DICEKIT_THREADS"] = "1"
        guard let single = try DiceTool.run(arguments("one"), in: folder.url, environment: environment) else { return }
        #expect(single.status == 0, "\(single.stderr)")
        let two = try MPIRun.run(ranks: 2, arguments("two"), in: folder.url)
        #expect(two.status == 0, "\(two.stderr)")
        guard single.status == 0, two.status == 0 else { return }
        for name in ["samples", "scored", "pairs", "train"].map({ "round-1/\($0).jsonl" }) {
            #expect(try Data(contentsOf: folder.file("one/" + name)) == Data(contentsOf: folder.file("two/" + name)),
                    "\(name) differs from the one-process run's")
        }
        let adapter = "round-2/model/" + PEFTAdapterDirectory.weightsFile
        let relative = try MPIRun.relativeDifference(folder.file("one/" + adapter), folder.file("two/" + adapter))
        #expect(relative <= 1e-6, "‖Δw‖/‖w‖ = \(relative)")
    }

    @Test("ranks started with different settings refuse before any work, naming what differs")
    func mismatchRefused() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-bootstrap-mismatch")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let dice = DiceTool.url else { return }
        let arguments = Self.arguments(folder.url, run: "bad")
        let other = BootstrapErrorTests.setting("--samples", "3", in: arguments)  // K = 3 on rank 1
        let result = try MPIRun.run(ranks: 1, arguments + [":", "-np", "1", dice.path] + other, in: folder.url, limit: 120)
        #expect(result.status != 0)
        #expect(result.stderr.contains("the ranks disagree on the DICE settings"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("bad/state.json").path), "a rank started the run")
    }

    @Test("a rank killed with SIGKILL while round 1 trains ends the job naming it; --resume ends as an uninterrupted run")
    func killedRankAndResume() throws {
        if let reason = MPIRun.unavailable {
            print("skipped: \(reason)")
            return
        }
        let folder = try ScratchFolder("mpi-bootstrap-kill")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        // 32 DPO steps a round with a checkpoint every 4: long enough to kill a rank mid-round.
        func arguments(_ run: String) -> [String] {
            Self.arguments(folder.url, run: run) + ["--steps", "32", "--save-every", "4"]
        }
        let plain = try MPIRun.run(ranks: 2, arguments("plain"), in: folder.url)
        #expect(plain.status == 0, "\(plain.stderr)")
        guard plain.status == 0 else { return }

        // Kill rank 1 once rank 0 has logged 5 updates of round 1 (the checkpoint after 4 is whole).
        let (process, _, errURL) = try MPIRun.start(ranks: 2, arguments("killed"), in: folder.url)
        func loggedUpdates() -> Int {
            let text = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            return text.contains("round 1/2 · train") ? DPOKillTests.loggedSteps(folder.file("killed/round-1/metrics.jsonl")) : 0
        }
        guard try MPIRun.killRankOne(of: process, stderr: errURL, artifacts: folder.file("killed"),
                                     when: { loggedUpdates() >= 5 }) else { return }

        let resumed = try MPIRun.run(ranks: 2, arguments("killed") + ["--resume"], in: folder.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("round 1/2 · sample: done earlier"), "\(resumed.stderr)")
        for name in Self.jsonlFiles(under: folder.file("plain")) + ["report.json", "round-2/model/model.safetensors"] {
            #expect(try Data(contentsOf: folder.file("killed/" + name)) == Data(contentsOf: folder.file("plain/" + name)),
                    "\(name) differs from the uninterrupted run's")
        }
    }
}
