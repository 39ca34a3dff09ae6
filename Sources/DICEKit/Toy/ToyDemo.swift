// ToyDemo: the whole DICE story on the toy task, with a real (tiny) transformer trained by
// DICEKit — SFT → offline pairs labelled by the hidden judge → π_0 = DPO → two DICE rounds —
// plus the paper's ablations, judged against π_0 on held-out prompts.

import Foundation

/// Every size and knob of the demo. The defaults run in a few minutes on two cores.
public struct ToyDemoConfiguration: Sendable, Hashable, Codable {
    /// The hidden world and every data draw.
    public var task: ToyTaskConfig
    /// Seed of initialisation, data order and sampling.
    public var seed: UInt64
    /// The policy network (vocabulary and positions are fixed by the task).
    public var model: TransformerSpec
    /// Prompts held out for evaluation (the rest are DICE's prompts X and D_offline's).
    public var heldOutPrompts: Int
    /// SFT: reference responses per training prompt.
    public var sftExamplesPerPrompt: Int
    /// The SFT run that makes π_ref from those responses.
    public var sft: SFTConfiguration
    /// Offline pairs per training prompt (each labelled by the noisy judge).
    public var offlinePairsPerPrompt: Int
    /// π_0 = DPO(π_ref, D_offline).
    public var initialDPO: DPOConfiguration
    /// The DICE rounds (the ablations change one knob of it).
    public var dice: DICEConfiguration
    /// Sampling for DICE and for evaluation.
    public var sampling: SamplingParameters
    /// Cap on generated tokens (well above the task's response lengths).
    public var maxNewTokens: Int
    /// Evaluation: responses per held-out prompt, each judged against π_0's.
    public var evaluationSamplesPerPrompt: Int
    /// Run the ablations (no length regularization; γ = 0; offline data only).
    public var ablations: Bool

    /// Bootstrap resamples behind each win rate's 95% interval.
    public var bootstrapResamples: Int

    /// The defaults of `dice demo`.
    ///
    /// Sized by what made the DICE effect robust in an independent prototype: many distinct
    /// prompts, evaluation prompts disjoint from training ones; a few thousand pairs per round,
    /// about half generated and half offline; about two passes over each round's set at a modest
    /// constant learning rate; at least 1000 held-out comparisons per model.
    /// - Throws: `DICEError.invalidParameter` only if a built-in setting were invalid.
    public static func standard(seed: UInt64 = 0) throws -> ToyDemoConfiguration {
        var task = ToyTaskConfig()
        task.seed = seed
        // 12 topics × C(13, 3) instruction triples = 3432 prompts over 32 content words: 250 held
        // out for evaluation (× 16 answers = 4000 comparisons per model), 3182 for SFT,
        // D_offline (one pair each) and DICE. With 4 answers (1000 comparisons) a model's LC
        // win rate moved by up to 3 points when re-evaluated on 16 (seeds 100–104, 110–112),
        // as much as the differences the paper's findings are about.
        task.wordCount = 32
        task.topicCount = 12
        task.instructionCount = 13
        task.instructionsPerPrompt = 3
        // Answers have a target length L = 6 words: the reference answers are 4 … 8 words
        // (L − 2 + Binomial(4, ½)), the judge counts the first L words as L slots, each missing
        // one costs 1, and words past L count only through the small length bias (0.02 a word).
        // With geometric lengths DPO moved the answer length far with little push.
        let target = ToyLengthTarget()
        task.lengthTarget = target
        let vocabulary = task.wordCount + 1
        // π_0: about one pass over D_offline at a modest rate, so that it is not fitted hard to the
        // offline pairs (a larger budget also inflates its answers' length).
        // β = 0.5 throughout (π_0, the DICE rounds' DPO and their implicit reward): answers are
        // about 7 tokens, and with β = 0.1 DPO drives each pair's log-ratio margin to 10–20 nats
        // — the round-2 implicit reward (π_1 against π_0) then agreed with the judge on about 60%
        // of its pairs, against 70–77% with β = 0.5 (seeds 100 and 101).
        let beta = 0.5
        let initial = DPOConfiguration(loss: try DPOLoss(beta: beta), learningRate: 2e-4, batchSize: 32, steps: 100,
                                       maxGradNorm: 1.0, evaluationInterval: 0, checkpointInterval: 50, seed: seed)
        // Each round: γ = 0.5 of |D_offline| = 1591 generated + 1591 offline pairs (the offline
        // ones from the prompts not generated for), about two passes at a constant rate.
        var round = initial
        round.learningRate = 1e-4
        round.steps = 200
        return ToyDemoConfiguration(
            task: task, seed: seed,
            model: TransformerSpec(modelType: "llama", vocabularySize: vocabulary, hiddenSize: 64,
                                   intermediateSize: 128, layers: 2, heads: 4, kvHeads: 2,
                                   normEpsilon: 1e-5, ropeTheta: 10000, maxPositions: 48),
            heldOutPrompts: 250, sftExamplesPerPrompt: 4,
            sft: SFTConfiguration(learningRate: 3e-3, batchSize: 64, steps: 300, seed: seed),
            offlinePairsPerPrompt: 1, initialDPO: initial,
            // Answers outside the reference lengths (L ± 2 words) are degenerate: DICE's filter
            // keeps each round's pairs inside the lengths the judge and π_ref know.
            dice: DICEConfiguration(rounds: 2, samplesPerPrompt: 8, beta: beta, alpha: .auto, lengthUnit: .tokens,
                                    minLength: target.minWords - target.spread,
                                    maxLength: target.maxWords + target.spread, minValid: 4, gamma: 0.5, dpo: round, seed: seed),
            sampling: SamplingParameters(temperature: 1.0), maxNewTokens: 32,
            evaluationSamplesPerPrompt: 16, ablations: true, bootstrapResamples: 1000)
    }
}

