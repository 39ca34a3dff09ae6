import ArgumentParser
import DICEKit
import Foundation

/// `dice demo`: the embedded toy task end to end — SFT, π_0, two DICE rounds, ablations — with
/// a report like the paper's table.
struct DemoCommand: ParsableCommand {
    @OptionGroup var backendOptions: BackendOptions
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run DICE on the embedded toy task and report win rates against π_0."
    )

    @Option(parsing: .unconditional, help: "Seed of the task's data draws, initialisation and sampling.")
    var seed: UInt64 = 0

    @Option(help: "Run a sweep over these seeds (e.g. 0-9 or 0,3,5-7), each in its own seed-N subfolder, and summarise it (sweep.json, report.md, report.svg); a seed whose report.json exists is reused.")
    var seeds: String?

    @Option(help: "Folder for models, runs and the report (reused when it holds a finished stage).")
    var output = "dice-demo"

    @Flag(help: "Skip the ablations (no length regularization, γ = 0, offline only).")
    var noAblations = false

    @Flag(help: "Empty the output folder first.")
    var fresh = false

    @Option(help: "A JSON file with every setting (sizes, learning rates, DICE knobs); see --print-config.")
    var config: String?

    @Flag(help: "Print the default settings as JSON and exit.")
    var printConfig = false

    func run() throws {
        try reportingErrors(demo)
    }

    private func demo() throws {
        let folder = URL(fileURLWithPath: output)
        var configuration = try ToyDemoConfiguration.standard(seed: seed)
        if printConfig {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(configuration), as: UTF8.self))
            return
        }
        if let config {
            configuration = try JSONDecoder().decode(ToyDemoConfiguration.self,
                                                     from: Data(contentsOf: URL(fileURLWithPath: config)))
        }
        if noAblations { configuration.ablations = false }
        let sweep = try seeds.map(ToyDemoSweep.seeds(parsing:))
        // A sweep checks the paper's findings on every seed: they need round 2 and the ablations.
        if sweep != nil, !configuration.ablations || configuration.dice.rounds < 2 {
            throw DICEError.invalidParameter(
                name: "--seeds", value: "\(configuration.dice.rounds) rounds, ablations \(configuration.ablations ? "on" : "off")",
                expected: "at least 2 rounds with the ablations (drop --no-ablations), since the sweep checks the findings")
        }
        // One run per folder, held until the command ends (a second one is refused at once,
        // naming this one's pid); --fresh empties the folder only once it is held.
        let lock = try RunFolderLock(folder: folder)
        defer { lock.release() }
        if fresh {
            let fm = FileManager.default
            for name in try fm.contentsOfDirectory(atPath: folder.path) where name != RunFolderLock.fileName {
                try fm.removeItem(at: folder.appendingPathComponent(name))
            }
        }
        let backend = try backendOptions.makeBackend()
        let start = Date()
        func stamp() -> String { String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) }
        func run(_ configuration: ToyDemoConfiguration, in folder: URL, label: String) throws -> ToyDemoReport {
            let demo = ToyDemo(configuration: configuration, folder: folder, backend: backend)
            demo.progress = { message in warn(stamp() + label + message) }
            demo.events = { run, event in
                if case .phaseStarted(let round, let phase) = event {
                    warn(stamp() + label + "  \(run) round \(round): \(phase.rawValue)")
                }
            }
            let report = try demo.run()
            try AtomicFile.write(Data(report.markdown.utf8), to: folder.appendingPathComponent("report.md"))
            try AtomicFile.write(Data(report.svg.utf8), to: folder.appendingPathComponent("report.svg"))
            return report
        }
        guard let sweep else {
            let report = try run(configuration, in: folder, label: "")
            print(report.markdown)
            print("Report: \(folder.appendingPathComponent("report.json").path) (and report.md, report.svg)")
            print(String(format: "Finished in %.1f s.", Date().timeIntervalSince(start)))
            return
        }
        var reports: [ToyDemoReport] = []
        for s in sweep {
            let seedFolder = folder.appendingPathComponent("seed-\(s)")
            let json = seedFolder.appendingPathComponent("report.json")
            if let data = try? Data(contentsOf: json), let done = try? JSONDecoder().decode(ToyDemoReport.self, from: data),
               done.seed == s {
                warn(stamp() + "seed \(s): finished earlier, reusing \(json.path)")
                reports.append(done)
                continue
            }
            try FileManager.default.createDirectory(at: seedFolder, withIntermediateDirectories: true)
            reports.append(try run(configuration.withSeed(s), in: seedFolder, label: "seed \(s): "))
        }
        let summary = try ToyDemoSweep(reports: reports)
        try summary.write(to: folder)
        try AtomicFile.write(Data(summary.markdown(reports: reports).utf8), to: folder.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(summary.svg.utf8), to: folder.appendingPathComponent("report.svg"))
        print(summary.markdown(reports: reports))
        print("Sweep: \(folder.appendingPathComponent("sweep.json").path) (and report.md, report.svg; each seed in seed-N/)")
        print(String(format: "Finished in %.1f s.", Date().timeIntervalSince(start)))
    }
}
