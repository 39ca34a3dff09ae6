// LoRAError: why an adapter cannot be built, loaded or attached.

/// An adapter that does not fit its base model, or settings that cannot be used.
public enum LoRAError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A setting is unusable: `field` is its adapter_config.json key.
    case invalidConfiguration(field: String, reason: String)
    /// A target module name matches no linear layer of the model; `available` lists the names
    /// that do exist (the last component of each module path, sorted, unique).
    case unknownTargetModule(name: String, available: [String])
    /// The adapter does not fit the base at `module` (absent there, a wrong shape or rank).
    case baseMismatch(module: String, reason: String)

    /// One line for the terminal.
    public var description: String {
        switch self {
        case let .invalidConfiguration(field, reason): return "LoRA setting \(field): \(reason)"
        case let .unknownTargetModule(name, available):
            return "LoRA target module '\(name)' matches no linear layer of this model; it has: \(available.joined(separator: ", "))"
        case let .baseMismatch(module, reason): return "the adapter does not fit the base model at \(module): \(reason)"
        }
    }
}
