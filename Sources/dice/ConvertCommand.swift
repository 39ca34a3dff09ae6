import ArgumentParser
import DICEKit
import Foundation

/// `dice convert --from FILE.gguf --to DIR`: a GGUF model (llama.cpp) as a Hugging Face model
/// directory — model.safetensors, config.json, generation_config.json, tokenizer.json and
/// tokenizer_config.json (with the chat template) — that transformers' `from_pretrained` loads.
///
/// The directory appears whole or not at all: everything is written into a sibling staging folder
/// that is renamed into place at the end.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a GGUF model (Llama architecture) to a Hugging Face model directory."
    )

    @Option(name: .customLong("from"), help: "The .gguf file.")
    var source: String

    @Option(name: .customLong("to"), help: "The model directory to create.")
    var destination: String

    @Option(help: "Weight dtype in model.safetensors: f32, bf16 or f16.")
    var dtype: String = "f32"

    @Flag(help: "Replace the destination if it already exists.")
    var overwrite = false

    @Flag(help: "Print one JSON object instead of a sentence.")
    var json = false

    struct Report: Encodable {
        let source: String
        let destination: String
        let dtype: String
        let parameters: Int
        let tensors: Int
        let ignored_tensors: [String]
        let vocab_size: Int
        let chat_template: String?
        let seconds: Double
    }

    func validate() throws {
        guard ["f32", "bf16", "f16"].contains(dtype.lowercased()) else {
            throw ValidationError("--dtype must be f32, bf16 or f16, not \"\(dtype)\"")
        }
    }

    func run() throws {
        let start = Date()
        let storage: SafeTensorsDType = switch dtype.lowercased() {
        case "bf16": .bf16
        case "f16": .f16
        default: .f32
        }
        let sourceURL = URL(fileURLWithPath: source)
        let target = URL(fileURLWithPath: destination).standardizedFileURL
        let manager = FileManager.default
        if manager.fileExists(atPath: target.path), !overwrite {
            throw ValidationError("\(target.path) already exists (use --overwrite to replace it)")
        }

        note("reading \(sourceURL.path)")
        let gguf = try GGUFFile(contentsOf: sourceURL)
        let tokenizerFiles = try gguf.tokenizerFiles()
        let tokenizer = try Tokenizer(gguf: gguf)
        note("dequantising \(gguf.tensors.count) tensors")
        let directory = try gguf.modelDirectory()

        let staging = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: staging) }
        note("writing \(storage.rawValue) weights")
        try directory.write(to: staging, dtype: storage)
        try AtomicFile.write(tokenizerFiles.tokenizerJSON, to: staging.appendingPathComponent("tokenizer.json"))
        try AtomicFile.write(tokenizerFiles.tokenizerConfig, to: staging.appendingPathComponent("tokenizer_config.json"))

        if manager.fileExists(atPath: target.path) {
            let old = target.deletingLastPathComponent()
                .appendingPathComponent(".\(target.lastPathComponent).old-\(UUID().uuidString)")
            try manager.moveItem(at: target, to: old)
            try manager.moveItem(at: staging, to: target)
            try? manager.removeItem(at: old)
        } else {
            try manager.moveItem(at: staging, to: target)
        }

        let report = Report(
            source: sourceURL.path, destination: target.path, dtype: storage.rawValue,
            parameters: directory.tensors.values.reduce(0) { $0 + $1.elementCount },
            tensors: directory.tensors.count, ignored_tensors: directory.ignoredTensors,
            vocab_size: directory.config.vocabSize,
            chat_template: (try? tokenizer.chatTemplate).map { "\($0)" },
            seconds: Date().timeIntervalSince(start))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("Wrote \(target.path): \(report.parameters) parameters in \(report.tensors) tensors (\(storage.rawValue)), "
                + "vocabulary \(report.vocab_size), chat template \(report.chat_template ?? "none") "
                + "in \(String(format: "%.1f", report.seconds)) s.")
        }
    }

    private func note(_ message: String) {
        FileHandle.standardError.write(Data("dice convert: \(message)\n".utf8))
    }
}
