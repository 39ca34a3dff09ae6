import ArgumentParser
import Foundation

/// Runs this tool (`/proc/self/exe`) with `arguments` in a child process — a phase measured on
/// its own, with its own peak memory — and decodes the last line of its standard output, a JSON
/// report, as `T`. Its standard error goes to ours.
/// - Throws: `ValidationError` when the child exits non-zero; what starting it and decoding throw.
func runChild<T: Decodable>(_ arguments: [String], as type: T.Type) throws -> T {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.standardError
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ValidationError("`dice \(arguments.joined(separator: " "))` exited with status \(process.terminationStatus)")
    }
    let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    return try JSONDecoder().decode(T.self, from: Data(line.utf8))
}
