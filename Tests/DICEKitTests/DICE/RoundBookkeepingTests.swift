// Round bookkeeping: which model samples, scores and trains in each round; the run state's
// phase order and resume point; the run layout; reports round-tripping through JSON.

import Foundation
import Testing
@testable import DICEKit

@Suite("DICE round bookkeeping")
struct RoundBookkeepingTests {
    @Test("round t samples from π_{t−1}, scores with (π_{t−1}, π_{t−2}), trains π_t against π_{t−1}")
    func plans() throws {
        let plans = try RoundPlan.plans(rounds: 3)
        #expect(plans.map(\.round) == [1, 2, 3])
        let r1 = plans[0], r2 = plans[1], r3 = plans[2]
        #expect(r1.sampler == .policy(0) && r1.rewardPolicy == .policy(0) && r1.rewardReference == .reference)
        #expect(r1.trainingInitialization == .policy(0) && r1.trainingReference == .policy(0) && r1.output == .policy(1))
        #expect(r2.sampler == .policy(1) && r2.rewardPolicy == .policy(1) && r2.rewardReference == .policy(0))
        #expect(r2.trainingReference == .policy(1) && r2.output == .policy(2))
        #expect(r3.rewardReference == .policy(1) && r3.output == .policy(3))
        #expect(throws: DICEError.invalidParameter(name: "rounds", value: "0", expected: "≥ 1")) { try RoundPlan.plans(rounds: 0) }
    }

    @Test("model ids encode as pi_ref / pi_t and parse back")
    func modelIDs() throws {
        let ids: [ModelID] = [.reference, .policy(0), .policy(12)]
        let data = try JSONEncoder().encode(ids)
        #expect(String(decoding: data, as: UTF8.self) == #"["pi_ref","pi_0","pi_12"]"#)
        #expect(try JSONDecoder().decode([ModelID].self, from: data) == ids)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ModelID.self, from: Data(#""pi_-1""#.utf8)) }
        #expect(ModelID.pi(-1) == .reference && ModelID.pi(2) == .policy(2))
    }

    @Test("the layout names the run's own files; the directory store maps π_ref and π_0 to the inputs, π_t to round-t/model")
    func layout() throws {
        let layout = RunLayout(root: URL(fileURLWithPath: "/run"))
        #expect(layout.modelDirectory(round: 2).path == "/run/round-2/model")
        #expect(layout.pairs(1).path == "/run/round-1/pairs.jsonl")
        #expect(layout.state.path == "/run/state.json" && layout.settings.path == "/run/settings.json")
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let model = try TransformerLM(spec: TransformerSpec(modelType: "llama", vocabularySize: 8, hiddenSize: 8, intermediateSize: 8,
                                                            layers: 1, heads: 2, kvHeads: 1, maxPositions: 8),
                                      backend: CPUBackend(threads: 1))
        try model.modelDirectory(config: ModelConfig(model.spec)).write(to: folder.file("dpo"))
        let store = try DirectoryPolicyStore(referenceModel: folder.file("sft"), initialPolicy: folder.file("dpo"),
                                             layout: RunLayout(root: folder.file("run")), backend: CPUBackend(threads: 1),
                                             generation: GenerationParameters(maxNewTokens: 4))
        #expect(store.directory(for: .reference) == folder.file("sft"))
        #expect(store.directory(for: .policy(0)) == folder.file("dpo"))
        #expect(store.directory(for: .policy(2)).path == folder.file("run/round-2/model").path)
        #expect(store.holds(.policy(0)) && !store.holds(.reference) && !store.holds(.policy(1)) && store.isPersistent)
        // The inputs are never written.
        let error = #expect(throws: DICEError.self) { try store.save(try store.policy(.policy(0)), as: .policy(0)) }
        if case .invalidParameter(let name, _, _)? = error { #expect(name == "model") } else { Issue.record("\(String(describing: error))") }
        // Saving a trained policy frees its gradient buffer (scratch between updates) and keeps
        // its weights.
        let trained = try #require(try store.policy(.policy(0)) as? TransformerPolicy)
        try trained.model.parameters.zeroGradients()
        #expect(trained.model.parameters.hasGradients)
        try store.save(trained, as: .policy(1))
        #expect(!trained.model.parameters.hasGradients)
        #expect(store.holds(.policy(1)))
        let saved = try #require(try store.policy(.policy(1)) as? TransformerPolicy)
        #expect(saved.model.backend.download(saved.model.parameters.values)
            == trained.model.backend.download(trained.model.parameters.values))
    }

