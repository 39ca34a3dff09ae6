// PairTableData: one round's pairs as the page's pair table receives them — compact JSON rows
// (prompt, chosen, rejected, rewards, lengths, whether the pair was trained on) embedded in the
// page and rendered a page of rows at a time by its script.

import DICEKit

/// The rows of one pair table.
struct PairTableData: Encodable {
    /// One pair, encoded as a JSON array
    /// `[promptIndex, prompt, chosen, rejected, rewardChosen, rewardRejected, lengthChosen,
    /// lengthRejected, inTrainingSet (1/0)]` (a reward that is missing or not finite is null; a
    /// prompt whose text is unknown is null).
    struct Row: Encodable {
        var promptIndex: Int
        var prompt: String?
        var chosen: String
        var rejected: String
        var rewardChosen: Double?
        var rewardRejected: Double?
        var lengthChosen: Int
        var lengthRejected: Int
        var trained: Bool

        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(promptIndex)
            try c.encode(prompt)
            try c.encode(chosen)
            try c.encode(rejected)
            try c.encode(rewardChosen.flatMap { $0.isFinite ? $0 : nil })
            try c.encode(rewardRejected.flatMap { $0.isFinite ? $0 : nil })
            try c.encode(lengthChosen)
            try c.encode(lengthRejected)
            try c.encode(trained ? 1 : 0)
        }
    }

    /// The table's element id on the page (`pairs-…`).
    var id: String
    /// The unit of the lengths.
    var lengthUnit: String
    /// The pairs, in the file's order.
    var rows: [Row]

    /// The rows of `pairs`, with prompt texts taken from the generated rows of `trainingSet`
    /// (pairs.jsonl holds prompt indices only), matched by the pair's chosen and rejected token
    /// ids. A pair not in the training set keeps only its index, and so does one whose responses
    /// match rows of different prompts (identical responses to two prompts).
    init(id: String, pairs: [GeneratedPair], trainingSet: [TrainingPairRecord]?, lengthUnit: LengthUnit) {
        var prompts: [[Int]: String?] = [:]
        var trained = Set<[Int]>()
        for record in trainingSet ?? [] where record.source == .generated {
            guard let c = record.chosenTokens, let r = record.rejectedTokens else { continue }
            let key = c + [-1] + r
            if let known = prompts[key], known != record.prompt {
                prompts[key] = .some(nil)
            } else {
                prompts[key] = record.prompt
            }
            trained.insert(key)
        }
        self.id = id
        self.lengthUnit = lengthUnit.rawValue
        rows = pairs.map { p in
            let key = p.chosen.tokens + [-1] + p.rejected.tokens
            return Row(promptIndex: p.promptIndex, prompt: prompts[key] ?? nil, chosen: p.chosen.text, rejected: p.rejected.text,
                       rewardChosen: p.chosen.score?.reward, rewardRejected: p.rejected.score?.reward,
                       lengthChosen: p.chosenLength, lengthRejected: p.rejectedLength, trained: trained.contains(key))
        }
    }
}
