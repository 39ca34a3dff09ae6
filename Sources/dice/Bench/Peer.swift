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

/// A JSON value, for passing a peer's report through unchanged.
enum JSONValue: Codable {
    case number(Double), string(String), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
}
