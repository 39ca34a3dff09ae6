// RunningDice: a `dice` process left running in the background, for the tests that act on a run
// while it runs (a second run on its folder, a signal, a kill).

import Foundation
import Testing

/// A `dice` process started in the background (stdout and stderr to files in its folder).
final class RunningDice {
    let process = Process()
    let stderrURL: URL
    let stdoutURL: URL

    /// Starts `dice arguments…` in `folder`.
    init(_ dice: URL, _ arguments: [String], in folder: URL) throws {
        let tag = UUID().uuidString
        stderrURL = folder.appendingPathComponent("stderr-\(tag)")
        stdoutURL = folder.appendingPathComponent("stdout-\(tag)")
        try Data().write(to: stderrURL)
        try Data().write(to: stdoutURL)
        process.executableURL = dice
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Polls `condition` every 5 ms until it holds (true), or the process ends or `timeout`
    /// seconds pass (false).
    func wait(timeout: Double = 300, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }

    /// Sends `signal` and waits for the process to end; returns how it ended.
    func stop(with signal: Int32) -> (reason: Process.TerminationReason, status: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return (process.terminationReason, process.terminationStatus)
    }

    /// The pid in a run folder's lock file (nil when there is none or it is empty).
    static func lockHolder(of folder: URL) -> Int32? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent(".lock"), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
