// DiceTool: runs the built `dice` executable as a subprocess, as a person would.

import Foundation
import Testing

/// The `dice` executable of this build and a way to run it.
enum DiceTool {
    /// `dice` in the build products folder that holds this test runner. Nil when not built.
    static let url: URL? = executable("dice")

    /// The executable `name` of this build: `swift test` builds every product, in debug or with
    /// `-c release`, beside the test runner; on macOS the runner is inside a bundle, so the
    /// search walks up a few folders. Nil when not built.
    static func executable(_ name: String) -> URL? {
        let fm = FileManager.default
        var starts: [URL] = []
        if let exe = Bundle.main.executableURL { starts.append(exe) }
        starts.append(URL(fileURLWithPath: "/proc/self/exe"))
        if let first = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: first)) }
        for start in starts {
            var folder = start.resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent(name)
                var isFolder: ObjCBool = false
                if fm.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue,
                   fm.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// What a run of `dice` produced.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `dice arguments…` (or another executable of this build) to completion in `folder`
    /// (stdout and stderr go to files there), with `environment` as its whole environment (nil:
    /// this process's). Records an issue and returns nil when the executable cannot be found.
    static func run(_ arguments: [String], in folder: URL, executable name: String = "dice",
                    environment: [String: String]? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Result? {
        guard let url = name == "dice" ? url : executable(name) else {
            Issue.record("the \(name) executable was not found beside the test runner (\(CommandLine.arguments.first ?? "?")); build it with `swift build`",
                         sourceLocation: sourceLocation)
            return nil
        }
        let tag = UUID().uuidString
        let outURL = folder.appendingPathComponent("stdout-\(tag)")
        let errURL = folder.appendingPathComponent("stderr-\(tag)")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = folder
        if let environment { process.environment = environment }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}
