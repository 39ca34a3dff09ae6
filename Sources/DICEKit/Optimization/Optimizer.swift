// Optimizer: one update of flat parameters from their gradients, with a state that can be
// saved in a checkpoint and restored bit for bit.

/// An optimizer's state: its update count and its buffers as named host tensors (e.g. AdamW's
/// `exp_avg` and `exp_avg_sq`, each shaped `[P]` for P parameters).
public struct OptimizerState: Sendable, Equatable {
    /// Updates applied so far.
    public var step: Int
    /// Named state buffers, flat, in the parameters' layout.
    public var tensors: [String: HostTensor]

    /// A state after `step` updates holding `tensors`.
    public init(step: Int, tensors: [String: HostTensor]) {
        self.step = step
        self.tensors = tensors
    }
}

/// Updates flat parameters in place from their gradients (see `TrainableParameters`).
///
/// `AdamW` and `SGD` conform; a user's optimizer conforms the same way (it may work on the
/// backend's kernels or download values and gradients, update on the host and upload) and is
/// handed to `StandardDPOTrainer`, `SFTTrainer` or a `TrainingStep`. Checkpoints record `name`
/// and the buffers of `state()`, and resuming restores them with `restore`.
public protocol Optimizer: AnyObject {
    /// A short name for files and reports: `"adamw"`, `"sgd"`. A checkpoint written with one
    /// name is not resumed with another.
    var name: String { get }
    /// Updates applied so far (AdamW's bias correction uses `step + 1` for the next update).
    var step: Int { get }
    /// Applies one update with `learningRate` to `parameters.values` from
    /// `parameters.gradients()` (which it does not zero).
    /// - Throws: `BackendError.allocationFailed` (state buffers are allocated on first use);
    ///   `OptimizationError.stateMismatch` when the parameter count changed since the last update.
    func update(_ parameters: any TrainableParameters, learningRate: Double) throws
    /// The state, copied to the host.
    func state() -> OptimizerState
    /// The whole state, as a checkpoint records it: `state()` for an optimizer that holds all of
    /// it; for one sharded over ranks (`ShardedOptimizer`) the ranks' shards gathered, which is a
    /// collective that every rank calls. The default is `state()`.
    /// - Throws: what the gathering throws (`CommunicatorError`).
    func checkpointState() throws -> OptimizerState
    /// Replaces the state with a saved one (for `parameterCount` parameters on `backend`).
    /// - Throws: `OptimizationError.stateMismatch` naming the buffer whose shape disagrees, or a
    ///   missing buffer.
    func restore(_ state: OptimizerState, parameterCount: Int, on backend: any Backend) throws
}

/// Why an optimizer's state could not be used. (Out-of-range hyper-parameters are
/// `DPOTrainingError.invalidSetting`, as every training setting.)
public enum OptimizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A saved or held state buffer does not fit the parameters.
    case stateMismatch(buffer: String, expected: Int, actual: Int)

    /// One readable sentence.
    public var description: String {
        switch self {
        case let .stateMismatch(buffer, expected, actual):
            return "optimizer state '\(buffer)': expected \(expected) values, found \(actual)"
        }
    }
}

extension Optimizer {
    /// `state()`: an optimizer that holds all its state.
    public func checkpointState() throws -> OptimizerState { state() }

    /// A buffer of `count` values uploaded from `tensors[name]`.
    static func restoredBuffer(_ name: String, from tensors: [String: HostTensor], count: Int,
                               on backend: any Backend) throws -> BufferSlice {
        guard let t = tensors[name] else { throw OptimizationError.stateMismatch(buffer: name, expected: count, actual: 0) }
        guard t.values.count == count else {
            throw OptimizationError.stateMismatch(buffer: name, expected: count, actual: t.values.count)
        }
        let slice = BufferSlice(try backend.allocate(count))
        backend.upload(t.values, to: slice)
        return slice
    }
}
