// The DPO implicit reward against its closed form on tabular policies, and the rewarder's
// batching and argument checks.

import Foundation
import Testing
@testable import DICEKit

/// A scorer that returns a fixed function of each pair and records its batch sizes.
final class FunctionScorer: SequenceScorer {
    let value: (TokenPair) -> Double
    private(set) var batchSizes: [Int] = []
    init(_ value: @escaping (TokenPair) -> Double) { self.value = value }
    func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        batchSizes.append(batch.count)
        return batch.map(value)
    }
}

@Suite("DICE implicit rewards")
struct ImplicitRewarderTests {
    @Test("β·(log π − log π_ref) on tabular policies equals the closed form")
    func closedForm() throws {
        let prompts = [[1, 7, 8], [2, 7, 9]]
        let responses = [[[3, 0], [4, 4, 0], [5]], [[3, 3, 0], [6, 0]]]
        let policy = try TabularPolicy(prompts: prompts, responses: responses)
        let reference = try TabularPolicy(prompts: prompts, responses: responses)
        let thetaPolicy = [[0.5, -1.0, 2.0], [0.25, 0.0]]
        let thetaReference = [[0.0, 0.0, 0.0], [1.0, -1.0]]
        for p in 0 ..< 2 {
            try policy.setLogits(prompt: p, thetaPolicy[p])
            try reference.setLogits(prompt: p, thetaReference[p])
        }
        let beta = 0.1
        let rewarder = try DPOImplicitRewarder(policy: policy, reference: reference, beta: beta, batchSize: 2)
        var batch: [TokenPair] = []
        var expected: [Double] = []
        for p in 0 ..< 2 {
            for (j, r) in responses[p].enumerated() {
                batch.append(TokenPair(prompt: prompts[p], response: r))
                // log softmax by hand
                let lp = thetaPolicy[p][j] - log(thetaPolicy[p].map(exp).reduce(0, +))
                let lr = thetaReference[p][j] - log(thetaReference[p].map(exp).reduce(0, +))
                expected.append(beta * (lp - lr))
            }
        }
        let scores = try rewarder.scores(batch)
        #expect(scores.count == expected.count)
        for (s, e) in zip(scores, expected) {
            #expect(abs(s.reward - e) < 1e-7)
            #expect(abs(beta * ((s.policyLogProb ?? .nan) - (s.referenceLogProb ?? .nan)) - s.reward) < 1e-12)
        }
    }

    @Test("scores in chunks of batchSize, in order", arguments: [1, 2, 3, 7])
    func batching(batchSize: Int) throws {
        let policy = FunctionScorer { Double($0.response.count) }
        let reference = FunctionScorer { Double($0.prompt.count) }
        let rewarder = try DPOImplicitRewarder(policy: policy, reference: reference, beta: 2, batchSize: batchSize)
        let batch = (0 ..< 5).map { TokenPair(prompt: [1, 2], response: Array(repeating: 3, count: $0)) }
        let rewards = try rewarder.scores(batch).map(\.reward)
        #expect(rewards == (0 ..< 5).map { 2 * (Double($0) - 2) })
        #expect(policy.batchSizes.allSatisfy { $0 <= batchSize })
        #expect(policy.batchSizes.reduce(0, +) == 5)
    }

    @Test("rejects β ≤ 0 and batchSize < 1")
    func arguments() {
        let s = FunctionScorer { _ in 0 }
        #expect(throws: DICEError.self) { try DPOImplicitRewarder(policy: s, reference: s, beta: 0) }
        #expect(throws: DICEError.self) { try DPOImplicitRewarder(policy: s, reference: s, beta: -.infinity) }
        #expect(throws: DICEError.self) { try DPOImplicitRewarder(policy: s, reference: s, beta: .nan) }
        #expect(throws: DICEError.self) { try DPOImplicitRewarder(policy: s, reference: s, beta: 0.1, batchSize: 0) }
    }
}