extension ToyDemoConfiguration {
    /// The task's prompts shuffled with `seed` and split: the first `heldOutPrompts` for
    /// evaluation, the rest for SFT, D_offline and DICE (disjoint; together every prompt).
    /// - Throws: `DICEError.invalidParameter` for an unusable task or a held-out count outside
    ///   1 … (prompts − 1).
    public func promptSplit() throws -> (heldOut: [[Int]], training: [[Int]]) {
        let all = try ToyTask(config: task).allPrompts
        var rng = SplitMix64(seed: seed)
        let prompts = rng.sampleWithoutReplacement(all.count, from: all.count).map { all[$0] }
        guard heldOutPrompts > 0, heldOutPrompts < prompts.count else {
            throw DICEError.invalidParameter(name: "held-out prompts", value: "\(heldOutPrompts)",
                                             expected: "between 1 and \(prompts.count - 1)")
        }
        return (Array(prompts.prefix(heldOutPrompts)), Array(prompts.dropFirst(heldOutPrompts)))
    }

    /// The same settings with every seed (the world, initialisation, data order, sampling, each
    /// trainer's) set to `seed`, as `standard(seed:)` sets them: how a sweep runs a
    /// configuration file on several seeds.
    public func withSeed(_ seed: UInt64) -> ToyDemoConfiguration {
        var c = self
        c.seed = seed
        c.task.seed = seed
        c.sft.seed = seed
        c.initialDPO.seed = seed
        c.dice.seed = seed
        c.dice.dpo.seed = seed
        return c
    }
}

/// One row of the demo's table: a model judged against π_0 on held-out prompts.
public struct ToyDemoRow: Sendable, Hashable, Codable {
    /// 0 for π_0 itself, t for π_t.
    public var round: Int
    /// The raw win rate against π_0 (ties as half), in [0, 1].
    public var winRate: Double
    /// The length-controlled win rate against π_0, in [0, 1].
    public var lcWinRate: Double
    /// Mean response length in words (EOS excluded).
    public var averageLength: Double
    /// The α the round used (nil for π_0).
    public var alpha: Double?
    /// 95% percentile bootstrap interval of `winRate` (comparisons resampled).
    public var winRateInterval: BootstrapInterval
    /// 95% percentile bootstrap interval of `lcWinRate` (the LC model refitted per resample).
    public var lcWinRateInterval: BootstrapInterval
    /// Comparisons behind the rates.
    public var comparisons: Int

    enum CodingKeys: String, CodingKey {
        case round, alpha, comparisons
        case winRate = "win_rate"
        case lcWinRate = "lc_win_rate"
        case averageLength = "avg_length"
        case winRateInterval = "win_rate_ci"
        case lcWinRateInterval = "lc_win_rate_ci"
    }
}

