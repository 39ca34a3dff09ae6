// The tabular policy: log-probabilities against the closed-form log-softmax, the pullback
// against the closed form and finite differences, sampling frequencies and determinism.

import Foundation
import Testing
@testable import DICEKit

@Suite("Toy tabular policy")
struct TabularPolicyTests {
    static let prompts = [[1, 7, 8], [2, 7, 9]]
    static let responses = [[[3, 0], [4, 4, 0], [5, 6]], [[3, 3, 0], [6, 0]]]

    func policy() throws -> TabularPolicy {
        let p = try TabularPolicy(prompts: Self.prompts, responses: Self.responses)
        try p.setLogits(prompt: 0, [0.5, -1, 2])
        try p.setLogits(prompt: 1, [0.25, 0])
        return p
    }

    @Test("log-probabilities are the log-softmax of the logits")
    func logProbs() throws {
        let p = try policy()
        let theta = [0.5, -1.0, 2.0]
        let z = theta.map(exp).reduce(0, +)
        let lp = try p.logProbs(Self.responses[0].map { TokenPair(prompt: Self.prompts[0], response: $0) })
        for j in 0 ..< 3 { #expect(abs(lp[j] - (theta[j] - log(z))) < 1e-7) }
        #expect(throws: ModelError.self) { try p.logProbs([TokenPair(prompt: [9], response: [3, 0])]) }
        #expect(throws: ModelError.self) { try p.logProbs([TokenPair(prompt: Self.prompts[0], response: [6, 0])]) }
    }

    @Test("the pullback adds dlogp·(1[i = j] − π_i) and matches finite differences")
    func pullback() throws {
        let p = try policy()
        let batch = [TokenPair(prompt: Self.prompts[0], response: [4, 4, 0]),
                     TokenPair(prompt: Self.prompts[0], response: [5, 6]),
                     TokenPair(prompt: Self.prompts[1], response: [6, 0])]
        let dlogp = [0.7, -1.3, 2.0]
        try p.parameters.zeroGradients()
        let (_, pullback) = try p.logProbsWithPullback(batch)
        try pullback(dlogp)
        let g0 = p.parameters.backend.download(try p.parameters.gradient(try p.parameters.entry("logits.0")).storage)
        let pi0 = try p.probabilities(prompt: 0)
        var expected0: [Double] = []
        for i in 0 ..< 3 {
            let hit1: Double = i == 1 ? 1 : 0
            let hit2: Double = i == 2 ? 1 : 0
            expected0.append(0.7 * (hit1 - pi0[i]) - 1.3 * (hit2 - pi0[i]))
        }
        for i in 0 ..< 3 { #expect(abs(Double(g0[i]) - expected0[i]) < 1e-6) }
        // Finite differences of L = Σ dlogp·logp in Double on the closed form.
        func loss(_ theta: [Double]) -> Double {
            let lse = log(theta.map(exp).reduce(0, +))
            return 0.7 * (theta[1] - lse) - 1.3 * (theta[2] - lse)
        }
        let theta = try p.logits(prompt: 0)
        for i in 0 ..< 3 {
            var up = theta, down = theta
            up[i] += 1e-5
            down[i] -= 1e-5
            #expect(abs((loss(up) - loss(down)) / 2e-5 - Double(g0[i])) < 1e-5)
        }
        // A second pullback accumulates.
        let (_, again) = try p.logProbsWithPullback(batch)
        try again(dlogp)
        let twice = p.parameters.backend.download(try p.parameters.gradient(try p.parameters.entry("logits.0")).storage)
        for i in 0 ..< 3 { #expect(abs(twice[i] - 2 * g0[i]) < 1e-6) }
        #expect(throws: TensorError.self) { try again([1]) }
    }

    @Test("sampling follows the softmax, is seeded, and marks responses without EOS as truncated")
    func sampling() throws {
        let p = try policy()
        let groups = try p.checkedSample(Self.prompts, count: 20_000, seed: 1)
        let pi = try p.probabilities(prompt: 0)
        for (j, r) in Self.responses[0].enumerated() {
            let freq = Double(groups[0].count { $0.tokens == r }) / 20_000
            #expect(abs(freq - pi[j]) < 0.015)
        }
        #expect(groups[0].allSatisfy { ($0.tokens == [5, 6]) == ($0.finishReason == .length) })
        #expect(try p.sample(Self.prompts, count: 5, seed: 3) == p.sample(Self.prompts, count: 5, seed: 3))
        #expect(try p.sample(Self.prompts, count: 5, seed: 3) != p.sample(Self.prompts, count: 5, seed: 4))
        #expect(throws: ModelError.self) { try p.sample([[9]], count: 1, seed: 0) }
    }

    @Test("duplicate prompts or responses and empty sets are rejected")
    func badTables() {
        #expect(throws: DICEError.self) { try TabularPolicy(prompts: [[1], [1]], responses: [[[2]], [[3]]]) }
        #expect(throws: DICEError.self) { try TabularPolicy(prompts: [[1]], responses: [[[2], [2]]]) }
        #expect(throws: DICEError.self) { try TabularPolicy(prompts: [[1]], responses: [[]]) }
        #expect(throws: DICEError.self) { try TabularPolicy(prompts: [[1]], responses: []) }
    }
}
