// `dice bench lora --tiny`: every side of the LoRA benchmark runs end to end in seconds on a tiny
// model (DICEKit LoRA, LoRA with checkpointing, full fine-tuning; the TRL peer when /tmp/venv or
// DICEKIT_PYTHON has trl and peft).

import Foundation
import Testing

@Suite("dice bench lora smoke test")
struct BenchLoRASmokeTests {
    struct Side: Decodable {
        let seconds: Double
        let peak_rss_mib: Double
        let trainable_parameters: Int
        let first_loss: Double?
    }

    struct Report: Decodable {
        let lora: Side?
        let lora_checkpointed: Side?
        let full: Side?
        let errors: [String: String]
        let ratios: [String: Double]
    }

    @Test func everySideRunsOnATinyModel() throws {
        let folder = try ScratchFolder("bench-lora")
        defer { folder.remove() }
        let python = TransformersPython.python(importing: "torch, transformers, peft, trl, datasets")
        if python == nil { print("TRL peer skipped: no Python with torch, transformers, peft, trl and datasets") }
        // The peer script is found under the working directory's Benchmarks/peers/.
        let repository = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.createSymbolicLink(at: folder.file("Benchmarks"),
                                                   withDestinationURL: repository.appendingPathComponent("Benchmarks"))
        guard let result = try DiceTool.run(["bench", "lora", "--tiny", "--repeats", "1", "--rank", "4", "--json"]
                                            + (python.map { ["--python", $0.path] } ?? []), in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let report = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        #expect(report.errors.isEmpty, "\(report.errors)")
        let lora = try #require(report.lora), checkpointed = try #require(report.lora_checkpointed), full = try #require(report.full)
        for side in [lora, checkpointed, full] {
            #expect(side.seconds > 0 && side.peak_rss_mib > 0)
            #expect(side.first_loss.map { abs($0 - 0.6931) < 1e-3 } == true, "the first DPO loss is log 2: \(String(describing: side.first_loss))")
        }
        #expect(lora.trainable_parameters == checkpointed.trainable_parameters)
        #expect(lora.trainable_parameters < full.trainable_parameters / 4)
        #expect(report.ratios["lora_over_full_peak"] != nil)
        if python != nil {
            #expect(report.ratios["lora_over_trl_pairs_per_s"] != nil, "the TRL peer gave no time: \(result.stdout)")
        }
    }
}
