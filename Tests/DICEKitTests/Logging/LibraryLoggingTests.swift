// DICEKit logs through swift-log under one label per subsystem, at debug and trace, and routes
// its messages to whatever logger a caller passes: checked with a capturing handler given to
// each API, never through the process-wide LoggingSystem bootstrap.

import Foundation
import Logging
import Synchronization
import Testing
@testable import DICEKit

/// Captures what loggers made by `logger(_:)` emit, each message with its logger's label.
final class CapturingLogHandler: Sendable {
    struct Entry: Sendable {
        var label: String
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// The handler of one label: a value, as swift-log's handlers are, appending to the shared
    /// store.
    struct Handler: LogHandler {
        let label: String
        let sink: CapturingLogHandler
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.store.withLock {
                $0.append(Entry(label: label, level: event.level, message: "\(event.message)",
                                metadata: merged.mapValues { "\($0)" }))
            }
        }
    }

    private let store = Mutex<[Entry]>([])

    /// Every message so far, in order.
    var entries: [Entry] { store.withLock { $0 } }

    /// A logger labelled `label` whose messages are captured here.
    func logger(_ label: String) -> Logger {
        Logger(label: label) { Handler(label: $0, sink: self) }
    }
}

@Suite("Library logging")
struct LibraryLoggingTests {
    @Test("each subsystem has its label, and the library's default loggers carry them")
    func labels() throws {
        #expect(LogSubsystem.allCases.map(\.label)
                == ["dicekit.dice", "dicekit.training", "dicekit.formats", "dicekit.backend", "dicekit.generation"])
        let s = try DICEBootstrapperTests.Setup()
        #expect(try DICEBootstrapper(configuration: s.configuration).logger.label == "dicekit.dice")
        #expect(StandardDPOTrainer(configuration: s.configuration.dpo).logger.label == "dicekit.training")
        #expect(ReferenceLogProbCache(folder: URL(fileURLWithPath: "/nonexistent")).logger.label == "dicekit.training")
    }

    @Test("a DICE run logs its start, every phase with its counts, the trainer's checkpoints, and a resume decision")
    func diceRun() throws {
        let s = try DICEBootstrapperTests.Setup()
        var configuration = s.configuration
        configuration.rounds = 1
        let folder = try ScratchFolder("logging")
        defer { folder.remove() }
        let capture = CapturingLogHandler()
        let store = try s.store()
        func bootstrapper() throws -> DICEBootstrapper {
            let b = try DICEBootstrapper(configuration: configuration)
            b.logger = capture.logger(LogSubsystem.dice.label)
            b.makeTrainer = { dpo, checkpoints in
                let trainer = StandardDPOTrainer(configuration: dpo, checkpointFolder: checkpoints, resume: true)
                trainer.logger = capture.logger(LogSubsystem.training.label)
                return trainer
            }
            return b
        }
        let report = try #require(try bootstrapper().run(prompts: s.prompts, offline: s.offline, store: store,
                                                         layout: RunLayout(root: folder.url), mode: .fresh).first)
        let entries = capture.entries
        // Nothing above debug: the library leaves warnings and errors to thrown errors.
        #expect(entries.allSatisfy { $0.level <= .debug })
        let dice = entries.filter { $0.label == "dicekit.dice" }
        #expect(dice.first?.message == "starting the run")
        #expect(dice.first?.metadata["prompts"] == "\(s.prompts.count)")
        let phases = RunPhase.allCases.map(\.rawValue)
        #expect(dice.filter { $0.message == "phase started" }.compactMap { $0.metadata["phase"] } == phases)
        let finished = dice.filter { $0.message == "phase finished" }
        #expect(finished.compactMap { $0.metadata["phase"] } == phases)
        #expect(finished.allSatisfy { $0.level == .debug && $0.metadata["round"] == "1" })
        #expect(finished.first?.metadata["samples"] == "\(s.prompts.count * configuration.samplesPerPrompt)")
        let pair = try #require(finished.first { $0.metadata["phase"] == "pair" })
        #expect(pair.metadata["pairs"] == "\(report.pairing.pairs)")
        #expect(pair.metadata["degenerate"] == "\(report.pairing.degenerate)")
        #expect(pair.metadata["generatedUsed"] == "\(report.generatedPairsUsed)")
        #expect(pair.metadata["alpha"] == "\(report.lengthRegularization.alpha)")
        #expect(dice.allSatisfy { $0.metadata["run"] == folder.url.path })
        // The trainer: start, a checkpoint every 2 of its 6 steps, a trace line per update.
        let training = entries.filter { $0.label == "dicekit.training" }
        #expect(training.first?.message == "DPO training started")
        #expect(training.filter { $0.message == "checkpoint written" }.compactMap { $0.metadata["step"] } == ["2", "4", "6"])
        #expect(training.filter { $0.level == .trace && $0.message == "update" }.count == configuration.dpo.steps)
        #expect(training.last?.message == "DPO training finished")

        // Resuming the finished run: the decision, then every phase skipped.
        let before = capture.entries.count
        _ = try bootstrapper().run(prompts: s.prompts, offline: s.offline, store: store,
                                   layout: RunLayout(root: folder.url), mode: .resume)
        let resumed = capture.entries.dropFirst(before)
        #expect(resumed.first?.message == "resuming the run after its last completed phase")
        #expect(resumed.first?.metadata["phase"] == "evaluate")
        #expect(resumed.filter { $0.message.hasPrefix("phase skipped") }.count == phases.count)
        #expect(!resumed.contains { $0.message == "phase started" })
    }

    @Test("a round whose replay finds fewer offline pairs than γ asks for says so at notice")
    func replayShortfall() throws {
        // Two offline pairs on every DICE prompt: with γ = 0.5 the 16 generated pairs cover every
        // prompt, so none of the 16 offline pairs asked for has an eligible prompt.
        for onDICEPrompts in [false, true] {
            let s = try DICEBootstrapperTests.Setup(offlineOnDICEPrompts: onDICEPrompts)
            var configuration = s.configuration
            configuration.rounds = 1
            let folder = try ScratchFolder("logging-replay")
            defer { folder.remove() }
            let capture = CapturingLogHandler()
            let b = try DICEBootstrapper(configuration: configuration)
            b.logger = capture.logger(LogSubsystem.dice.label)
            let report = try #require(try b.run(prompts: s.prompts, offline: s.offline, store: try s.store(),
                                                layout: RunLayout(root: folder.url), mode: .fresh).first)
            let notices = capture.entries.filter { $0.level > .debug }
            if onDICEPrompts {
                #expect(report.offlinePairsUsed < report.offlinePairsRequested)
                #expect(notices.count == 1)
                #expect(notices.first?.level == .notice)
                #expect(notices.first?.metadata["offlineUsed"] == "\(report.offlinePairsUsed)")
                #expect(notices.first?.metadata["offlineRequested"] == "\(report.offlinePairsRequested)")
            } else {
                #expect(report.offlinePairsUsed == report.offlinePairsRequested)
                #expect(notices.isEmpty)
            }
        }
    }

    @Test("the reference cache logs a miss, each save, then a hit")
    func referenceCache() throws {
        let s = try DICEBootstrapperTests.Setup()
        let reference = try s.makePolicy()
        let folder = try ScratchFolder("logging-cache")
        defer { folder.remove() }
        let capture = CapturingLogHandler()
        let cache = ReferenceLogProbCache(folder: folder.url, logger: capture.logger(LogSubsystem.training.label))
        let pairs = Array(s.offline.prefix(5))
        _ = try cache.logProbs(key: "k", pairs: pairs, reference: { reference }, saveEvery: 2)
        _ = try cache.logProbs(key: "k", pairs: pairs, reference: { reference })
        #expect(capture.entries.map(\.message) == [
            "reference log-prob cache miss: computing", "reference log-probs saved", "reference log-probs saved",
            "reference log-probs saved", "reference log-prob cache hit",
        ])
        #expect(capture.entries.filter { $0.message == "reference log-probs saved" }.compactMap { $0.metadata["done"] }
                == ["2", "4", "5"])
        #expect(capture.entries.allSatisfy { $0.label == "dicekit.training" && $0.level == .debug })
        #expect(capture.entries.allSatisfy { $0.metadata["cacheFile"] == cache.file("k").path })
    }

    @Test("reading pairs logs each truncated pair and each dropped row with its line")
    func preferenceData() throws {
        let capture = CapturingLogHandler()
        let text = """
        {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[7]}
        {"prompt_ids":[1,2,3,4],"chosen_ids":[7,8],"rejected_ids":[8]}
        {"prompt_ids":[1],"chosen_ids":[7],"rejected_ids":[8]}
        """
        let d = try PreferenceDataset(jsonl: Data(text.utf8), path: "pairs.jsonl",
                                      encoding: .init(tokenizer: nil, template: .none, appendEOS: false),
                                      maxLength: 4, truncation: .truncate(maxPromptLength: 2),
                                      logger: capture.logger(LogSubsystem.formats.label))
        #expect(d.truncatedCount == 1 && d.dropped.count == 1)
        let entries = capture.entries
        #expect(entries.map(\.message) == ["pair dropped: chosen and rejected are identical", "pair truncated",
                                           "preference pairs read"])
        #expect(entries.compactMap { $0.metadata["line"] } == ["1", "2"])
        #expect(entries.last?.metadata["pairs"] == "2")
        #expect(entries.allSatisfy { $0.label == "dicekit.formats" && $0.level == .debug })
    }
}
