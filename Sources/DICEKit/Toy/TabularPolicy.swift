// TabularPolicy: a softmax policy over a fixed set of responses per prompt,
//     π(y_j | x_p) = exp(θ_p[j]) / Σ_k exp(θ_p[k]),
// whose parameters are the logits table θ (one named entry per prompt, `logits.<p>`, in a
// `ParameterStore`, so the trainers and optimizers that drive a transformer drive it too). Its
// log-probabilities and their gradients are exact:
//     ∂ log π(y_j | x_p) / ∂θ_p[i] = 1[i = j] − π(y_i | x_p).

import Foundation

/// A tabular softmax policy over a fixed response set per prompt: an exact `Policy` and
/// `DifferentiableSequenceScorer` for tests, examples and the toy demo.
public final class TabularPolicy: Policy, DifferentiableSequenceScorer {
    /// The prompts (token ids), in table order.
    public let prompts: [[Int]]
    /// Each prompt's responses (token ids); a response ending with `stopToken` finishes with
    /// `.stop`, any other with `.length` (truncated).
    public let responses: [[[Int]]]
    /// The stop token that marks a finished response.
    public let stopToken: Int
    /// The logits table: entry `logits.<p>` of shape [responses[p].count].
    public let parameters: ParameterStore

    private let promptIndex: [[Int]: Int]
    private let responseIndex: [[[Int]: Int]]

    /// A policy with all logits 0 (uniform over each prompt's responses).
    ///
    /// - Parameters:
    ///   - prompts: distinct, non-empty prompts.
    ///   - responses: per prompt, ≥ 1 distinct responses.
    ///   - stopToken: the EOS id (`ToyTask.eos` by default).
    ///   - backend: where the table lives (a one-thread CPU backend by default).
    /// - Throws: `DICEError.invalidParameter` for mismatched counts, empty or duplicate prompts
    ///   or responses; `BackendError.allocationFailed`.
    public init(prompts: [[Int]], responses: [[[Int]]], stopToken: Int = ToyTask.eos,
                backend: any Backend = CPUBackend(threads: 1)) throws {
        guard prompts.count == responses.count, !prompts.isEmpty else {
            throw DICEError.invalidParameter(name: "responses", value: "\(responses.count) sets",
                                             expected: "one non-empty set per prompt (\(prompts.count) prompts, at least one)")
        }
        var pIndex: [[Int]: Int] = [:]
        var rIndex: [[[Int]: Int]] = []
        for (p, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty, pIndex.updateValue(p, forKey: prompt) == nil else {
                throw DICEError.invalidParameter(name: "prompts[\(p)]", value: "\(prompt)", expected: "a non-empty prompt that appears once")
            }
            var index: [[Int]: Int] = [:]
            for (j, r) in responses[p].enumerated() where index.updateValue(j, forKey: r) != nil {
                throw DICEError.invalidParameter(name: "responses[\(p)][\(j)]", value: "\(r)", expected: "responses that appear once per prompt")
            }
            guard !index.isEmpty else {
                throw DICEError.invalidParameter(name: "responses[\(p)]", value: "[]", expected: "at least one response")
            }
            rIndex.append(index)
        }
        self.prompts = prompts
        self.responses = responses
        self.stopToken = stopToken
        self.promptIndex = pIndex
        self.responseIndex = rIndex
        self.parameters = try ParameterStore(
            shapes: responses.indices.map { (name: "logits.\($0)", shape: [responses[$0].count]) }, on: backend)
    }

    /// θ_p, the logits of prompt `p`.
    public func logits(prompt p: Int) throws -> [Double] {
        try parameters.get("logits.\(p)").map(Double.init)
    }

    /// Sets θ_p.
    /// - Throws: `ModelError.parameterShape` when the count is not responses[p].count.
    public func setLogits(prompt p: Int, _ values: [Double]) throws {
        try parameters.set("logits.\(p)", values.map(Float.init))
    }

    /// π(· | x_p), the softmax of θ_p.
    public func probabilities(prompt p: Int) throws -> [Double] {
        let logSoftmax = Self.logSoftmax(try logits(prompt: p))
        return logSoftmax.map { exp($0) }
    }

