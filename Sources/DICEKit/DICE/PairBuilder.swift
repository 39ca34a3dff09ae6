// PairBuilder: from one round's scored samples to one preference pair per prompt. The standard
// builder filters (truncated, degenerate, too few valid) and then picks the length-regularized
// best and worst response of each prompt.

/// A generated preference pair: a row of a round's `pairs.jsonl`.
public struct GeneratedPair: Sendable, Hashable, Codable {
    /// The prompt's index in the round's prompt list.
    public var promptIndex: Int
    /// The preferred response (argmax of the shaped reward).
    public var chosen: SampleRecord
    /// The dispreferred response (argmin of the shaped reward).
    public var rejected: SampleRecord
    /// r̃ = r − α·|y| of `chosen` and of `rejected`.
    public var chosenShapedReward: Double
    /// r̃ of `rejected`.
    public var rejectedShapedReward: Double
    /// |y| of `chosen` and of `rejected`, in the builder's length unit.
    public var chosenLength: Int
    /// |y| of `rejected`.
    public var rejectedLength: Int

    /// Creates the value from its fields.
    public init(promptIndex: Int, chosen: SampleRecord, rejected: SampleRecord,
                chosenShapedReward: Double, rejectedShapedReward: Double,
                chosenLength: Int, rejectedLength: Int) {
        self.promptIndex = promptIndex
        self.chosen = chosen
        self.rejected = rejected
        self.chosenShapedReward = chosenShapedReward
        self.rejectedShapedReward = rejectedShapedReward
        self.chosenLength = chosenLength
        self.rejectedLength = rejectedLength
    }
}

/// Counts of what pair building kept and dropped.
public struct PairStatistics: Sendable, Hashable, Codable {
    /// Prompts that had samples.
    public var prompts: Int = 0
    /// Responses dropped because they were truncated (`FinishReason.length`).
    public var truncated: Int = 0
    /// Responses dropped as degenerate (empty, or length outside the allowed range).
    public var degenerate: Int = 0
    /// Prompts dropped because fewer than `minValid` responses survived filtering.
    public var promptsWithTooFewValid: Int = 0
    /// Prompts dropped because all their shaped rewards were equal.
    public var promptsAllEqual: Int = 0
    /// Pairs made (one per remaining prompt).
    public var pairs: Int = 0

    /// No counts yet.
    public init() {}
}

/// The result of building one round's pairs.
public struct PairBuildingResult: Sendable, Hashable, Codable {
    /// One pair per kept prompt, in ascending prompt index.
    public var pairs: [GeneratedPair]
    /// α and the mean length gaps before and after it.
    public var regularization: LengthRegularization
    /// What was kept and dropped.
    public var statistics: PairStatistics

    /// Creates the value from its fields.
    public init(pairs: [GeneratedPair], regularization: LengthRegularization, statistics: PairStatistics) {
        self.pairs = pairs
        self.regularization = regularization
        self.statistics = statistics
    }
}

/// Turns a round's scored samples into preference pairs.
public protocol PairBuilder {
    /// Pairs from `samples` (any order; every sample must carry a `score`).
    /// - Throws: `DICEError.invalidSamples` for a sample without a score, a non-finite reward or
    ///   a duplicate (promptIndex, sampleIndex).
    func buildPairs(from samples: [SampleRecord]) throws -> PairBuildingResult
}

/// The DICE pair builder: filter, then length-regularized best/worst per prompt.
///
/// 1. Drop truncated responses (`FinishReason.length`) and degenerate ones: no content tokens,
///    text that is only whitespace, or a length outside `minLength ... maxLength` (in
///    `lengthUnit`).
/// 2. Keep a prompt only if at least `minValid` responses survive.
/// 3. Choose α (`regularizer`) over the kept prompts, then per prompt chosen = argmax r̃,
///    rejected = argmin r̃ with r̃ = r − α·|y|. Ties: among equal maxima the lowest sample
///    index is chosen, among equal minima the highest sample index is rejected; a prompt whose
///    r̃ are all equal is dropped (no preference to learn).
public struct BestWorstPairBuilder: PairBuilder {
    /// The unit of |y| for both the length filter and the regularizer.
    public var lengthUnit: LengthUnit
    /// Shortest allowed response (≥ 1; shorter is degenerate).
    public var minLength: Int
    /// Longest allowed response (nil: no bound besides truncation).
    public var maxLength: Int?
    /// Fewest surviving responses for a prompt to be kept (≥ 2; the reference code uses 8 of 16).
    public var minValid: Int
    /// How α is chosen.
    public var regularizer: LengthRegularizer

