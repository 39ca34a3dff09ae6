// TrainableParameters: what an optimizer needs from a model — one flat parameter slice and a
// mirrored gradient slice on a backend — so that any policy type (a transformer, a user's
// tabular toy, a model on another runtime) can be trained by the same loop.

/// A model's parameters as one flat slice of Float32 values with a gradient slice of the same
/// layout, on one backend (what `ParameterStore` provides).
///
/// Invariant: `gradients().count == values.count`, and the gradient slice is the one the
/// model's pullback accumulates into.
public protocol TrainableParameters: AnyObject {
    /// Where values and gradients live.
    var backend: any Backend { get }
    /// All parameters, flat.
    var values: BufferSlice { get }
    /// The gradients, flat, in the layout of `values` (allocated on first use).
    /// - Throws: `BackendError.allocationFailed`.
    func gradients() throws -> BufferSlice
    /// Sets every gradient to zero.
    /// - Throws: `BackendError.allocationFailed` when the gradients are allocated now.
    func zeroGradients() throws
}

extension ParameterStore: TrainableParameters {}
