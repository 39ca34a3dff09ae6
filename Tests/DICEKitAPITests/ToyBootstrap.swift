// A two-round DICE run on the toy task with tabular policies kept in memory, for the tests
// that plug a custom piece into DICEBootstrapper through the public API only.

import DICEKit
import Foundation

/// The toy task's prompts, candidate responses and offline pairs, and the store and settings of
/// a small two-round run.
struct ToyBootstrap {
    let task: ToyTask
    let prompts: [[Int]]
    let candidates: [[[Int]]]
    let offline: [PreferencePair]
    let configuration: DICEConfiguration

    /// A run of `steps` DPO updates of 8 pairs per round, checkpointed every 2.
    init(steps: Int = 6) throws {
        task = try ToyTask()
        prompts = try task.prompts(count: 16, seed: 1)
        candidates = try task.candidateResponses(prompts: prompts, count: 6, seed: 2)
        offline = try task.offlinePairs(prompts: try task.prompts(count: 40, seed: 3), seed: 4)
        let dpo = DPOConfiguration(loss: try DPOLoss(beta: 0.1), learningRate: 0.05, batchSize: 8, steps: steps,
                                   evaluationInterval: 1000, checkpointInterval: 2, seed: 5)
        configuration = DICEConfiguration(rounds: 2, samplesPerPrompt: 6, beta: 0.1, alpha: .auto,
                                          lengthUnit: .tokens, minValid: 3, gamma: 0.5, dpo: dpo, seed: 6)
    }

    /// A uniform tabular policy over the sampled candidates and the offline responses.
    func makePolicy() throws -> TabularPolicy {
        var table: [[Int]: [[Int]]] = [:]
        for (p, r) in zip(prompts, candidates) { table[p, default: []] += r }
        for o in offline { table[o.prompt, default: []] += [o.chosen, o.rejected] }
        let keys = (prompts + offline.map(\.prompt)).reduce(into: [[Int]]()) { if !$0.contains($1) { $0.append($1) } }
        let responses = keys.map { Array(Set(table[$0, default: []])).sorted { $0.lexicographicallyPrecedes($1) } }
        return try TabularPolicy(prompts: keys, responses: responses)
    }

    /// π_ref uniform, π_0 leaning towards what the judge likes.
    func store() throws -> SnapshotPolicyStore {
        let reference = try makePolicy(), initial = try makePolicy()
        for (i, prompt) in initial.prompts.enumerated() {
            try initial.setLogits(prompt: i, try initial.responses[i].map { try task.judgeScore(prompt: prompt, response: $0) / 3 })
        }
        return SnapshotPolicyStore(reference: reference, initial: initial, make: { try self.makePolicy() })
    }

    /// The run folder's layout (no model folders: the store is in memory).
    func layout(_ folder: ScratchFolder) -> RunLayout {
        RunLayout(root: folder.url)
    }

    /// The checkpoint a round's trainer left (`<round>/checkpoint/checkpoint`).
    func checkpoint(_ layout: RunLayout, round: Int) throws -> DPOCheckpoint? {
        try DPOCheckpoint.read(from: layout.roundDirectory(round).appendingPathComponent("checkpoint"))
    }
}
