extension ParameterStore {
    /// Refreshes the bfloat16 copy of the values from the Float32 masters (creating it the
    /// first time), so that bfloat16 products read the current weights. A no-op unless the
    /// backend is a `CPUBackend` with `dtype == .bf16`. `TransformerLM` calls it at the start
    /// of every forward pass over a batch and of every generation (`makeCache`), so writes to
    /// the values between passes (optimizer updates, restored checkpoints) are always seen.
    public func refreshBF16() {
        (backend as? CPUBackend)?.refreshBF16(values)
    }
}
