// AdamW: PyTorch's torch.optim.AdamW on a flat parameter slice, via the backend's kernel.

/// AdamW (decoupled weight decay), PyTorch's `torch.optim.AdamW` update rule, run by
/// `Backend.adamW` over the whole flat parameter slice.
///
/// State: `exp_avg` (m) and `exp_avg_sq` (v), `[P]` each, allocated at the first update.
public final class AdamW: Optimizer {
    public let name = "adamw"
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// λ in θ ← θ − lr·λ·θ (applied every update; 0 disables it).
    public var weightDecay: Double
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

    public func state() -> OptimizerState {
        var tensors: [String: HostTensor] = [:]
        if let backend {
            for (key, buffer) in [("exp_avg", m), ("exp_avg_sq", v)] {
                if let buffer { tensors[key] = HostTensor(shape: [buffer.count], values: backend.download(buffer)) }
            }
        }
        return OptimizerState(step: step, tensors: tensors)
    }

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
