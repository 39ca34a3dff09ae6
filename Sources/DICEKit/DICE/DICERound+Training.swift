// DICERound's training phase: DPO of π_t, initialised from π_{t−1}, against the frozen π_{t−1}.

extension DICERound {
    /// Trains `policy` (π_{t−1}, becoming π_t in place) on `pairs` with `trainer`, against the
    /// frozen `reference` (π_{t−1}), whose log-probabilities are computed first, `batchSize`
    /// pairs at a time.
    /// - Throws: `DICEError.invalidParameter` for no pairs or batchSize < 1; what the reference
    ///   and the trainer throw.
    public func train(_ policy: any TrainablePolicy, on pairs: [PreferencePair], reference: any SequenceScorer,
                      trainer: any DPOTrainer, batchSize: Int = 64) throws -> DPOTrainingSummary {
        guard !pairs.isEmpty else {
            throw DICEError.invalidParameter(name: "pairs", value: "0 pairs", expected: "at least one training pair")
        }
        guard batchSize >= 1 else {
            throw DICEError.invalidParameter(name: "batchSize", value: "\(batchSize)", expected: "≥ 1")
        }
        let logProbs = try ReferenceLogProbs.compute(pairs, reference: reference, batchSize: batchSize)
        return try trainer.train(policy, pairs: pairs, reference: logProbs)
    }
}
