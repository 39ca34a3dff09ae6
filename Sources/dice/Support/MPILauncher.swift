// MPILauncher: starts this very command again under `mpirun -np N` (for `--ranks N` options).

import ArgumentParser
import Foundation

enum MPILauncher {
    /// The mpirun arguments before the program: as root Open MPI refuses to start without
    /// `--allow-run-as-root`; `--oversubscribe` allows more ranks than cores; `--bind-to none`
    /// leaves each rank's threads free to use any core.
    static func options(ranks: Int) -> [String] {
        var options = ["-np", "\(ranks)", "--oversubscribe", "--bind-to", "none"]
        if getuid() == 0 { options.insert("--allow-run-as-root", at: 0) }
        return options
    }

    /// Runs `mpirun … <this executable> <these arguments>` with the output passed through, and
    /// exits with its status when it fails.
    /// - Throws: `ValidationError` when mpirun is not found; `ExitCode` of a failed job.
    static func relaunch(ranks: Int) throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let mpirun = path else {
            throw ValidationError("--ranks \(ranks) needs Open MPI's mpirun (apt-get install openmpi-bin libopenmpi-dev)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = options(ranks: ranks) + [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path]
            + CommandLine.arguments.dropFirst()
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
    }
}
