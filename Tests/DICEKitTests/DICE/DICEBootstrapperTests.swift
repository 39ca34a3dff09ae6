// The assembled DICE loop on the toy task with tabular policies: which models score and which
// reference trains in each round (checked against independent recomputation from the saved
// models), and a run stopped at every phase boundary resumes to the same result.

import Foundation
import Testing
@testable import DICEKit

@Suite("DICE bootstrapper")
struct DICEBootstrapperTests {
    struct Setup {
        let task: ToyTask
        let prompts: [[Int]]
        let candidates: [[[Int]]]
        let offline: [PreferencePair]
        let configuration: DICEConfiguration

        /// - Parameter offlineOnDICEPrompts: D_offline as two pairs on each DICE prompt (instead
        ///   of 40 pairs on prompts drawn independently).
        init(offlineOnDICEPrompts: Bool = false) throws {
            task = try ToyTask()
            prompts = try task.prompts(count: 16, seed: 1)
            candidates = try task.candidateResponses(prompts: prompts, count: 6, seed: 2)
            offline = try task.offlinePairs(prompts: offlineOnDICEPrompts ? prompts + prompts : try task.prompts(count: 40, seed: 3),
                                            seed: 4)
            let dpo = DPOConfiguration(loss: try DPOLoss(beta: 0.1), learningRate: 0.05, batchSize: 8, steps: 6,
                                       evaluationInterval: 1000, checkpointInterval: 2, seed: 5)
            configuration = DICEConfiguration(rounds: 2, samplesPerPrompt: 6, beta: 0.1, alpha: .auto,
                                              lengthUnit: .tokens, minValid: 3, gamma: 0.5, dpo: dpo, seed: 6)
        }

        func makePolicy() throws -> TabularPolicy {
            // Offline prompts are outside the table of sampled responses: score them through a
            // table holding both.
            let extra = offline.map(\.prompt)
            var table: [[Int]: [[Int]]] = [:]
            for (p, r) in zip(prompts, candidates) { table[p, default: []] += r }
            for o in offline { table[o.prompt, default: []] += [o.chosen, o.rejected] }
            let keys = (prompts + extra).reduce(into: [[Int]]()) { if !$0.contains($1) { $0.append($1) } }
            return try TabularPolicy(prompts: keys, responses: keys.map { Array(Set(table[$0]!)).sorted { $0.lexicographicallyPrecedes($1) } })
        }

        func store() throws -> SnapshotPolicyStore {
            let reference = try makePolicy(), initial = try makePolicy()
            // π_0 leans towards what the judge likes.
            for (i, prompt) in initial.prompts.enumerated() {
                try initial.setLogits(prompt: i, try initial.responses[i].map { try task.judgeScore(prompt: prompt, response: $0) / 3 })
            }
            return SnapshotPolicyStore(reference: reference, initial: initial, make: { try self.makePolicy() })
        }
    }

