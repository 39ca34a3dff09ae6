// DPOConfiguration: every knob of a DPO run, with the reference code's defaults (DESIGN.md).

/// The settings of a DPO run. Defaults are those of the DICE reference code: sigmoid loss,
/// β 0.1, AdamW without weight decay, learning rate 5e-7 constant, 32 pairs per update, 300
/// updates, gradient clipping at 1.0.
///
/// The loss and the optimizer named here are the trainer's defaults: `StandardDPOTrainer` also
/// takes any `PreferenceLoss` and any `Optimizer` of the user's.
public struct DPOConfiguration: Sendable, Hashable, Codable {
    /// The loss (and β of the reported rewards).
    public var loss: DPOLoss
    /// The optimizer that updates the policy.
    public var optimizer: OptimizerKind
    /// The base learning rate (the schedule multiplies it).
    public var learningRate: Double
    /// AdamW's decoupled decay, or SGD's L2 penalty.
    public var weightDecay: Double
    /// How the learning rate changes over the updates (constant, linear or cosine, with warm-up).
    public var schedule: LearningRateSchedule
    /// Pairs per update (the global batch).
    public var batchSize: Int
    /// Pairs per forward/backward pass; gradients of `batchSize / microBatchSize` passes are
    /// accumulated before each update. Must divide `batchSize`.
    public var microBatchSize: Int
    /// Micro-batches per update whose gradients are made apart and then summed, 1 to
    /// `batchSize` (default 1: one gradient accumulated over every pass).
    ///
    /// Each update's global batch of `batchSize` pairs (a rank's share of it, under several
    /// ranks) is cut into this many contiguous micro-batches (`Distribution.shard(of:rank:size:)`;
    /// each run in passes of at most `microBatchSize` pairs); each micro-batch's gradient, its
    /// loss derivatives scaled to the global batch, is made from zero, and the gradients are added
    /// in Float32 in micro-batch order before the reduction and clipping (`TrainingStep`). That
    /// is the arithmetic of `Communicator.allReduceSum` over ranks, so one process with N
    /// micro-batches computes the bits of N ranks with one each. The global batch stays
    /// `batchSize` (TRL's `gradient_accumulation_steps` multiplies the batch instead); the
    /// passes are at most `⌈batchSize / microBatches⌉` pairs, and one more gradient-sized buffer is
    /// held during the update.
    public var microBatches: Int
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

    /// Settings with the reference code's defaults; `microBatchSize` nil is `batchSize`.
    public init(loss: DPOLoss, optimizer: OptimizerKind = .adamw, learningRate: Double = 5e-7,
                weightDecay: Double = 0, schedule: LearningRateSchedule = .constant, batchSize: Int = 32,
                microBatchSize: Int? = nil, microBatches: Int = 1, steps: Int = 300, maxGradNorm: Double? = 1.0, validationSize: Int = 0,
                evaluationInterval: Int = 50, checkpointInterval: Int = 50, seed: UInt64 = 0) {
        self.loss = loss
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize ?? batchSize
        self.microBatches = microBatches
        self.steps = steps
        self.maxGradNorm = maxGradNorm
        self.validationSize = validationSize
        self.evaluationInterval = evaluationInterval
        self.checkpointInterval = checkpointInterval
        self.seed = seed
    }

    /// The largest β accepted: Float32's largest finite value, about 3.4e38.
    ///
    /// The loss's derivative with respect to a log-prob is β·σ(·), at most β, and it reaches the
    /// model's Float32 backward pass: a larger β makes every gradient infinite. Up to this bound
    /// the rewards β·(log π − log π_ref) stay finite in Double and encodable in JSON for any
    /// model: a log-prob is a sum of at most 2³¹ Float32 token log-probs, each below 3.4e38 in
    /// magnitude, so |reward| < 3.4e38 · 2 · 2³¹ · 3.4e38 ≈ 5e86, far below Double's 1.8e308.
    public static let largestBeta = Double(Float.greatestFiniteMagnitude)