/// What the demo found.
public struct ToyDemoReport: Sendable, Hashable, Codable {
    /// π_0, round 1, round 2 (DICE with the configured settings).
    public var rounds: [ToyDemoRow]
    /// The last round of each ablation, by name.
    public var ablations: [String: ToyDemoRow]
    /// The implicit reward's accuracy (π_0 against π_ref) on held-out offline pairs labelled
    /// by the noise-free judge.
    public var rewardAccuracy: Double
    /// The seed the demo ran with.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey {
        case rounds, ablations, seed
        case rewardAccuracy = "reward_accuracy"
    }
}

/// Runs the demo in a folder (models and DICE runs are kept there; a rerun reuses what is
/// complete).
public final class ToyDemo {
    /// The demo's settings.
    public let configuration: ToyDemoConfiguration
    /// The folder that holds the demo's models and DICE runs.
    public let folder: URL
    /// The backend every model of the demo runs on.
    public let backend: any Backend
    /// Stage messages for the terminal (the library never prints).
    public var progress: ((String) -> Void)?
    /// DICE events of each run, for progress bars.
    public var events: ((_ run: String, DICEEvent) -> Void)?

    /// A demo of `configuration` in `folder` (created when run), computing on `backend`.
    public init(configuration: ToyDemoConfiguration, folder: URL, backend: any Backend) {
        self.configuration = configuration
        self.folder = folder
        self.backend = backend
    }

    /// The ablations: name → the change to the DICE settings.
    static let ablationSettings: [(String, @Sendable (inout DICEConfiguration) -> Void)] = [
        ("no_length_regularization", { $0.alpha = .fixed(0) }),
        ("gamma_0", { $0.gamma = 0 }),
        ("offline_only", { $0.gamma = 1 }),
    ]

