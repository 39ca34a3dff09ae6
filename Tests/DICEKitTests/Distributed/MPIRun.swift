// MPIRun: `dice` under Open MPI's mpirun, for the data-parallel tests — skipped with the reason
// where mpirun is missing.

import DICEKit
import Foundation
import Testing

enum MPIRun {
    /// mpirun on PATH, or nil.
    static let mpirun: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        .map { URL(fileURLWithPath: "\($0)/mpirun") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// Why the MPI tests cannot run here (nil: they can).
    static var unavailable: String? {
        if mpirun == nil { return "mpirun not found (make test installs openmpi-bin libopenmpi-dev)" }
        if DiceTool.url == nil { return "the dice executable was not found beside the test runner" }
        return nil
    }

    /// mpirun's options for a job on this host: root allowed, more ranks than cores allowed, no
    /// core binding, shared memory and TCP on loopback only.
    static func options(ranks: Int) -> [String] {
        var options = ["--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"]
        if getuid() == 0 { options.insert("--allow-run-as-root", at: 0) }
        return options
    }

    /// What a job produced and how long it took.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// The environment of a job: this process's, with one compute thread per rank.
    static var environment: [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["DICEKIT_THREADS"] = e["DICEKIT_THREADS"] ?? "1"
        e["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        return e
    }

    /// Starts `mpirun options… dice arguments…` (`arguments` may hold `:` for an MPMD job: then
    /// each part after the first is `-np 1 dice part…`), in `folder`.
    static func start(ranks: Int, _ arguments: [String], in folder: URL, extraOptions: [String] = [],
                      environment: [String: String] = MPIRun.environment) throws -> (Process, URL, URL) {
        guard let mpirun, let dice = DiceTool.url else { throw CocoaError(.fileNoSuchFile) }
        let tag = UUID().uuidString
        let outURL = folder.appendingPathComponent("mpi-stdout-\(tag)"), errURL = folder.appendingPathComponent("mpi-stderr-\(tag)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let process = Process()
        process.executableURL = mpirun
        process.arguments = options(ranks: ranks) + extraOptions + [dice.path] + arguments
        process.currentDirectoryURL = folder
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        return (process, outURL, errURL)
    }

    /// Runs a job to completion (killed after `limit` seconds).
    static func run(ranks: Int, _ arguments: [String], in folder: URL, extraOptions: [String] = [],
                    environment: [String: String] = MPIRun.environment, limit: Double = 300) throws -> Result {
        let began = Date()
        let (process, outURL, errURL) = try start(ranks: ranks, arguments, in: folder, extraOptions: extraOptions,
                                                  environment: environment)
        while process.isRunning && Date().timeIntervalSince(began) < limit { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8), seconds: Date().timeIntervalSince(began))
    }

    /// The process ids of the ranks that the mpirun `launcher` started on this host, by rank
    /// (its children whose environment holds OMPI_COMM_WORLD_RANK).
    /// Waits until `ready()` (polled every 10 ms, at most 240 s), then SIGKILLs rank 1 of the
    /// job `process` and waits up to 90 s for the launcher to end, and checks what the issue asks
    /// of it: a non-zero exit within 60 s naming rank 1, and no damaged artifact under `folder`.
    /// Returns false (the launcher ended or rank 1 was not found; already recorded) when nothing
    /// was killed.
    static func killRankOne(of process: Process, stderr errURL: URL, artifacts folder: URL,
                            when ready: () -> Bool) throws -> Bool {
        let began = Date()
        while process.isRunning, !ready(), Date().timeIntervalSince(began) < 240 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let victims = ranks(of: process.processIdentifier)
        #expect(victims[1] != nil, "rank 1's process was not found")
        guard let victim = victims[1], process.isRunning else {
            process.terminate()
            process.waitUntilExit()
            return false
        }
        kill(victim, SIGKILL)
        let killedAt = Date()
        while process.isRunning, Date().timeIntervalSince(killedAt) < 90 { Thread.sleep(forTimeInterval: 0.05) }
        let seconds = Date().timeIntervalSince(killedAt)
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        #expect(process.terminationStatus != 0)
        #expect(seconds < 60, "the job ran \(seconds) s after rank 1 was killed")
        #expect(stderr.contains("rank 1"), "the lost rank is not named: \(stderr)")
        #expect(KilledRun.damagedArtifacts(under: folder) == [])
        return true
    }

    static func ranks(of launcher: Int32) -> [Int: Int32] {
        var found: [Int: Int32] = [:]
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = fm.contents(atPath: "/proc/\(name)/stat"),
                  let environ = fm.contents(atPath: "/proc/\(name)/environ") else { continue }
            // stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
            let text = String(decoding: stat, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == launcher else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let rank = variables.first(where: { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") })
                .flatMap({ Int($0.dropFirst("OMPI_COMM_WORLD_RANK=".count)) }) {
                found[rank] = pid
            }
        }
        return found
    }

    /// Every float of every tensor in a safetensors file, by name.
    static func weights(_ url: URL) throws -> [String: [Float]] {
        try SafeTensors.read(contentsOf: url).mapValues(\.values)
    }

    /// ‖a − b‖₂ / ‖a‖₂ over every value of two weight files (infinity when their tensors differ
    /// in names or sizes). Element-wise relative differences are larger where a weight is near
    /// zero: Adam's normalised steps turn last-bit differences of tiny gradients into visible ones.
    static func relativeDifference(_ a: URL, _ b: URL) throws -> Double {
        let x = try weights(a), y = try weights(b)
        guard Set(x.keys) == Set(y.keys) else { return .infinity }
        var difference = 0.0, norm = 0.0
        for (name, values) in x {
            guard let other = y[name], other.count == values.count else { return .infinity }
            for (p, q) in zip(values, other) {
                difference += (Double(p) - Double(q)) * (Double(p) - Double(q))
                norm += Double(p) * Double(p)
            }
        }
        return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
    }
}
