import Foundation
import Testing
@testable import DICEKit

/// Reproducibility, batch-layout independence, stopping and input checks of `Generator`, on
/// the fixture models.
@Suite("Generator")
struct GeneratorTests {
    static let prompts: [[Int]] = [[5, 17, 33], [1], [60, 61, 62, 63, 64, 65, 66], [9, 9]]

    static func model(_ name: String = "llama-gqa-tied") throws -> TransformerLM {
        try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
    }

    static func sampling(seed: UInt64, batchSize: Int = 64, k: Int = 3) -> GenerationParameters {
        GenerationParameters(samplesPerPrompt: k, maxNewTokens: 10,
                             sampling: SamplingParameters(temperature: 0.9, topP: 0.95, topK: 40, minP: 0.01,
                                                          repetitionPenalty: 1.1),
                             stopTokenIDs: [2], seed: seed, batchSize: batchSize)
    }

    @Test(arguments: Fixtures.modelNames)
    func sameSeedSameBytesOtherSeedOtherBytes(_ name: String) throws {
        let model = try Self.model(name)
        func bytes(_ seed: UInt64) throws -> Data {
            try JSONL.encode(Generator(model: model, parameters: Self.sampling(seed: seed)).generate(prompts: Self.prompts))
        }
        let first = try bytes(7)
        #expect(try bytes(7) == first)
        #expect(try bytes(8) != first)
    }

    @Test("each sample's log-prob, from the logits the sampler drew from (tempered, penalised and truncated for the draw, not for the log-prob), equals a scoring pass's within float rounding",
          arguments: Fixtures.modelNames)
    func samplerLogProbEqualsScoring(_ name: String) throws {
        let model = try Self.model(name)
        let all = try Generator(model: model, parameters: Self.sampling(seed: 5)).generate(prompts: Self.prompts)
        var worst = 0.0
        for (p, samples) in all.enumerated() {
            for sample in samples {
                let logProb = try #require(sample.logProb)
                let scored = try model.logProbs([TokenPair(prompt: Self.prompts[p], response: sample.ids)])[0]
                worst = max(worst, abs(logProb - scored) / max(1, abs(scored)))
            }
        }
        #expect(worst <= 1e-5, "largest relative difference \(worst)")
    }

    @Test(arguments: Fixtures.modelNames)
    func batchLayoutDoesNotChangeSamples(_ name: String) throws {
        let model = try Self.model(name)
        let all = try Generator(model: model, parameters: Self.sampling(seed: 3)).generate(prompts: Self.prompts)
        // The same ids and ends; the log-probs to float rounding (the decoding matmuls see other
        // row counts, so their last bits may differ).
        // (Split in two: under load the type checker gave up on it as one expression.)
        func sameSample(_ u: GeneratedSample, _ v: GeneratedSample) -> Bool {
            guard u.ids == v.ids, u.finishReason == v.finishReason else { return false }
            let p = u.logProb ?? .nan, q = v.logProb ?? .nan
            return abs(p - q) <= 1e-6 * max(1, abs(v.logProb ?? 0))
        }
        func same(_ a: [[GeneratedSample]], _ b: [[GeneratedSample]]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { x, y in x.count == y.count && zip(x, y).allSatisfy(sameSample) }
        }
        // One prompt per batch, and two prompts per batch.
        for batchSize in [1, 6] {
            let other = try Generator(model: model, parameters: Self.sampling(seed: 3, batchSize: batchSize))
                .generate(prompts: Self.prompts)
            #expect(same(other, all), "batch size \(batchSize)")
        }
        // A slice generated alone, its rows named by firstRow.
        let slice = try Generator(model: model, parameters: Self.sampling(seed: 3))
            .generate(prompts: [Self.prompts[2], Self.prompts[3]], firstRow: 2)
        #expect(same(slice, Array(all[2...])))
        // More samples per prompt leave the first ones unchanged.
        let more = try Generator(model: model, parameters: Self.sampling(seed: 3, k: 5)).generate(prompts: Self.prompts)
        #expect(more.map { Array($0.prefix(3)) } == all)
        // The samples of a prompt differ from each other.
        #expect(Set(all.flatMap { $0.map(\.ids) }).count > all.count)
    }