    /// Runs every stage.
    /// - Throws: what training, sampling or file I/O throws.
    public func run() throws -> ToyDemoReport {
        let c = configuration
        let task = try ToyTask(config: c.task)
        let (heldOut, training) = try c.promptSplit()
        let config = try ModelConfig(c.model)
        let generation = GenerationParameters(maxNewTokens: c.maxNewTokens, sampling: c.sampling,
                                              stopTokenIDs: [ToyTask.eos], batchSize: 4096)
        let modelsFolder = folder.appendingPathComponent("models")
        let referenceURL = modelsFolder.appendingPathComponent("pi_ref")
        let initialURL = modelsFolder.appendingPathComponent("pi_0")

        // π_ref = SFT on reference responses.
        if !Self.isModel(referenceURL) {
            progress?("SFT: \(training.count) prompts × \(c.sftExamplesPerPrompt) reference responses")
            let model = try TransformerLM(spec: c.model, backend: backend)
            try model.initializeRandomly(seed: c.seed)
            let examples = try task.sftExamples(prompts: training, perPrompt: c.sftExamplesPerPrompt, seed: c.seed &+ 1)
            try SFTTrainer(configuration: c.sft).train(model, examples: examples)
            try model.modelDirectory(config: config).write(to: referenceURL)
        }
        // D_offline, labelled by the noisy judge; held-out pairs for reward accuracy.
        var offline: [PreferencePair] = []
        for k in 0..<c.offlinePairsPerPrompt {
            offline += try task.offlinePairs(prompts: training, seed: c.seed &+ 100 &+ UInt64(k))
        }
        // π_0 = DPO(π_ref, D_offline).
        if !Self.isModel(initialURL) {
            progress?("π_0: DPO on \(offline.count) offline pairs")
            let reference = try TransformerLM(directory: referenceURL, backend: backend)
            let logps = try ReferenceLogProbs.compute(offline, reference: reference, batchSize: 64)
            let policy = try TransformerLM(directory: referenceURL, backend: backend)
            _ = try StandardDPOTrainer(configuration: c.initialDPO).train(policy, pairs: offline, reference: logps)
            try policy.modelDirectory(config: config).write(to: initialURL)
        }
        let judge = ToyJudge(task: task)
        let evaluationSeed = c.seed &+ 7
        func responses(_ policy: any Policy) throws -> [TokenizedText] {
            try policy.sample(heldOut, count: c.evaluationSamplesPerPrompt, seed: evaluationSeed).flatMap { group in
                group.map { sample in
                    let words = sample.finishReason == .stop ? Array(sample.ids.dropLast()) : sample.ids
                    return TokenizedText(text: task.render(words), tokens: words)
                }
            }
        }
        let evaluationPrompts = heldOut.flatMap { p in
            Array(repeating: TokenizedText(text: task.render(p), tokens: p), count: c.evaluationSamplesPerPrompt)
        }
        let initial = TransformerPolicy(model: try TransformerLM(directory: initialURL, backend: backend),
                                        generation: generation)
        let baseline = try responses(initial)
        let baselineLengths = baseline.map { $0.length(in: .tokens) }
        func row(_ policy: any Policy, round: Int, alpha: Double?) throws -> ToyDemoRow {
            let answers = try responses(policy)
            let verdicts = try evaluationPrompts.indices.map {
                try judge.verdict(prompt: evaluationPrompts[$0], a: answers[$0], b: baseline[$0])
            }
            let lengths = answers.map { $0.length(in: .tokens) }
            let lc = try LengthControlledWinRate(verdicts: verdicts, lengthsA: lengths, lengthsB: baselineLengths)
            let scores = verdicts.map(\.score)
            let winInterval = try BootstrapInterval.percentile(
                count: verdicts.count, resamples: c.bootstrapResamples, seed: c.seed &+ 11) { picks in
                picks.reduce(0) { $0 + scores[$1] } / Double(picks.count)
            }
            let lcInterval = try BootstrapInterval.percentile(
                count: verdicts.count, resamples: c.bootstrapResamples, seed: c.seed &+ 11) { picks in
                try LengthControlledWinRate(verdicts: picks.map { verdicts[$0] }, lengthsA: picks.map { lengths[$0] },
                                            lengthsB: picks.map { baselineLengths[$0] }).rate
            }
            return ToyDemoRow(round: round, winRate: WinRate(verdicts).rate, lcWinRate: lc.rate,
                              averageLength: HeadToHeadResult.mean(lengths), alpha: alpha,
                              winRateInterval: winInterval, lcWinRateInterval: lcInterval, comparisons: verdicts.count)
        }

        // Reward accuracy of π_0's implicit reward on held-out pairs, labelled without noise.
        var exact = c.task
        exact.labelTemperature = 0
        let heldPairs = try ToyTask(config: exact).offlinePairs(prompts: heldOut, seed: c.seed &+ 999)
        let accuracy = try RewardAccuracy(
            rewarder: DPOImplicitRewarder(policy: initial.model,
                                          reference: try TransformerLM(directory: referenceURL, backend: backend),
                                          beta: c.dice.beta),
            chosen: heldPairs.map(\.chosenPair), rejected: heldPairs.map(\.rejectedPair))

        // DICE, then each ablation.
        var runs: [(String, DICEConfiguration)] = [("dice", c.dice)]
        if c.ablations {
            for (name, change) in Self.ablationSettings {
                var d = c.dice
                change(&d)
                runs.append((name, d))
            }
        }
        var rows: [ToyDemoRow] = [try row(initial, round: 0, alpha: nil)]
        var ablations: [String: ToyDemoRow] = [:]
        for (name, settings) in runs {
            progress?("DICE run '\(name)': \(settings.rounds) rounds, γ = \(settings.gamma), α = \(settings.alpha)")
            let layout = RunLayout(root: folder.appendingPathComponent("runs/\(name)"))
            let store = try DirectoryPolicyStore(referenceModel: referenceURL, initialPolicy: initialURL, layout: layout,
                                                 backend: backend, generation: generation)
            let bootstrapper = try DICEBootstrapper(configuration: settings, render: task.render)
            bootstrapper.observer = { [events] in events?(name, $0) }
            // A rerun in the same folder continues (or, when finished, rereads) the run.
            let reports = try bootstrapper.run(prompts: training, offline: offline, store: store, layout: layout,
                                               mode: .resume)
            var last: ToyDemoRow?
            for report in reports {
                let r = try row(try store.policy(report.output), round: report.round,
                                alpha: report.lengthRegularization.alpha)
                if name == "dice" { rows.append(r) }
                last = r
            }
            if name != "dice", let last { ablations[name] = last }
        }
        let report = ToyDemoReport(rounds: rows, ablations: ablations, rewardAccuracy: accuracy.accuracy, seed: c.seed)
        try Self.write(report, to: folder)
        return report
    }

    static func isModel(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(ModelDirectory.weightsFile).path)
    }

    /// Writes report.json atomically (sorted, pretty-printed; the tool renders report.md and
    /// report.svg from it).
    /// - Throws: `FormatError.io`; `DICEError.invalidParameter` for a non-finite figure.
    static func write(_ report: ToyDemoReport, to folder: URL) throws {
        try ReportFiles.writeJSON(report, named: "the demo report", to: folder.appendingPathComponent("report.json"))
    }
}
