import ArgumentParser
import DICEKit
import Foundation

/// `dice merge --model BASE --adapter DIR --output OUT`: folds a LoRA adapter (PEFT layout) into
/// its base and writes the result as a full Hugging Face model directory (config.json,
/// generation_config.json, model.safetensors, the base's tokenizer files), whose logits equal
/// the base's with the adapter.
///
/// The base and the adapter are read and checked before anything is written; the directory is
/// written into a sibling staging folder renamed into place at the end, so it appears whole or
/// not at all.
struct MergeCommand: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a LoRA adapter into its base model (a full Hugging Face directory)."
    )

    @Option(help: "The base model's Hugging Face folder.") var model: String
    @Option(help: "The LoRA adapter folder (adapter_config.json + adapter_model.safetensors).") var adapter: String
    @Option(help: "The model folder to write.") var output: String
    @Flag(help: "Replace the output folder if it already exists.") var overwrite = false

    func run() throws {
        try reportingErrors(merge)
    }

    private func merge() throws {
        let modelURL = URL(fileURLWithPath: model)
        let target = URL(fileURLWithPath: output).standardizedFileURL
        let manager = FileManager.default
        if manager.fileExists(atPath: target.path), !overwrite {
            throw ValidationError("--output \(target.path) already exists (use --overwrite to replace it)")
        }
        let directory = try ModelDirectory.read(from: modelURL)
        let lm = try TransformerLM(directory, backend: try backendOptions.makeBackend())
        let lora = try PEFTAdapterDirectory.read(from: URL(fileURLWithPath: adapter), for: lm)
        try lm.merge(lora)

        let staging = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: staging) }
        try lm.modelDirectory(config: directory.config, generationConfig: directory.generationConfig).write(to: staging)
        try copyTokenizerFiles(from: modelURL, to: staging)
        if manager.fileExists(atPath: target.path) {
            let old = target.deletingLastPathComponent()
                .appendingPathComponent(".\(target.lastPathComponent).old-\(UUID().uuidString)")
            try manager.moveItem(at: target, to: old)
            try manager.moveItem(at: staging, to: target)
            try? manager.removeItem(at: old)
        } else {
            try manager.moveItem(at: staging, to: target)
        }
        print("merged \(lora.modules.count) adapted modules (rank \(lora.configuration.rank)) → \(target.path)")
    }
}
