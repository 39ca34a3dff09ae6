// RunReport: the summary of a whole DICE run — `RUN/report.json` and `RUN/report.md`, written
// once every round is done.

import Foundation

/// The summary of a DICE run: its settings and every round's report, in order.
///
/// Nothing in it depends on where or when the run happened (no paths, no times), so a run
/// that was interrupted and resumed has the same summary as one that was not.
public struct RunReport: Sendable, Hashable, Codable {
    /// The format version.
    public var version: Int = 1
    /// The settings the rounds ran with.
    public var configuration: DICEConfiguration
    /// The report of each round, round 1 first.
    public var rounds: [RoundReport]
    /// The final policy π_T, as a path relative to the run directory (`round-T/model`).
    public var finalModel: String

    /// The summary of `rounds` (non-empty, in order) run with `configuration`.
    public init(configuration: DICEConfiguration, rounds: [RoundReport]) {
        self.configuration = configuration
        self.rounds = rounds
        finalModel = "round-\(rounds.last?.round ?? 0)/model"
    }

    /// One table row per round (for people, Markdown).
    public var markdown: String {
        var s = "# DICE run\n\n"
        let c = configuration
        s += "K = \(c.samplesPerPrompt), β = \(c.beta), α = \(c.alpha), γ = \(c.gamma), lengths in \(c.lengthUnit.rawValue), "
        s += "min valid = \(c.minValid), DPO: \(c.dpo.steps) steps of \(c.dpo.batchSize) pairs, lr \(c.dpo.learningRate), seed \(c.seed)\n\n"
        s += "| round | pairs | α | length gap before → after | training set (gen + off) | loss | accuracy |"
        let evaluated = rounds.contains { $0.evaluation != nil }
        let scored = rounds.contains { $0.rewardAccuracy != nil }
        if evaluated { s += " win rate | LC win rate | avg length |" }
        if scored { s += " reward accuracy |" }
        s += "\n|" + String(repeating: "---|", count: 7 + (evaluated ? 3 : 0) + (scored ? 1 : 0)) + "\n"
        for r in rounds {
            let g = r.lengthRegularization
            s += "| \(r.round) | \(r.pairing.pairs) | \(RoundReport.format(g.alpha, 6)) | "
            s += "\(RoundReport.format(g.meanLengthGapBefore, 2)) → \(RoundReport.format(g.meanLengthGapAfter, 2)) | "
            s += "\(r.generatedPairsUsed) + \(r.offlinePairsUsed) | "
            s += (r.training?["loss"]).map { RoundReport.format($0, 4) } ?? "–"
            s += " | " + ((r.training?["rewards/accuracies"]).map { RoundReport.format($0, 3) } ?? "–") + " |"
            if evaluated {
                if let e = r.evaluation {
                    s += " \(RoundReport.format(100 * e.winRate.rate, 1))% | \(RoundReport.format(100 * e.lengthControlled.rate, 1))% | \(RoundReport.format(e.averageLength, 1)) |"
                } else {
                    s += " – | – | – |"
                }
            }
            if scored {
                s += (r.rewardAccuracy.map { " \(RoundReport.format(100 * $0.accuracy, 1))% |" } ?? " – |")
            }
            s += "\n"
        }
        s += "\nFinal model: `\(finalModel)`\n"
        return s
    }

    /// Writes `report.json` and `report.md` into the run directory, atomically.
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` when the report cannot be
    ///   encoded as JSON (a non-finite number).
    public func write(to layout: RunLayout) throws {
        try ReportFiles.write(self, named: "the run summary", json: layout.reportJSON,
                              markdown: markdown, markdownURL: layout.reportMarkdown)
    }
}
