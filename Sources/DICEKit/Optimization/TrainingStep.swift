// TrainingStep: the one optimizer update every trainer runs — zero the gradients, let the
// caller accumulate them (forward + pullback over its micro-batches; optionally each
// micro-batch's gradient made apart and the parts summed in order), reduce them across workers,
// clip (or measure) their global norm, check it is finite, and update with the scheduled
// learning rate.

/// One update of flat parameters, shared by `StandardDPOTrainer`, `SFTTrainer` and any trainer a
/// user writes:
///
/// 1. `parameters.zeroGradients()`;
/// 2. the caller's `accumulate` (its forward passes and pullbacks add ∂L/∂θ into
///    `parameters.gradients()`; the loss is the caller's business) — or, with micro-batches,
///    each micro-batch's gradient made from zero and the parts added in order (see
///    `apply(to:index:lastCheckpointStep:microBatches:accumulate:)`);
/// 3. `reducer.reduce` on the gradient slice (identity in one process);
/// 4. the gradient's global L2 norm, clipped to `maxGradNorm` when set (PyTorch's
///    `clip_grad_norm_`);
/// 5. a NaN or infinite norm stops with `DPOTrainingError.nonFinite` before any parameter
///    changes;
/// 6. `optimizer.update` with `learningRate · schedule.multiplier(step: index)`.
public struct TrainingStep {
    /// Updates the parameters (its state advances with every `apply`).
    public var optimizer: any Optimizer
    /// Combines the gradient across workers after the accumulation.
    public var reducer: any GradientReducer
    /// The base learning rate (the schedule multiplies it).
    public var learningRate: Double
    /// The learning-rate multiplier per update.
    public var schedule: LearningRateSchedule
    /// Clip the gradient's global L2 norm to this (nil: measure it only).
    public var maxGradNorm: Double?
    /// The quantity a non-finite gradient norm is reported as in `DPOTrainingError.nonFinite`
    /// (`"gradient norm"`; SFT says `"SFT gradient norm"`).
    public var gradientNormName: String

    /// What one update measured.
    public struct Outcome: Sendable, Hashable {
        /// The gradient's global L2 norm after the reduction, before clipping.
        public var gradNorm: Double
        /// The learning rate the update used (base rate times the schedule).
        public var learningRate: Double

        /// An outcome of `gradNorm` and `learningRate`.
        public init(gradNorm: Double, learningRate: Double) {
            self.gradNorm = gradNorm
            self.learningRate = learningRate
        }
    }

    /// A step with `optimizer` at base rate `learningRate` (see the type's steps).
    public init(optimizer: any Optimizer, learningRate: Double, schedule: LearningRateSchedule = .constant,
                maxGradNorm: Double? = nil, reducer: any GradientReducer = .identity,
                gradientNormName: String = "gradient norm") {
        self.optimizer = optimizer
        self.reducer = reducer
        self.learningRate = learningRate
        self.schedule = schedule
        self.maxGradNorm = maxGradNorm
        self.gradientNormName = gradientNormName
    }

    /// Runs one update of `parameters`.
    ///
    /// - Parameters:
    ///   - parameters: what the caller's pullbacks accumulate into and the optimizer updates.
    ///   - index: the 0-based index of this update (the schedule's step; errors name `index + 1`).
    ///   - lastCheckpointStep: the last saved state, reported in a `nonFinite` error.
    ///   - accumulate: adds the update's gradient into `parameters.gradients()` (after they
    ///     were zeroed); throwing stops the update before anything changed.
    /// - Returns: the gradient norm and the learning rate used.
    /// - Throws: what `accumulate`, the reducer and the optimizer throw;
    ///   `DPOTrainingError.nonFinite(step: index + 1, quantity: gradientNormName, …)` for a NaN
    ///   or infinite gradient norm (no update applied); `BackendError.allocationFailed`.
    @discardableResult
    public func apply(to parameters: any TrainableParameters, index: Int, lastCheckpointStep: Int? = nil,
                      accumulate: () throws -> Void) throws -> Outcome {
        try apply(to: parameters, index: index, lastCheckpointStep: lastCheckpointStep, microBatches: 1) { _ in
            try accumulate()
        }
    }

    /// Runs one update of `parameters` whose gradient is the sum of `microBatches` gradients
    /// made apart.
    ///
    /// For each micro-batch `k` in `0..<microBatches`, in order, the gradients are zeroed and
    /// `accumulate(k)` adds that micro-batch's ∂L/∂θ; the parts are added element by element in
    /// Float32, left to right (`((g₀ + g₁) + g₂) + …`) — the arithmetic and the order of
    /// `Communicator.allReduceSum`, whose shard owner adds the ranks' values in rank order — and
    /// then the sum is reduced, clipped and applied as in `apply(to:index:lastCheckpointStep:accumulate:)`.
    /// So one process that accumulates N micro-batches and N ranks that accumulate one each (the
    /// same micro-batches, each gradient made from zero) end with the same bits. With
    /// `microBatches` 1 this is `apply(to:index:lastCheckpointStep:accumulate:)`; above 1 it holds
    /// one more gradient-sized buffer `[P]` on the parameters' backend during the update.
    ///
    /// - Parameters:
    ///   - parameters: what the caller's pullbacks accumulate into and the optimizer updates.
    ///   - index: the 0-based index of this update (the schedule's step; errors name `index + 1`).
    ///   - lastCheckpointStep: the last saved state, reported in a `nonFinite` error.
    ///   - microBatches: how many times `accumulate` is called (≥ 1).
    ///   - accumulate: adds micro-batch `k`'s gradient into `parameters.gradients()` (after they
    ///     were zeroed); throwing stops the update before anything changed.
    /// - Returns: the gradient norm and the learning rate used.
    /// - Throws: what `accumulate`, the reducer and the optimizer throw;
    ///   `DPOTrainingError.nonFinite(step: index + 1, quantity: gradientNormName, …)` for a NaN
    ///   or infinite gradient norm (no update applied); `BackendError.allocationFailed`.
    @discardableResult
    public func apply(to parameters: any TrainableParameters, index: Int, lastCheckpointStep: Int? = nil,
                      microBatches: Int, accumulate: (_ microBatch: Int) throws -> Void) throws -> Outcome {
        precondition(microBatches >= 1, "microBatches must be ≥ 1")
        let backend = parameters.backend
        try parameters.zeroGradients()
        try accumulate(0)
        let gradients = try parameters.gradients()
        if microBatches > 1 {
            // sum [P]: g₀ + … + g_{k−1}; the last addition goes straight into the gradients.
            let sum = BufferSlice(try backend.allocate(gradients.count, zeroed: false))
            backend.copy(gradients, to: sum)
            for k in 1..<microBatches {
                try parameters.zeroGradients()
                try accumulate(k)
                backend.add(sum, gradients, into: k == microBatches - 1 ? gradients : sum)
            }
        }
        try reducer.reduce(gradients, on: backend)
        let norm = maxGradNorm.map { backend.clipGlobalNorm([gradients], maxNorm: $0) } ?? backend.globalNorm([gradients])
        guard norm.isFinite else {
            throw DPOTrainingError.nonFinite(step: index + 1, quantity: gradientNormName, lastCheckpointStep: lastCheckpointStep)
        }
        let rate = learningRate * schedule.multiplier(step: index)
        try optimizer.update(parameters, learningRate: rate)
        return Outcome(gradNorm: norm, learningRate: rate)
    }
}
