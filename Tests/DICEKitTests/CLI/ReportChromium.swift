// ReportChromium: headless Chromium for the `dice report` browser tests — found on PATH
// (`make test` installs Debian's `chromium` when it can), started once to see that it runs, and
// run with a time limit, a throw-away profile and logging to stderr.

import Foundation

/// A headless Chromium, or why there is none.
enum ReportChromium {
    /// The executable and whether it starts: (path, nil) when usable, (nil, reason) otherwise.
    static let probe: (path: String?, reason: String?) = {
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let path = names.lazy.flatMap({ name in folders.map { "\($0)/\(name)" } })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            let reason = "no chromium on PATH (make test installs Debian's chromium when it can)"
            print("dice report browser tests skipped: \(reason)")
            return (nil, reason)
        }
        let blank = FileManager.default.temporaryDirectory.appendingPathComponent("report-probe-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: blank) }
        do {
            try Data("<!DOCTYPE html><p id=\"probe\">ok</p>".utf8).write(to: blank)
            let run = try run(path, ["--dump-dom", blank.absoluteString], timeout: 90)
            if run.status == 0 && run.stdout.contains("id=\"probe\"") { return (path, nil) }
            let reason = "\(path) did not start (status \(run.status)): \(run.stderr.suffix(300))"
            print("dice report browser tests skipped: \(reason)")
            return (nil, reason)
        } catch {
            print("dice report browser tests skipped: \(path) could not be run: \(error)")
            return (nil, "\(error)")
        }
    }()

    /// Whether the browser tests can run.
    static var available: Bool { probe.path != nil }

    /// What a browser run printed.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `chromium --headless …arguments` with a fresh profile, killed after `timeout`
    /// seconds (coreutils `timeout`; status 124 then).
    static func run(_ path: String, _ arguments: [String], timeout: Int = 120) throws -> Output {
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("report-chromium-\(UUID().uuidString)")
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", "\(timeout)", path, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                             "--user-data-dir=\(scratch.appendingPathComponent("profile").path)",
                             "--enable-logging=stderr", "--v=0"] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// The lines of a browser log that report the page's console output or uncaught errors
    /// (`…:CONSOLE…` lines; the page itself logs nothing).
    static func consoleLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
    }
}
