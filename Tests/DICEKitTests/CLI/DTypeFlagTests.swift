// `--dtype bf16` end to end: `dice logprobs` scores the fixtures' golden rows with bfloat16
// matrix products within bf16's tolerance of PyTorch's Float32 log-probs, and not bit-equal to
// the fp32 run (the flag really reaches the backend).

import DICEKit
import Foundation
import Testing

@Suite("dice --dtype bf16")
struct DTypeFlagTests {
    @Test("dice logprobs --dtype bf16 is within 2e-2 relative of PyTorch's fp32 log-probs",
          arguments: ["llama-gqa-tied"])
    func logprobs(model: String) throws {
        let folder = try ScratchFolder("dice-dtype")
        defer { folder.remove() }
        let directory = Fixtures.model(model)
        let golden = try JSONDecoder().decode(LogProbsCommandTests.ModelGolden.self,
                                              from: Data(contentsOf: directory.appendingPathComponent("golden.json")))
        let expected = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("golden.safetensors")).doubles("logprob")
        let lines = zip(golden.prompts, golden.responses).map { "{\"prompt_ids\": \($0), \"response_ids\": \($1)}" }
        guard let mixed = try LogProbsCommandTests.score(model: directory, lines: lines, arguments: ["--dtype", "bf16"], in: folder),
              let full = try LogProbsCommandTests.score(model: directory, lines: lines, arguments: ["--dtype", "fp32"], in: folder)
        else { return }
        try #require(mixed.count == expected.count && full.count == expected.count)
        var differs = false
        for i in expected.indices {
            let b = try LogProbsCommandTests.scored(mixed[i]).logprob, f = try LogProbsCommandTests.scored(full[i]).logprob
            #expect(abs(b - expected[i]) <= 2e-2 * max(1, abs(expected[i])), "row \(i): bf16 \(b) vs PyTorch \(expected[i])")
            differs = differs || b != f
        }
        #expect(differs, "--dtype bf16 gave the fp32 log-probs bit for bit")
    }
}
