// Every numeric flag of `dice dpo`, `bootstrap`, `generate`, `logprobs` and `eval` with a bad
// value (∞, NaN, negative, zero where it is invalid, beyond what the data or the machine's
// memory allows): exit code 1, one line `error: FLAG VALUE: expected …`, and nothing written.

import DICEKit
import Foundation
import Testing

@Suite("dice: numeric flags checked before work")
struct FlagBoundsTests {
    /// The commands under test, each with inputs and arguments that run as given.
    enum Command: String, CustomStringConvertible {
        case dpo, bootstrap, generate, logprobs, eval
        var description: String { rawValue }

        /// Writes the inputs into `folder`: `dpoInputs` for dpo, else `bootstrapInputs` (π_ref
        /// `ref`, π_0 `pi0`, `prompts.jsonl`, `offline.jsonl`) and `rows.jsonl` for logprobs.
        func writeInputs(in folder: URL) throws {
            switch self {
            case .dpo:
                try ToyModelFolders.dpoInputs(in: folder)
            case .bootstrap, .generate, .logprobs, .eval:
                try ToyModelFolders.bootstrapInputs(in: folder)
                try Data("{\"prompt_ids\": [1, 7], \"response_ids\": [3, 0]}\n".utf8)
                    .write(to: folder.appendingPathComponent("rows.jsonl"))
            }
        }

        /// Arguments that succeed on the inputs of `writeInputs` (outputs under `out`).
        func arguments(_ folder: URL) -> [String] {
            func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
            switch self {
            case .dpo:
                return ToyModelFolders.dpoArguments(folder, run: "out")
            case .bootstrap:
                return ToyModelFolders.bootstrapArguments(folder, run: "out")
            case .generate:
                return ["generate", "--model", path("pi0"), "--input", path("prompts.jsonl"), "--output", path("out"),
                        "--samples", "2", "--max-new-tokens", "4", "--seed", "1"]
            case .logprobs:
                return ["logprobs", "--model", path("pi0"), "--input", path("rows.jsonl"), "--output", path("out")]
            case .eval:
                return ["eval", "--model", path("pi0"), "--baseline", path("ref"), "--prompts", path("prompts.jsonl"),
                        "--judge", "length", "--output", path("out"), "--length-unit", "tokens", "--max-new-tokens", "4"]
            }
        }
    }

    /// A bad value: the command, the argument(s) that set it (`--flag=value` or `--flag value`;
    /// the flag's pair in the base arguments is removed first), and fragments of the error line.
    struct Case: CustomStringConvertible, Sendable {
        var command: Command
        var arguments: [String]
        var expected: [String]
        var description: String { "\(command) \(arguments.joined(separator: " "))" }

        init(_ command: Command, _ arguments: [String], _ expected: [String]) {
            self.command = command
            self.arguments = arguments
            self.expected = expected
        }
    }

    static let huge = "1000000000000"

