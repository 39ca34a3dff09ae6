// DICEBootstrapper: DICE rounds composed from the protocols — sample (Policy), score
// (ImplicitRewarder), pair (PairBuilder), mix (ReplayMixer), train (DPOTrainer), evaluate —
// with every phase's artifact written atomically into a RunLayout and the run resumable at
// the last completed phase.

import Foundation

/// What the loop reports while it runs; an observer that throws stops the run.
public enum DICEEvent {
    /// A phase of a round begins.
    case phaseStarted(round: Int, phase: RunPhase)
    /// A phase was already completed by an earlier run and is skipped.
    case phaseSkipped(round: Int, phase: RunPhase)
    /// A DPO event of the round's training.
    case training(round: Int, DPOEvent)
    /// A round's report is final.
    case roundFinished(RoundReport)
}

/// Runs DICE: for t = 1 … T, sample K responses per prompt from π_{t−1}, score them with
/// β·(log π_{t−1} − log π_{t−2}) (π_{−1} = π_ref), build length-regularized best/worst pairs,
/// mix them with offline pairs (γ), and train π_t from π_{t−1} with DPO against π_{t−1}.
///
/// Every piece is replaceable: set `pairBuilder`, `replayMixer`, `makeRewarder`,
/// `makeTrainer` or `evaluator` to a type of your own.
public final class DICEBootstrapper {
    public let configuration: DICEConfiguration
    /// Builds pairs from scored samples (default: best/worst with the configured length
    /// regularizer and filters).
    public var pairBuilder: any PairBuilder
    /// Mixes generated and offline pairs (default: experience replay with γ).
    public var replayMixer: any ReplayMixer
    /// The implicit reward of (π_{t−1}, π_{t−2}) (default: `DPOImplicitRewarder`).
    public var makeRewarder: (_ policy: any SequenceScorer, _ reference: any ReferenceModel, _ beta: Double) throws
        -> any ImplicitRewarder
    /// The trainer of a round, given its DPO settings and its checkpoint folder.
    public var makeTrainer: (_ configuration: DPOConfiguration, _ checkpointFolder: URL) -> any DPOTrainer
    /// Evaluates π_t after training (nil: no evaluation phase results).
    public var evaluator: ((_ round: Int, _ policy: any BootstrapPolicy) throws
        -> (result: HeadToHeadResult?, rewardAccuracy: RewardAccuracy?))?
    /// Text of token ids, for the human-readable fields of the artifacts.
    public var render: ([Int]) -> String
    /// Receives progress; throwing stops the run (what was completed is kept).
    public var observer: ((DICEEvent) throws -> Void)?

    /// A bootstrapper with the standard pieces.
    /// - Throws: `DICEError.invalidParameter` for unusable settings.
    public init(configuration: DICEConfiguration, render: @escaping ([Int]) -> String = { $0.map(String.init).joined(separator: " ") }) throws {
        try configuration.validate()
        self.configuration = configuration
        self.pairBuilder = try BestWorstPairBuilder(
            lengthUnit: configuration.lengthUnit, minLength: configuration.minLength,
            maxLength: configuration.maxLength, minValid: configuration.minValid,
            regularizer: LengthRegularizer(alpha: configuration.alpha))
        self.replayMixer = try ExperienceReplayMixer(gamma: configuration.gamma)
        let batch = configuration.scoringBatchSize
        self.makeRewarder = { policy, reference, beta in
            try DPOImplicitRewarder(policy: policy, reference: reference, beta: beta, batchSize: batch)
        }
        self.makeTrainer = { configuration, folder in
            StandardDPOTrainer(configuration: configuration, checkpointFolder: folder, resume: true)
        }
        self.render = render
    }

