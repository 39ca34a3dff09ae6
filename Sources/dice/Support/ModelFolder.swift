// ModelFolder: a Hugging Face model folder named on the command line, checked before any work.

import DICEKit
import Foundation

/// A model folder's configuration and tokenizer (weights are loaded later, when needed).
struct ModelFolder {
    /// The folder.
    let url: URL
    /// config.json.
    let config: ModelConfig
    /// tokenizer.json's tokenizer, when the folder has one.
    let tokenizer: Tokenizer?

    /// A problem with a model folder.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// Checks that `path` (given with `flag`) is a folder with config.json and weights, and
    /// reads its configuration and tokenizer.
    /// - Throws: `InputError` naming the flag and the path when the folder, config.json or the
    ///   weights are missing; `FormatError`/`TokenizerError` for unreadable files.
    init(_ path: String, flag: String) throws {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: path)
        self.url = url
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(description: "\(flag) \(path): no such folder")
        }
        let configURL = url.appendingPathComponent(ModelDirectory.configFile)
        guard fm.fileExists(atPath: configURL.path) else {
            throw InputError(description: "\(flag) \(path): not a model folder (no \(ModelDirectory.configFile))")
        }
        let hasWeights = [ModelDirectory.weightsFile, ModelDirectory.indexFile]
            .contains { fm.fileExists(atPath: url.appendingPathComponent($0).path) }
        guard hasWeights else {
            throw InputError(description: "\(flag) \(path): not a model folder (no \(ModelDirectory.weightsFile))")
        }
        config = try ModelConfig.load(contentsOf: configURL)
        tokenizer = fm.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
            ? try Tokenizer(directory: url) : nil
    }

    /// The architecture config.json describes.
    var spec: TransformerSpec { TransformerSpec(config) }

    /// The text of token ids: decoded by the tokenizer (special tokens left out), else the ids
    /// separated by spaces.
    func render(_ ids: [Int]) -> String {
        tokenizer?.decode(ids, skipSpecialTokens: true) ?? ids.map(String.init).joined(separator: " ")
    }

    /// The chat template: `name` when given, else the tokenizer's, else none (as `dice dpo`).
    /// - Throws: `TokenizerError` for an unknown template name; `JinjaError` when the model's own
    ///   template does not parse.
    func chatTemplate(_ name: String?) throws -> ChatTemplate {
        try name.map { try ChatTemplate(parsing: $0) } ?? (try tokenizer?.defaultChatTemplate ?? ChatTemplate.none)
    }
}
