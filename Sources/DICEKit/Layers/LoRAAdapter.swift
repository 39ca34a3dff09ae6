// LoRAAdapter: one set of low-rank adapters over a model's linear layers — A and B of every
// targeted module in one flat store (so an optimizer trains it like any parameters), found by
// the module paths the architecture's layout declares; for a reward model, also a fully trained
// copy of its score head (PEFT's SEQ_CLS `modules_to_save`).

/// A set of LoRA adapters for a model: for every targeted linear layer `{module}` (in = its
/// input features, out = its outputs) a down projection `{module}.lora_A.weight` `[r, in]` and
/// an up projection `{module}.lora_B.weight` `[out, r]`, all in one flat `ParameterStore`; with
/// `LoRAConfiguration.trainsHead`, also `score.weight` `[labels, C]`, a copy of the model's score
/// head that trains in full and replaces the model's while the adapter is attached.
///
/// An adapter is attached to a model with `TransformerLM.adapter`; several adapters can be held
/// for one base and swapped per call (the base with no adapter is the DPO reference). It is
/// `TrainableParameters`: with it attached, a backward pass adds gradients to its store only and
/// the base gets no gradient buffer.
public final class LoRAAdapter {
    /// One adapted linear layer.
    public struct Module: Sendable, Hashable {
        /// The linear layer's module path, e.g. `model.layers.0.self_attn.q_proj`.
        public let name: String
        /// Input features of the layer.
        public let inputs: Int
        /// Output features of the layer.
        public let outputs: Int
        /// A `[r, inputs]`.
        public let a: ParameterStore.Entry
        /// B `[outputs, r]`.
        public let b: ParameterStore.Entry
        /// Its position in `modules` (keys its dropout stream).
        let ordinal: Int
    }

    /// Rank, alpha, dropout, scaling and targets.
    public let configuration: LoRAConfiguration
    /// A and B of every module, flat (names `{module}.lora_A.weight`, `{module}.lora_B.weight`).
    public let parameters: ParameterStore
    /// The adapted layers in layout order.
    public let modules: [Module]
    /// The trained copy of the score head, `score.weight` `[labels, C]` (nil unless
    /// `configuration.trainsHead`).
    public let head: ParameterStore.Entry?
    /// The model type of the base the adapter was made for (config.json `model_type`).
    public let baseModelType: String
    private let index: [String: Int]

    /// The suffix of a module's A weight.
    public static let aSuffix = ".lora_A.weight"
    /// The suffix of a module's B weight.
    public static let bSuffix = ".lora_B.weight"

    /// An adapter with A and B (and the head) zero for the linear layers of `layout` that
    /// `configuration` targets (call `initialize()` for PEFT's initialisation, or load weights).
    /// `headShape` is the model's score head `[labels, C]` (nil: the model has none).
    /// - Throws: `LoRAError.invalidConfiguration`, also for `trainsHead` without a `headShape`;
    ///   `LoRAError.unknownTargetModule` listing the names that exist;
    ///   `BackendError.allocationFailed`.
    public init(configuration: LoRAConfiguration, layout: ModelLayout, modelType: String,
                backend: any Backend, headShape: [Int]? = nil) throws {
        try configuration.validate()
        let targets = try Self.targets(configuration.targetModules, in: layout)
        let r = configuration.rank
        var shapes: [(name: String, shape: [Int])] = []
        for linear in targets {
            shapes.append((linear.module + Self.aSuffix, [r, linear.inputs]))
            shapes.append((linear.module + Self.bSuffix, [linear.outputs, r]))
        }
        if configuration.trainsHead {
            guard let headShape else {
                throw LoRAError.invalidConfiguration(field: "modules_to_save",
                                                     reason: "the score head trains only on a model that has one (a reward model); this \(modelType) model predicts tokens")
            }
            shapes.append((OutputHead.scoreWeightName, headShape))
        }
        let store = try ParameterStore(shapes: shapes, on: backend)
        var modules: [Module] = []
        for (i, linear) in targets.enumerated() {
            modules.append(Module(name: linear.module, inputs: linear.inputs, outputs: linear.outputs,
                                  a: try store.entry(linear.module + Self.aSuffix),
                                  b: try store.entry(linear.module + Self.bSuffix), ordinal: i))
        }
        self.configuration = configuration
        self.parameters = store
        self.modules = modules
        self.head = configuration.trainsHead ? try store.entry(OutputHead.scoreWeightName) : nil
        self.baseModelType = modelType
        self.index = Dictionary(uniqueKeysWithValues: modules.enumerated().map { ($1.name, $0) })
    }

