// `dice bootstrap` and `dice eval` with damaged weights in a model they only load later (the
// reference, scored after round 1's sampling; the baseline, sampled after the model): the file
// is named in one error line before any sampling, and no run file is written.

import DICEKit
import Foundation
import Testing

@Suite("dice bootstrap and eval: damaged weights found before sampling")
struct DamagedWeightsTests {
    enum Damage: String, CaseIterable, CustomStringConvertible {
        /// model.safetensors cut to half its bytes.
        case truncated
        /// model.safetensors of a model whose MLP is wider than config.json says.
        case wrongShape
        var description: String { rawValue }

        /// Damages `model`/model.safetensors; returns a fragment the error must hold.
        func apply(to model: URL, scratch: URL) throws -> String {
            let weights = model.appendingPathComponent(ModelDirectory.weightsFile)
            switch self {
            case .truncated:
                let bytes = try Data(contentsOf: weights)
                try bytes.prefix(bytes.count / 2).write(to: weights)
                return weights.path
            case .wrongShape:
                var spec = ToyModelFolders.spec
                spec.intermediateSize = 48
                let wider = try TransformerLM(spec: spec, backend: CPUBackend(threads: 1))
                try wider.initializeRandomly(seed: 9)
                let other = scratch.appendingPathComponent("wider")
                try wider.modelDirectory(config: ModelConfig(spec)).write(to: other)
                try FileManager.default.removeItem(at: weights)
                try FileManager.default.copyItem(at: other.appendingPathComponent(ModelDirectory.weightsFile), to: weights)
                return "has shape"
            }
        }
    }

    /// Checks the one-line refusal naming `flag`, the weights file and `fragment`.
    static func expectRefusal(_ result: DiceTool.Result, flag: String, file: URL, fragment: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("error: \(flag): ") == true, "stderr: \(result.stderr)",
                sourceLocation: sourceLocation)
        for text in [file.path, fragment] {
            #expect(result.stderr.contains(text), "'\(text)' not in: \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("bootstrap: damaged π_ref or π_0 weights are named before sampling; RUN is not created",
          arguments: Damage.allCases, ["--reference", "--policy"])
    func bootstrap(_ damage: Damage, _ flag: String) throws {
        let folder = try ScratchFolder("damaged-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let model = folder.file(flag == "--reference" ? "ref" : "pi0")
        let fragment = try damage.apply(to: model, scratch: folder.url)
        guard let result = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "run"), in: folder.url)
        else { return }
        Self.expectRefusal(result, flag: flag, file: model.appendingPathComponent(ModelDirectory.weightsFile),
                           fragment: fragment)
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").path))
    }

    @Test("eval: a damaged baseline is named before the model is sampled; no report", arguments: Damage.allCases)
    func evalBaseline(_ damage: Damage) throws {
        let folder = try ScratchFolder("damaged-eval")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        let fragment = try damage.apply(to: folder.file("ref"), scratch: folder.url)
        guard let result = try DiceTool.run(
            ["eval", "--model", folder.file("pi0").path, "--baseline", folder.file("ref").path,
             "--prompts", folder.file("prompts.jsonl").path, "--judge", "length", "--output", folder.file("out.json").path,
             "--length-unit", "tokens", "--max-new-tokens", "4"], in: folder.url) else { return }
        Self.expectRefusal(result, flag: "--baseline",
                           file: folder.file("ref").appendingPathComponent(ModelDirectory.weightsFile), fragment: fragment)
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.json").path))
    }
}
