// The dice tool's logging bootstrap: the library's messages reach stderr only from the level
// DICEKIT_LOG_LEVEL names (warning by default), and a bad value is named once.

import Foundation
import Testing

@Suite("dice log level")
struct DiceLogLevelTests {
    /// `dice logprobs` on one id row of a fixture model, with `level` in DICEKIT_LOG_LEVEL (nil:
    /// unset); the run's stderr.
    static func stderr(level: String?) throws -> String? {
        let folder = try ScratchFolder("dice-log-level")
        defer { folder.remove() }
        let input = folder.file("in.jsonl"), output = folder.file("out.jsonl")
        try Data(#"{"prompt_ids": [1, 5, 9], "response_ids": [7, 2]}"#.utf8).write(to: input)
        var environment = ProcessInfo.processInfo.environment
        environment["DICEKIT_LOG_LEVEL"] = level
        guard let result = try DiceTool.run(["logprobs", "--model", Fixtures.model("llama-gqa-tied").path,
                                             "--input", input.path, "--output", output.path],
                                            in: folder.url, environment: environment) else { return nil }
        #expect(result.status == 0, "dice failed: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: output.path))
        return result.stderr
    }

    @Test("by default no library message reaches stderr; with DICEKIT_LOG_LEVEL=debug they do, under their labels")
    func levels() throws {
        let quiet = try #require(try Self.stderr(level: nil))
        #expect(!quiet.contains("dicekit."), "unexpected library messages: \(quiet)")
        let verbose = try #require(try Self.stderr(level: "DEBUG"))
        let lines = verbose.split(separator: "\n")
        #expect(lines.contains { $0.contains("debug dicekit.formats:") && $0.contains("model folder read") }, "\(verbose)")
        #expect(lines.contains { $0.contains("debug dicekit.backend:") && $0.contains("OpenBLAS kernel family") }, "\(verbose)")
    }

    @Test("an unknown DICEKIT_LOG_LEVEL is named once, with the levels, and the run goes on")
    func unknownLevel() throws {
        let text = try #require(try Self.stderr(level: "loud"))
        let warnings = text.split(separator: "\n").filter { $0.contains("DICEKIT_LOG_LEVEL=loud is not a level") }
        #expect(warnings.count == 1, "\(text)")
        #expect(warnings.first?.contains("trace, debug, info, notice, warning, error, critical") == true)
        #expect(!text.contains("dicekit."))
    }
}
