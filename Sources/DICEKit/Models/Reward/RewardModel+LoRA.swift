// RewardModel ⇄ LoRA: a reward model trained as a PEFT SEQ_CLS adapter (low-rank adapters on
// the backbone plus a fully trained score head) over a base folder, loaded as one reward model.

import Foundation

extension RewardModel {
    /// The reward model a SEQ_CLS LoRA adapter folder (`dice rm --lora-rank`, or PEFT's
    /// `task_type="SEQ_CLS"`) makes over `base`, on `backend`, with the adapter attached to
    /// `network` (its trained score head replaces the base's).
    ///
    /// `base` is a causal language model (its backbone; its language-model head is dropped) or a
    /// one-label reward model (`…ForSequenceClassification`).
    /// - Throws: what `ModelDirectory.read` and `init(directory:backend:registry:)` throw for
    ///   `base`; what `PEFTAdapterDirectory.read(from:for:)` throws; `LoRAError.invalidConfiguration`
    ///   naming `modules_to_save` when the adapter trains no score head (a language model's
    ///   adapter, not a reward model's).
    public convenience init(adapter: URL, base: URL, backend: any Backend,
                            registry: ArchitectureRegistry = .standard) throws {
        let contents = try ModelDirectory.read(from: base, registry: registry)
        switch contents.config.head {
        case .languageModel: try self.init(languageModel: contents, backend: backend, seed: 0)
        case .score: try self.init(directory: base, backend: backend, registry: registry)
        }
        let loaded = try PEFTAdapterDirectory.read(from: adapter, for: network)
        guard loaded.head != nil else {
            throw LoRAError.invalidConfiguration(
                field: "modules_to_save",
                reason: "\(adapter.appendingPathComponent(PEFTAdapterDirectory.configFile).path): the adapter trains no score head (task_type SEQ_CLS, modules_to_save [\"score\"]): it is a language model's adapter, not a reward model's")
        }
        try network.attach(loaded)
    }
}
