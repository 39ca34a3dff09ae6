import Foundation
@testable import DICEKit

/// A user-defined policy, as an SDK user would write one: a unigram model
/// log p(y_t | anything) = θ[y_t] − logsumexp(θ), its gradient written by hand. It can be told to
/// return NaN from a given call on, to test the trainer's non-finite handling.
final class UnigramPolicy: DifferentiableSequenceScorer, Trainable {
    let parameters: ParameterStore
    var trainableParameters: any TrainableParameters { parameters }
    /// Calls of `logProbsWithPullback` so far.
    private(set) var calls = 0
    /// From this call (1-based) on, log-probs are NaN.
    var nanFromCall: Int?
    /// From this call (1-based) on, the pullback adds `gradientPoison` to θ₀'s gradient (the
    /// log-probs stay finite).
    var poisonGradientFromCall: Int?
    var gradientPoison = Float.nan

    init(vocabulary: Int, seed: UInt64) throws {
        parameters = try ParameterStore(shapes: [("theta", [vocabulary])], on: CPUBackend(threads: 1))
        var rng = SplitMix64(seed: seed)
        try parameters.set("theta", (0..<vocabulary).map { _ in rng.nextFloat() - 0.5 })
    }

    private func logSoftmax() throws -> [Double] {
        let theta = try parameters.get("theta").map(Double.init)
        let top = theta.max() ?? 0
        let lse = top + log(theta.reduce(0) { $0 + exp($1 - top) })
        return theta.map { $0 - lse }
    }

    func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        let l = try logSoftmax()
        return batch.map { $0.response.reduce(0) { $0 + l[$1] } }
    }

    func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        calls += 1
        var values = try logProbs(batch)
        if let n = nanFromCall, calls >= n { values = values.map { _ in .nan } }
        let l = try logSoftmax()
        let poison = poisonGradientFromCall.map { calls >= $0 } ?? false ? gradientPoison : 0
        return (values, { [parameters] dlogp in
            var g = parameters.backend.download(try parameters.gradients())
            for (pair, d) in zip(batch, dlogp) {
                for v in g.indices { g[v] -= Float(d * Double(pair.response.count) * exp(l[v])) }
                for t in pair.response { g[t] += Float(d) }
            }
            g[0] += poison
            parameters.backend.upload(g, to: try parameters.gradients())
        })
    }
}
