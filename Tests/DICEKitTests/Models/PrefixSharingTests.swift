import Foundation
import Testing
@testable import DICEKit

/// Prefix sharing (a prompt computed once for all the responses to it) gives the same
/// log-probs and gradients as the plain layout, on every fixture architecture (sliding windows
/// included: Mistral's and Gemma's window of 4 starts inside the shared 9-token prompt).
@Suite("Prefix sharing")
struct PrefixSharingTests {
    static func batch(vocabulary: Int) -> [TokenPair] {
        var rng = SplitMix64(seed: 11)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in Int(rng.next() % UInt64(vocabulary)) } }
        let p1 = ids(9), p2 = ids(1), p3 = ids(4)
        return [TokenPair(prompt: p1, response: ids(6)), TokenPair(prompt: p1, response: ids(3)),
                TokenPair(prompt: p2, response: ids(5)), TokenPair(prompt: p3, response: ids(1)),
                TokenPair(prompt: p2, response: ids(2)), TokenPair(prompt: p3, response: []),
                TokenPair(prompt: p1, response: ids(7))]
    }

    @Test(arguments: Fixtures.modelNames)
    func sharedEqualsPlain(_ name: String) throws {
        let model = try TransformerLM(directory: Fixtures.model(name), backend: CPUBackend())
        let pairs = Self.batch(vocabulary: model.spec.vocabularySize)
        let weights = [1.0, -0.7, 0.3, 2.0, -1.1, 0.5, 0.9]
        var results: [([Double], [Float])] = []
        for share in [false, true] {
            model.sharesPrompts = share
            try model.parameters.zeroGradients()
            let (values, pullback) = try model.logProbsWithPullback(pairs)
            try pullback(weights)
            results.append((values, model.backend.download(try model.parameters.gradients())))
        }
        let (plain, shared) = (results[0], results[1])
        #expect(shared.0[5] == 0)
        for (a, b) in zip(plain.0, shared.0) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "\(name): \(a) vs \(b)")
        }
        let diff = zip(plain.1, shared.1).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
        let norm = plain.1.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
        #expect(norm > 0)
        #expect(diff <= 1e-5 * norm, "\(name): gradient relative difference \(diff / norm)")
    }

    @Test func keySharingGroupsJoinOverlappingSequences() {
        let seqs = [AttentionSequence(start: 0, count: 3),
                    AttentionSequence(start: 3, count: 2, prefixStart: 0, prefixCount: 3),
                    AttentionSequence(start: 5, count: 4),
                    AttentionSequence(start: 9, count: 1, prefixStart: 0, prefixCount: 3),
                    AttentionSequence(start: 10, count: 2, prefixStart: 5, prefixCount: 4)]
        #expect(CPUBackend.keySharingGroups(seqs) == [[0, 1, 3], [2, 4]])
    }
}