    @Test("each round scores with (π_{t−1}, π_{t−2}) and trains π_t from π_{t−1} against π_{t−1}")
    func bookkeeping() throws {
        let s = try Setup()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let store = try s.store()
        let reports = try DICEBootstrapper(configuration: s.configuration)
            .run(prompts: s.prompts, offline: s.offline, store: store, layout: layout, mode: .fresh)
        #expect(reports.map(\.round) == [1, 2])
        #expect(reports[0].rewardPolicy == .policy(0) && reports[0].rewardReference == .reference)
        #expect(reports[1].rewardPolicy == .policy(1) && reports[1].rewardReference == .policy(0))
        #expect(reports[1].trainingReference == .policy(1) && reports[1].output == .policy(2))
        for (t, report) in zip([1, 2], reports) {
            // Recompute the round's rewards from the saved models.
            let scored = try JSONL.read(SampleRecord.self, from: layout.scored(t))
            let pairs = scored.map { TokenPair(prompt: s.prompts[$0.promptIndex], response: $0.tokens) }
            let policy = try store.scorer(report.rewardPolicy).logProbs(pairs)
            let reference = try store.scorer(report.rewardReference).logProbs(pairs)
            for (i, record) in scored.enumerated() {
                let expected = 0.1 * (policy[i] - reference[i])
                #expect(abs((record.score?.reward ?? .nan) - expected) < 1e-9)
            }
            #expect(report.generatedPairsUsed + report.offlinePairsUsed > 0)
            // The report's reward summary is that of the scored samples and the built pairs.
            let rewards = scored.compactMap { $0.score?.reward }
            let mean = rewards.reduce(0, +) / Double(rewards.count)
            let summary = try #require(report.rewards?.samples)
            #expect(summary.count == s.prompts.count * s.configuration.samplesPerPrompt)
            #expect(abs(summary.mean - mean) < 1e-12 && summary.min == rewards.min() && summary.max == rewards.max())
            let std = (rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rewards.count)).squareRoot()
            #expect(abs(summary.standardDeviation - std) < 1e-12)
            let built = try JSONL.read(GeneratedPair.self, from: layout.pairs(t))
            let chosen = built.compactMap { $0.chosen.score?.reward }
            #expect(abs((report.rewards?.chosenMean ?? .nan) - chosen.reduce(0, +) / Double(chosen.count)) < 1e-12)
            #expect((report.rewards?.chosenMean ?? 0) > (report.rewards?.rejectedMean ?? 0))
        }
        // π_2 differs from π_1, which differs from π_0: each round trained its own model.
        let p0 = try store.policy(.policy(0)), p1 = try store.policy(.policy(1)), p2 = try store.policy(.policy(2))
        let v = { (p: any BootstrapPolicy) in p.trainableParameters.backend.download(p.trainableParameters.values) }
        #expect(v(p0) != v(p1) && v(p1) != v(p2))
    }

    struct Stop: Error {}

    // Event 13 is round 1's checkpoint of its last DPO step: the resumed training has no step
    // left to run and must still report (and log) the uninterrupted run's metrics.
    @Test("stopped after any number of events, the resumed run ends with the same reports, metrics and weights",
          arguments: [1, 3, 5, 9, 13, 14, 20])
    func resume(stopAfter: Int) throws {
        let s = try Setup()
        func run(stopAfter: Int?) throws -> ([RoundReport], [Float], [Data]) {
            let folder = try ScratchFolder()
            defer { folder.remove() }
            let layout = RunLayout(root: folder.url)
            let store = try s.store()
            if let stopAfter {
                var events = 0
                let first = try DICEBootstrapper(configuration: s.configuration)
                first.observer = { _ in
                    events += 1
                    if events == stopAfter { throw Stop() }
                }
                #expect(throws: Stop.self) {
                    try first.run(prompts: s.prompts, offline: s.offline, store: store, layout: layout, mode: .fresh)
                }
            }
            let reports = try DICEBootstrapper(configuration: s.configuration)
                .run(prompts: s.prompts, offline: s.offline, store: store, layout: layout, mode: .resume)
            let final = try store.policy(.policy(2)).trainableParameters
            let metrics = try [1, 2].map { try Data(contentsOf: layout.metrics($0)) }
            return (reports, final.backend.download(final.values), metrics)
        }
        let (plain, weights, metrics) = try run(stopAfter: nil)
        let (resumed, resumedWeights, resumedMetrics) = try run(stopAfter: stopAfter)
        #expect(resumed == plain)
        #expect(resumedWeights == weights)
        #expect(resumedMetrics == metrics)
    }

    /// The setting named by an `invalidParameter` error (nil for another error).
    static func parameter(_ error: DICEError?) -> String? {
        if case .invalidParameter(let name, _, _)? = error { return name }
        return nil
    }

    @Test("bad settings fail before work, naming the setting, with nothing written")
    func badSettingsFailBeforeWork() throws {
        let s = try Setup()
        let changes: [(String, (inout DICEConfiguration) -> Void)] = [
            ("samples", { $0.samplesPerPrompt = 1 }), ("gamma", { $0.gamma = 1.5 }), ("rounds", { $0.rounds = 0 }),
            ("beta / dpo.loss.beta", { $0.beta = 0.2 }), ("min-valid", { $0.minValid = 7 }),
        ]
        for (name, change) in changes {
            var c = s.configuration
            change(&c)
            let error = #expect(throws: DICEError.self) { _ = try DICEBootstrapper(configuration: c) }
            #expect(Self.parameter(error) == name, "\(String(describing: error))")
        }
        // Lengths in characters need a render that gives text.
        var c = s.configuration
        c.lengthUnit = .characters
        let error = #expect(throws: DICEError.self) { _ = try DICEBootstrapper(configuration: c) }
        #expect(Self.parameter(error) == "lengthUnit")
        _ = try DICEBootstrapper(configuration: c, render: s.task.render)

        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url.appendingPathComponent("run"))
        let bootstrapper = try DICEBootstrapper(configuration: s.configuration)
        for (name, prompts, offline) in [("prompts", [[Int]](), s.offline), ("prompts", [s.prompts[0], []], s.offline),
                                         ("offline", s.prompts, [])] {
            let error = #expect(throws: DICEError.self) {
                try bootstrapper.run(prompts: prompts, offline: offline, store: try s.store(), layout: layout, mode: .fresh)
            }
            #expect(Self.parameter(error) == name, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: layout.root.path), "the run folder was written")
        }
    }

    @Test("a resume with changed settings or data is refused before work, naming what changed")
    func resumeChecks() throws {
        let s = try Setup()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let store = try s.store()
        var one = s.configuration
        one.rounds = 1
        try DICEBootstrapper(configuration: one).run(prompts: s.prompts, offline: s.offline, store: store, layout: layout,
                                                     mode: .fresh, inputs: ["model": "a"])
        let state = try Data(contentsOf: layout.state)
        func refusal(_ c: DICEConfiguration, prompts: [[Int]]? = nil, offline: [PreferencePair]? = nil,
                     inputs: [String: String] = ["model": "a"], mode: RunMode = .resume) -> DICEError? {
            #expect(throws: DICEError.self) {
                try DICEBootstrapper(configuration: c).run(prompts: prompts ?? s.prompts, offline: offline ?? s.offline,
                                                           store: store, layout: layout, mode: mode, inputs: inputs)
            }
        }
        #expect(refusal(one, mode: .fresh) == .runExists(path: layout.root.path))
        var c = one
        c.samplesPerPrompt = 5
        c.seed = 9
        guard case .settingsChanged(let path, let differences)? = refusal(c) else {
            Issue.record("not a settings change")
            return
        }
        #expect(path == layout.settings.path)
        #expect(differences == ["samplesPerPrompt (6 → 5)", "seed (6 → 9)"])
        if case .settingsChanged(_, let d)? = refusal(one, prompts: Array(s.prompts.dropLast())) { #expect(d == ["the prompts"]) } else { Issue.record("prompts") }
        if case .settingsChanged(_, let d)? = refusal(one, offline: Array(s.offline.dropFirst())) { #expect(d == ["the offline pairs"]) } else { Issue.record("offline") }
        if case .settingsChanged(_, let d)? = refusal(one, inputs: ["model": "b"]) { #expect(d == ["model"]) } else { Issue.record("inputs") }
        // Nothing was touched by the refusals; more rounds are allowed and continue the run.
        #expect(try Data(contentsOf: layout.state) == state)
        let reports = try DICEBootstrapper(configuration: s.configuration)
            .run(prompts: s.prompts, offline: s.offline, store: store, layout: layout, mode: .resume, inputs: ["model": "a"])
        #expect(reports.map(\.round) == [1, 2])
        // Another process's in-memory store does not hold π_1 and π_2: refused, saying why.
        let other = try s.store()
        #expect(throws: DICEError.resumeWithoutModel(path: layout.root.path, model: .policy(1), inMemory: true)) {
            try DICEBootstrapper(configuration: s.configuration)
                .run(prompts: s.prompts, offline: s.offline, store: other, layout: layout, mode: .resume, inputs: ["model": "a"])
        }
    }

    @Test("a round without pairs stops with the reason: π_0 = π_ref gives every sample reward 0")
    func roundWithoutPairs() throws {
        let s = try Setup()
        var c = s.configuration
        c.gamma = 0  // no offline pairs mixed in
        c.alpha = .fixed(0)  // no length shaping either: equal rewards stay equal
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let store = SnapshotPolicyStore(reference: try s.makePolicy(), initial: try s.makePolicy(), make: { try s.makePolicy() })
        do {
            _ = try DICEBootstrapper(configuration: c).run(prompts: s.prompts, offline: s.offline, store: store, layout: layout,
                                                           mode: .fresh)
            Issue.record("the run trained on nothing")
        } catch let DICEError.noTrainingPairs(round, pairing) {
            #expect(round == 1)
            #expect(pairing.prompts == s.prompts.count && pairing.promptsAllEqual == s.prompts.count && pairing.pairs == 0)
            #expect("\(DICEError.noTrainingPairs(round: round, pairing: pairing))".contains("\(s.prompts.count) had samples of equal reward"))
        }
    }
}
