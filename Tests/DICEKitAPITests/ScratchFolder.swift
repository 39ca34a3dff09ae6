// The tests of this target import DICEKit without `@testable`: they see only the public API, as
// a package that depends on DICEKit does, so every custom piece they define is one a user can
// write.

import Foundation

/// A temporary folder for one test.
struct ScratchFolder {
    let url: URL

    init(_ label: String = "dicekit-api") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
