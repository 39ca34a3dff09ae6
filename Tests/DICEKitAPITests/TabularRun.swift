// A small DICE run on the toy task with tabular policies kept in memory, built from the public
// API only: the setting the custom-piece, custom-training and resume tests share.

import DICEKit
import Foundation

/// Prompts, offline pairs, settings and stores of a two-round DICE run on the toy task.
struct TabularRun {
    let task: ToyTask
    let prompts: [[Int]]
    let candidates: [[[Int]]]
    let offline: [PreferencePair]
    let configuration: DICEConfiguration

    /// A two-round run on `promptCount` prompts and offline pairs drawn from `offlinePrompts`
    /// prompts, K = `samples` (a prompt needs `minValid` finished ones), `steps` DPO updates of 8
    /// pairs per round, checkpointed every 2.
    init(promptCount: Int = 12, offlinePrompts: Int = 30, samples: Int = 4, minValid: Int = 2, steps: Int = 4,
         seed: UInt64 = 0) throws {
        task = try ToyTask()
        prompts = try task.prompts(count: promptCount, seed: 1)
        candidates = try task.candidateResponses(prompts: prompts, count: 6, seed: 2)
        offline = try task.offlinePairs(prompts: try task.prompts(count: offlinePrompts, seed: 3), seed: 4)
        let dpo = DPOConfiguration(loss: try DPOLoss(beta: 0.1), learningRate: 0.05, batchSize: 8, steps: steps,
                                   evaluationInterval: 1000, checkpointInterval: 2, seed: 5)
        configuration = DICEConfiguration(rounds: 2, samplesPerPrompt: samples, beta: 0.1, alpha: .auto,
                                          lengthUnit: .tokens, minValid: minValid, gamma: 0.5, dpo: dpo, seed: seed)
    }

    /// A uniform table over every prompt's candidates and every offline pair's responses.
    func makePolicy() throws -> TabularPolicy {
        var table: [[Int]: [[Int]]] = [:]
        var keys: [[Int]] = []
        func add(_ prompt: [Int], _ responses: [[Int]]) {
            if table[prompt] == nil { keys.append(prompt) }
            for r in responses where !(table[prompt] ?? []).contains(r) { table[prompt, default: []].append(r) }
        }
        for (p, r) in zip(prompts, candidates) { add(p, r) }
        for o in offline { add(o.prompt, [o.chosen, o.rejected]) }
        return try TabularPolicy(prompts: keys, responses: keys.map { table[$0] ?? [] })
    }

    /// π_0: leans towards what the judge likes.
    func makeInitial() throws -> TabularPolicy {
        let initial = try makePolicy()
        for (i, prompt) in initial.prompts.enumerated() {
            try initial.setLogits(prompt: i, try initial.responses[i].map { try task.judgeScore(prompt: prompt, response: $0) / 3 })
        }
        return initial
    }

    /// An in-memory store: π_ref uniform, π_0 from `makeInitial`.
    func store() throws -> SnapshotPolicyStore {
        SnapshotPolicyStore(reference: try makePolicy(), initial: try makeInitial(), make: { try makePolicy() })
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
