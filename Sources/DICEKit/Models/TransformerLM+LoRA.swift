// TransformerLM ⇄ LoRA: attaching an adapter set to the base's linear layers, and scoring with
// a given adapter set (or none: the base, DPO's reference) per call.

extension TransformerLM {
    /// The LoRA adapter every pass adds to the targeted linear layers (nil: the base alone).
    /// While one is attached the base is frozen: `trainableParameters` is the adapter, and a
    /// pullback adds gradients to the adapter only (the base allocates no gradient buffer).
    public var adapter: LoRAAdapter? { parameters.adapter }

    /// Attaches `adapter` (nil detaches).
    /// - Throws: `LoRAError.baseMismatch` naming the first module that does not fit (a module
    ///   that is not a linear layer of this model, other input or output sizes, an adapter for
    ///   another model type or backend); nothing is attached then.
    public func attach(_ adapter: LoRAAdapter?) throws {
        if let adapter { try checkFits(adapter) }
        parameters.adapter = adapter
    }

    /// Runs `body` with `adapter` attached (nil: the base), then restores the adapter attached
    /// before. A pullback made inside keeps the adapter its forward ran with.
    /// - Throws: as `attach(_:)`; what `body` throws.
    public func withAdapter<R>(_ adapter: LoRAAdapter?, _ body: () throws -> R) throws -> R {
        let before = parameters.adapter
        try attach(adapter)
        defer { parameters.adapter = before }
        return try body()
    }

    /// Throws unless every module of `adapter` is a linear layer of this model with the
    /// adapter's input and output sizes, on this model's backend, and an adapter's trained head
    /// has the shape of this model's score head.
    /// - Throws: `LoRAError.baseMismatch` naming the module.
    public func checkFits(_ adapter: LoRAAdapter) throws {
        let linears = Dictionary(layout.blockLinears.map { ($0.module, $0) }, uniquingKeysWith: { a, _ in a })
        guard adapter.backend === backend else {
            throw LoRAError.baseMismatch(module: adapter.modules.first?.name ?? "(none)",
                                         reason: "the adapter lives on another backend than the model")
        }
        if let head = adapter.head {
            guard case .score = self.head else {
                throw LoRAError.baseMismatch(module: "score", reason: "the adapter trains a score head (a reward model's adapter); this model predicts tokens: load the base as a reward model")
            }
            guard head.shape == outputProjection.shape else {
                throw LoRAError.baseMismatch(module: "score", reason: "the adapter's score head is \(head.shape), the base's \(outputProjection.shape)")
            }
        }
        for m in adapter.modules {
            guard let linear = linears[m.name] else {
                throw LoRAError.baseMismatch(module: m.name, reason: "the base model (\(spec.modelType)) has no linear layer of that name")
            }
            guard linear.inputs == m.inputs, linear.outputs == m.outputs else {
                throw LoRAError.baseMismatch(module: m.name, reason: "the adapter maps \(m.inputs) → \(m.outputs) features, the base layer \(linear.inputs) → \(linear.outputs)")
            }
        }
    }
}