    /// Runs (or resumes) the rounds.
    ///
    /// - Parameters:
    ///   - prompts: the prompts X as token ids (non-empty, each non-empty).
    ///   - offline: D_offline.
    ///   - store: the models.
    ///   - layout: the run directory; `state.json` in it says where a previous run stopped.
    /// - Returns: the report of every round.
    /// - Throws: `DICEError` for bad input (before any work) or a corrupt run state; whatever
    ///   the pieces throw (the completed phases stay on disk).
    @discardableResult
    public func run(prompts: [[Int]], offline: [PreferencePair], store: any PolicyStore,
                    layout: RunLayout) throws -> [RoundReport] {
        let c = configuration
        guard !prompts.isEmpty else {
            throw DICEError.invalidParameter(name: "prompts", value: "0 prompts", expected: "at least one prompt")
        }
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw DICEError.invalidParameter(name: "prompts", value: "prompt \(empty) is empty", expected: "non-empty prompts")
        }
        guard c.gamma == 0 || !offline.isEmpty else {
            throw DICEError.invalidParameter(name: "offline", value: "0 pairs", expected: "offline pairs when γ > 0")
        }
        try layout.createDirectories(rounds: c.rounds)
        var state = try RunState.read(from: layout.state)
        var reports: [RoundReport] = []
        for plan in try RoundPlan.plans(rounds: c.rounds) {
            let t = plan.round
            func begin(_ phase: RunPhase) throws -> Bool {
                if state.isCompleted(round: t, phase: phase) {
                    try observer?(.phaseSkipped(round: t, phase: phase))
                    return false
                }
                try observer?(.phaseStarted(round: t, phase: phase))
                return true
            }
            func finish(_ phase: RunPhase) throws {
                try state.complete(round: t, phase: phase)
                try state.write(to: layout.state)
            }

            if try begin(.sample) {
                let sampler = try store.load(plan.sampler)
                let groups = try sampler.checkedSample(prompts, count: c.samplesPerPrompt,
                                                       seed: Self.derive(c.seed, round: t, phase: .sample))
                var records: [SampleRecord] = []
                for (p, group) in groups.enumerated() {
                    for (s, response) in group.enumerated() {
                        records.append(SampleRecord(promptIndex: p, sampleIndex: s, tokens: response.ids,
                                                    text: render(response.ids), finishReason: response.finishReason))
                    }
                }
                try JSONL.write(records, to: layout.samples(t))
                try finish(.sample)
            }
            if try begin(.score) {
                let samples = try JSONL.read(SampleRecord.self, from: layout.samples(t))
                let rewarder = try makeRewarder(try store.load(plan.rewardPolicy), try store.load(plan.rewardReference), c.beta)
                let scores = try rewarder.scores(samples.map { try pair(for: $0, prompts: prompts) })
                let scored = zip(samples, scores).map { sample, score in
                    var sample = sample
                    sample.score = score
                    return sample
                }
                try JSONL.write(scored, to: layout.scored(t))
                try finish(.score)
            }
            if try begin(.pair) {
                let scored = try JSONL.read(SampleRecord.self, from: layout.scored(t))
                let built = try pairBuilder.buildPairs(from: scored)
                let selection = replayMixer.select(generatedPrompts: built.pairs.map { prompts[$0.promptIndex] },
                                                   offlinePrompts: offline.map(\.prompt),
                                                   seed: Self.derive(c.seed, round: t, phase: .pair))
                let training = selection.generated.map { i -> TrainingPairRecord in
                    let p = built.pairs[i]
                    return TrainingPairRecord(generated: p, prompt: render(prompts[p.promptIndex]),
                                              promptTokens: prompts[p.promptIndex])
                } + selection.offline.map { i -> TrainingPairRecord in
                    let o = offline[i]
                    return TrainingPairRecord(source: .offline, prompt: render(o.prompt), chosen: render(o.chosen),
                                              rejected: render(o.rejected), promptTokens: o.prompt,
                                              chosenTokens: o.chosen, rejectedTokens: o.rejected)
                }
                try JSONL.write(built.pairs, to: layout.pairs(t))
                try JSONL.write(training, to: layout.trainingSet(t))
                let report = RoundReport(plan: plan, prompts: prompts.count, samplesPerPrompt: c.samplesPerPrompt,
                                         lengthUnit: c.lengthUnit, pairing: built, gamma: c.gamma, replay: selection)
                try report.write(to: layout)
                try finish(.pair)
            }
            var report = try Self.readReport(layout, round: t)
            if try begin(.train) {
                let records = try JSONL.read(TrainingPairRecord.self, from: layout.trainingSet(t))
                let pairs = try records.enumerated().map { i, r -> PreferencePair in
                    guard let p = r.promptTokens, let ch = r.chosenTokens, let rj = r.rejectedTokens else {
                        throw DICEError.runState(path: layout.trainingSet(t).path,
                                                 reason: "row \(i + 1) has no token ids")
                    }
                    return PreferencePair(prompt: p, chosen: ch, rejected: rj)
                }
                guard !pairs.isEmpty else {
                    throw DICEError.noTrainingPairs(round: t, pairing: report.pairing)
                }
                let reference = try ReferenceLogProbs.compute(pairs, reference: try store.load(plan.trainingReference),
                                                              batchSize: c.scoringBatchSize)
                let policy = try store.load(plan.trainingInitialization)
                var dpo = c.dpo
                dpo.seed = c.dpo.seed &+ UInt64(t)
                let trainer = makeTrainer(dpo, layout.roundDirectory(t).appendingPathComponent("checkpoint"))
                // The metrics of the steps up to each checkpoint are kept with it, so that a run
                // resumed from a checkpoint (even one at the last step) logs and reports what an
                // uninterrupted run does. The trainer's own observer (if any) still gets every
                // event, after the loop's.
                var logged: [DPOMetrics] = []
                let outer = observer, inner = trainer.observer
                let metricsURL = layout.metrics(t)
                let (steps, interval) = (dpo.steps, dpo.checkpointInterval)
                trainer.observer = { event in
                    switch event {
                    case .step(let m):
                        logged.append(m)
                        // Written before the checkpoint of this step is.
                        if m.step == steps || (interval > 0 && m.step % interval == 0) {
                            try JSONL.write(logged, to: metricsURL)
                        }
                    case .resumed(let step):
                        let saved = FileManager.default.fileExists(atPath: metricsURL.path)
                            ? try JSONL.read(DPOMetrics.self, from: metricsURL) : []
                        logged = saved.filter { $0.step <= step }
                    case .validation, .checkpoint:
                        break
                    }
                    try outer?(.training(round: t, event))
                    try inner?(event)
                }
                let summary = try trainer.train(policy, pairs: pairs, reference: reference)
                try JSONL.write(logged, to: layout.metrics(t))
                try store.save(policy, as: plan.output)
                report.training = (summary.lastStep ?? logged.last)?.values
                try report.write(to: layout)
                try finish(.train)
            }
            if try begin(.evaluate) {
                if let evaluator {
                    let (result, accuracy) = try evaluator(t, try store.load(plan.output))
                    report.evaluation = result
                    report.rewardAccuracy = accuracy
                }
                try report.write(to: layout)
                try finish(.evaluate)
            }
            try observer?(.roundFinished(report))
            reports.append(report)
        }
        return reports
    }

    /// The scored unit of a sample: its prompt and the exact token ids that were sampled.
    private func pair(for sample: SampleRecord, prompts: [[Int]]) throws -> TokenPair {
        guard prompts.indices.contains(sample.promptIndex) else {
            throw DICEError.invalidSamples(prompt: sample.promptIndex, reason: "no such prompt")
        }
        return TokenPair(prompt: prompts[sample.promptIndex], response: sample.tokens)
    }

    /// A seed for one round's phase, derived from the run's seed.
    static func derive(_ seed: UInt64, round: Int, phase: RunPhase) -> UInt64 {
        var g = SplitMix64(seed: seed, stream: UInt64(round) &* 8 &+ UInt64(RunPhase.allCases.firstIndex(of: phase) ?? 0))
        return g.next()
    }

    static func readReport(_ layout: RunLayout, round: Int) throws -> RoundReport {
        let url = layout.roundReportJSON(round)
        do {
            return try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: url))
        } catch {
            throw DICEError.runState(path: url.path, reason: "unreadable round report: \(error)")
        }
    }
}
