// SFTTrainer: supervised fine-tuning — maximum likelihood of responses given prompts — on the
// same sequence log-prob interface DPO uses.

/// Settings of an SFT run.
public struct SFTConfiguration: Sendable, Hashable, Codable {
    public var optimizer: DPOConfiguration.OptimizerKind
    public var learningRate: Double
    public var weightDecay: Double
    public var schedule: LearningRateSchedule
    /// Examples per update.
    public var batchSize: Int
    /// Updates.
    public var steps: Int
    /// Clip the gradient's global norm to this (nil: no clipping).
    public var maxGradNorm: Double?
    /// Seed of the data order.
    public var seed: UInt64

    public init(optimizer: DPOConfiguration.OptimizerKind = .adamw, learningRate: Double = 1e-3,
                weightDecay: Double = 0, schedule: LearningRateSchedule = .constant, batchSize: Int = 32,
                steps: Int = 100, maxGradNorm: Double? = 1.0, seed: UInt64 = 0) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.batchSize = batchSize
        self.steps = steps
        self.maxGradNorm = maxGradNorm
        self.seed = seed
    }
}

/// Trains a policy to maximise Σ log π(response | prompt), averaged over response tokens
/// (`loss = −Σ_i log π(y_i|x_i) / Σ_i |y_i|` per batch, the usual token-mean NLL).
public struct SFTTrainer {
    public var configuration: SFTConfiguration
    /// Receives (step, loss) after every update; throwing stops the run.
    public var observer: ((_ step: Int, _ loss: Double) throws -> Void)?

    public init(configuration: SFTConfiguration, observer: ((Int, Double) throws -> Void)? = nil) {
        self.configuration = configuration
        self.observer = observer
    }

    /// Trains `policy` in place on `examples`.
    /// - Returns: the last update's loss (nats per token).
    /// - Throws: `DICEError.invalidParameter` for no examples or bad settings,
    ///   `DPOTrainingError.nonFinite` for a NaN/Inf loss or gradient, what the policy throws.
    @discardableResult
    public func train(_ policy: any TrainablePolicy, examples: [TokenPair]) throws -> Double {
        let c = configuration
        guard !examples.isEmpty, examples.contains(where: { !$0.response.isEmpty }) else {
            throw DICEError.invalidParameter(name: "examples", value: "\(examples.count)", expected: "examples with responses")
        }
        guard c.batchSize >= 1, c.steps >= 0, c.learningRate >= 0 else {
            throw DICEError.invalidParameter(name: "SFT settings", value: "batch \(c.batchSize), steps \(c.steps)",
                                             expected: "batch ≥ 1, steps ≥ 0, learning rate ≥ 0")
        }
        let optimizer = try DPOConfiguration(loss: try DPOLoss(), optimizer: c.optimizer, weightDecay: c.weightDecay)
            .makeOptimizer()
        let parameters = policy.trainableParameters
        var order = DPODataOrder(count: examples.count, seed: c.seed)
        var last = Double.nan
        for step in 0..<c.steps {
            let batch = order.next(c.batchSize).map { examples[$0] }
            let tokens = Double(max(1, batch.reduce(0) { $0 + $1.response.count }))
            try parameters.zeroGradients()
            let (logps, pullback) = try policy.logProbsWithPullback(batch)
            let loss = -logps.reduce(0, +) / tokens
            guard loss.isFinite else {
                throw DPOTrainingError.nonFinite(step: step + 1, quantity: "SFT loss", lastCheckpointStep: nil)
            }
            try pullback([Double](repeating: -1 / tokens, count: batch.count))
            let gradients = try parameters.gradients()
            let norm = c.maxGradNorm.map { parameters.backend.clipGlobalNorm([gradients], maxNorm: $0) }
                ?? parameters.backend.globalNorm([gradients])
            guard norm.isFinite else {
                throw DPOTrainingError.nonFinite(step: step + 1, quantity: "SFT gradient norm", lastCheckpointStep: nil)
            }
            try optimizer.update(parameters, learningRate: c.learningRate * c.schedule.multiplier(step: step))
            last = loss
            try observer?(step + 1, loss)
        }
        return last
    }
}
