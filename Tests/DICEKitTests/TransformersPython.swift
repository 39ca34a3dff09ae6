// A Python with torch and transformers (DICEKIT_PYTHON, else /tmp/venv/bin/python), for the
// tests that check what DICEKit writes by loading it in transformers. Those tests skip (return
// early) when there is none; `make test` never needs it.

import Foundation

enum TransformersPython {
    /// The first candidate that imports torch and transformers; nil when none does.
    static let url: URL? = python(importing: "torch, transformers")

    /// DICEKIT_PYTHON, else /tmp/venv/bin/python: the first that runs `import <modules>`.
    static func python(importing modules: String) -> URL? {
        let candidates = [ProcessInfo.processInfo.environment["DICEKIT_PYTHON"], "/tmp/venv/bin/python"].compactMap { $0 }
        return candidates.map { URL(fileURLWithPath: $0) }.first { url in
            guard FileManager.default.isExecutableFile(atPath: url.path) else { return false }
            let process = Process()
            process.executableURL = url
            process.arguments = ["-c", "import " + modules]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    /// A script's failure: its status and standard error.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs Scripts/`script` with `arguments` and returns its standard output.
    /// - Throws: `Failure` when it exits non-zero.
    static func run(_ python: URL, script: String, arguments: [String]) throws -> Data {
        let scripts = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
        try Data().write(to: out)
        try Data().write(to: err)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        let process = Process()
        process.executableURL = python
        process.arguments = [scripts.appendingPathComponent(script).path] + arguments
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) exited \(process.terminationStatus): \(String(decoding: try Data(contentsOf: err), as: UTF8.self).suffix(2000))")
        }
        return try Data(contentsOf: out)
    }
}
