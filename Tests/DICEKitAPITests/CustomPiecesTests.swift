// Custom DICE pieces written against the public API only: a replay mixer of one's own runs
// through DICEBootstrapper; mixers, pair builders, rewarders and policies that break their
// contract make the run throw `DICEError.policyContract` naming them (the process does not
// crash, and the phase is not recorded as done); a reference given as a plain SequenceScorer
// works and gives the same run as the same model given as a policy.

import DICEKit
import Foundation
import Testing

/// Every generated pair, then the first offline pairs (in order) whose prompts are not among
/// them, as many as there are generated pairs.
struct OneForOneMixer: ReplayMixer {
    func select<Key: Hashable>(generatedPrompts: [Key], offlinePrompts: [Key], seed: UInt64) -> ReplaySelection {
        let used = Set(generatedPrompts)
        let offline = offlinePrompts.indices.filter { !used.contains(offlinePrompts[$0]) }.prefix(generatedPrompts.count)
        return ReplaySelection(generated: Array(generatedPrompts.indices), offline: Array(offline),
                               requestedOffline: generatedPrompts.count)
    }
}

/// Returns an index one past the generated pairs, or one index twice.
struct BrokenMixer: ReplayMixer {
    var repeatIndex = false
    func select<Key: Hashable>(generatedPrompts: [Key], offlinePrompts: [Key], seed: UInt64) -> ReplaySelection {
        ReplaySelection(generated: repeatIndex ? [0, 0] : [generatedPrompts.count], offline: [], requestedOffline: 0)
    }
}

/// The standard builder's pairs with one field of the first pair broken.
struct BrokenPairBuilder: PairBuilder {
    enum Fault { case promptIndex, sampleIndex }
    let fault: Fault
    let inner: BestWorstPairBuilder

    func buildPairs(from samples: [SampleRecord]) throws -> PairBuildingResult {
        var result = try inner.buildPairs(from: samples)
        switch fault {
        case .promptIndex: result.pairs[0].promptIndex = 999
        case .sampleIndex: result.pairs[0].rejected.sampleIndex = 77
        }
        return result
    }
}

/// DPO's implicit reward with its output broken: one score short, or a NaN reward.
struct BrokenRewarder: ImplicitRewarder {
    let inner: DPOImplicitRewarder
    let dropOne: Bool
    func scores(_ batch: [TokenPair]) throws -> [RewardScore] {
        var scores = try inner.scores(batch)
        if dropOne { scores.removeLast() } else { scores[3].reward = .nan }
        return scores
    }
}

/// A frozen reference that only scores: what a remote or read-only model offers.
final class FrozenScorer: SequenceScorer {
    let model: TabularPolicy
    private(set) var calls = 0
    init(_ model: TabularPolicy) { self.model = model }
    func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        calls += 1
        return try model.logProbs(batch)
    }
}

/// A policy whose samples carry a negative token id.
final class NegativeIDPolicy: Policy {
    func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        prompts.map { _ in Array(repeating: GeneratedSample(ids: [3, -2, 0], finishReason: .stop), count: count) }
    }
    func logProbs(_ batch: [TokenPair]) throws -> [Double] { batch.map { _ in 0 } }
}

@Suite("DICE: custom pieces (public API)")
struct CustomPiecesTests {
    /// The `reason` of a `policyContract` error (nil for another error).
    static func contract(_ error: DICEError?) -> String? {
        if case .policyContract(let reason)? = error { return reason }
        return nil
    }

