// TrainingStep: the one optimizer update every trainer runs — zero the gradients, let the
// caller accumulate them (forward + pullback over its micro-batches), reduce them across
// workers, clip (or measure) their global norm, check it is finite, and update with the
// scheduled learning rate.

/// One update of flat parameters, shared by `StandardDPOTrainer`, `SFTTrainer` and any trainer a
/// user writes:
///
/// 1. `parameters.zeroGradients()`;
/// 2. the caller's `accumulate` (its forward passes and pullbacks add ∂L/∂θ into
///    `parameters.gradients()`; the loss is the caller's business);
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
        let backend = parameters.backend
        try parameters.zeroGradients()
        try accumulate()
        let gradients = try parameters.gradients()
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
