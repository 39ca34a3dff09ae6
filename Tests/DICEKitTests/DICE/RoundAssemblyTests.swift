// One DICE round assembled from its public phases (`DICERound`, everything but training), on the
// toy task with tabular policies: sample → score → pair → mix, each artifact written and read
// back through the run layout, the run state advanced phase by phase.

import Foundation
import Testing
@testable import DICEKit

@Suite("DICE round assembly")
struct RoundAssemblyTests {
    @Test("sample, score, pair and mix through the protocols; artifacts round-trip")
    func oneRound() throws {
        let task = try ToyTask()
        let prompts = try task.prompts(count: 12, seed: 1)
        let candidates = try task.candidateResponses(prompts: prompts, count: 6, seed: 2)
        let reference = try TabularPolicy(prompts: prompts, responses: candidates)
        let policy = try TabularPolicy(prompts: prompts, responses: candidates)
        // π_0 prefers what the judge prefers (logits = judge score / 4).
        for p in prompts.indices {
            try policy.setLogits(prompt: p, try candidates[p].map { try task.judgeScore(prompt: prompts[p], response: $0) / 4 })
        }
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        try layout.createDirectories(rounds: 1)
        let plan = try #require(try RoundPlan.plans(rounds: 1).first)
        var state = try RunState.read(from: layout.state)
        let models: [ModelID: TabularPolicy] = [.reference: reference, .policy(0): policy]
        let sampler = try #require(models[plan.sampler])
        let round = try DICERound(plan: plan, prompts: prompts, render: task.render)

        // Sample.
        let k = 8
        let samples = try round.sample(from: sampler, count: k, seed: 3)
        #expect(samples.count == prompts.count * k)
        #expect(samples.map(\.promptIndex) == prompts.indices.flatMap { Array(repeating: $0, count: k) })
        #expect(samples.allSatisfy { $0.text == task.render($0.tokens) && $0.tokens.last == ToyTask.eos })
        try JSONL.write(samples, to: layout.samples(1))
        try state.complete(round: 1, phase: .sample)

        // Score with (π_0, π_ref).
        let rewarder = try DPOImplicitRewarder(policy: try #require(models[plan.rewardPolicy]),
                                               reference: try #require(models[plan.rewardReference]), beta: 0.1)
        let read = try JSONL.read(SampleRecord.self, from: layout.samples(1))
        #expect(read == samples)
        let scored = try round.score(read, with: rewarder)
        // Each reward is β·(log π_0 − log π_ref) of the sampled ids, recomputed here.
        for s in scored {
            let unit = [TokenPair(prompt: prompts[s.promptIndex], response: s.tokens)]
            let expected = 0.1 * (try policy.logProbs(unit)[0] - reference.logProbs(unit)[0])
            #expect(abs((s.score?.reward ?? .nan) - expected) < 1e-12)
        }
        try JSONL.write(scored, to: layout.scored(1))
        try state.complete(round: 1, phase: .score)

        // Pair and mix.
        let builder = try BestWorstPairBuilder(lengthUnit: .tokens, minValid: 4,
                                               regularizer: LengthRegularizer(alpha: .auto))
        let built = try round.pairs(from: try JSONL.read(SampleRecord.self, from: layout.scored(1)), builder: builder)
        #expect(!built.pairs.isEmpty)
        for pair in built.pairs {
            #expect(pair.chosenShapedReward > pair.rejectedShapedReward)
            #expect(pair.chosen.promptIndex == pair.promptIndex && pair.rejected.promptIndex == pair.promptIndex)
        }
        #expect(abs(built.regularization.meanLengthGapAfter) <= abs(built.regularization.meanLengthGapBefore))
        try JSONL.write(built.pairs, to: layout.pairs(1))
        #expect(try JSONL.read(GeneratedPair.self, from: layout.pairs(1)) == built.pairs)

        let offline = try task.offlinePairs(prompts: try task.prompts(count: 30, seed: 1), seed: 4)
        let mixer = try ExperienceReplayMixer(gamma: 0.5)
        let selection = try round.mix(built.pairs, offline: offline, mixer: mixer, seed: 5)
        #expect(selection == mixer.select(generatedPrompts: built.pairs.map { prompts[$0.promptIndex] },
                                          offlinePrompts: offline.map(\.prompt), seed: 5))
        let training = round.trainingSet(built.pairs, offline: offline, selection: selection)
        #expect(training.count == selection.generated.count + selection.offline.count)
        #expect(training.compactMap(\.preferencePair) == selection.generated.map {
            PreferencePair(prompt: prompts[built.pairs[$0].promptIndex], chosen: built.pairs[$0].chosen.tokens,
                           rejected: built.pairs[$0].rejected.tokens)
        } + selection.offline.map { offline[$0] })
        // Generated rows carry π_0's log-probs from the score phase: round 1's DPO reference.
        for record in training {
            let pair = try #require(record.preferencePair)
            if record.source == .generated {
                #expect(record.chosenReferenceLogProb == (try policy.logProbs([pair.chosenPair])[0]))
                #expect(record.rejectedReferenceLogProb == (try policy.logProbs([pair.rejectedPair])[0]))
            } else {
                #expect(record.referenceLogProbs == nil)
            }
        }
        // Generated and offline prompts are disjoint by token ids.
        let generatedPrompts = Set(training.filter { $0.source == .generated }.compactMap(\.promptTokens))
        #expect(training.filter { $0.source == .offline }.allSatisfy { !generatedPrompts.contains($0.promptTokens ?? []) })
        try JSONL.write(training, to: layout.trainingSet(1))
        #expect(try JSONL.read(TrainingPairRecord.self, from: layout.trainingSet(1)) == training)
        try state.complete(round: 1, phase: .pair)
        try state.write(to: layout.state)

        // Evaluate: the implicit reward's accuracy on pairs, against a direct count.
        let held = built.pairs.map {
            PreferencePair(prompt: prompts[$0.promptIndex], chosen: $0.rejected.tokens, rejected: $0.chosen.tokens)
        }
        let accuracy = try DICERound.rewardAccuracy(of: policy, reference: reference, on: held, beta: 0.1, batchSize: 3)
        let correct = try held.filter { pair in
            let r = { (y: [Int]) in 0.1 * (try policy.logProbs([TokenPair(prompt: pair.prompt, response: y)])[0]
                                            - reference.logProbs([TokenPair(prompt: pair.prompt, response: y)])[0]) }
            return try r(pair.chosen) > r(pair.rejected)
        }.count
        #expect(accuracy.total == held.count && accuracy.correct == correct && correct < held.count)

        // A resumed run continues with training.
        let resumed = try RunState.read(from: layout.state)
        let next = resumed.next(rounds: 1)
        #expect(next?.round == 1 && next?.phase == .train)
        #expect(resumed.isCompleted(round: 1, phase: .pair) && !resumed.isCompleted(round: 1, phase: .train))
    }

    /// A scorer that counts the pairs it is asked for.
    final class CountingScorer: SequenceScorer {
        let inner: any SequenceScorer
        var scored: [TokenPair] = []
        init(_ inner: any SequenceScorer) { self.inner = inner }
        func logProbs(_ batch: [TokenPair]) throws -> [Double] {
            scored += batch
            return try inner.logProbs(batch)
        }
    }

    /// A trainer that keeps the reference log-probs it is given and trains nothing.
    final class RecordingTrainer: DPOTrainer {
        var observer: ((DPOEvent) throws -> Void)?
        var reference: ReferenceLogProbs?
        func train(_ policy: any TrainablePolicy, pairs: [PreferencePair], reference: ReferenceLogProbs) throws -> DPOTrainingSummary {
            self.reference = reference
            return DPOTrainingSummary(steps: 0)
        }
    }

    @Test("training uses the known reference log-probs as given and computes only the others")
    func knownReference() throws {
        let task = try ToyTask()
        let prompts = try task.prompts(count: 6, seed: 1)
        let candidates = try task.candidateResponses(prompts: prompts, count: 3, seed: 2)
        let reference = try TabularPolicy(prompts: prompts, responses: candidates)
        let policy = try TabularPolicy(prompts: prompts, responses: candidates)
        let pairs = prompts.indices.map { PreferencePair(prompt: prompts[$0], chosen: candidates[$0][0], rejected: candidates[$0][1]) }
        let known: [(chosen: Double, rejected: Double)?] = pairs.indices.map { $0 % 2 == 0 ? (-1.5 - Double($0), -2.5) : nil }
        let round = try DICERound(plan: try #require(try RoundPlan.plans(rounds: 1).first), prompts: prompts, render: task.render)
        let counting = CountingScorer(reference), trainer = RecordingTrainer()
        _ = try round.train(policy, on: pairs, known: known, reference: counting, trainer: trainer, batchSize: 2)
        let given = try #require(trainer.reference)
        #expect(counting.scored.count == 2 * pairs.indices.filter { $0 % 2 == 1 }.count)
        for i in pairs.indices {
            if let value = known[i] {
                #expect(given.chosen[i] == value.chosen && given.rejected[i] == value.rejected)
            } else {
                #expect(given.chosen[i] == (try reference.logProbs([pairs[i].chosenPair])[0]))
                #expect(given.rejected[i] == (try reference.logProbs([pairs[i].rejectedPair])[0]))
            }
        }
        #expect(throws: DICEError.self) {
            _ = try round.train(policy, on: pairs, known: [nil], reference: counting, trainer: trainer)
        }
    }
}
