// `dice dpo` and `dice bootstrap` with a DPO setting out of range: exit code 1, one error line
// naming the flag and the value given, and no work done (no output folder, no reference
// log-probs computed).

import DICEKit
import Foundation
import Testing

@Suite("dice dpo: bad settings")
struct DPOSettingsCommandTests {
    /// A bad flag value and the fragments its error line must hold.
    static let cases: [(argument: String, expected: [String])] = [
        ("--micro-batch-size=3", ["--micro-batch-size 3", "a divisor of the batch size 4"]),
        ("--val-size=100", ["--val-size 100", "(the number of pairs)"]),
        ("--beta=0", ["--beta 0.0", "> 0"]),
        ("--label-smoothing=0.7", ["--label-smoothing 0.7", "[0, 0.5]"]),
        ("--weight-decay=-1", ["--weight-decay -1.0", "≥ 0"]),
        ("--schedule=step", ["--schedule step", "constant, warmup, linear or cosine"]),
        ("--warmup-steps=-2", ["--warmup-steps -2", "≥ 0"]),
        ("--eval-every=-1", ["--eval-every -1", "≥ 0"]),
        ("--save-every=-2", ["--save-every -2", "≥ 0"]),
        ("--lr=-0.5", ["--lr -0.5", "≥ 0"]),
    ]

    @Test(arguments: 0..<cases.count)
    func dpoFailsBeforeWork(_ index: Int) throws {
        let (argument, expected) = Self.cases[index]
        let folder = try ScratchFolder("dpo-bad-setting")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let flag = String(argument.prefix { $0 != "=" })
        var arguments = ToyModelFolders.dpoArguments(folder.url, run: "run")
        if let i = arguments.firstIndex(of: flag) { arguments.removeSubrange(i...(i + 1)) }
        guard let result = try DiceTool.run(arguments + [argument], in: folder.url) else { return }
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("error: ") == true, "stderr: \(result.stderr)")
        for fragment in expected {
            #expect(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
        }
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").path))
        #expect(!FileManager.default.fileExists(atPath: folder.file("cache").path))
    }

    @Test func bootstrapNamesTheFlag() throws {
        let folder = try ScratchFolder("bootstrap-bad-setting")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let arguments = ToyModelFolders.bootstrapArguments(folder.url, run: "run") + ["--micro-batch-size", "3"]
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("--micro-batch-size 3"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").path))
    }
}
