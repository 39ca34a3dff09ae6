// AlpacaEvalAnnotation: one record of alpaca_eval's annotations.json — a judge's pairwise
// preference between a baseline's output (output_1) and a model's (output_2) — and the reader
// of such files.

import Foundation

/// One pairwise judgement as alpaca_eval writes it in `annotations.json`.
///
/// alpaca_eval's encoding of `preference`: 1 — the baseline (`output_1`) is better; 2 — the
/// model (`output_2`) is better; 1.5 (or 0, its older spelling) — a draw; values strictly
/// between 1 and 2 come from weighted annotators (1 + the probability that the model's output is
/// better); `null` — the annotator gave no answer (alpaca_eval drops such records from the win
/// rate, and so does `AlpacaEvalWinRate`).
public struct AlpacaEvalAnnotation: Sendable, Hashable {
    /// The instruction both outputs answer.
    public var instruction: String
    /// `output_1`: the baseline's answer.
    public var baselineOutput: String
    /// `output_2`: the evaluated model's answer.
    public var modelOutput: String
    /// `generator_1`, when present.
    public var baselineGenerator: String?
    /// `generator_2`, when present.
    public var modelGenerator: String?
    /// `preference`: 0, or a value in [1, 2]; nil when the annotation is `null`.
    public var preference: Double?

    /// An annotation from its fields.
    public init(instruction: String, baselineOutput: String, modelOutput: String,
                baselineGenerator: String? = nil, modelGenerator: String? = nil, preference: Double?) {
        self.instruction = instruction
        self.baselineOutput = baselineOutput
        self.modelOutput = modelOutput
        self.baselineGenerator = baselineGenerator
        self.modelGenerator = modelGenerator
        self.preference = preference
    }

    /// Reads an alpaca_eval `annotations.json` (a JSON list of records; other fields such as
    /// `annotator`, `raw_completion`, `price_per_example` are ignored).
    ///
    /// - Throws: `AlpacaEvalError.io` when the file cannot be read, and what `decode` throws.
    public static func read(contentsOf url: URL) throws -> [AlpacaEvalAnnotation] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw AlpacaEvalError.io(path: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes annotations.json bytes; `path` names the file in errors.
    ///
    /// - Throws: `AlpacaEvalError.invalidJSON`, `.notAList`, `.notARecord`, `.missingField`
    ///   (`instruction`, `output_1`, `output_2`, `preference`) and `.invalidField` (a field of
    ///   the wrong kind; a preference that is neither null, 0 nor in [1, 2]).
    public static func decode(_ data: Data, path: String) throws -> [AlpacaEvalAnnotation] {
        let records = try AlpacaEvalRecords(data, path: path)
        return try records.nodes.indices.map { index in
            let record = try records.object(at: index)
            let preference: Double?
            if let number = try record.number("preference", nullable: true) {
                guard number == 0 || (number >= 1 && number <= 2) else {
                    throw record.invalid("preference", expected: "null, 0 (a draw) or a number in [1, 2]",
                                         found: "\(number)")
                }
                preference = number
            } else {
                preference = nil
            }
            return AlpacaEvalAnnotation(
                instruction: try record.string("instruction"), baselineOutput: try record.string("output_1"),
                modelOutput: try record.string("output_2"), baselineGenerator: try record.optionalString("generator_1"),
                modelGenerator: try record.optionalString("generator_2"), preference: preference)
        }
    }
}
