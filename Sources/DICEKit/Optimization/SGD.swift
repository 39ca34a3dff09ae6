// SGD: PyTorch's torch.optim.SGD (optional momentum and L2 weight decay) on a flat parameter
// slice, via the backend's kernel.

/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics (no dampening, no
/// Nesterov): g ← g + λ·θ; with momentum μ > 0, buf ← μ·buf + g (buf = g at the first update)
/// and θ ← θ − lr·buf; with μ = 0, θ ← θ − lr·g.
///
/// State: `momentum_buffer` `[P]` when μ > 0.
public final class SGD: Optimizer {
    /// `"sgd"`: recorded in checkpoints, which refuse to resume under another optimizer.
    public let name = "sgd"
    /// μ.
    public var momentum: Double
    /// λ (L2 penalty added to the gradient, PyTorch's `weight_decay`).
    public var weightDecay: Double
    /// The number of updates applied so far.
    public private(set) var step = 0
    private var buffer: BufferSlice?
    private var backend: (any Backend)?

    /// An SGD optimizer with momentum μ = `momentum` and L2 penalty λ = `weightDecay`.
    /// - Throws: `DPOTrainingError.invalidSetting` naming `momentum` outside [0, 1) or a
    ///   negative `weightDecay`.
    public init(momentum: Double = 0, weightDecay: Double = 0) throws {
        guard momentum >= 0 && momentum < 1 else {
            throw DPOTrainingError.invalidSetting(name: "momentum", value: "\(momentum)", expected: "a number in [0, 1)")
        }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw DPOTrainingError.invalidSetting(name: "weightDecay", value: "\(weightDecay)", expected: "a finite number ≥ 0")
        }
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// One SGD update of the flat `parameters` `[P]` from their accumulated gradients, at
    /// `learningRate` (already scheduled). With μ > 0 the momentum buffer `[P]` is allocated on the
    /// parameters' backend at the first update.
    /// - Throws: `OptimizationError.stateMismatch` when the buffer was made for another parameter
    ///   count; `BackendError.allocationFailed`.
    public func update(_ parameters: any TrainableParameters, learningRate: Double) throws {
        let values = parameters.values, b = parameters.backend
        let grads = try parameters.gradients()
        var mu = Float(momentum)
        if momentum > 0 {
            if buffer == nil {
                // PyTorch initialises the buffer with the first gradient (buf = g): with the
                // kernel's buf = μ·buf + g that is a zero buffer.
                buffer = BufferSlice(try b.allocate(values.count))
            }
            guard buffer?.count == values.count else {
                throw OptimizationError.stateMismatch(buffer: "momentum_buffer", expected: values.count,
                                                      actual: buffer?.count ?? 0)
            }
        } else {
            mu = 0
        }
        backend = b
        step += 1
        b.sgd(params: values, grads: grads, momentumBuffer: buffer ?? values, learningRate: Float(learningRate),
              momentum: mu, weightDecay: Float(weightDecay))
    }

    /// The step count and, with momentum, `momentum_buffer` `[P]` (downloaded to the host), for a
    /// checkpoint.
    public func state() -> OptimizerState {
        var tensors: [String: HostTensor] = [:]
        if let buffer, let backend {
            tensors["momentum_buffer"] = HostTensor(shape: [buffer.count], values: backend.download(buffer))
        }
        return OptimizerState(step: step, tensors: tensors)
    }

    /// Restores a checkpoint's `state` bit for bit, the momentum buffer uploaded to `backend`.
    /// - Throws: `OptimizationError` for a missing buffer or one whose length is not `parameterCount`.
    public func restore(_ state: OptimizerState, parameterCount: Int, on backend: any Backend) throws {
        step = state.step
        self.backend = backend
        buffer = momentum > 0 && state.step > 0
            ? try Self.restoredBuffer("momentum_buffer", from: state.tensors, count: parameterCount, on: backend)
            : nil
    }
}
