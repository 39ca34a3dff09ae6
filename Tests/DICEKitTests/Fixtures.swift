// Test helpers: where the committed fixtures are, and scratch folders.

import Foundation

/// Locations of the committed fixtures (Tests/Fixtures, made by Scripts/make_fixtures.py).
enum Fixtures {
    /// Tests/Fixtures, found by walking up from this source file.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("Fixtures")
            if url.lastPathComponent == "Tests", FileManager.default.fileExists(atPath: candidate.path) {
                return candidate
            }
            url = url.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    /// Tests/Fixtures/models/<name>.
    static func model(_ name: String) -> URL {
        root.appendingPathComponent("models").appendingPathComponent(name)
    }

    /// The fixture models: the three of Scripts/make_fixtures.py (with greedy goldens in
    /// Tests/Fixtures/generation/) and the newer architectures.
    static let modelNames = generationGoldenNames + architectureModelNames

    /// The models of Scripts/make_fixtures.py, which Scripts/make_generation_fixtures.py covers.
    static let generationGoldenNames = ["llama-gqa-tied", "qwen2-bias", "gpt2"]

    /// The models of Scripts/make-arch-fixtures.py (goldens, greedy.json).
    static let architectureModelNames = ["llama3-scaled", "mistral-window", "qwen3", "gemma3"]
}

/// A fresh, empty scratch folder under the system temp folder; removed by `remove()`.
struct ScratchFolder {
    let url: URL

    init(_ label: String = "dicekit") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
