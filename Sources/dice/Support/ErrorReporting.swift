// ErrorReporting: how every `dice` command ends on failure — one line on stderr, exit code 1.

import ArgumentParser
import Foundation

/// Runs a command's body; any error it throws is written to stderr as one line
/// (`error: <description>`) and the command exits with status 1 (`ExitCode.failure`).
///
/// DICEKit's errors describe themselves in one sentence that names the file and the line or
/// offset; this keeps that sentence intact (line breaks inside it become spaces) and never
/// prints a stack trace or a usage text. An `ExitCode` thrown by `body` passes through.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data(("error: " + oneLineMessage(for: error) + "\n").utf8))
        throw ExitCode.failure
    }
}

/// The error's own description (`CustomStringConvertible`), else its localized description,
/// flattened to one line.
func oneLineMessage(for error: any Error) -> String {
    let text = (error as? any CustomStringConvertible)?.description ?? error.localizedDescription
    return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
}