    /// - Throws: `DICEError.invalidParameter` for minLength < 1, maxLength < minLength or
    ///   minValid < 2.
    public init(lengthUnit: LengthUnit = .characters, minLength: Int = 1, maxLength: Int? = nil,
                minValid: Int = 2, regularizer: LengthRegularizer) throws {
        guard minLength >= 1 else {
            throw DICEError.invalidParameter(name: "minLength", value: "\(minLength)", expected: "≥ 1")
        }
        if let maxLength, maxLength < minLength {
            throw DICEError.invalidParameter(name: "maxLength", value: "\(maxLength)", expected: "≥ minLength (\(minLength))")
        }
        guard minValid >= 2 else {
            throw DICEError.invalidParameter(name: "minValid", value: "\(minValid)", expected: "≥ 2 (a pair needs two responses)")
        }
        self.lengthUnit = lengthUnit
        self.minLength = minLength
        self.maxLength = maxLength
        self.minValid = minValid
        self.regularizer = regularizer
    }

    /// Whether a response is degenerate: no content, or a length outside the allowed range.
    public func isDegenerate(_ sample: SampleRecord) -> Bool {
        if sample.length(in: .tokens) == 0 { return true }
        if sample.text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { return true }
        let length = sample.length(in: lengthUnit)
        if length < minLength { return true }
        if let maxLength, length > maxLength { return true }
        return false
    }

    /// Filters, chooses α and pairs best with worst per prompt (see the type's documentation).
    public func buildPairs(from samples: [SampleRecord]) throws -> PairBuildingResult {
        var byPrompt: [Int: [SampleRecord]] = [:]
        for s in samples {
            guard let score = s.score else {
                throw DICEError.invalidSamples(prompt: s.promptIndex, reason: "sample \(s.sampleIndex) has no score")
            }
            guard score.reward.isFinite else {
                throw DICEError.invalidSamples(prompt: s.promptIndex, reason: "sample \(s.sampleIndex) has reward \(score.reward)")
            }
            byPrompt[s.promptIndex, default: []].append(s)
        }
        var stats = PairStatistics()
        var kept: [(prompt: Int, samples: [SampleRecord])] = []
        for prompt in byPrompt.keys.sorted() {
            let group = (byPrompt[prompt] ?? []).sorted { $0.sampleIndex < $1.sampleIndex }
            for i in group.indices.dropFirst() where group[i].sampleIndex == group[i - 1].sampleIndex {
                throw DICEError.invalidSamples(prompt: prompt, reason: "sample index \(group[i].sampleIndex) appears twice")
            }
            stats.prompts += 1
            var valid: [SampleRecord] = []
            for s in group {
                if s.finishReason == .length {
                    stats.truncated += 1
                } else if isDegenerate(s) {
                    stats.degenerate += 1
                } else {
                    valid.append(s)
                }
            }
            if valid.count < minValid {
                stats.promptsWithTooFewValid += 1
            } else {
                kept.append((prompt, valid))
            }
        }

        let groups = kept.map { entry in
            entry.samples.map { LengthRegularizer.Candidate(reward: $0.score?.reward ?? 0, length: $0.length(in: lengthUnit)) }
        }
        let regularization = regularizer.regularize(groups)
        var pairs: [GeneratedPair] = []
        for (k, entry) in kept.enumerated() {
            guard let (c, r) = LengthRegularizer.bestWorst(groups[k], alpha: regularization.alpha) else {
                stats.promptsAllEqual += 1
                continue
            }
            pairs.append(GeneratedPair(
                promptIndex: entry.prompt, chosen: entry.samples[c], rejected: entry.samples[r],
                chosenShapedReward: LengthRegularizer.shaped(groups[k][c], regularization.alpha),
                rejectedShapedReward: LengthRegularizer.shaped(groups[k][r], regularization.alpha),
                chosenLength: groups[k][c].length, rejectedLength: groups[k][r].length))
        }
        stats.pairs = pairs.count
        return PairBuildingResult(pairs: pairs, regularization: regularization, statistics: stats)
    }
}
