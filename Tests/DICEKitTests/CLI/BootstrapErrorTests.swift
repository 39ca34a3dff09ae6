// `dice bootstrap` on bad input: each case ends with exit code 1, one line on stderr that names
// the problem, and no work done (the run folder is not created).

import DICEKit
import Foundation
import Testing

@Suite("dice bootstrap: bad input")
struct BootstrapErrorTests {
    enum BadInput: String, CaseIterable, CustomStringConvertible {
        case emptyPrompts, offlineMissingField, offlineNotJSON, oneSample, gammaAboveOne, gammaNegative, zeroRounds
        case missingPolicy, referenceWithoutConfig, runAlreadyThere, badAlpha, badLengthUnit, minValidAboveK
        case promptIDOutOfVocabulary, offlineIDOutOfVocabulary, unknownLoss
        var description: String { rawValue }
    }

    /// Replaces `flag`'s value in `arguments` (or appends the pair).
    static func setting(_ flag: String, _ value: String, in arguments: [String]) -> [String] {
        var out = arguments
        if let i = out.firstIndex(of: flag) { out[i + 1] = value } else { out += [flag, value] }
        return out
    }

    @Test(arguments: BadInput.allCases)
    func failsBeforeWork(_ bad: BadInput) throws {
        let folder = try ScratchFolder("bootstrap-bad")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        var arguments = ToyModelFolders.bootstrapArguments(folder.url, run: "run")
        let expected: [String]
        switch bad {
        case .emptyPrompts:
            try Data().write(to: folder.file("prompts.jsonl"))
            expected = ["prompts.jsonl", "no prompts"]
        case .offlineMissingField:
            let lines = try String(contentsOf: folder.file("offline.jsonl"), encoding: .utf8).split(separator: "\n")
            let broken = [String(lines[0]), "{\"prompt_ids\": [1, 7, 8], \"chosen_ids\": [3, 0]}"] + lines.dropFirst().map(String.init)
            try Data(broken.joined(separator: "\n").utf8).write(to: folder.file("offline.jsonl"))
            expected = ["offline.jsonl:2", "rejected_ids"]
        case .offlineNotJSON:
            try Data("{\"prompt_ids\": [1, 7, 8], \"chosen_ids\": [3, 0], \"rejected_ids\": [4\n".utf8).write(to: folder.file("offline.jsonl"))
            expected = ["offline.jsonl:1", "invalid JSON"]
        case .oneSample:
            arguments = Self.setting("--samples", "1", in: Self.setting("--min-valid", "2", in: arguments))
            expected = ["samples", "at least 2"]
        case .gammaAboveOne:
            arguments += ["--gamma", "1.5"]
            expected = ["gamma", "[0, 1]"]
        case .gammaNegative:
            arguments += ["--gamma=-0.25"]
            expected = ["gamma", "[0, 1]"]
        case .zeroRounds:
            arguments = Self.setting("--rounds", "0", in: arguments)
            expected = ["rounds", "at least 1"]
        case .missingPolicy:
            arguments = Self.setting("--policy", folder.file("nowhere").path, in: arguments)
            expected = ["--policy", "nowhere", "no such folder"]
        case .referenceWithoutConfig:
            try FileManager.default.removeItem(at: folder.file("ref/config.json"))
            expected = ["--reference", "config.json"]
        case .runAlreadyThere:
            try FileManager.default.createDirectory(at: folder.file("run"), withIntermediateDirectories: true)
            try RunState(round: 1, phase: .sample).write(to: folder.file("run/state.json"))
            expected = ["already holds a run", "--resume"]
        case .badAlpha:
            arguments += ["--alpha", "lots"]
            expected = ["alpha", "auto or a finite number"]
        case .badLengthUnit:
            arguments = Self.setting("--length-unit", "words", in: arguments)
            expected = ["--length-unit", "chars or tokens"]
        case .minValidAboveK:
            arguments = Self.setting("--min-valid", "5", in: arguments)
            expected = ["min-valid", "between 2 and"]
        case .promptIDOutOfVocabulary:
            try Data("{\"prompt_ids\": [1, 7, 8]}\n\n{\"prompt_ids\": [1, 99]}\n".utf8).write(to: folder.file("prompts.jsonl"))
            expected = ["prompts.jsonl:3", "99", "vocabulary"]
        case .offlineIDOutOfVocabulary:
            try Data("{\"prompt_ids\": [1, 7, 8], \"chosen_ids\": [3, 25], \"rejected_ids\": [4, 0]}\n".utf8)
                .write(to: folder.file("offline.jsonl"))
            expected = ["offline.jsonl:1", "chosen", "25"]
        case .unknownLoss:
            arguments += ["--loss", "squared"]
            expected = ["--loss", "squared"]
        }
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("error: ") == true, "stderr: \(result.stderr)")
        for fragment in expected {
            #expect(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
        }
        #expect(result.stdout.isEmpty)
        // No work: the run folder was not made (or, when it was there before, left as it was).
        let run = folder.file("run")
        if bad == .runAlreadyThere {
            // (The lock file is the refused run's only trace: it takes the folder's lock first.)
            #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0 != RunFolderLock.fileName }
                    == ["state.json"])
        } else {
            #expect(!FileManager.default.fileExists(atPath: run.path))
        }
    }
}
