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

/// The error in words, flattened to one line: Foundation errors (`CocoaError`, `NSError`) by
/// their localized description, a `LocalizedError` by its `errorDescription`, any other error
/// type that is `CustomStringConvertible` (all of DICEKit's) by its description, else by its
/// type and case.
func oneLineMessage(for error: any Error) -> String {
    let text: String
    if error is CocoaError || type(of: error) is NSError.Type {
        text = error.localizedDescription
    } else if let localized = error as? any LocalizedError, let description = localized.errorDescription {
        text = description
    } else if type(of: error) is any CustomStringConvertible.Type {
        text = String(describing: error)
    } else {
        text = "\(type(of: error)).\(error)"
    }
    return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
}

/// Writes `message` and a line end to stderr (warnings and notes beside a command's output).
func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
