// CustomPolicy: a policy type of your own (SoftmaxTablePolicy, in this folder) driven through
// DICEKit's round phases (`DICERound`, the functions `DICEBootstrapper` runs) by a loop written
// here, with the policies kept in memory and no run folder — two DICE rounds on the embedded
// toy task:
//
//   sample K responses from π_{t−1}               (round.sample  → Policy.sample)
//   score them with β·(log π_{t−1} − log π_{t−2})  (round.score   → DPOImplicitRewarder)
//   length-regularized best/worst pairs           (round.pairs   → BestWorstPairBuilder, α auto)
//   mix in offline pairs                          (round.mix     → ExperienceReplayMixer, γ = 0.5)
//   DPO π_t from π_{t−1} against π_{t−1}          (round.train   → StandardDPOTrainer)
//
// Because the policy is a table, every figure printed is exact: expected judge score, quality
// and length under π (no sampling noise in the evaluation). Run: swift run CustomPolicyExample

import DICEKit
import Foundation

let task = try ToyTask()
let width = 8
// Prompts with `width` distinct reference responses each (the table's candidates). The offline
// pairs cover all of them; DICE's prompts X are the first 16. (A table does not generalise
// from one prompt to another, so π_0 must have seen X's prompts to carry a reward for them;
// replay then draws its offline pairs from the other prompts.)
let drawn = try task.prompts(count: 32, seed: 1)
let allCandidates = try task.candidateResponses(prompts: drawn, count: width, seed: 2)
let kept = drawn.indices.filter { allCandidates[$0].count == width }
let prompts = kept.map { drawn[$0] }, candidates = kept.map { allCandidates[$0] }
let diceCount = 16
let dicePrompts = Array(prompts.prefix(diceCount))

// Offline pairs: two candidates per prompt, labelled by the task's hidden judge (the only
// place the judge informs the learner).
var offline: [PreferencePair] = []
for (p, prompt) in prompts.enumerated() {
    for (a, b) in [(0, 1), (2, 3)] {
        let ja = try task.judgeScore(prompt: prompt, response: candidates[p][a])
        let jb = try task.judgeScore(prompt: prompt, response: candidates[p][b])
        guard ja != jb else { continue }
        let (chosen, rejected) = ja > jb ? (candidates[p][a], candidates[p][b]) : (candidates[p][b], candidates[p][a])
        offline.append(PreferencePair(prompt: prompt, chosen: chosen, rejected: rejected))
    }
}

/// Exact averages over DICE's prompts of E_π[J], E_π[quality] and E_π[|y|] (content words).
func expectations(_ policy: SoftmaxTablePolicy) throws -> (judge: Double, quality: Double, length: Double) {
    var j = 0.0, q = 0.0, l = 0.0
    for (p, prompt) in dicePrompts.enumerated() {
        for (pi, y) in zip(try policy.probabilities(prompt: p), candidates[p]) {
            j += pi * (try task.judgeScore(prompt: prompt, response: y))
            q += pi * (try task.quality(prompt: prompt, response: y))
            l += pi * Double(y.count - 1)
        }
    }
    let n = Double(dicePrompts.count)
    return (j / n, q / n, l / n)
}

func describe(_ name: String, _ policy: SoftmaxTablePolicy) throws {
    let e = try expectations(policy)
    print(String(format: "  %@: E[judge] %+.3f   E[quality] %+.3f   E[length] %.2f words", name, e.judge, e.quality, e.length))
}

let beta = 0.1
let dpo = DPOConfiguration(loss: try DPOLoss(beta: beta), learningRate: 0.05, batchSize: 8, steps: 30,
                           evaluationInterval: 0, checkpointInterval: 0, seed: 3)

print("Toy task: \(dicePrompts.count) prompts × \(width) candidate responses; \(offline.count) offline pairs on \(prompts.count) prompts")
let reference = try SoftmaxTablePolicy(prompts: prompts, candidates: candidates)  // π_ref: uniform
let initial = try reference.copy()
_ = try StandardDPOTrainer(configuration: dpo).train(
    initial, pairs: offline, reference: try ReferenceLogProbs.compute(offline, reference: reference))
try describe("π_ref", reference)
try describe("π_0  ", initial)

// policies[0] = π_ref (π_{−1}), policies[t + 1] = π_t.
var policies = [reference, initial]
let builder = try BestWorstPairBuilder(lengthUnit: .tokens, minValid: 4, regularizer: LengthRegularizer(alpha: .auto))
let mixer = try ExperienceReplayMixer(gamma: 0.5)
for t in 1...2 {
    let current = policies[t], previous = policies[t - 1]   // π_{t−1}, π_{t−2}
    print("Round \(t):")

    let round = try DICERound(plan: RoundPlan(round: t), prompts: dicePrompts, render: task.render)

    // Sample K = 8 responses per prompt from π_{t−1}.
    let samples = try round.sample(from: current, count: 8, seed: UInt64(t))

    // Score with the implicit reward of the previous DPO pair (π_{t−1}, π_{t−2}).
    let scored = try round.score(samples, with: try DPOImplicitRewarder(policy: current, reference: previous, beta: beta))

    // Length-regularized best/worst pairs, α chosen to balance their lengths.
    let built = try round.pairs(from: scored, builder: builder)
    let r = built.regularization
    print(String(format: "  %d pairs; α = %.4f; mean length gap (chosen − rejected) %.2f → %.2f tokens",
                 built.pairs.count, r.alpha, r.meanLengthGapBefore, r.meanLengthGapAfter))
    let agree = try built.pairs.filter {
        try task.judgeScore(prompt: dicePrompts[$0.promptIndex], response: $0.chosen.tokens)
            > task.judgeScore(prompt: dicePrompts[$0.promptIndex], response: $0.rejected.tokens)
    }.count
    print("  the hidden judge agrees with \(agree) of \(built.pairs.count) generated pairs")

    // Experience replay: γ = 0.5 of the training set from D_offline, on other prompts.
    let selection = try round.mix(built.pairs, offline: offline, mixer: mixer, seed: UInt64(10 + t))
    let training = round.trainingSet(built.pairs, offline: offline, selection: selection).compactMap(\.preferencePair)
    print("  training set: \(selection.generated.count) generated + \(selection.offline.count) offline pairs")

    // DPO: π_t starts from π_{t−1}, which is also its frozen reference.
    let next = try current.copy()
    var config = dpo
    config.seed = dpo.seed &+ UInt64(t)
    let summary = try round.train(next, on: training, reference: current,
                                  trainer: StandardDPOTrainer(configuration: config))
    if let m = summary.lastStep {
        print(String(format: "  DPO: %d steps, loss %.4f, reward accuracy %.2f", summary.steps, m.loss, m.rewardsAccuracies))
    }
    policies.append(next)
    try describe("π_\(t)  ", next)
}