    @Test("a custom ReplayMixer runs through DICEBootstrapper and makes each round's training set")
    func customMixer() throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let bootstrapper = try DICEBootstrapper(configuration: run.configuration, render: run.task.render)
        bootstrapper.replayMixer = OneForOneMixer()
        let reports = try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: try run.store(),
                                           layout: layout, mode: .fresh)
        #expect(reports.map(\.round) == [1, 2])
        for report in reports {
            let generated = try JSONL.read(GeneratedPair.self, from: layout.pairs(report.round))
            let rows = try JSONL.read(TrainingPairRecord.self, from: layout.trainingSet(report.round))
            #expect(!generated.isEmpty && report.generatedPairsUsed == generated.count)
            #expect(report.offlinePairsUsed == generated.count && report.offlinePairsRequested == generated.count)
            // The rows are the mixer's: every generated pair, then the first free offline pairs.
            let used = Set(generated.map { run.prompts[$0.promptIndex] })
            let free = run.offline.filter { !used.contains($0.prompt) }.prefix(generated.count)
            #expect(rows.compactMap(\.preferencePair) == generated.map {
                PreferencePair(prompt: run.prompts[$0.promptIndex], chosen: $0.chosen.tokens, rejected: $0.rejected.tokens)
            } + free)
            #expect(report.training?["loss"] != nil)
        }
    }

    @Test("a ReplayMixer returning an out-of-range or repeated index throws policyContract, not a crash",
          arguments: [false, true])
    func brokenMixer(repeatIndex: Bool) throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let bootstrapper = try DICEBootstrapper(configuration: run.configuration)
        bootstrapper.replayMixer = BrokenMixer(repeatIndex: repeatIndex)
        let error = #expect(throws: DICEError.self) {
            try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: try run.store(), layout: layout, mode: .fresh)
        }
        let reason = try #require(Self.contract(error), "\(String(describing: error))")
        #expect(reason.contains("ReplayMixer BrokenMixer returned generated index"))
        #expect(reason.contains(repeatIndex ? "index 0 twice" : "but there are"))
        // The pair phase was not recorded as done, and wrote nothing.
        let state = try RunState.read(from: layout.state)
        #expect(state == RunState(round: 1, phase: .score))
        #expect(!FileManager.default.fileExists(atPath: layout.trainingSet(1).path))
    }

    @Test("a PairBuilder with a bad prompt or sample index throws policyContract naming it",
          arguments: [BrokenPairBuilder.Fault.promptIndex, .sampleIndex])
    func brokenPairBuilder(fault: BrokenPairBuilder.Fault) throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let bootstrapper = try DICEBootstrapper(configuration: run.configuration)
        bootstrapper.pairBuilder = BrokenPairBuilder(
            fault: fault, inner: try BestWorstPairBuilder(lengthUnit: .tokens, minValid: 2, regularizer: LengthRegularizer(alpha: .auto)))
        let error = #expect(throws: DICEError.self) {
            try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: try run.store(),
                                 layout: RunLayout(root: folder.url), mode: .fresh)
        }
        let reason = try #require(Self.contract(error), "\(String(describing: error))")
        #expect(reason.hasPrefix("PairBuilder BrokenPairBuilder: pair 0 "))
        switch fault {
        case .promptIndex: #expect(reason.contains("prompt index 999, but there are 12 prompts"))
        case .sampleIndex: #expect(reason.contains("rejected response (sample index 77) that is not a scored sample"))
        }
    }

    @Test("a rewarder returning the wrong count or a non-finite reward throws policyContract", arguments: [true, false])
    func brokenRewarder(dropOne: Bool) throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let bootstrapper = try DICEBootstrapper(configuration: run.configuration)
        bootstrapper.makeRewarder = { policy, reference, beta in
            BrokenRewarder(inner: try DPOImplicitRewarder(policy: policy, reference: reference, beta: beta), dropOne: dropOne)
        }
        let error = #expect(throws: DICEError.self) {
            try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: try run.store(),
                                 layout: RunLayout(root: folder.url), mode: .fresh)
        }
        let reason = try #require(Self.contract(error), "\(String(describing: error))")
        #expect(reason.hasPrefix("ImplicitRewarder BrokenRewarder returned "))
        #expect(reason.contains(dropOne ? "47 scores for 48 samples" : "reward nan for sample 3 of prompt 0"))
    }

    @Test("a policy whose samples are malformed throws policyContract naming it")
    func brokenPolicy() throws {
        let round = try DICERound(plan: RoundPlan(round: 1), prompts: [[1, 2]], render: { "\($0)" })
        let error = #expect(throws: DICEError.self) { try round.sample(from: NegativeIDPolicy(), count: 2, seed: 0) }
        #expect(Self.contract(error) == "NegativeIDPolicy: prompt 0, sample 0: negative token id -2")
    }

    @Test("a reference given as a plain SequenceScorer scores round 1 and gives the same run")
    func frozenReference() throws {
        let run = try TabularRun()
        let a = try ScratchFolder(), b = try ScratchFolder()
        defer { a.remove(); b.remove() }
        let frozen = FrozenScorer(try run.makePolicy())
        let store = SnapshotPolicyStore(frozenReference: frozen, initial: try run.makeInitial(), make: { try run.makePolicy() })
        #expect(store.holds(.reference) && !store.holds(.policy(1)))
        #expect(throws: DICEError.self) { try store.policy(.reference) }
        let reports = try DICEBootstrapper(configuration: run.configuration)
            .run(prompts: run.prompts, offline: run.offline, store: store, layout: RunLayout(root: a.url), mode: .fresh)
        #expect(frozen.calls > 0)
        // Round 1's rewards are β·(log π_0 − log π_ref) with π_ref the frozen scorer.
        let scored = try JSONL.read(SampleRecord.self, from: RunLayout(root: a.url).scored(1))
        let units = scored.map { TokenPair(prompt: run.prompts[$0.promptIndex], response: $0.tokens) }
        let p0 = try run.makeInitial().logProbs(units), ref = try frozen.model.logProbs(units)
        for (i, s) in scored.enumerated() {
            #expect(abs((s.score?.reward ?? .nan) - 0.1 * (p0[i] - ref[i])) < 1e-12)
        }
        // The same model given as a policy: the same reports.
        let same = try DICEBootstrapper(configuration: run.configuration)
            .run(prompts: run.prompts, offline: run.offline, store: try run.store(), layout: RunLayout(root: b.url), mode: .fresh)
        #expect(reports == same)
    }
}
