// DICEBootstrapper: DICE rounds composed from the protocols — sample (Policy), score
// (ImplicitRewarder), pair (PairBuilder), mix (ReplayMixer), train (DPOTrainer), evaluate —
// with every phase's artifact written atomically into a RunLayout and the run resumable at
// the last completed phase.

import Foundation
import Logging

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
/// Each phase is a `DICERound` function; the bootstrapper adds the run folder around them
/// (every artifact written atomically, `state.json` after each phase, `settings.json` checked
/// on resume). Every piece is replaceable: set `pairBuilder`, `replayMixer`, `makeRewarder`,
/// `makeTrainer` or `evaluator` to a type of your own; what a piece returns is checked
/// (`DICEError.policyContract`).
public final class DICEBootstrapper {
    /// The loop's settings (validated).
    public let configuration: DICEConfiguration
    /// Builds pairs from scored samples (default: best/worst with the configured length
    /// regularizer and filters).
    public var pairBuilder: any PairBuilder
    /// Mixes generated and offline pairs (default: experience replay with γ).
    public var replayMixer: any ReplayMixer
    /// The implicit reward of (π_{t−1}, π_{t−2}) (default: `DPOImplicitRewarder`).
    public var makeRewarder: (_ policy: any SequenceScorer, _ reference: any ReferenceModel, _ beta: Double) throws
        -> any ImplicitRewarder
    /// The trainer of a round, given its DPO settings and its checkpoint folder. The loop
    /// chains its own observer in front of the trainer's (`DPOTrainer.observer`), so the
    /// trainer's still gets every event.
    public var makeTrainer: (_ configuration: DPOConfiguration, _ checkpointFolder: URL) -> any DPOTrainer
    /// Evaluates π_t after training (nil: no evaluation phase results).
    public var evaluator: ((_ round: Int, _ policy: any BootstrapPolicy) throws
        -> (result: HeadToHeadResult?, rewardAccuracy: RewardAccuracy?))?
    /// Text of token ids, for the human-readable fields of the artifacts (and for lengths in
    /// characters).
    public var render: ([Int]) -> String
    /// Receives progress; throwing stops the run (what was completed is kept). `RunStopped`
    /// thrown at `.training(_, .step)` lets the round's trainer save that update first (see
    /// `RunStopped`).
    public var observer: ((DICEEvent) throws -> Void)?
    /// Where the loop logs (label `dicekit.dice` by default, see `LogSubsystem`): at `debug`,
    /// the run's start and resume decision, every phase's start, skip and finish with its
    /// counts (samples, truncated and degenerate responses, pairs, α, replay, training steps);
    /// at `notice`, a round whose replay found fewer offline pairs than γ asks for (offline pairs
    /// are replayed only from prompts without a generated pair, so D_offline on the same prompts
    /// as X can leave none). Set it to route the messages through a logger of your own.
    public var logger: Logger = LogSubsystem.dice.logger
    /// The ranks that run the loop together (`LocalCommunicator`, one process, by default).
    ///
    /// With several ranks every rank calls `run` with the same arguments (checked first:
    /// `Communicator.requireSame`). Sampling is split by prompt and scoring and the reference
    /// log-probs by sample, each rank taking a contiguous share of the batches one process
    /// computes (`Communicator.share(of:batch:)`; sampling batches per
    /// `Policy.promptsPerSamplingBatch(count:)`, scoring batches of `scoringBatchSize`), and the
    /// results are gathered in order, so for the same policy the run folder's samples, scores,
    /// pairs and training sets hold the bytes of one process. A round's DPO is data-parallel:
    /// `makeTrainer` must return a `StandardDPOTrainer`, which gets this communicator; π_t then
    /// ends within ≈1e-7 relative of one process's with the same settings (the ranks' gradients
    /// are summed in another order than one process accumulates them), and so do the numbers of
    /// later rounds — but N ranks end with the bits of one process whose `dpo.microBatches` is
    /// N (each rank's gradient is one micro-batch's), and then every later round's files are
    /// that process's bytes too. Pairing runs on every rank (the same numbers); the
    /// `evaluator` gets no communicator (`DICERound.rewardAccuracy` takes one to split its
    /// scoring). Rank 0 alone holds the folder's lock and writes the
    /// run folder and the saved models; the other ranks get what it reads from rank 0, except
    /// the models saved by `store` and the DPO checkpoints, which they load themselves (on
    /// several hosts the run folder must be on a shared file system).
    public var communicator: any Communicator = LocalCommunicator()

