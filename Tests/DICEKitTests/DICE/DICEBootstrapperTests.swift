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

        init() throws {
            task = try ToyTask()
            prompts = try task.prompts(count: 16, seed: 1)
            candidates = try task.candidateResponses(prompts: prompts, count: 6, seed: 2)
            offline = try task.offlinePairs(prompts: try task.prompts(count: 40, seed: 3), seed: 4)
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
        let layout = RunLayout(root: folder.url, referenceModel: folder.file("ref"), initialPolicy: folder.file("pi0"))
        let store = try s.store()
        let reports = try DICEBootstrapper(configuration: s.configuration)
            .run(prompts: s.prompts, offline: s.offline, store: store, layout: layout)
        #expect(reports.map(\.round) == [1, 2])
        #expect(reports[0].rewardPolicy == .policy(0) && reports[0].rewardReference == .reference)
        #expect(reports[1].rewardPolicy == .policy(1) && reports[1].rewardReference == .policy(0))
        #expect(reports[1].trainingReference == .policy(1) && reports[1].output == .policy(2))
        for (t, report) in zip([1, 2], reports) {
            // Recompute the round's rewards from the saved models.
            let scored = try JSONL.read(SampleRecord.self, from: layout.scored(t))
            let pairs = scored.map { TokenPair(prompt: s.prompts[$0.promptIndex], response: $0.tokens) }
            let policy = try store.load(report.rewardPolicy).logProbs(pairs)
            let reference = try store.load(report.rewardReference).logProbs(pairs)
            for (i, record) in scored.enumerated() {
                let expected = 0.1 * (policy[i] - reference[i])
                #expect(abs((record.score?.reward ?? .nan) - expected) < 1e-9)
            }
            #expect(report.generatedPairsUsed + report.offlinePairsUsed > 0)
        }
        // π_2 differs from π_1, which differs from π_0: each round trained its own model.
        let p0 = try store.load(.policy(0)), p1 = try store.load(.policy(1)), p2 = try store.load(.policy(2))
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
            let layout = RunLayout(root: folder.url, referenceModel: folder.file("ref"), initialPolicy: folder.file("pi0"))
            let store = try s.store()
            if let stopAfter {
                var events = 0
                let first = try DICEBootstrapper(configuration: s.configuration)
                first.observer = { _ in
                    events += 1
                    if events == stopAfter { throw Stop() }
                }
                #expect(throws: Stop.self) {
                    try first.run(prompts: s.prompts, offline: s.offline, store: store, layout: layout)
                }
            }
            let reports = try DICEBootstrapper(configuration: s.configuration)
                .run(prompts: s.prompts, offline: s.offline, store: store, layout: layout)
            let final = try store.load(.policy(2)).trainableParameters
            let metrics = try [1, 2].map { try Data(contentsOf: layout.metrics($0)) }
            return (reports, final.backend.download(final.values), metrics)
        }
        let (plain, weights, metrics) = try run(stopAfter: nil)
        let (resumed, resumedWeights, resumedMetrics) = try run(stopAfter: stopAfter)
        #expect(resumed == plain)
        #expect(resumedWeights == weights)
        #expect(resumedMetrics == metrics)
    }

    @Test func badSettingsFailBeforeWork() throws {
        let s = try Setup()
        var c = s.configuration
        c.samplesPerPrompt = 1
        #expect(throws: DICEError.self) { _ = try DICEBootstrapper(configuration: c) }
        c = s.configuration; c.gamma = 1.5
        #expect(throws: DICEError.self) { _ = try DICEBootstrapper(configuration: c) }
        c = s.configuration; c.rounds = 0
        #expect(throws: DICEError.self) { _ = try DICEBootstrapper(configuration: c) }
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url, referenceModel: folder.file("ref"), initialPolicy: folder.file("pi0"))
        #expect(throws: DICEError.self) {
            try DICEBootstrapper(configuration: s.configuration).run(prompts: [], offline: s.offline, store: try s.store(), layout: layout)
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
        let layout = RunLayout(root: folder.url, referenceModel: folder.file("ref"), initialPolicy: folder.file("pi0"))
        let store = SnapshotPolicyStore(reference: try s.makePolicy(), initial: try s.makePolicy(), make: { try s.makePolicy() })
        do {
            _ = try DICEBootstrapper(configuration: c).run(prompts: s.prompts, offline: s.offline, store: store, layout: layout)
            Issue.record("the run trained on nothing")
        } catch let DICEError.noTrainingPairs(round, pairing) {
            #expect(round == 1)
            #expect(pairing.prompts == s.prompts.count && pairing.promptsAllEqual == s.prompts.count && pairing.pairs == 0)
            #expect("\(DICEError.noTrainingPairs(round: round, pairing: pairing))".contains("\(s.prompts.count) had samples of equal reward"))
        }
    }
}