    /// An adapter for `model`'s architecture on its backend, A and B zero; with
    /// `trainsHead`, the head starts as a copy of `model`'s score head (as PEFT copies a module
    /// to save).
    /// - Throws: as `init(configuration:layout:modelType:backend:headShape:)`.
    public convenience init(configuration: LoRAConfiguration, for model: TransformerLM) throws {
        let headShape: [Int]? = if case .score = model.head { model.outputProjection.shape } else { nil }
        try self.init(configuration: configuration, layout: model.layout, modelType: model.spec.modelType,
                      backend: model.backend, headShape: headShape)
        if let head {
            try parameters.set(head.name, model.parameters.get(model.outputProjection.name))
        }
    }

    /// The adapted module at `name`, if any.
    public func module(_ name: String) -> Module? { index[name].map { modules[$0] } }

    /// PEFT's initialisation: every A Kaiming-uniform (`kaiming_uniform_(a=√5)`, i.e. uniform
    /// in ±1/√in), drawn from `configuration.seed` in module order; every B zero (so the adapted
    /// model starts equal to its base). The head, if any, is left as it is.
    public func initialize() throws {
        var rng = SplitMix64(seed: configuration.seed)
        for m in modules {
            let bound = 1 / Float(m.inputs).squareRoot()
            let a = (0..<m.a.count).map { _ in (2 * rng.nextFloat() - 1) * bound }
            try parameters.set(m.a.name, a)
            try parameters.set(m.b.name, [Float](repeating: 0, count: m.b.count))
        }
    }

    /// The block linear layers of `layout` (attention and MLP projections, in layout order) that
    /// `names` targets (nil: all of them), matched as PEFT matches: the module path equals a
    /// name or ends with `"." + name`.
    /// - Throws: `LoRAError.unknownTargetModule` for a name that matches nothing, listing the
    ///   last components of the module paths that exist.
    public static func targets(_ names: [String]?, in layout: ModelLayout) throws -> [ModelLayout.Linear] {
        let all = layout.blockLinears
        guard let names else { return all }
        for name in names where !all.contains(where: { matches($0.module, name) }) {
            let available = Set(all.map { $0.module.split(separator: ".").last.map(String.init) ?? $0.module })
            throw LoRAError.unknownTargetModule(name: name, available: available.sorted())
        }
        return all.filter { linear in names.contains { matches(linear.module, $0) } }
    }

    private static func matches(_ module: String, _ name: String) -> Bool {
        module == name || module.hasSuffix("." + name)
    }
}

extension LoRAAdapter: TrainableParameters {
    /// The adapter store's backend.
    public var backend: any Backend { parameters.backend }
    /// A and B of every module, flat.
    public var values: BufferSlice { parameters.values }
    /// The adapter's gradients (allocated on first use).
    /// - Throws: `BackendError.allocationFailed`.
    public func gradients() throws -> BufferSlice { try parameters.gradients() }
    /// Zeroes the adapter's gradients.
    /// - Throws: `BackendError.allocationFailed` when they are allocated now.
    public func zeroGradients() throws { try parameters.zeroGradients() }
}

extension ModelLayout {
    /// Every linear layer of the blocks, in layout order: per block the attention projections
    /// (q, k, v or the fused one), the output projection, then the MLP's.
    public var blockLinears: [Linear] {
        blocks.flatMap { block -> [Linear] in
            let attention: [Linear] = switch block.attention.projections {
            case let .separate(q, k, v, _): [q, k, v]
            case let .fused(qkv): [qkv]
            }
            let mlp: [Linear] = switch block.feedForward {
            case let .swiglu(gate, up, down), let .geglu(gate, up, down): [gate, up, down]
            case let .gelu(fc, proj): [fc, proj]
            }
            return attention + [block.attention.output] + mlp
        }
    }
}
