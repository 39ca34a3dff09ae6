// OfflineData: the example's D_offline. There is no preference data set for these constrained
// prompts and no DPO'd SmolLM2 to start from, so the offline pairs are made the way a user
// without labels would make them: two samples of π_ref per training prompt, labelled by the
// programmatic judge. A prompt whose two samples tie gives no pair.

import DICEKit
import Foundation

/// One offline pair, as written to `offline.jsonl`.
struct OfflinePairRecord: Sendable, Hashable, Codable {
    /// Index into the training prompts.
    var promptIndex: Int
    var prompt: String
    var chosen: String
    var rejected: String
    /// The sampled ids (the stop token included when the response stopped).
    var chosenTokens: [Int]
    var rejectedTokens: [Int]
    /// Constraints met by each side.
    var chosenSatisfied: Int
    var rejectedSatisfied: Int

    enum CodingKeys: String, CodingKey {
        case prompt, chosen, rejected
        case promptIndex = "prompt_index"
        case chosenTokens = "chosen_tokens"
        case rejectedTokens = "rejected_tokens"
        case chosenSatisfied = "chosen_satisfied"
        case rejectedSatisfied = "rejected_satisfied"
    }
}

/// Builds (or reads back) D_offline.
struct OfflineData {
    let prompts: [ConstrainedPrompt]
    let promptIDs: [[Int]]
    let judge: ConstraintJudge
    let tokenizer: Tokenizer

    /// Samples two responses per prompt from `reference` with `seed`, judges them, and keeps
    /// one pair per prompt where they differ; the rows go to `url` (atomically). When `url`
    /// exists its rows are returned instead.
    /// - Returns: the rows and the number of prompts whose samples tied.
    /// - Throws: what sampling, the judge or the file throws.
    func build(reference: TransformerPolicy, seed: UInt64, url: URL) throws -> (rows: [OfflinePairRecord], ties: Int) {
        if FileManager.default.fileExists(atPath: url.path) {
            let rows = try JSONL.read(OfflinePairRecord.self, from: url)
            return (rows, prompts.count - rows.count)
        }
        let groups = try reference.checkedSample(promptIDs, count: 2, seed: seed)
        var rows: [OfflinePairRecord] = []
        for (i, group) in groups.enumerated() {
            let (a, b) = (content(group[0]), content(group[1]))
            let prompt = TokenizedText(text: prompts[i].text, tokens: promptIDs[i])
            let verdict = try judge.verdict(prompt: prompt, a: a, b: b)
            guard verdict != .tie else { continue }
            let (w, l) = verdict == .win ? (0, 1) : (1, 0)
            let (cw, cl) = (content(group[w]), content(group[l]))
            rows.append(OfflinePairRecord(
                promptIndex: i, prompt: prompts[i].text, chosen: cw.text, rejected: cl.text,
                chosenTokens: group[w].ids, rejectedTokens: group[l].ids,
                chosenSatisfied: try judge.checks(prompt: prompts[i].text, response: cw.text).count(where: \.satisfied),
                rejectedSatisfied: try judge.checks(prompt: prompts[i].text, response: cl.text).count(where: \.satisfied)))
        }
        try JSONL.write(rows, to: url)
        return (rows, prompts.count - rows.count)
    }

    /// What the judge sees of a response: its text without special tokens, its ids without
    /// the stop token.
    func content(_ sample: GeneratedSample) -> TokenizedText {
        let ids = sample.finishReason == .stop ? Array(sample.ids.dropLast()) : sample.ids
        return TokenizedText(text: tokenizer.decode(ids, skipSpecialTokens: true), tokens: ids)
    }
}
