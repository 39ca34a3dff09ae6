// AdamW: PyTorch's torch.optim.AdamW on a flat parameter slice, via the backend's kernel.

/// AdamW (decoupled weight decay), PyTorch's `torch.optim.AdamW` update rule, run by
/// `Backend.adamW` over the whole flat parameter slice.
///
/// State: `exp_avg` (m) and `exp_avg_sq` (v), `[P]` each, allocated at the first update.
public final class AdamW: Optimizer {
    /// `"adamw"`: recorded in checkpoints, which refuse to resume under another optimizer.
    public let name = "adamw"
    /// The first moment's decay β₁ (default 0.9).
    public var beta1: Double
    /// The second moment's decay β₂ (default 0.999).
    public var beta2: Double
    /// ε added to √v̂ in the denominator (default 1e-8).
    public var epsilon: Double
    /// λ in θ ← θ − lr·λ·θ (applied every update; 0 disables it).
    public var weightDecay: Double
    /// The number of updates applied so far (the bias correction's t after the next update is `step + 1`).
    public private(set) var step = 0
    private var m: BufferSlice?
    private var v: BufferSlice?
    private var backend: (any Backend)?

    /// - Throws: `DPOTrainingError.invalidSetting` naming `beta1` or `beta2` outside [0, 1), a
    ///   non-positive `epsilon` or a negative `weightDecay`.
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        for (n, b) in [("beta1", beta1), ("beta2", beta2)] where !(b >= 0 && b < 1) {
            throw DPOTrainingError.invalidSetting(name: n, value: "\(b)", expected: "a number in [0, 1)")
        }
        guard epsilon > 0, epsilon.isFinite else {
            throw DPOTrainingError.invalidSetting(name: "epsilon", value: "\(epsilon)", expected: "a finite number > 0")
        }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw DPOTrainingError.invalidSetting(name: "weightDecay", value: "\(weightDecay)", expected: "a finite number ≥ 0")
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One AdamW update of the flat `parameters` `[P]` from their accumulated gradients, at
    /// `learningRate` (already scheduled). Allocates `exp_avg` and `exp_avg_sq` `[P]` on the
    /// parameters' backend at the first update.
    /// - Throws: `OptimizationError.stateMismatch` when the moments were made for another
    ///   parameter count; `BackendError.allocationFailed`.
    public func update(_ parameters: any TrainableParameters, learningRate: Double) throws {
        let values = parameters.values, b = parameters.backend
        let m = try self.m ?? BufferSlice(b.allocate(values.count))
        let v = try self.v ?? BufferSlice(b.allocate(values.count))
        guard m.count == values.count else {
            throw OptimizationError.stateMismatch(buffer: "exp_avg", expected: values.count, actual: m.count)
        }
        self.m = m
        self.v = v
        backend = b
        step += 1
        b.adamW(params: values, grads: try parameters.gradients(), m: m, v: v,
                AdamWStep(learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2),
                          epsilon: Float(epsilon), weightDecay: Float(weightDecay), step: step))
    }

    /// The step count and the moments `exp_avg` and `exp_avg_sq` (`[P]` each, downloaded to the
    /// host; none before the first update), for a checkpoint.
    public func state() -> OptimizerState {
        var tensors: [String: HostTensor] = [:]
        if let backend {
            for (key, buffer) in [("exp_avg", m), ("exp_avg_sq", v)] {
                if let buffer { tensors[key] = HostTensor(shape: [buffer.count], values: backend.download(buffer)) }
            }
        }
        return OptimizerState(step: step, tensors: tensors)
    }

    /// Restores a checkpoint's `state` bit for bit, its moments uploaded to `backend`; an empty state
    /// at step 0 resets the optimizer.
    /// - Throws: `OptimizationError` for a missing moment or one whose length is not `parameterCount`.
    public func restore(_ state: OptimizerState, parameterCount: Int, on backend: any Backend) throws {
        if state.step == 0 && state.tensors.isEmpty {
            (m, v, step, self.backend) = (nil, nil, 0, nil)
            return
        }
        m = try Self.restoredBuffer("exp_avg", from: state.tensors, count: parameterCount, on: backend)
        v = try Self.restoredBuffer("exp_avg_sq", from: state.tensors, count: parameterCount, on: backend)
        step = state.step
        self.backend = backend
    }
}