    static let cases: [Case] = [
        // dice dpo: DPO settings (DPOOptions, DPOConfiguration.validate).
        Case(.dpo, ["--beta", "-1"], ["--beta -1.0: expected a finite number > 0"]),
        Case(.dpo, ["--beta=-1"], ["--beta -1.0: expected a finite number > 0"]),
        Case(.dpo, ["--beta", "nan"], ["--beta nan: expected a finite number > 0"]),
        Case(.dpo, ["--beta", "inf"], ["--beta inf: expected a finite number > 0"]),
        Case(.dpo, ["--beta", "1e308"], ["--beta 1e+308: expected", "3.4028234663852886e+38"]),
        Case(.dpo, ["--lr", "inf"], ["--lr inf: expected a finite number ≥ 0"]),
        Case(.dpo, ["--lr", "nan"], ["--lr nan: expected a finite number ≥ 0"]),
        Case(.dpo, ["--weight-decay", "inf"], ["--weight-decay inf: expected a finite number ≥ 0"]),
        Case(.dpo, ["--weight-decay", "nan"], ["--weight-decay nan: expected a finite number ≥ 0"]),
        Case(.dpo, ["--max-grad-norm", "inf"], ["--max-grad-norm inf: expected a finite number ≥ 0 (0: no clipping)"]),
        Case(.dpo, ["--max-grad-norm", "nan"], ["--max-grad-norm nan: expected a finite number ≥ 0"]),
        Case(.dpo, ["--max-grad-norm", "-1"], ["--max-grad-norm -1.0: expected a finite number ≥ 0"]),
        Case(.dpo, ["--label-smoothing", "nan"], ["--label-smoothing nan: expected a number in [0, 0.5]"]),
        Case(.dpo, ["--sft-weight", "inf"], ["--sft-weight inf: expected a finite number ≥ 0"]),
        Case(.dpo, ["--warmup-steps", "-1"], ["--warmup-steps -1: expected a number ≥ 0"]),
        Case(.dpo, ["--batch-size", "0"], ["--batch-size 0: expected a number ≥ 1"]),
        Case(.dpo, ["--batch-size", "-4"], ["--batch-size -4: expected a number ≥ 1"]),
        Case(.dpo, ["--batch-size", "100000"], ["--batch-size 100000: expected at most 20, the training pairs (24 pairs − --val-size 4)"]),
        Case(.dpo, ["--micro-batch-size", "-2"], ["--micro-batch-size -2: expected a divisor of the batch size 4"]),
        Case(.dpo, ["--micro-batch-size", "0"], ["--micro-batch-size 0: expected a divisor"]),
        Case(.dpo, ["--micro-batches", "0"], ["--micro-batches 0: expected a number in 1...4 (the batch size)"]),
        Case(.dpo, ["--micro-batches", "5"], ["--micro-batches 5: expected a number in 1...4 (the batch size)"]),
        Case(.dpo, ["--steps", "0"], ["--steps 0: expected a number ≥ 1"]),
        Case(.dpo, ["--steps", "-3"], ["--steps -3: expected a number ≥ 1"]),
        Case(.dpo, ["--save-every", "-1"], ["--save-every -1: expected a number ≥ 0"]),
        Case(.dpo, ["--val-size", "-1"], ["--val-size -1: expected a number in 0..<24"]),
        Case(.dpo, ["--val-size", "24"], ["--val-size 24: expected a number in 0..<24"]),
        Case(.dpo, ["--eval-every", "-1"], ["--eval-every -1: expected a number ≥ 0"]),
        Case(.dpo, ["--max-length", "1"], ["--max-length 1: expected a number ≥ 2"]),
        Case(.dpo, ["--max-length", "-5"], ["--max-length -5: expected a number ≥ 2"]),
        Case(.dpo, ["--max-prompt-length", "0"], ["--max-prompt-length 0: expected a number ≥ 1"]),
        Case(.dpo, ["--truncation", "truncate", "--max-length", "20", "--max-prompt-length", "20"],
             ["--max-prompt-length 20: expected a number below --max-length 20"]),
        Case(.dpo, ["--cuda-device", "-1"], ["--cuda-device -1: expected a device ordinal ≥ 0"]),

        // dice bootstrap: DICE settings (DICEConfiguration.validate), sampling, DPO, data bounds.
        Case(.bootstrap, ["--beta", "-1"], ["--beta -1.0: expected a finite number > 0"]),
        Case(.bootstrap, ["--micro-batches", "-1"], ["--micro-batches -1: expected a number in 1...4 (the batch size)"]),
        Case(.bootstrap, ["--beta=-1"], ["--beta -1.0: expected a finite number > 0"]),
        Case(.bootstrap, ["--beta", "1e308"], ["--beta 1e+308: expected", "3.4028234663852886e+38"]),
        Case(.bootstrap, ["--beta", "inf"], ["--beta inf: expected a finite number > 0"]),
        Case(.bootstrap, ["--gamma", "nan"], ["--gamma nan: expected a number in [0, 1]"]),
        Case(.bootstrap, ["--gamma", "inf"], ["--gamma inf: expected a number in [0, 1]"]),
        Case(.bootstrap, ["--alpha", "-1"], ["--alpha -1: expected auto or a finite number ≥ 0"]),
        Case(.bootstrap, ["--alpha", "inf"], ["--alpha inf: expected auto or a finite number ≥ 0"]),
        Case(.bootstrap, ["--alpha", "nan"], ["--alpha nan: expected auto or a finite number ≥ 0"]),
        Case(.bootstrap, ["--alpha", "1e300"], ["--alpha 1e+300: expected auto or a number in [0, 3.4028234663852886e+38]"]),
        Case(.bootstrap, ["--rounds", "-1"], ["--rounds -1: expected at least 1"]),
        Case(.bootstrap, ["--samples", "-2"], ["--samples -2: expected at least 2"]),
        Case(.bootstrap, ["--samples", huge], ["--samples \(huge): expected a count whose generation fits in memory",
                                               "6 prompts × \(huge) samples × up to 12 new tokens", "KV cache"]),
        Case(.bootstrap, ["--min-valid", "-1"], ["--min-valid -1: expected between 2 and the samples per prompt (4)"]),
        Case(.bootstrap, ["--min-response-length", "0"], ["--min-response-length 0: expected ≥ 1"]),
        Case(.bootstrap, ["--max-response-length", "-1"], ["--max-response-length -1: expected ≥ --min-response-length (1)"]),
        Case(.bootstrap, ["--scoring-batch-size", "0"], ["--scoring-batch-size 0: expected at least 1"]),
        Case(.bootstrap, ["--temperature", "-1"], ["--temperature -1.0: expected a finite number ≥ 0"]),
        Case(.bootstrap, ["--temperature", "nan"], ["--temperature nan: expected a finite number ≥ 0"]),
        Case(.bootstrap, ["--top-p", "0"], ["--top-p 0.0: expected a number in (0, 1]"]),
        Case(.bootstrap, ["--top-p", "nan"], ["--top-p nan: expected a number in (0, 1]"]),
        Case(.bootstrap, ["--top-k", "-1"], ["--top-k -1: expected an integer ≥ 0"]),
        Case(.bootstrap, ["--min-p", "nan"], ["--min-p nan: expected a number in [0, 1]"]),
        Case(.bootstrap, ["--max-new-tokens", "0"], ["--max-new-tokens 0: expected a number ≥ 1"]),
        Case(.bootstrap, ["--generation-batch-size", "-1"], ["--generation-batch-size -1: expected a number ≥ 1"]),
        Case(.bootstrap, ["--stop-id", "-1"], ["--stop-id -1: expected a token id in 0..<25"]),
        Case(.bootstrap, ["--stop-id", "25"], ["--stop-id 25: expected a token id in 0..<25"]),
        Case(.bootstrap, ["--batch-size", "100"], ["--batch-size 100: expected at most 12, the most pairs a round can train on"]),
        Case(.bootstrap, ["--lr", "nan"], ["--lr nan: expected a finite number ≥ 0"]),
        Case(.bootstrap, ["--max-grad-norm", "inf"], ["--max-grad-norm inf: expected a finite number ≥ 0"]),
        Case(.bootstrap, ["--steps", "0"], ["--steps 0: expected a number ≥ 1"]),

        // dice generate.
        Case(.generate, ["--samples", "0"], ["--samples 0: expected a number ≥ 1"]),
        Case(.generate, ["--samples", "-1"], ["--samples -1: expected a number ≥ 1"]),
        Case(.generate, ["--samples", huge], ["--samples \(huge): expected a count whose generation fits in memory",
                                              "6 prompts × \(huge) samples × up to 4 new tokens", "KV cache"]),
        Case(.generate, ["--max-new-tokens", "-1"], ["--max-new-tokens -1: expected a number ≥ 1"]),
        Case(.generate, ["--batch-size", "0"], ["--batch-size 0: expected a number ≥ 1"]),
        Case(.generate, ["--temperature", "inf"], ["--temperature inf: expected a finite number ≥ 0"]),
        Case(.generate, ["--temperature", "-0.5"], ["--temperature -0.5: expected a finite number ≥ 0"]),
        Case(.generate, ["--top-p", "1.5"], ["--top-p 1.5: expected a number in (0, 1]"]),
        Case(.generate, ["--top-k", "-1"], ["--top-k -1: expected an integer ≥ 0"]),
        Case(.generate, ["--min-p", "-0.1"], ["--min-p -0.1: expected a number in [0, 1]"]),
        Case(.generate, ["--repetition-penalty", "0"], ["--repetition-penalty 0.0: expected a finite number > 0"]),
        Case(.generate, ["--repetition-penalty", "nan"], ["--repetition-penalty nan: expected a finite number > 0"]),
        Case(.generate, ["--repetition-penalty", "inf"], ["--repetition-penalty inf: expected a finite number > 0"]),
        Case(.generate, ["--repetition-penalty", "1e-300"], ["--repetition-penalty 1e-300: expected a finite number > 0 within Float32's normal range"]),
        Case(.generate, ["--stop-id", "-1"], ["--stop-id -1: expected a token id in 0..<25"]),
        Case(.generate, ["--stop-id", "99"], ["--stop-id 99: expected a token id in 0..<25"]),
        Case(.generate, ["--stop", ""], ["--stop \"\": expected a non-empty string"]),

        // dice logprobs.
        Case(.logprobs, ["--batch-size", "0"], ["--batch-size 0: expected a number ≥ 1"]),
        Case(.logprobs, ["--batch-size", "-1"], ["--batch-size -1: expected a number ≥ 1"]),

        // dice eval.
        Case(.eval, ["--samples", "0"], ["--samples 0: expected a number ≥ 1"]),
        Case(.eval, ["--samples", "-1"], ["--samples -1: expected a number ≥ 1"]),
        Case(.eval, ["--samples", huge], ["--samples \(huge): expected a count whose generation fits in memory", "KV cache"]),
        Case(.eval, ["--max-new-tokens", "0"], ["--max-new-tokens 0: expected a number ≥ 1"]),
        Case(.eval, ["--temperature", "nan"], ["--temperature nan: expected a finite number ≥ 0"]),
        Case(.eval, ["--generation-batch-size", "-1"], ["--generation-batch-size -1: expected a number ≥ 1"]),
        Case(.eval, ["--stop-id", "30"], ["--stop-id 30: expected a token id in 0..<25"]),
    ]

