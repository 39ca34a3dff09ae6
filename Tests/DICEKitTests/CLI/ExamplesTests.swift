// The examples under Examples/ build with the package and run to completion in seconds.

import DICEKit
import Foundation
import Testing

@Suite("Examples")
struct ExamplesTests {
    @Test("CustomPolicy: a user-written policy through the protocols improves the judge's expected score")
    func customPolicy() throws {
        let folder = try ScratchFolder("example-custom")
        defer { folder.remove() }
        guard let result = try DiceTool.run([], in: folder.url, executable: "CustomPolicyExample") else { return }
        #expect(result.status == 0, "\(result.stderr)")
        // E[judge] of π_0 and π_2, read back from the printout (exact expectations of a table).
        func judge(_ name: String) -> Double? {
            result.stdout.split(separator: "\n").first { $0.contains(name + " ") || $0.contains(name + ":") }
                .flatMap { line in line.split(separator: " ").drop { $0 != "E[judge]" }.dropFirst().first }
                .flatMap { Double($0) }
        }
        #expect(result.stdout.contains("Round 2:"))
        if let p0 = judge("π_0"), let p2 = judge("π_2") {
            #expect(p2 > p0)
        } else {
            Issue.record("no E[judge] figures in: \(result.stdout)")
        }
    }

    @Test("BootstrapFromJSONL: bootstraps the JSONL files it is given, through the library API")
    func bootstrapFromJSONL() throws {
        let folder = try ScratchFolder("example-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let arguments = ["pi0", "ref", "prompts.jsonl", "offline.jsonl", "run"].map { folder.file($0).path }
        guard let result = try DiceTool.run(arguments, in: folder.url, executable: "BootstrapFromJSONL") else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(RunReport.self, from: Data(contentsOf: folder.file("run/report.json")))
        #expect(report.rounds.map(\.round) == [1, 2])
        #expect(FileManager.default.fileExists(atPath: folder.file("run/round-2/model/model.safetensors").path))
    }
}