    // MARK: - SequenceScorer

    /// log π(response | prompt) for each pair.
    /// - Throws: `ModelError.invalidInput` naming the pair whose prompt or response is not in the
    ///   table.
    public func logProbs(_ batch: [TokenPair]) throws -> [Double] {
        try logProbsWithPullback(batch).logProbs
    }

    /// Log-probabilities and the exact pullback: dlogp[k]·(1[i = j_k] − π_i) is added to
    /// ∂L/∂θ_p[i] for each pair k of prompt p.
    public func logProbsWithPullback(_ batch: [TokenPair]) throws
        -> (logProbs: [Double], pullback: (_ dlogp: [Double]) throws -> Void) {
        var located: [(prompt: Int, response: Int)] = []
        located.reserveCapacity(batch.count)
        for (k, pair) in batch.enumerated() {
            guard let p = promptIndex[pair.prompt] else {
                throw ModelError.invalidInput(sequence: k, reason: "prompt \(pair.prompt) is not in the table")
            }
            guard let j = responseIndex[p][pair.response] else {
                throw ModelError.invalidInput(sequence: k, reason: "response \(pair.response) is not among prompt \(p)'s responses")
            }
            located.append((p, j))
        }
        var cache: [Int: [Double]] = [:]
        for p in Set(located.map(\.prompt)) { cache[p] = Self.logSoftmax(try logits(prompt: p)) }
        let values = located.map { cache[$0.prompt]?[$0.response] ?? -.infinity }
        let pullback: ([Double]) throws -> Void = { [parameters] dlogp in
            guard dlogp.count == located.count else {
                throw TensorError.shapeMismatch(operation: "TabularPolicy pullback", expected: [located.count],
                                                actual: [dlogp.count])
            }
            var add: [Int: [Double]] = [:]
            for (k, loc) in located.enumerated() {
                let logp = cache[loc.prompt] ?? []
                var g = add[loc.prompt] ?? [Double](repeating: 0, count: logp.count)
                for i in g.indices { g[i] -= dlogp[k] * exp(logp[i]) }
                g[loc.response] += dlogp[k]
                add[loc.prompt] = g
            }
            let backend = parameters.backend
            for (p, g) in add {
                let view = try parameters.gradient(try parameters.entry("logits.\(p)")).storage
                let current = backend.download(view)
                backend.upload(zip(current, g).map { $0 + Float($1) }, to: view)
            }
        }
        return (values, pullback)
    }

    // MARK: - Policy

    /// Draws `count` responses per prompt from π(· | x), each from its own stream
    /// `SplitMix64(seed:stream:)` of (prompt position, sample index).
    /// - Throws: `ModelError.invalidInput` for a prompt not in the table.
    public func sample(_ prompts: [[Int]], count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        try sample(prompts, rows: prompts.indices, count: count, seed: seed)
    }

    /// The groups of `rows` alone, each prompt from the streams of its position in `prompts`.
    /// - Throws: as `sample(_:count:seed:)`.
    public func sample(_ prompts: [[Int]], rows: Range<Int>, count: Int, seed: UInt64) throws -> [[GeneratedSample]] {
        try zip(rows, prompts[rows]).map { (position, prompt) in
            guard let p = promptIndex[prompt] else {
                throw ModelError.invalidInput(sequence: position, reason: "prompt \(prompt) is not in the table")
            }
            let probabilities = try self.probabilities(prompt: p)
            return (0 ..< count).map { k in
                var rng = SplitMix64(seed: seed, stream: UInt64(position) &* 0x1_0000 &+ UInt64(k))
                let r = responses[p][rng.categorical(probabilities)]
                return GeneratedSample(ids: r, finishReason: r.last == stopToken ? .stop : .length)
            }
        }
    }

    /// log-softmax, stable.
    static func logSoftmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
        return x.map { $0 - lse }
    }
}

extension TabularPolicy: Trainable {
    /// The logits table.
    public var trainableParameters: any TrainableParameters { parameters }
}
