import Foundation
import Testing
@testable import DICEKit

/// Greedy decoding against transformers' `generate(do_sample=False)`, token for token, on the
/// three fixture models, with and without a repetition penalty, stopping at the EOS ids of
/// generation_config.json. Fixtures: Scripts/make_generation_fixtures.py →
/// Tests/Fixtures/generation/<model>.json.
@Suite("Greedy decoding vs transformers")
struct GreedyGoldenTests {
    struct Golden: Decodable {
        struct Case: Decodable {
            let name: String
            let repetition_penalty: Double
            let max_new_tokens: Int
            let prompts: [[Int]]
            let outputs: [[Int]]
        }
        let eos_token_ids: [Int]
        let cases: [Case]
    }

    @Test(arguments: Fixtures.generationGoldenNames)
    func greedyMatchesTransformers(_ name: String) throws {
        let url = Fixtures.root.appendingPathComponent("generation/\(name).json")
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let directory = Fixtures.model(name)
        let model = try TransformerLM(directory: directory, backend: CPUBackend())
        let config = try GenerationConfig.load(contentsOf: directory.appendingPathComponent("generation_config.json"))
        let stop = GenerationParameters.defaultStopTokenIDs(generationConfig: config, tokenizer: nil)
        #expect(stop == golden.eos_token_ids)
        for c in golden.cases {
            let parameters = GenerationParameters(
                maxNewTokens: c.max_new_tokens,
                sampling: SamplingParameters(temperature: 0, repetitionPenalty: c.repetition_penalty),
                stopTokenIDs: stop)
            let out = try Generator(model: model, parameters: parameters).generate(prompts: c.prompts)
            try #require(out.count == c.prompts.count && c.outputs.count == c.prompts.count && out.allSatisfy { $0.count == 1 },
                         "\(name) \(c.name): \(out.count) groups for \(c.prompts.count) prompts and \(c.outputs.count) golden outputs")
            for (i, want) in c.outputs.enumerated() {
                #expect(out[i][0].ids == want, "\(name) \(c.name) prompt \(i)")
                let stopped = want.count < c.max_new_tokens || stop.contains(want.last ?? -1)
                #expect(out[i][0].finishReason == (stopped ? .stop : .length))
            }
        }
    }
}
