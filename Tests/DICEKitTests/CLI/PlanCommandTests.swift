import Foundation
import Testing
@testable import DICEKit

/// `dice plan` as a person runs it: a table from a model folder's config.json alone (no
/// weights there), JSON equal to the library's `MemoryPlan`, and bad flags refused by name.
@Suite("dice plan")
struct PlanCommandTests {
    static func folder() throws -> ScratchFolder {
        let folder = try ScratchFolder("dice-plan-cli")
        try Data(MemoryPlanTests.smolLM2.utf8).write(to: folder.file("config.json"))
        return folder
    }

    @Test func tableAndJSONFromConfigAlone() throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        let args = ["plan", "--model", folder.url.path, "--batch-size", "8", "--max-length", "512", "--samples", "8",
                    "--checkpoint-activations"]
        let table = try #require(try DiceTool.run(args, in: folder.url))
        #expect(table.status == 0, "\(table.stderr)")
        for row in ["weights", "adapters", "gradients", "optimizer", "activations", "KV cache", "logits", "total"] {
            #expect(table.stdout.contains("\n" + row), "no \(row) row in:\n\(table.stdout)")
        }
        let json = try #require(try DiceTool.run(args + ["--json"], in: folder.url))
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let plan = try MemoryPlan(config: try MemoryPlanTests.config(MemoryPlanTests.smolLM2),
                                  settings: .init(batchSize: 8, maxLength: 512, samples: 8, checkpointActivations: true))
        let dpo = try #require(object["dpo"] as? [String: Any])
        #expect(dpo["total"] as? Double == plan.dpo.total)
        #expect(dpo["activations"] as? Double == plan.dpo.activations)
        let sampling = try #require(object["sampling"] as? [String: Any])
        #expect(sampling["kv_cache"] as? Double == plan.sampling.kvCache)
    }

    @Test(arguments: [
        (["--batch-size", "0", "--max-length", "64"], "--batch-size 0"),
        (["--batch-size", "1", "--max-length", "99999"], "--max-length 99999"),
        (["--batch-size", "1", "--max-length", "64", "--prompt-length", "64"], "--prompt-length 64"),
        (["--batch-size", "1", "--max-length", "64", "--dtype", "fp16"], "--dtype fp16"),
        (["--batch-size", "1", "--max-length", "64", "--lora-rank", "0"], "--lora-rank 0"),
    ])
    func refusesBadFlags(_ flags: [String], _ named: String) throws {
        let folder = try Self.folder()
        defer { folder.remove() }
        let result = try #require(try DiceTool.run(["plan", "--model", folder.url.path] + flags, in: folder.url))
        #expect(result.status != 0)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    @Test func namesAMissingConfig() throws {
        let folder = try ScratchFolder("dice-plan-cli")
        defer { folder.remove() }
        let result = try #require(try DiceTool.run(["plan", "--model", folder.url.path, "--batch-size", "1", "--max-length", "8"],
                                                   in: folder.url))
        #expect(result.status != 0)
        #expect(result.stderr.contains("config.json"), "\(result.stderr)")
    }
}
