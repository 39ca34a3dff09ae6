// RewardModelFolder: the folder of `--rewarder rm:DIR` and `--judge rm:DIR` — a reward model
// directory, or a reward model's LoRA adapter folder over the base its adapter_config.json names.

import DICEKit
import Foundation

/// A reward model named on the command line: a one-label `…ForSequenceClassification` folder
/// (`dice rm`), or a SEQ_CLS LoRA adapter folder (`dice rm --lora-rank`) whose
/// `base_model_name_or_path` is the base folder (relative paths are read from the working
/// directory, as PEFT reads them).
struct RewardModelFolder {
    /// The model folder: the reward model itself, or the adapter's base (its config.json,
    /// tokenizer and chat template; the adapter folder's own tokenizer files are the base's).
    let model: ModelFolder
    /// The adapter folder, when the reward model is one.
    let adapter: URL?

    /// Reads `path` (given with `flag`).
    /// - Throws: `ModelFolder.InputError` naming the flag and the path for a missing folder, an
    ///   adapter folder without `base_model_name_or_path`, or a base folder that is not a model
    ///   folder; `FormatError` for an unreadable adapter_config.json or config.json.
    init(_ path: String, flag: String) throws {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent(PEFTAdapterDirectory.configFile).path) else {
            model = try ModelFolder(path, flag: flag)
            adapter = nil
            return
        }
        guard let base = try PEFTAdapterDirectory.baseModel(of: url), !base.isEmpty else {
            throw ModelFolder.InputError(description: "\(flag)\(path): a LoRA adapter folder whose \(PEFTAdapterDirectory.configFile) names no base_model_name_or_path (the base model folder)")
        }
        model = try ModelFolder(base, flag: "\(flag)\(path) (its base_model_name_or_path)")
        adapter = url
    }

    /// The reward model on `backend`: the folder's, or the base with the adapter attached.
    /// - Throws: what `RewardModel.init(directory:backend:registry:)` and
    ///   `RewardModel.init(adapter:base:backend:registry:)` throw.
    func load(backend: any Backend) throws -> RewardModel {
        guard let adapter else { return try RewardModel(directory: model.url, backend: backend, trainable: false) }
        return try RewardModel(adapter: adapter, base: model.url, backend: backend)
    }
}