    /// A bootstrapper with the standard pieces.
    ///
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - render: text of token ids (a tokenizer's decode). Without it the artifacts' text
    ///     fields are the ids joined by spaces, which is no text to measure: lengths must then
    ///     be in tokens.
    /// - Throws: `DICEError.invalidParameter` for unusable settings, and naming `lengthUnit`
    ///   for lengths in characters without a `render`.
    public init(configuration: DICEConfiguration, render: (([Int]) -> String)? = nil) throws {
        try configuration.validate()
        if render == nil, configuration.lengthUnit == .characters {
            throw DICEError.invalidParameter(
                name: "lengthUnit", value: configuration.lengthUnit.rawValue,
                expected: "tokens when no render is given (characters would count the digits of token ids)")
        }
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
        self.render = render ?? { $0.map(String.init).joined(separator: " ") }
    }

    /// Runs, or resumes, the rounds.
    ///
    /// Before any work: the inputs are checked, then the run folder is locked for the whole
    /// call (`RunFolderLock`: a second run on the same folder, in this process or another, is
    /// refused while this one runs), and then checked. `.fresh` refuses a folder that holds a
    /// run. `.resume` continues the run in the folder (or starts one when there is none) only
    /// if `settings.json` matches this call — the configuration (the number of rounds may
    /// grow), fingerprints of `prompts` and `offline`, and `inputs` — and the store holds every
    /// model the run has trained so far.
    ///
    /// - Parameters:
    ///   - prompts: the prompts X as token ids (non-empty, each non-empty).
    ///   - offline: D_offline (may be empty only when γ = 0).
    ///   - store: the models (π_ref and π_0 given, π_t saved by the loop).
    ///   - layout: the run folder.
    ///   - mode: start fresh or resume (see `RunMode`).
    ///   - inputs: what else the run depends on, by name (e.g. model folders, sampling
    ///     settings); recorded and compared on resume as strings.
    /// - Returns: the report of every round.
    /// - Throws: `DICEError.invalidParameter` for bad input; `RunFolderLockError.held` naming
    ///   the folder and the other run's pid, `.unusable` for a folder that cannot be created
    ///   (a path below a file, a read-only file system, a name too long); `DICEError.runExists`,
    ///   `.settingsChanged`, `.resumeWithoutModel` or `.runState` for a run folder that cannot
    ///   be used this way — all before anything but the folder and its lock file is written;
    ///   then whatever the pieces throw (the completed phases stay on disk; `RunStopped` from
    ///   the observer), `DICEError.policyContract` for a piece's broken output,
    ///   `.noTrainingPairs` for a round with nothing to train on. With several ranks also
    ///   `CommunicatorError` (`.mismatch` before any work when the ranks' arguments differ,
    ///   `.peerFailed` where another rank failed), and `DICEError.invalidParameter` naming
    ///   `makeTrainer` for a trainer that is not a `StandardDPOTrainer`.
    @discardableResult
    public func run(prompts: [[Int]], offline: [PreferencePair], store: any PolicyStore,
                    layout: RunLayout, mode: RunMode, inputs: [String: String] = [:]) throws -> [RoundReport] {
        let c = configuration
        let plans = try RoundPlan.plans(rounds: c.rounds)
        let rounds = try plans.map { try DICERound(plan: $0, prompts: prompts, render: render) }
        guard c.gamma == 0 || !offline.isEmpty else {
            throw DICEError.invalidParameter(name: "offline", value: "0 pairs", expected: "offline pairs when γ > 0")
        }
        let settings = RunSettings(configuration: c, prompts: prompts, offline: offline, inputs: inputs)
        let ranks = communicator, leader = ranks.rank == 0
        if ranks.size > 1 {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try ranks.requireSame([("the DICE settings", String(decoding: try encoder.encode(c), as: UTF8.self)),
                                   ("the prompts", settings.prompts), ("the offline pairs", settings.offline),
                                   ("the run folder", layout.root.standardizedFileURL.path), ("the mode", mode.rawValue)]
                                  + inputs.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
        }
        // Rank 0 alone locks, checks and writes the folder; the ranks agree on the outcome.
        let lock = try ranks.agree { leader ? try RunFolderLock(folder: layout.root) : nil }
        defer { lock?.release() }
        var state = try ranks.broadcastValue(
            try ranks.agree { leader ? try Self.checkFolder(layout, mode: mode, settings: settings, store: store) : RunState() })
        var log = logger
        log[metadataKey: "run"] = "\(layout.root.path)"
        if let done = state.phase {
            log.debug("resuming the run after its last completed phase",
                      metadata: ["mode": "\(mode.rawValue)", "round": "\(state.round)", "phase": "\(done.rawValue)",
                                 "rounds": "\(c.rounds)"])
        } else {
            log.debug("starting the run",
                      metadata: ["mode": "\(mode.rawValue)", "rounds": "\(c.rounds)", "prompts": "\(prompts.count)",
                                 "offline": "\(offline.count)", "samplesPerPrompt": "\(c.samplesPerPrompt)"])
        }
        try ranks.agree {
            guard leader else { return }
            try layout.createDirectories(rounds: c.rounds)
            try settings.write(to: layout.settings)
        }
        // A phase's input: from rank 0's file on every rank.
        func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
            ranks.size == 1 ? try JSONL.read(type, from: url)
                : try JSONL.decode(type, from: try ranks.readOnRankZero(url), path: url.path)
        }

        var reports: [RoundReport] = []
        for round in rounds {
            let plan = round.plan, t = plan.round
            func begin(_ phase: RunPhase) throws -> Bool {
                if state.isCompleted(round: t, phase: phase) {
                    log.debug("phase skipped: completed by an earlier run", metadata: ["round": "\(t)", "phase": "\(phase.rawValue)"])
                    try observer?(.phaseSkipped(round: t, phase: phase))
                    return false
                }
                log.debug("phase started", metadata: ["round": "\(t)", "phase": "\(phase.rawValue)"])
                try observer?(.phaseStarted(round: t, phase: phase))
                return true
            }
            func finish(_ phase: RunPhase, _ counts: Logger.Metadata) throws {
                try state.complete(round: t, phase: phase)
                try ranks.agree { if leader { try state.write(to: layout.state) } }
                log.debug("phase finished", metadata: counts.merging(["round": "\(t)", "phase": "\(phase.rawValue)"]) { a, _ in a })
            }

            if try begin(.sample) {
                let sampler = try store.sampler(plan.sampler)
                let rows = ranks.share(of: prompts.count, batch: sampler.promptsPerSamplingBatch(count: c.samplesPerPrompt))
                let samples = try ranks.allGatherRows(try ranks.agree {
                    try round.sample(from: sampler, count: c.samplesPerPrompt, seed: round.seed(.sample, runSeed: c.seed),
                                     rows: rows)
                })
                if leader { try JSONL.write(samples, to: layout.samples(t)) }
                let truncated = samples.filter { $0.finishReason == .length }.count
                try finish(.sample, ["samples": "\(samples.count)", "truncated": "\(truncated)"])
            }
            if try begin(.score) {
                let samples = try read(SampleRecord.self, from: layout.samples(t))
                let rewarder = try makeRewarder(try store.scorer(plan.rewardPolicy), try store.scorer(plan.rewardReference), c.beta)
                let share = ranks.share(of: samples.count, batch: c.scoringBatchSize)
                let scored = try ranks.allGatherRows(try ranks.agree { try round.score(Array(samples[share]), with: rewarder) })
                if leader { try JSONL.write(scored, to: layout.scored(t)) }
                try finish(.score, ["samples": "\(scored.count)", "scorer": "\(type(of: rewarder))"])
            }
            if try begin(.pair) {
                let scored = try read(SampleRecord.self, from: layout.scored(t))
                let built = try round.pairs(from: scored, builder: pairBuilder)
                let selection = try round.mix(built.pairs, offline: offline, mixer: replayMixer,
                                              seed: round.seed(.pair, runSeed: c.seed))
                if leader {
                    try JSONL.write(built.pairs, to: layout.pairs(t))
                    try JSONL.write(round.trainingSet(built.pairs, offline: offline, selection: selection), to: layout.trainingSet(t))
                }
                let report = RoundReport(plan: plan, prompts: prompts.count, samplesPerPrompt: c.samplesPerPrompt,
                                         lengthUnit: c.lengthUnit, pairing: built,
                                         rewards: RoundRewards(scored: scored, pairs: built.pairs),
                                         gamma: c.gamma, replay: selection)
                if leader { try report.write(to: layout) }
                let p = built.statistics
                try finish(.pair, ["pairs": "\(p.pairs)", "truncated": "\(p.truncated)", "degenerate": "\(p.degenerate)",
                                   "promptsWithTooFewValid": "\(p.promptsWithTooFewValid)",
                                   "promptsAllEqual": "\(p.promptsAllEqual)", "alpha": "\(built.regularization.alpha)",
                                   "generatedUsed": "\(selection.generated.count)", "offlineUsed": "\(selection.offline.count)",
                                   "offlineRequested": "\(selection.requestedOffline)"])
                if selection.offline.count < selection.requestedOffline {
                    log.notice("replay used fewer offline pairs than γ asks for: offline pairs are replayed only from prompts without a generated pair",
                               metadata: ["round": "\(t)", "gamma": "\(c.gamma)", "offlineRequested": "\(selection.requestedOffline)",
                                          "offlineUsed": "\(selection.offline.count)", "generatedUsed": "\(selection.generated.count)"])
                }
            }
            var report = try Self.readReport(layout, round: t, communicator: ranks)
            if try begin(.train) {
                let records = try read(TrainingPairRecord.self, from: layout.trainingSet(t))
                let pairs = try records.enumerated().map { i, r -> PreferencePair in
                    guard let pair = r.preferencePair else {
                        throw DICEError.runState(path: layout.trainingSet(t).path,
                                                 reason: "row \(i + 1) has no token ids")
                    }
                    return pair
                }
                guard !pairs.isEmpty else {
                    throw DICEError.noTrainingPairs(round: t, pairing: report.pairing)
                }
                let policy = try store.policy(plan.trainingInitialization)
                var dpo = c.dpo
                dpo.seed = c.dpo.seed &+ UInt64(t)
                let trainer = makeTrainer(dpo, layout.roundDirectory(t).appendingPathComponent("checkpoint"))
                if ranks.size > 1 {
                    guard let standard = trainer as? StandardDPOTrainer else {
                        throw DICEError.invalidParameter(name: "makeTrainer", value: "\(type(of: trainer))",
                                                         expected: "a StandardDPOTrainer under \(ranks.size) ranks (it trains data-parallel)")
                    }
                    standard.communicator = ranks
                }
                let logged = MetricsLog(url: layout.metrics(t), steps: dpo.steps, interval: dpo.checkpointInterval,
                                        writes: leader)
                // The loop's observer goes first, then the trainer's own (if any): both get
                // every event. A stop request writes the metrics so far, before the trainer's
                // checkpoint of the same update.
                let outer = observer, inner = trainer.observer
                trainer.observer = { event in
                    try logged.record(event)
                    do {
                        try outer?(.training(round: t, event))
                        try inner?(event)
                    } catch let stop as RunStopped {
                        try logged.writeAll()
                        throw stop
                    }
                }
                // The score phase's log π_{t−1} of a generated response is this round's reference
                // log-prob for it (the rewarder's policy is π_{t−1}, the reference too). The
                // others are computed before the first update, by the policy itself when it
                // starts as the reference (π_{t−1}): no second copy of the model is loaded.
                let reference = plan.trainingReference == plan.trainingInitialization
                    ? policy : try store.scorer(plan.trainingReference)
                let summary = try round.train(policy, on: pairs, known: records.map(\.referenceLogProbs),
                                              reference: reference, trainer: trainer, batchSize: c.scoringBatchSize,
                                              communicator: ranks)
                try logged.writeAll()
                // Every rank loads π_t from here in later rounds: saved before any goes on.
                try ranks.agree { if leader { try store.save(policy, as: plan.output) } }
                report.training = (summary.lastStep ?? logged.rows.last)?.values
                if leader { try report.write(to: layout) }
                try finish(.train, ["pairs": "\(pairs.count)", "steps": "\(summary.steps)",
                                    "resumedFrom": "\(summary.resumedFrom.map(String.init) ?? "none")",
                                    "model": "\(plan.output)"])
            }
            if try begin(.evaluate) {
                if let evaluator {
                    let (result, accuracy) = try evaluator(t, try store.policy(plan.output))
                    report.evaluation = result
                    report.rewardAccuracy = accuracy
                }
                if leader { try report.write(to: layout) }
                try finish(.evaluate, ["evaluated": "\(evaluator != nil)"])
            }
            try observer?(.roundFinished(report))
            reports.append(report)
        }
        return reports
    }

    /// Checks the run folder against `mode` and returns the state to continue from; writes
    /// nothing.
    /// - Throws: `DICEError.runExists`, `.settingsChanged`, `.resumeWithoutModel`, `.runState`.
    static func checkFolder(_ layout: RunLayout, mode: RunMode, settings: RunSettings,
                            store: any PolicyStore) throws -> RunState {
        let fm = FileManager.default
        let hasSettings = fm.fileExists(atPath: layout.settings.path), hasState = fm.fileExists(atPath: layout.state.path)
        guard hasSettings || hasState else { return RunState() }
        if mode == .fresh {
            throw DICEError.runExists(path: layout.root.path)
        }
        guard hasSettings else {
            throw DICEError.runState(path: layout.settings.path,
                                     reason: "missing: the run's settings cannot be checked, so it cannot be resumed")
        }
        let differences = try RunSettings.read(from: layout.settings).differences(from: settings)
        guard differences.isEmpty else {
            throw DICEError.settingsChanged(path: layout.settings.path, differences: differences)
        }
        let state = try RunState.read(from: layout.state)
        for t in stride(from: 1, through: state.round, by: 1) where state.isCompleted(round: t, phase: .train) {
            guard store.holds(.policy(t)) else {
                throw DICEError.resumeWithoutModel(path: layout.root.path, model: .policy(t), inMemory: !store.isPersistent)
            }
        }
        return state
    }

    static func readReport(_ layout: RunLayout, round: Int, communicator: any Communicator) throws -> RoundReport {
        let url = layout.roundReportJSON(round)
        do {
            return try JSONDecoder().decode(RoundReport.self, from: communicator.readOnRankZero(url))
        } catch {
            throw DICEError.runState(path: url.path, reason: "unreadable round report: \(error)")
        }
    }
}

/// The metrics of a round's DPO steps, kept with each checkpoint so that a run resumed from a
/// checkpoint (even one at the last step) logs and reports what an uninterrupted run does.
private final class MetricsLog {
    let url: URL
    let steps: Int
    let interval: Int
    /// Whether this process writes the file (rank 0); the others keep the rows only.
    let writes: Bool
    private(set) var rows: [DPOMetrics] = []

    init(url: URL, steps: Int, interval: Int, writes: Bool) {
        self.url = url
        self.steps = steps
        self.interval = interval
        self.writes = writes
    }

    /// Records a step (written before the checkpoint of that step is); on resume, reloads the
    /// rows up to the checkpoint's step.
    func record(_ event: DPOEvent) throws {
        switch event {
        case .step(let m):
            rows.append(m)
            if writes, m.step == steps || (interval > 0 && m.step % interval == 0) {
                try JSONL.write(rows, to: url)
            }
        case .resumed(let step):
            let saved = FileManager.default.fileExists(atPath: url.path) ? try JSONL.read(DPOMetrics.self, from: url) : []
            rows = saved.filter { $0.step <= step }
        case .validation, .checkpoint:
            break
        }
    }

    /// Writes every row.
    func writeAll() throws {
        if writes { try JSONL.write(rows, to: url) }
    }
}
