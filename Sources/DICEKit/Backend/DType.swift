/// The number format a backend's matrix products take their inputs in (`--dtype`).
///
/// bf16 is a storage and compute choice, not a model fork: parameters keep their Float32
/// values (the masters that optimizers update); under `.bf16` the CPU backend also holds a
/// bfloat16 copy of every `ParameterStore` and runs each matrix product with bfloat16 inputs
/// (weights from that copy, activations and gradients rounded to nearest even on the way in)
/// and Float32 accumulation. Everything else (norms, attention, softmax, losses, optimizer
/// state) stays Float32. Float32 is the oracle the bfloat16 kernels are tested against.
public enum DType: String, Sendable, Hashable, CaseIterable {
    /// Float32 inputs and accumulation (the default and the reference).
    case fp32
    /// bfloat16 inputs (8-bit significand: relative rounding error ≤ 2⁻⁸), Float32 accumulation.
    case bf16
}
