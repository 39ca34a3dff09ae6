// DICERound's training phase: DPO of π_t, initialised from π_{t−1}, against the frozen π_{t−1}.

extension DICERound {
    /// Trains `policy` (π_{t−1}, becoming π_t in place) on `pairs` with `trainer`, against the
    /// frozen `reference` (π_{t−1}), whose log-probabilities are computed first, `batchSize`
    /// pairs at a time — except those given in `known` (pair i's (chosen, rejected) reference
    /// log-probs, e.g. what the score phase computed for a generated pair), which are used as
    /// they are.
    /// - Throws: `DICEError.invalidParameter` for no pairs, batchSize < 1 or a `known` list of
    ///   another length; what the reference and the trainer throw.
    public func train(_ policy: any TrainablePolicy, on pairs: [PreferencePair],
                      known: [(chosen: Double, rejected: Double)?] = [], reference: any SequenceScorer,
                      trainer: any DPOTrainer, batchSize: Int = 64) throws -> DPOTrainingSummary {
        guard !pairs.isEmpty else {
            throw DICEError.invalidParameter(name: "pairs", value: "0 pairs", expected: "at least one training pair")
        }
        guard batchSize >= 1 else {
            throw DICEError.invalidParameter(name: "batchSize", value: "\(batchSize)", expected: "≥ 1")
        }
        guard known.isEmpty || known.count == pairs.count else {
            throw DICEError.invalidParameter(name: "known", value: "\(known.count) values",
                                             expected: "none or one per pair (\(pairs.count))")
        }
        let missing = pairs.indices.filter { known.isEmpty || known[$0] == nil }
        let computed = try ReferenceLogProbs.compute(missing.map { pairs[$0] }, reference: reference, batchSize: batchSize)
        var logProbs = ReferenceLogProbs.zero(count: pairs.count)
        for (i, value) in known.enumerated() {
            guard let value else { continue }
            logProbs.chosen[i] = value.chosen
            logProbs.rejected[i] = value.rejected
        }
        for (j, i) in missing.enumerated() {
            logProbs.chosen[i] = computed.chosen[j]
            logProbs.rejected[i] = computed.rejected[j]
        }
        return try trainer.train(policy, pairs: pairs, reference: logProbs)
    }
}
