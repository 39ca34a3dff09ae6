// AtomicFile: replaces whole files and leaves no temporary files behind, on success or failure.

import Foundation
import Testing
@testable import DICEKit

@Suite("AtomicFile")
struct AtomicFileTests {
    @Test("writes, replaces, and leaves only the destination")
    func replaces() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("a.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: url)
        try AtomicFile.write(Data([4, 5]), to: url)
        try AtomicFile.write(Data(), to: folder.file("empty"))
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try Data(contentsOf: folder.file("empty")).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["a.bin", "empty"])
    }

    @Test("a missing folder is an I/O error naming the file")
    func missingFolder() {
        let error = #expect(throws: FormatError.self) {
            try AtomicFile.write(Data([1]), to: URL(fileURLWithPath: "/nonexistent-dicekit/x.bin"))
        }
        #expect(error?.path == "/nonexistent-dicekit/x.bin")
    }

    @Test("removeLeftovers removes a killed write's temporaries and nothing else")
    func removesLeftovers() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let kept = ["metrics.jsonl", ".hidden", "a.tmp-1", ".tmp-", ".x.tmp-", "notes.tmp-2"]
        let leftovers = [".metrics.jsonl.tmp-3k9x", ".model.safetensors.tmp-0"]
        for name in kept + leftovers { try Data([1]).write(to: folder.file(name)) }
        AtomicFile.removeLeftovers(in: folder.url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == kept.sorted())
    }
}
