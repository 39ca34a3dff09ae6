// HeldOutEvaluation: every model's responses to the held-out prompts, judged against π_ref's.

import DICEKit
import Foundation

/// Samples each model on the held-out prompts (kept in evaluation/<model>.jsonl, reused by a
/// rerun) and compares its responses with π_ref's under the constraint judge.
struct HeldOutEvaluation {
    let prompts: [ConstrainedPrompt]
    let promptIDs: [[Int]]
    /// Responses per prompt and model.
    let samples: Int
    let generation: GenerationParameters
    let seed: UInt64
    let judge: ConstraintJudge
    let offlineData: OfflineData
    /// evaluation/ of the run's folder.
    let folder: URL
    let log: (String) -> Void

    /// One `TokenizedText` per response slot: prompt i repeated `samples` times.
    var evaluationPrompts: [TokenizedText] {
        prompts.enumerated().flatMap { i, p in
            Array(repeating: TokenizedText(text: p.text, tokens: promptIDs[i]), count: samples)
        }
    }

    /// `name`'s responses: read back when evaluation/<name>.jsonl exists, else sampled from the
    /// model `load` gives (every model with the same seed) and written there.
    /// - Throws: file, model and generation errors.
    func responses(_ name: String, _ load: () throws -> TransformerLM) throws -> [SampleRecord] {
        let url = folder.appendingPathComponent("\(name).jsonl")
        if FileManager.default.fileExists(atPath: url.path) { return try JSONL.read(SampleRecord.self, from: url) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        log("evaluation: \(name) on \(prompts.count) held-out prompts × \(samples)")
        let policy = TransformerPolicy(model: try load(), generation: generation)
        let groups = try policy.checkedSample(promptIDs, count: samples, seed: seed)
        let records = groups.enumerated().flatMap { p, group in
            group.enumerated().map { k, sample in
                let c = offlineData.content(sample)
                return SampleRecord(promptIndex: p, sampleIndex: k, tokens: c.tokens, text: c.text,
                                    finishReason: sample.finishReason)
            }
        }
        try JSONL.write(records, to: url)
        return records
    }

    /// `name`'s constraint satisfaction and (when `baseline` is given) its head-to-head against
    /// those responses, with 95% bootstrap intervals.
    /// - Throws: what the judge throws.
    func row(_ name: String, _ records: [SampleRecord], baseline: [SampleRecord]?) throws -> ModelRow {
        var met = 0, asked = 0, allMet = 0
        for r in records {
            let checks = try judge.checks(prompt: prompts[r.promptIndex].text, response: r.text)
            met += checks.count(where: \.satisfied)
            asked += checks.count
            if checks.allSatisfy(\.satisfied) { allMet += 1 }
        }
        let n = Double(max(1, records.count))
        let satisfaction = Satisfaction(
            constraintRate: Double(met) / Double(max(1, asked)), allMetRate: Double(allMet) / n,
            truncatedRate: Double(records.count { $0.finishReason == .length }) / n,
            averageCharacters: Double(records.reduce(0) { $0 + $1.text.unicodeScalars.count }) / n)
        func texts(_ records: [SampleRecord]) -> [TokenizedText] { records.map { TokenizedText(text: $0.text, tokens: $0.tokens) } }
        let h2h = try baseline.map {
            try HeadToHeadResult.evaluate(prompts: evaluationPrompts, responses: texts(records), baseline: texts($0),
                                          judge: judge, seed: seed)
        }
        return ModelRow(model: name, satisfaction: satisfaction, againstStart: h2h)
    }
}
