import DICEKit
import Foundation

/// A benchmark peer kept running, so that its timed work can alternate with DICEKit's in the
/// same minutes of a shared machine: it reads one request line on stdin and answers with one
/// JSON object per line on stdout (the `--serve` mode of Benchmarks/peers/dpo_torch.py).
final class PeerSession {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var pending = Data()

    /// Starts `python script arguments…` (its stderr goes to ours).
    /// - Throws: when the interpreter cannot be started.
    init(python: String, script: String, arguments: [String]) throws {
        // A peer that dies must surface as a write error here, not as SIGPIPE killing `dice`.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
    }

    /// The peer's next JSON object line (other lines on its stdout are skipped).
    /// - Throws: `Failure` when the peer exits first or writes a malformed object.
    func read() throws -> [String: JSONValue] {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard line.first == UInt8(ascii: "{") else { continue }
                do {
                    return try JSONDecoder().decode([String: JSONValue].self, from: Data(line))
                } catch {
                    throw Failure(description: "peer wrote a malformed line: \(String(decoding: line, as: UTF8.self))")
                }
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                throw Failure(description: "peer exited with status \(process.terminationStatus)")
            }
            pending.append(chunk)
        }
    }

    /// Sends `line` and returns the peer's answer.
    /// - Throws: `Failure` as `read()`, or the write error when the peer is gone.
    func request(_ line: String) throws -> [String: JSONValue] {
        try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
        return try read()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
