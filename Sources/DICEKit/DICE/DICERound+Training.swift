// DICERound's training phase: DPO of π_t, initialised from π_{t−1}, against the frozen π_{t−1}.

extension DICERound {
    /// Trains `policy` (π_{t−1}, becoming π_t in place) on `pairs` with `trainer`, against the
    /// frozen `reference` (π_{t−1}), whose log-probabilities are computed first, `batchSize`
    /// pairs at a time — except those given in `known` (pair i's (chosen, rejected) reference
    /// log-probs, e.g. what the score phase computed for a generated pair), which are used as
    /// they are. With a `communicator` of several ranks each rank computes its share of the
    /// `batchSize` batches (`Communicator.share(of:batch:)`: the batches of one process, so the
    /// same bits) and the values are gathered; the trainer splits the updates itself.
    /// - Throws: `DICEError.invalidParameter` for no pairs, batchSize < 1 or a `known` list of
    ///   another length; what the reference, the communicator and the trainer throw.
    public func train(_ policy: any TrainablePolicy, on pairs: [PreferencePair],
                      known: [(chosen: Double, rejected: Double)?] = [], reference: any SequenceScorer,
                      trainer: any DPOTrainer, batchSize: Int = 64,
                      communicator: any Communicator = LocalCommunicator()) throws -> DPOTrainingSummary {
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
        let share = communicator.share(of: missing.count, batch: batchSize)
        var computed = try communicator.agree {
            try ReferenceLogProbs.compute(missing[share].map { pairs[$0] }, reference: reference, batchSize: batchSize)
        }
        if communicator.size > 1 {
            computed = ReferenceLogProbs(chosen: try communicator.allGatherConcatenated(computed.chosen),
                                         rejected: try communicator.allGatherConcatenated(computed.rejected))
        }
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