    /// `arguments` with `flag`'s value pair removed (it is given again by the case).
    static func removing(_ flag: String, from arguments: [String]) -> [String] {
        var out = arguments
        if let i = out.firstIndex(of: flag), i + 1 < out.count { out.removeSubrange(i...(i + 1)) }
        return out
    }

    /// Every path under `folder` (relative), without the runner's stdout/stderr captures.
    static func contents(of folder: URL) -> [String] {
        let paths = FileManager.default.subpaths(atPath: folder.path) ?? []
        return paths.filter { !$0.hasPrefix("stdout-") && !$0.hasPrefix("stderr-") }.sorted()
    }

    @Test(arguments: cases)
    func refusedBeforeWork(_ bad: Case) throws {
        let folder = try ScratchFolder("flag-bounds")
        defer { folder.remove() }
        try bad.command.writeInputs(in: folder.url)
        var arguments = bad.command.arguments(folder.url)
        for argument in bad.arguments where argument.hasPrefix("--") {
            arguments = Self.removing(String(argument.prefix { $0 != "=" }), from: arguments)
        }
        let before = Self.contents(of: folder.url)
        guard let result = try DiceTool.run(arguments + bad.arguments, in: folder.url) else { return }
        #expect(result.status == 1, "stderr: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("error: ") == true, "stderr: \(result.stderr)")
        for fragment in bad.expected {
            #expect(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
        }
        #expect(result.stdout.isEmpty)
        #expect(Self.contents(of: folder.url) == before, "the run wrote files")
    }

