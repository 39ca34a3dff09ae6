// SFTTrainer: supervised fine-tuning — maximum likelihood of responses given prompts — on the
// same sequence log-prob interface and the same TrainingStep DPO uses.

/// Settings of an SFT run.
public struct SFTConfiguration: Sendable, Hashable, Codable {
    /// The optimizer (unless the trainer is given one).
    public var optimizer: OptimizerKind
    /// The base learning rate (the schedule multiplies it).
    public var learningRate: Double
    /// AdamW's decoupled decay, or SGD's L2 penalty.
    public var weightDecay: Double
    /// The learning-rate multiplier per update.
    public var schedule: LearningRateSchedule
    /// Examples per update.
    public var batchSize: Int
    /// Micro-batches per update whose gradients are made apart and summed in order, 1 to
    /// `batchSize` (default 1): the batch (a rank's share of it) is cut into this many
    /// contiguous pieces, as `DPOConfiguration.microBatches` cuts DPO's, so that one process with
    /// N computes the bits of N ranks with one each.
    public var microBatches: Int
    /// Updates.
    public var steps: Int
    /// Clip the gradient's global norm to this (nil: no clipping).
    public var maxGradNorm: Double?
    /// Seed of the data order.
    public var seed: UInt64

    /// Settings for `steps` updates of `batchSize` examples.
    public init(optimizer: OptimizerKind = .adamw, learningRate: Double = 1e-3,
                weightDecay: Double = 0, schedule: LearningRateSchedule = .constant, batchSize: Int = 32,
                microBatches: Int = 1, steps: Int = 100, maxGradNorm: Double? = 1.0, seed: UInt64 = 0) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.batchSize = batchSize
        self.microBatches = microBatches
        self.steps = steps
        self.maxGradNorm = maxGradNorm
        self.seed = seed
    }

    /// Checks the settings.
    /// - Throws: `DPOTrainingError.invalidSetting` naming the first setting out of range:
    ///   `batchSize`, `microBatches`, `steps`, `learningRate`, `weightDecay` or `maxGradNorm`.
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ expected: String) -> DPOTrainingError {
            .invalidSetting(name: name, value: "\(value)", expected: expected)
        }
        guard batchSize >= 1 else { throw fail("batchSize", batchSize, "a number ≥ 1") }
        guard microBatches >= 1, microBatches <= batchSize else {
            throw fail("microBatches", microBatches, "a number in 1...\(batchSize) (the batch size)")
        }
        guard steps >= 0 else { throw fail("steps", steps, "a number ≥ 0") }
        guard learningRate >= 0, learningRate.isFinite else { throw fail("learningRate", learningRate, "a finite number ≥ 0") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw fail("weightDecay", weightDecay, "a finite number ≥ 0") }
        if let m = maxGradNorm, !(m > 0) { throw fail("maxGradNorm", m, "a number > 0 (nil: no clipping)") }
    }
}

/// Trains a policy to maximise Σ log π(response | prompt), averaged over response tokens
/// (`loss = −Σ_i log π(y_i|x_i) / Σ_i |y_i|` per batch, the usual token-mean NLL), one
/// `TrainingStep` per batch.
///
/// With a `communicator` of several ranks, each rank takes its share of every batch (the loss
/// still normalised by the whole batch's response tokens) and the gradients are summed over the
/// ranks before clipping (`AllReduceGradientReducer`); the observer sees the whole batch's loss.
/// With `microBatches` N each share is cut into N micro-batches whose gradients are made apart
/// and summed in order (`TrainingStep.apply(to:index:lastCheckpointStep:microBatches:accumulate:)`).
public struct SFTTrainer {
    /// The run's settings.
    public var configuration: SFTConfiguration
    /// The optimizer to update with, used as it is; nil makes a fresh one of
    /// `configuration.optimizer`'s kind in each `train` call.
    public var optimizer: (any Optimizer)?
    /// Combines the gradient across workers before clipping (identity by default).
    public var reducer: any GradientReducer
    /// Receives (step, loss) after every update; throwing stops the run.
    public var observer: ((_ step: Int, _ loss: Double) throws -> Void)?
    /// The ranks that train together (`LocalCommunicator`, one process, by default).
    public var communicator: any Communicator = LocalCommunicator()

