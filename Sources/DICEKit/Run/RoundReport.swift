// RoundReport: what one DICE round did and how its model fares — `round-t/report.json` and
// `round-t/report.md`.

import Foundation

/// The report of one DICE round.
public struct RoundReport: Sendable, Hashable, Codable {
    /// The round, 1-based.
    public var round: Int
    /// Which model played which part.
    public var sampler: ModelID
    /// The policy of the scoring reward, π_{t−1}.
    public var rewardPolicy: ModelID
    /// The reference of the scoring reward, π_{t−2} (π_ref in round 1).
    public var rewardReference: ModelID
    /// The frozen reference of this round's DPO, π_{t−1}.
    public var trainingReference: ModelID
    /// The model this round trains, π_t.
    public var output: ModelID
    /// Prompts sampled and responses per prompt (K).
    public var prompts: Int
    /// K, responses sampled per prompt.
    public var samplesPerPrompt: Int
    /// The unit of every length in this report.
    public var lengthUnit: LengthUnit
    /// Filtering and pairing counts.
    public var pairing: PairStatistics
    /// α and the mean length gap (chosen − rejected) before and after it.
    public var lengthRegularization: LengthRegularization
    /// The implicit rewards of the round's scored samples, and of its pairs' chosen and
    /// rejected responses (nil in reports written before they were recorded).
    public var rewards: RoundRewards?
    /// γ and the training set's make-up.
    public var gamma: Double
    /// Generated pairs in the training set.
    public var generatedPairsUsed: Int
    /// Offline pairs in the training set.
    public var offlinePairsUsed: Int
    /// Offline pairs the replay ratio asked for.
    public var offlinePairsRequested: Int
    /// The trainer's final metrics (name → value), when training ran.
    public var training: [String: Double]?
    /// π_t against the baseline (π_0), when evaluated.
    public var evaluation: HeadToHeadResult?
    /// The implicit reward of (π_t, π_{t−1}) on held-out offline pairs, when evaluated.
    public var rewardAccuracy: RewardAccuracy?

    /// A report with the plan's models and the pairing phase's results; training and
    /// evaluation are filled in later.
    public init(plan: RoundPlan, prompts: Int, samplesPerPrompt: Int, lengthUnit: LengthUnit,
                pairing: PairBuildingResult, rewards: RoundRewards, gamma: Double, replay: ReplaySelection) {
        round = plan.round
        sampler = plan.sampler
        rewardPolicy = plan.rewardPolicy
        rewardReference = plan.rewardReference
        trainingReference = plan.trainingReference
        output = plan.output
        self.prompts = prompts
        self.samplesPerPrompt = samplesPerPrompt
        self.lengthUnit = lengthUnit
        self.pairing = pairing.statistics
        lengthRegularization = pairing.regularization
        self.rewards = rewards
        self.gamma = gamma
        generatedPairsUsed = replay.generated.count
        offlinePairsUsed = replay.offline.count
        offlinePairsRequested = replay.requestedOffline
    }

    /// The report for people (Markdown).
    public var markdown: String {
        var s = "# DICE round \(round)\n\n"
        s += "| part | model |\n|---|---|\n"
        s += "| sample from | \(sampler) |\n| reward | β·(log \(rewardPolicy) − log \(rewardReference)) |\n"
        s += "| train | \(output) from \(sampler), reference \(trainingReference) |\n\n"
        s += "## Pairs\n\n"
        s += "- prompts: \(prompts) × \(samplesPerPrompt) samples\n"
        s += "- dropped responses: \(pairing.truncated) truncated, \(pairing.degenerate) degenerate\n"
        s += "- dropped prompts: \(pairing.promptsWithTooFewValid) with too few valid responses, \(pairing.promptsAllEqual) with all rewards equal\n"
        s += "- pairs: \(pairing.pairs)\n"
        if let r = rewards?.samples {
            s += "- implicit rewards of the \(r.count) samples: mean \(Self.format(r.mean, 4)), std \(Self.format(r.standardDeviation, 4)), min \(Self.format(r.min, 4)), max \(Self.format(r.max, 4))\n"
        }
        if let chosen = rewards?.chosenMean, let rejected = rewards?.rejectedMean {
            s += "- mean reward of the pairs: chosen \(Self.format(chosen, 4)), rejected \(Self.format(rejected, 4))\n"
        }
        let r = lengthRegularization
        s += "- α = \(Self.format(r.alpha, 6)); mean length gap (chosen − rejected, \(lengthUnit.rawValue)): \(Self.format(r.meanLengthGapBefore, 2)) before, \(Self.format(r.meanLengthGapAfter, 2)) after\n"
        s += "- training set (γ = \(Self.format(gamma, 2))): \(generatedPairsUsed) generated + \(offlinePairsUsed) offline"
        s += offlinePairsUsed < offlinePairsRequested ? " (\(offlinePairsRequested) offline requested)\n" : "\n"
        if let training, !training.isEmpty {
            s += "\n## Training\n\n| metric | value |\n|---|---|\n"
            for key in training.keys.sorted() { s += "| \(key) | \(Self.format(training[key] ?? 0, 4)) |\n" }
        }
        if let e = evaluation {
            s += "\n## Evaluation against the baseline\n\n| win rate | LC win rate | wins / ties / losses | avg length | baseline avg length |\n|---|---|---|---|---|\n"
            s += "| \(Self.format(100 * e.winRate.rate, 1))% | \(Self.format(100 * e.lengthControlled.rate, 1))% | \(e.winRate.wins) / \(e.winRate.ties) / \(e.winRate.losses) | \(Self.format(e.averageLength, 1)) | \(Self.format(e.baselineAverageLength, 1)) |\n"
        }
        if let a = rewardAccuracy {
            s += "\nImplicit reward accuracy on held-out offline pairs: \(Self.format(100 * a.accuracy, 1))% (\(a.correct)/\(a.total))\n"
        }
        return s
    }

    /// Writes `report.json` and `report.md` of `round` in `layout`, atomically.
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` when the report cannot be
    ///   encoded as JSON (a non-finite number).
    public func write(to layout: RunLayout) throws {
        try ReportFiles.write(self, named: "round \(round)", json: layout.roundReportJSON(round),
                              markdown: markdown, markdownURL: layout.roundReportMarkdown(round))
    }

    static func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}