    /// The same arguments without the bad value run to the end (the table's base arguments are
    /// valid, so each refusal above is the bad value's).
    @Test(arguments: [Command.dpo, .bootstrap, .generate, .logprobs, .eval])
    func baseArgumentsRun(_ command: Command) throws {
        let folder = try ScratchFolder("flag-bounds-base")
        defer { folder.remove() }
        try command.writeInputs(in: folder.url)
        guard let result = try DiceTool.run(command.arguments(folder.url), in: folder.url) else { return }
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("out").path))
    }

    /// A negative seed reaches the parser's type check (a seed is an unsigned integer), not
    /// "Missing value": swift-argument-parser's usage error, exit 64, nothing written.
    @Test(arguments: ["dpo", "bootstrap", "generate", "eval", "demo"])
    func negativeSeedIsNamed(_ name: String) throws {
        let folder = try ScratchFolder("flag-bounds-seed")
        defer { folder.remove() }
        let arguments: [String]
        if let command = Command(rawValue: name) {
            try command.writeInputs(in: folder.url)
            arguments = Self.removing("--seed", from: command.arguments(folder.url)) + ["--seed", "-1"]
        } else {
            arguments = ["demo", "--output", folder.file("out").path, "--seed", "-1"]
        }
        let before = Self.contents(of: folder.url)
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("The value '-1' is invalid for '--seed"), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Missing value"))
        #expect(Self.contents(of: folder.url) == before)
    }
}
