// LoRAPolicyStore: a PolicyStore whose policies are LoRA adapter sets over one loaded base — the
// run folder keeps each round's adapter, not a model, and scoring a round with π_{t−1} and
// π_{t−2} needs the base once.

import Foundation

/// A `PolicyStore` of LoRA adapters over one base model loaded once: π_0 is the base (with
/// `initialAdapter` when given), π_t (t ≥ 1) is the base with the adapter saved in
/// `round-t/model` (PEFT layout: adapter_config.json + adapter_model.safetensors). π_ref is the
/// base without adapter when `referenceModel` is nil, else the model in that folder (loaded on
/// each `scorer(.reference)` call).
///
/// Every policy it hands out shares the base (frozen) and carries its own adapter, attached per
/// call; training one changes only its adapter. Round 1 trains a new adapter (PEFT's
/// initialisation from `configuration`: B = 0, so it starts equal to π_0) when there is no
/// `initialAdapter`.
public final class LoRAPolicyStore: PolicyStore {
    /// The shared, frozen base.
    public let base: TransformerLM
    /// The folder the base was read from (recorded as the adapters' `base_model_name_or_path`).
    public let baseFolder: URL
    /// π_ref's folder, or nil when π_ref is the base itself.
    public let referenceModel: URL?
    /// π_0's adapter folder, or nil when π_0 is the base.
    public let initialAdapter: URL?
    /// The settings of the adapter round 1 makes when there is no `initialAdapter`.
    public let configuration: LoRAConfiguration
    /// The run folder whose `round-t/model` holds π_t's adapter.
    public let layout: RunLayout
    /// Sampling settings of every policy handed out.
    public let generation: GenerationParameters
    /// Used for stop strings, if any.
    public let tokenizer: Tokenizer?

    /// A store over `base` (read from `baseFolder`).
    /// - Throws: `LoRAError.invalidConfiguration` / `.unknownTargetModule` when `configuration`
    ///   does not fit the base.
    public init(base: TransformerLM, baseFolder: URL, referenceModel: URL?, initialAdapter: URL?,
                configuration: LoRAConfiguration, layout: RunLayout, generation: GenerationParameters,
                tokenizer: Tokenizer? = nil) throws {
        _ = try LoRAAdapter(configuration: configuration, for: base)
        self.base = base
        self.baseFolder = baseFolder
        self.referenceModel = referenceModel
        self.initialAdapter = initialAdapter
        self.configuration = configuration
        self.layout = layout
        self.generation = generation
        self.tokenizer = tokenizer
    }

    /// The adapter of `id` read from disk (a fresh instance), or nil for the base alone; a new
    /// initialised adapter for π_0 when `fresh` and π_0 has none (the policy round 1 trains).
    private func adapter(_ id: ModelID, fresh: Bool) throws -> LoRAAdapter? {
        switch id {
        case .reference: return nil
        case .policy(0):
            if let initialAdapter { return try PEFTAdapterDirectory.read(from: initialAdapter, for: base) }
            guard fresh else { return nil }
            let made = try LoRAAdapter(configuration: configuration, for: base)
            try made.initialize()
            return made
        case .policy(let t): return try PEFTAdapterDirectory.read(from: layout.modelDirectory(round: t), for: base)
        }
    }

    /// π_ref (the base, or `referenceModel`'s model, loaded frozen) or π_t as a scorer over the
    /// shared base.
    /// - Throws: `FormatError` / `LoRAError` when an adapter is missing or does not fit.
    public func scorer(_ id: ModelID) throws -> any SequenceScorer {
        if id == .reference, let referenceModel {
            return try TransformerLM(directory: referenceModel, backend: base.backend, trainable: false)
        }
        return TransformerPolicy(model: base, generation: generation, tokenizer: tokenizer, adapter: try adapter(id, fresh: false))
    }

    /// π_t as a policy over the shared base with a fresh copy of its adapter (π_0 without an
    /// initial adapter: a new one, equal to the base).
    /// - Throws: as `scorer(_:)`; `DICEError.invalidParameter` for π_ref (never trained).
    public func policy(_ id: ModelID) throws -> any BootstrapPolicy {
        guard id != .reference else {
            throw DICEError.invalidParameter(name: "model", value: "\(id)", expected: "π_t (π_ref is only scored)")
        }
        return TransformerPolicy(model: base, generation: generation, tokenizer: tokenizer, adapter: try adapter(id, fresh: true))
    }

    /// Writes `policy`'s adapter to `round-t/model` (PEFT layout).
    /// - Throws: `DICEError.invalidParameter` for π_ref or π_0; `DICEError.policyContract` for a
    ///   policy without an adapter; `FormatError.io`.
    public func save(_ policy: any BootstrapPolicy, as id: ModelID) throws {
        guard id.index >= 1 else {
            throw DICEError.invalidParameter(name: "model", value: "\(id)", expected: "π_t with t ≥ 1 (π_ref and π_0 are inputs, never written)")
        }
        guard let adapter = (policy as? TransformerPolicy)?.adapter else {
            throw DICEError.policyContract(reason: "LoRAPolicyStore saves TransformerPolicy adapters, got \(type(of: policy)) without one")
        }
        try PEFTAdapterDirectory.write(adapter, to: layout.modelDirectory(round: id.index), baseModel: baseFolder.path)
    }

    /// Whether model `id` is available: π_ref and π_0 always, π_t when its adapter files exist.
    public func holds(_ id: ModelID) -> Bool {
        guard id.index >= 1 else { return true }
        let folder = layout.modelDirectory(round: id.index)
        return [PEFTAdapterDirectory.configFile, PEFTAdapterDirectory.weightsFile]
            .allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    /// True: adapters are folders on disk.
    public var isPersistent: Bool { true }
}
