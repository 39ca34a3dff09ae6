// DPOConfiguration: every knob of a DPO run, with the reference code's defaults (DESIGN.md).

/// The settings of a DPO run. Defaults are those of the DICE reference code: sigmoid loss,
/// β 0.1, AdamW without weight decay, learning rate 5e-7 constant, 32 pairs per update, 300
/// updates, gradient clipping at 1.0.
public struct DPOConfiguration: Sendable, Hashable, Codable {
    /// Which optimizer updates the policy.
    public enum OptimizerKind: String, Sendable, Hashable, Codable, CaseIterable {
        case adamw, sgd
    }

    public var loss: DPOLoss
    public var optimizer: OptimizerKind
    /// The base learning rate (the schedule multiplies it).
    public var learningRate: Double
    /// AdamW's decoupled decay, or SGD's L2 penalty.
    public var weightDecay: Double
    public var schedule: LearningRateSchedule
    /// Pairs per update (the global batch).
    public var batchSize: Int
    /// Pairs per forward/backward pass; gradients of `batchSize / microBatchSize` passes are
    /// accumulated before each update. Must divide `batchSize`.
    public var microBatchSize: Int
    /// Updates to run.
    public var steps: Int
    /// Clip the gradient's global L2 norm to this (nil: no clipping).
    public var maxGradNorm: Double?
    /// Pairs held out for validation (drawn with the seed, never trained on).
    public var validationSize: Int
    /// Validate every this many updates, and after the last (0: only after the last).
    public var evaluationInterval: Int
    /// Write a checkpoint every this many updates, and after the last (0: only after the last).
    public var checkpointInterval: Int
    /// Seeds the validation split and the shuffling.
    public var seed: UInt64

    public init(loss: DPOLoss, optimizer: OptimizerKind = .adamw, learningRate: Double = 5e-7,
                weightDecay: Double = 0, schedule: LearningRateSchedule = .constant, batchSize: Int = 32,
                microBatchSize: Int? = nil, steps: Int = 300, maxGradNorm: Double? = 1.0, validationSize: Int = 0,
                evaluationInterval: Int = 50, checkpointInterval: Int = 50, seed: UInt64 = 0) {
        self.loss = loss
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize ?? batchSize
        self.steps = steps
        self.maxGradNorm = maxGradNorm
        self.validationSize = validationSize
        self.evaluationInterval = evaluationInterval
        self.checkpointInterval = checkpointInterval
        self.seed = seed
    }

    /// Checks the settings against a data set of `pairs` pairs.
    /// - Throws: `DPOTrainingError.invalidConfiguration` naming the setting.
    public func validate(pairs: Int) throws {
        func fail(_ s: String) throws -> Never { throw DPOTrainingError.invalidConfiguration(s) }
        if batchSize < 1 { try fail("batch size \(batchSize) must be ≥ 1") }
        if microBatchSize < 1 || batchSize % microBatchSize != 0 {
            try fail("micro-batch size \(microBatchSize) must divide the batch size \(batchSize)")
        }
        if steps < 0 { try fail("steps \(steps) must be ≥ 0") }
        if !(learningRate >= 0 && learningRate.isFinite) { try fail("learning rate \(learningRate) must be ≥ 0") }
        if let m = maxGradNorm, !(m > 0) { try fail("max grad norm \(m) must be positive") }
        if validationSize < 0 || validationSize >= pairs {
            try fail("validation size \(validationSize) must be in 0..<\(pairs) (the number of pairs)")
        }
        if evaluationInterval < 0 || checkpointInterval < 0 { try fail("intervals must be ≥ 0") }
    }

    /// A fresh optimizer of `optimizer`'s kind.
    /// - Throws: `OptimizationError.invalidHyperparameter`.
    public func makeOptimizer() throws -> any Optimizer {
        switch optimizer {
        case .adamw: return try AdamW(weightDecay: weightDecay)
        case .sgd: return try SGD(weightDecay: weightDecay)
        }
    }
}
