// AlpacaEvalModelOutput: one record of alpaca_eval's model_outputs.json — what a user hands to
// `alpaca_eval --model_outputs FILE` to have its annotator (GPT-4 by default) judge the model.

import Foundation

/// A model's answer to one instruction, in alpaca_eval's `model_outputs.json` layout.
public struct AlpacaEvalModelOutput: Sendable, Hashable, Codable {
    /// The instruction (alpaca_eval matches outputs to its reference by it).
    public var instruction: String
    /// The model's answer.
    public var output: String
    /// The model's name, shown on alpaca_eval's leaderboard.
    public var generator: String
    /// Which AlpacaEval subset the instruction is from (`helpful_base`, `koala`, `oasst`,
    /// `selfinstruct`, `vicuna`), or any name for other prompt files.
    public var dataset: String

    /// A record from its fields.
    public init(instruction: String, output: String, generator: String, dataset: String) {
        self.instruction = instruction
        self.output = output
        self.generator = generator
        self.dataset = dataset
    }

    /// The JSON list alpaca_eval reads (pretty-printed, keys sorted, slashes unescaped).
    /// - Throws: what `JSONEncoder` throws (nothing for these fields in practice).
    public static func encodedJSON(_ outputs: [AlpacaEvalModelOutput]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(outputs)
    }
}
