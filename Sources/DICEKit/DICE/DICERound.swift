// DICERound: one DICE round's phases as functions — sample → score → pairs → mix → train — each
// checking what the piece it calls returns. `DICEBootstrapper` runs them with files and resume
// in between; a loop of your own (Examples/CustomPolicy) calls them directly.
//
//   sample   Policy.sample                 → SampleRecord rows (no scores)
//   score    ImplicitRewarder.scores       → SampleRecord rows with scores
//   pairs    PairBuilder.buildPairs        → GeneratedPair rows, statistics, α
//   mix      ReplayMixer.select            → ReplaySelection → TrainingPairRecord rows
//   train    DPOTrainer.train              → π_t (the policy, trained in place)
//   evaluate DICERound.rewardAccuracy      → the implicit reward's accuracy on held-out pairs

/// The phases of DICE round `plan.round` on `prompts`.
///
/// Every phase validates the output of the piece it calls and throws
/// `DICEError.policyContract` (naming the piece and the bad value) instead of using a broken
/// result: the wrong number of responses or rewards, a non-finite reward, a pair of a prompt or
/// sample that does not exist, a replay index out of range or repeated.
public struct DICERound {
    /// Which model plays which part.
    public let plan: RoundPlan
    /// The prompts X as token ids (non-empty, each non-empty).
    public let prompts: [[Int]]
    /// Text of token ids, for the human-readable fields of samples and pairs (and for lengths in
    /// characters).
    public let render: ([Int]) -> String

    /// Round `plan.round` on `prompts`.
    /// - Throws: `DICEError.invalidParameter` naming `prompts` when there are none or one is
    ///   empty.
    public init(plan: RoundPlan, prompts: [[Int]], render: @escaping ([Int]) -> String) throws {
        guard !prompts.isEmpty else {
            throw DICEError.invalidParameter(name: "prompts", value: "0 prompts", expected: "at least one prompt")
        }
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw DICEError.invalidParameter(name: "prompts", value: "prompt \(empty) is empty", expected: "non-empty prompts")
        }
        self.plan = plan
        self.prompts = prompts
        self.render = render
    }

    /// The seed of `phase` in this round, derived from the run's seed: every round and phase
    /// draws from its own stream.
    public func seed(_ phase: RunPhase, runSeed: UInt64) -> UInt64 {
        var g = SplitMix64(seed: runSeed, stream: UInt64(plan.round) &* 8 &+ UInt64(phase.order))
        return g.next()
    }

    // MARK: - Sample

    /// K = `count` responses per prompt from `policy` (π_{t−1}), as rows: prompt-major, sample
    /// index 0 ..< K, text from `render`.
    /// - Throws: what the policy throws; `DICEError.policyContract` for a malformed result (see
    ///   `Policy.checkedSample`).
    public func sample(from policy: any Policy, count: Int, seed: UInt64) throws -> [SampleRecord] {
        try sample(from: policy, count: count, seed: seed, rows: prompts.indices)
    }

    /// The rows of `sample(from:count:seed:)` for the prompts `rows` only (a rank's share),
    /// sampled alone with the random streams they have in the whole round
    /// (`Policy.sample(_:rows:count:seed:)`); none for an empty range.
    /// - Throws: `DICEError.invalidParameter` for rows outside the prompts; as
    ///   `sample(from:count:seed:)`.
    public func sample(from policy: any Policy, count: Int, seed: UInt64, rows: Range<Int>) throws -> [SampleRecord] {
        guard rows.lowerBound >= 0, rows.upperBound <= prompts.count else {
            throw DICEError.invalidParameter(name: "rows", value: "\(rows)", expected: "a range within 0..<\(prompts.count)")
        }
        if rows.isEmpty { return [] }
        let groups = try policy.checkedSample(prompts, rows: rows, count: count, seed: seed)
        var records: [SampleRecord] = []
        records.reserveCapacity(rows.count * count)
        for (p, group) in zip(rows, groups) {
            for (s, response) in group.enumerated() {
                records.append(SampleRecord(promptIndex: p, sampleIndex: s, tokens: response.ids,
                                            text: render(response.ids), finishReason: response.finishReason,
                                            samplerLogProb: response.logProb))
            }
        }
        return records
    }

    // MARK: - Score

    /// `samples` with their rewards from `rewarder` (the implicit reward of (π_{t−1}, π_{t−2})),
    /// scoring each sample's prompt with the exact token ids that were sampled.
    /// - Throws: `DICEError.invalidSamples` for a sample of a prompt that does not exist; what
    ///   the rewarder throws; `DICEError.policyContract` when it returns another number of
    ///   scores than samples, or a reward that is not finite.
    public func score(_ samples: [SampleRecord], with rewarder: any ImplicitRewarder) throws -> [SampleRecord] {
        let units = try samples.map { sample -> TokenPair in
            guard prompts.indices.contains(sample.promptIndex) else {
                throw DICEError.invalidSamples(prompt: sample.promptIndex, reason: "no such prompt (\(prompts.count) prompts)")
            }
            return TokenPair(prompt: prompts[sample.promptIndex], response: sample.tokens)
        }
        // π_{t−1} sampled and is the rewarder's policy: the log-probs its sampler reported are known.
        let known = plan.sampler == plan.rewardPolicy ? samples.map(\.samplerLogProb) : []
        let scores = known.contains { $0 != nil } ? try rewarder.scores(units, knownPolicyLogProbs: known)
            : try rewarder.scores(units)
        let piece = "ImplicitRewarder \(type(of: rewarder))"
        guard scores.count == samples.count else {
            throw DICEError.policyContract(reason: "\(piece) returned \(scores.count) scores for \(samples.count) samples")
        }
        return try zip(samples, scores).map { sample, score in
            guard score.reward.isFinite else {
                throw DICEError.policyContract(reason: "\(piece) returned reward \(score.reward) for sample \(sample.sampleIndex) of prompt \(sample.promptIndex)")
            }
            var sample = sample
            sample.score = score
            return sample
        }
    }
}