    /// A trainer; a trailing closure is the `observer`.
    public init(configuration: SFTConfiguration, optimizer: (any Optimizer)? = nil,
                reducer: any GradientReducer = .identity, observer: ((Int, Double) throws -> Void)? = nil) {
        self.configuration = configuration
        self.optimizer = optimizer
        self.reducer = reducer
        self.observer = observer
    }

    /// Trains `policy` in place on `examples`.
    /// - Returns: the last update's loss (nats per token; NaN when `steps` is 0).
    /// - Throws: `DPOTrainingError.invalidSetting` for bad settings or no example with a
    ///   response (before any work), `DPOTrainingError.nonFinite` for a NaN/Inf loss or
    ///   gradient, what the policy, the optimizer, the reducer and the observer throw.
    @discardableResult
    public func train(_ policy: any TrainablePolicy, examples: [TokenPair]) throws -> Double {
        let c = configuration
        try c.validate()
        guard examples.contains(where: { !$0.response.isEmpty }) else {
            throw DPOTrainingError.invalidSetting(name: "examples", value: "\(examples.count) examples",
                                                  expected: "at least one example with a non-empty response")
        }
        let optimizer = try self.optimizer ?? c.optimizer.makeOptimizer(weightDecay: c.weightDecay)
        let update = TrainingStep(optimizer: optimizer, learningRate: c.learningRate, schedule: c.schedule,
                                  maxGradNorm: c.maxGradNorm,
                                  reducer: communicator.size > 1 && !reducer.sumsOverRanks
                                      ? AllReduceGradientReducer(communicator, after: reducer) : reducer,
                                  gradientNormName: "SFT gradient norm")
        let parameters = policy.trainableParameters
        var order = DPODataOrder(count: examples.count, seed: c.seed)
        var last = Double.nan
        for step in 0..<c.steps {
            let batch = order.next(c.batchSize).map { examples[$0] }
            let tokens = Double(max(1, batch.reduce(0) { $0 + $1.response.count }))
            var loss = Double.nan
            let share = Array(batch[communicator.shard(of: batch.count)])
            try update.apply(to: parameters, index: step, microBatches: c.microBatches) { k in
                // Micro-batch k of the share; the losses added in order, as the ranks' are.
                let part = Array(share[Distribution.shard(of: share.count, rank: k, size: c.microBatches)])
                var partLoss = 0.0
                if !part.isEmpty {
                    let (logps, pullback) = try policy.logProbsWithPullback(part)
                    partLoss = -logps.reduce(0, +) / tokens
                    guard partLoss.isFinite else {
                        throw DPOTrainingError.nonFinite(step: step + 1, quantity: "SFT loss", lastCheckpointStep: nil)
                    }
                    try pullback([Double](repeating: -1 / tokens, count: part.count))
                }
                loss = k == 0 ? partLoss : loss + partLoss
            }
            if communicator.size > 1 {
                var total = [loss]
                try communicator.allReduceSum(&total)
                loss = total[0]
            }
            last = loss
            try observer?(step + 1, loss)
        }
        return last
    }
}

// MARK: - Coding

extension SFTConfiguration {
    private enum CodingKeys: String, CodingKey {
        case optimizer, learningRate, weightDecay, schedule, batchSize, microBatches, steps, maxGradNorm, seed
    }

    /// Decodes settings; `microBatches` absent (files written before it existed) is 1.
    /// - Throws: `DecodingError` for a missing or mistyped field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        optimizer = try c.decode(OptimizerKind.self, forKey: .optimizer)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        microBatches = try c.decodeIfPresent(Int.self, forKey: .microBatches) ?? 1
        steps = try c.decode(Int.self, forKey: .steps)
        maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    /// Encodes the settings as the synthesized coding did, with `microBatches` only when it is
    /// not 1 (so that the files of default runs keep their bytes).
    /// - Throws: `EncodingError`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(batchSize, forKey: .batchSize)
        if microBatches != 1 { try c.encode(microBatches, forKey: .microBatches) }
        try c.encode(steps, forKey: .steps)
        try c.encodeIfPresent(maxGradNorm, forKey: .maxGradNorm)
        try c.encode(seed, forKey: .seed)
    }
}
