// SoftmaxTablePolicy: a policy type written outside DICEKit — a softmax over a fixed list of
// candidate responses per prompt — made usable by DICEKit's rewarder, pair builder and DPO
// trainer by conforming to three protocols:
//
//   Policy                         sample(_:count:seed:)      (responses to pair up)
//   DifferentiableSequenceScorer   logProbs, logProbsWithPullback  (rewards and DPO gradients)
//   Trainable                      trainableParameters        (what the optimizer updates)

import DICEKit
import Foundation

/// π(y_j | x_p) = exp(θ[p][j]) / Σ_k exp(θ[p][k]) over `candidates[p]`.
///
/// The logits θ live in a DICEKit `ParameterStore` (one flat Float32 buffer with a gradient
/// buffer of the same layout): that is all the optimizers need. Entry `logits` has shape
/// [prompts × candidates per prompt].
final class SoftmaxTablePolicy: Policy, DifferentiableSequenceScorer, Trainable {
    let prompts: [[Int]]
    /// The same number of candidates for every prompt; each ends with EOS (`ToyTask.eos`).
    let candidates: [[[Int]]]
    let parameters: ParameterStore
    private let width: Int

    init(prompts: [[Int]], candidates: [[[Int]]]) throws {
        precondition(prompts.count == candidates.count && !prompts.isEmpty, "one candidate list per prompt")
        let width = candidates[0].count
        precondition(candidates.allSatisfy { $0.count == width }, "the same number of candidates for every prompt")
        self.width = width
        self.prompts = prompts
        self.candidates = candidates
        parameters = try ParameterStore(shapes: [(name: "logits", shape: [prompts.count, width])], on: CPUBackend(threads: 1))
    }

    /// A policy with the same table and a copy of these logits.
    func copy() throws -> SoftmaxTablePolicy {
        let other = try SoftmaxTablePolicy(prompts: prompts, candidates: candidates)
        try other.parameters.set("logits", try parameters.get("logits"))
        return other
    }

    /// π(· | x_p).
    func probabilities(prompt p: Int) throws -> [Double] {
        let all = try parameters.get("logits")
        let row = all[(p * width)..<((p + 1) * width)].map(Double.init)
        let m = row.max() ?? 0
        let e = row.map { exp($0 - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    /// Where a (prompt, response) pair is in the table.
    private func locate(_ pair: TokenPair, at k: Int) throws -> (prompt: Int, candidate: Int) {
        guard let p = prompts.firstIndex(of: pair.prompt), let j = candidates[p].firstIndex(of: pair.response) else {
            throw ModelError.invalidInput(sequence: k, reason: "pair \(k) is not in the table")
        }
        return (p, j)
    }

    // MARK: SequenceScorer and DifferentiableSequenceScorer

    func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        try logProbsWithPullback(batch).logProbs
    }

    /// log π(y_j | x_p) and its gradient ∂ log π(y_j | x_p) / ∂θ[p][i] = 1[i = j] − π(y_i | x_p),
    /// added (never assigned) into the gradient buffer, as the protocol requires.
    func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        let located = try batch.enumerated().map { try locate($1, at: $0) }
        let probabilities = try Dictionary(uniqueKeysWithValues: Set(located.map(\.prompt)).map { ($0, try self.probabilities(prompt: $0)) })
        let values = located.map { log(probabilities[$0.prompt]![$0.candidate]) }
        let pullback: ([Double]) throws -> Void = { [parameters, width] dlogp in
            let gradient = try parameters.gradient(try parameters.entry("logits")).storage
            var g = parameters.backend.download(gradient)
            for (k, at) in located.enumerated() {
                let pi = probabilities[at.prompt]!
                for i in 0..<width { g[at.prompt * width + i] -= Float(dlogp[k] * pi[i]) }
                g[at.prompt * width + at.candidate] += Float(dlogp[k])
            }
            parameters.backend.upload(g, to: gradient)
        }
        return (values, pullback)
    }

    // MARK: Policy

    /// `count` draws from π(· | x) per prompt; draw k of prompt position i uses the random
    /// stream (i, k) of `seed`, so results do not depend on batching.
    func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        try prompts.enumerated().map { i, prompt in
            guard let p = self.prompts.firstIndex(of: prompt) else {
                throw ModelError.invalidInput(sequence: i, reason: "prompt \(prompt) is not in the table")
            }
            let pi = try probabilities(prompt: p)
            return (0..<count).map { k in
                var rng = SplitMix64(seed: seed, stream: UInt64(i) << 32 | UInt64(k))
                var u = rng.nextDouble(), j = 0
                while j < pi.count - 1, u >= pi[j] { u -= pi[j]; j += 1 }
                return GeneratedSample(ids: candidates[p][j], finishReason: .stop)
            }
        }
    }

    // MARK: Trainable

    var trainableParameters: any TrainableParameters { parameters }
}