    @Test("the run state walks sample → score → pair → train → evaluate, round after round")
    func phaseOrder() throws {
        var state = RunState()
        var visited: [String] = []
        while let (round, phase) = state.next(rounds: 2) {
            visited.append("\(round).\(phase.rawValue)")
            try state.complete(round: round, phase: phase)
            #expect(state.isCompleted(round: round, phase: phase))
        }
        #expect(visited == ["1.sample", "1.score", "1.pair", "1.train", "1.evaluate",
                            "2.sample", "2.score", "2.pair", "2.train", "2.evaluate"])
        #expect(state.isCompleted(round: 1, phase: .evaluate) && !RunState().isCompleted(round: 1, phase: .sample))
        var fresh = RunState()
        #expect(throws: DICEError.self) { try fresh.complete(round: 1, phase: .score) }
        try fresh.complete(round: 1, phase: .sample)
        #expect(throws: DICEError.self) { try fresh.complete(round: 2, phase: .sample) }
        let after = RunState(round: 1, phase: .train).next(rounds: 1)
        #expect(after?.round == 1 && after?.phase == .evaluate)
        #expect(RunState(round: 1, phase: .evaluate).next(rounds: 1) == nil)
    }

    @Test("the run state survives a write/read round trip; a missing file is a fresh state")
    func stateFile() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("state.json")
        #expect(try RunState.read(from: url) == RunState())
        let state = RunState(round: 2, phase: .pair)
        try state.write(to: url)
        #expect(try RunState.read(from: url) == state)
    }

    @Test("an unreadable or impossible state file is an error naming the file",
          arguments: [#"{"version":1,"round":0,"phase":"train"}"#, #"{"version":2,"round":1,"phase":"train"}"#,
                      #"{"version":1,"round":1,"phase":"bake"}"#, "not json", #"{"round":1}"#])
    func badStateFile(contents: String) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("state.json")
        try Data(contents.utf8).write(to: url)
        let error = #expect(throws: DICEError.self) { try RunState.read(from: url) }
        if case .runState(let path, _)? = error { #expect(path == url.path) } else { Issue.record("wrong error \(String(describing: error))") }
    }

    @Test("a round report round-trips through JSON and renders Markdown")
    func report() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        try layout.createDirectories(rounds: 2)
        let pairing = PairBuildingResult(
            pairs: [], regularization: LengthRegularization(alpha: 0.01, meanLengthGapBefore: 12, meanLengthGapAfter: 0.5,
                                                            pairCountBefore: 9, pairCountAfter: 9),
            statistics: PairStatistics())
        let scored = [0.5, -1.5, 2.5, 0.5].enumerated().map { i, r in
            SampleRecord(promptIndex: 0, sampleIndex: i, tokens: [1, 0], text: "a", finishReason: .stop, score: RewardScore(reward: r))
        }
        let pair = GeneratedPair(promptIndex: 0, chosen: scored[2], rejected: scored[1], chosenShapedReward: 2.5,
                                 rejectedShapedReward: -1.5, chosenLength: 1, rejectedLength: 1)
        let rewards = RoundRewards(scored: scored, pairs: [pair])
        // mean 0.5; deviations 0, −2, 2, 0: population std √2.
        #expect(rewards.samples == RewardSummary([0.5, -1.5, 2.5, 0.5]))
        #expect(rewards.samples?.count == 4 && rewards.samples?.mean == 0.5 && rewards.samples?.standardDeviation == 2.0.squareRoot())
        #expect(rewards.samples?.min == -1.5 && rewards.samples?.max == 2.5)
        #expect(rewards.chosenMean == 2.5 && rewards.rejectedMean == -1.5)
        #expect(RewardSummary([]) == nil && RewardSummary([1, .nan]) == nil)
        var report = RoundReport(plan: RoundPlan(round: 2), prompts: 10, samplesPerPrompt: 16, lengthUnit: .characters,
                                 pairing: pairing, rewards: rewards, gamma: 0.5,
                                 replay: ReplaySelection(generated: [0, 1], offline: [3], requestedOffline: 2))
        report.training = ["loss": 0.6]
        report.evaluation = HeadToHeadResult(
            winRate: WinRate([.win, .tie, .loss, .win]),
            lengthControlled: try LengthControlledWinRate(verdicts: [.win, .loss], lengthsA: [3, 4], lengthsB: [3, 5]),
            lengthUnit: .characters, averageLength: 3.5, baselineAverageLength: 4)
        try report.write(to: layout)
        let decoded = try JSONDecoder().decode(RoundReport.self, from: Data(contentsOf: layout.roundReportJSON(2)))
        #expect(decoded == report)
        #expect(decoded.rewardReference == .policy(0) && decoded.trainingReference == .policy(1))
        let md = try String(contentsOf: layout.roundReportMarkdown(2), encoding: .utf8)
        #expect(md.contains("α = 0.010000") && md.contains("12.00 before, 0.50 after"))
        #expect(md.contains("2 generated + 1 offline (2 offline requested)"))
        #expect(md.contains("implicit rewards of the 4 samples: mean 0.5000, std 1.4142, min -1.5000, max 2.5000"))
        #expect(md.contains("chosen 2.5000, rejected -1.5000"))
    }
}
