// `--backend cuda` on the commands that run the DICE loop and evaluate, on a machine without a
// GPU: exit 1 with the "CUDA backend unavailable" message, before any work (no output written).

import DICEKit
import Foundation
import Testing

@Suite("dice --backend cuda without a GPU")
struct BackendFlagTests {
    /// Whether this machine may have a usable NVIDIA GPU (then the commands would run: skip).
    static var gpuPresent: Bool { FileManager.default.fileExists(atPath: "/dev/nvidia0") }

    @Test(.enabled(if: !gpuPresent, "an NVIDIA device is present: --backend cuda would run"))
    func bootstrapRefusesBeforeWork() throws {
        let folder = try ScratchFolder("backend-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        guard let result = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "run") + ["--backend", "cuda"],
                                            in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("CUDA backend unavailable"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").path), "the run folder was created")
    }

    @Test(.enabled(if: !gpuPresent, "an NVIDIA device is present: --backend cuda would run"))
    func evalRefusesBeforeWork() throws {
        let folder = try ScratchFolder("backend-eval")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 1, to: folder.file("a"))
        try ToyModelFolders.writePrompts([[1, 2], [3]], to: folder.file("prompts.jsonl"))
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("a").path, "--baseline", folder.file("a").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "length", "--length-unit", "tokens",
             "--output", folder.file("out.json").path, "--backend", "cuda"], in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("CUDA backend unavailable"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.json").path))
    }
}