    @Test func finishReasonsAndLengthCap() throws {
        let model = try Self.model("gpt2")  // 64 positions, EOS 0
        // Stop at every token id: each response is one token, ended by `stop`.
        let everything = GenerationParameters(samplesPerPrompt: 2, maxNewTokens: 5, sampling: .init(temperature: 1),
                                              stopTokenIDs: Array(0..<96), seed: 1)
        for sample in try Generator(model: model, parameters: everything).generate(prompts: Self.prompts).joined() {
            #expect(sample.ids.count == 1 && sample.finishReason == .stop)
        }
        // No stop ids: responses run to max-new-tokens, or to the context for a long prompt.
        let none = GenerationParameters(maxNewTokens: 8, sampling: .greedy)
        let long = [Int](repeating: 4, count: 60)
        let out = try Generator(model: model, parameters: none).generate(prompts: [[4], long])
        #expect(out[0][0].ids.count == 8 && out[0][0].finishReason == .length)
        #expect(out[1][0].ids.count == 5 && out[1][0].finishReason == .length)  // 64 − 60 + 1
        // The greedy continuation of the long prompt equals the full forward's argmaxes.
        var sequence = long
        for _ in 0..<5 {
            let row = Array(try model.logits([sequence])[0].suffix(96))
            let top = row.max() ?? 0
            sequence.append(row.firstIndex(of: top) ?? -1)
        }
        #expect(out[1][0].ids == Array(sequence.suffix(5)))
    }

    @Test func badInputIsRejectedBeforeWork() throws {
        let model = try Self.model("gpt2")
        var called = false
        let good = GenerationParameters(maxNewTokens: 4)
        let cases: [(GenerationParameters, [[Int]], GenerationError)] = [
            (good, [[1], []], .emptyPrompt(row: 1)),
            (good, [[Int](repeating: 1, count: 65)], .promptTooLong(row: 0, tokens: 65, context: 64)),
            (good, [[1, 96]], .tokenOutOfRange(row: 0, position: 1, id: 96, vocabulary: 96)),
        ]
        for (parameters, prompts, error) in cases {
            #expect(throws: error) {
                try Generator(model: model, parameters: parameters).generate(prompts: prompts) { _ in called = true }
            }
        }
        let badParameters: [(GenerationParameters, String)] = [
            (GenerationParameters(samplesPerPrompt: 0), "samples"),
            (GenerationParameters(maxNewTokens: 0), "max-new-tokens"),
            (GenerationParameters(sampling: .init(temperature: -0.5)), "temperature"),
            (GenerationParameters(sampling: .init(topP: 0)), "top-p"),
            (GenerationParameters(sampling: .init(topP: 1.01)), "top-p"),
            (GenerationParameters(batchSize: 0), "batch-size"),
        ]
        for (parameters, name) in badParameters {
            #expect {
                try Generator(model: model, parameters: parameters)
            } throws: { error in
                guard case let GenerationError.invalidParameter(n, _, _) = error else { return false }
                return n == name
            }
        }
        #expect(throws: GenerationError.stopStringsNeedTokenizer) {
            try Generator(model: model, parameters: GenerationParameters(stopStrings: ["\n"]))
        }
        #expect(!called)
    }

    @Test func progressCountsTokensAndPrompts() throws {
        let model = try Self.model()
        var last: GenerationProgress?
        let out = try Generator(model: model, parameters: Self.sampling(seed: 1, batchSize: 3))
            .generate(prompts: Self.prompts) { last = $0 }
        #expect(last == GenerationProgress(completedPrompts: 4, totalPrompts: 4,
                                           generatedTokens: out.joined().reduce(0) { $0 + $1.ids.count }))
    }
}