    /// Checks the settings against a data set of `pairs` pairs.
    /// - Throws: `DPOTrainingError.invalidSetting` naming the first setting out of range:
    ///   `batchSize`, `microBatchSize`, `microBatches`, `steps`, `learningRate`, `weightDecay`, `maxGradNorm`
    ///   (finite and > 0 when given), `validationSize`, `evaluationInterval`,
    ///   `checkpointInterval`, or the loss's (`beta`, also above `largestBeta`,
    ///   `labelSmoothing`, `sftWeight`).
    public func validate(pairs: Int) throws {
        func fail(_ name: String, _ value: Any, _ expected: String) -> DPOTrainingError {
            .invalidSetting(name: name, value: "\(value)", expected: expected)
        }
        guard batchSize >= 1 else { throw fail("batchSize", batchSize, "a number ≥ 1") }
        guard microBatchSize >= 1, batchSize % microBatchSize == 0 else {
            throw fail("microBatchSize", microBatchSize, "a divisor of the batch size \(batchSize)")
        }
        guard microBatches >= 1, microBatches <= batchSize else {
            throw fail("microBatches", microBatches, "a number in 1...\(batchSize) (the batch size)")
        }
        guard steps >= 0 else { throw fail("steps", steps, "a number ≥ 0") }
        guard learningRate >= 0, learningRate.isFinite else { throw fail("learningRate", learningRate, "a finite number ≥ 0") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw fail("weightDecay", weightDecay, "a finite number ≥ 0") }
        if let m = maxGradNorm, !(m > 0 && m.isFinite) {
            throw fail("maxGradNorm", m, "a finite number > 0 (nil: no clipping)")
        }
        guard validationSize >= 0, validationSize < pairs else {
            throw fail("validationSize", validationSize, "a number in 0..<\(pairs) (the number of pairs)")
        }
        guard evaluationInterval >= 0 else { throw fail("evaluationInterval", evaluationInterval, "a number ≥ 0") }
        guard checkpointInterval >= 0 else { throw fail("checkpointInterval", checkpointInterval, "a number ≥ 0") }
        try loss.validate()
        guard loss.beta <= Self.largestBeta else {
            throw fail("beta", loss.beta, "a finite number > 0 and ≤ \(Self.largestBeta) (Float32's largest: the loss's gradient β·σ reaches the model's Float32 backward pass)")
        }
    }
}

// MARK: - Coding

extension DPOConfiguration {
    private enum CodingKeys: String, CodingKey {
        case loss, optimizer, learningRate, weightDecay, schedule, batchSize, microBatchSize, microBatches, steps,
             maxGradNorm, validationSize, evaluationInterval, checkpointInterval, seed
    }

    /// Decodes settings; `microBatches` absent (files written before it existed) is 1.
    /// - Throws: `DecodingError` for a missing or mistyped field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loss = try c.decode(DPOLoss.self, forKey: .loss)
        optimizer = try c.decode(OptimizerKind.self, forKey: .optimizer)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        schedule = try c.decode(LearningRateSchedule.self, forKey: .schedule)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        microBatchSize = try c.decode(Int.self, forKey: .microBatchSize)
        microBatches = try c.decodeIfPresent(Int.self, forKey: .microBatches) ?? 1
        steps = try c.decode(Int.self, forKey: .steps)
        maxGradNorm = try c.decodeIfPresent(Double.self, forKey: .maxGradNorm)
        validationSize = try c.decode(Int.self, forKey: .validationSize)
        evaluationInterval = try c.decode(Int.self, forKey: .evaluationInterval)
        checkpointInterval = try c.decode(Int.self, forKey: .checkpointInterval)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    /// Encodes the settings as the synthesized coding did, with `microBatches` only when it is
    /// not 1 (so that checkpoints and run settings of default runs keep their bytes).
    /// - Throws: `EncodingError`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(loss, forKey: .loss)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(microBatchSize, forKey: .microBatchSize)
        if microBatches != 1 { try c.encode(microBatches, forKey: .microBatches) }
        try c.encode(steps, forKey: .steps)
        try c.encodeIfPresent(maxGradNorm, forKey: .maxGradNorm)
        try c.encode(validationSize, forKey: .validationSize)
        try c.encode(evaluationInterval, forKey: .evaluationInterval)
        try c.encode(checkpointInterval, forKey: .checkpointInterval)
        try c.encode(seed, forKey: .seed)
    }
}
