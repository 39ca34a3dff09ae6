import DICEKit
import Foundation

/// Runs a peer benchmark script (PyTorch/transformers) and returns its one-line JSON output,
/// so that DICEKit's figure and the peer's come from the same run.
enum Peer {
    /// The script's stdout parsed as a JSON object, or an error text for the report.
    static func run(python: String, script: String, arguments: [String] = []) -> [String: JSONValue] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        do {
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                return ["error": .string("peer exited with status \(process.terminationStatus)")]
            }
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return try JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8))
        } catch {
            return ["error": .string("\(error)")]
        }
    }

    /// The benchmark peers' folder, found from the current directory (the repository root).
    static func script(_ name: String) -> String {
        FileManager.default.currentDirectoryPath + "/Benchmarks/peers/" + name
    }
}
