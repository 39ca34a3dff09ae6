import ArgumentParser
import DICEKit
import Foundation
import Logging

@main
struct Dice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dice",
        abstract: "DICEKit: preference optimization (DPO, DICE) for language models.",
        discussion: """
            The library's log messages (labels dicekit.dice, dicekit.training, dicekit.formats, \
            dicekit.backend, dicekit.generation) go to stderr from level warning up; set \
            DICEKIT_LOG_LEVEL=trace|debug|info|notice|warning|error|critical to see more or less.
            """,
        subcommands: [Bench.self, LogProbsCommand.self, Generate.self, DPOCommand.self, ConvertCommand.self,
                      DemoCommand.self, BootstrapCommand.self, EvalCommand.self, ReportCommand.self,
                      TemplateCommand.self, RMCommand.self, MergeCommand.self, PlanCommand.self, CollectivesCheck.self]
    )

    /// Runs the tool after bootstrapping swift-log (stderr, level `DICEKIT_LOG_LEVEL`, default
    /// warning) and `BLASCore.configureProcess()` (which may re-execute it once with OpenBLAS's
    /// kernel family and thread timeout set for this machine).
    static func main() {
        let level = logLevel(ProcessInfo.processInfo.environment["DICEKIT_LOG_LEVEL"])
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        BLASCore.configureProcess()
        main(nil)
    }

    /// The level named by `DICEKIT_LOG_LEVEL` (case-insensitive); warning when unset, empty or
    /// not a level name (then said once on stderr).
    static func logLevel(_ setting: String?) -> Logger.Level {
        guard let setting, !setting.isEmpty else { return .warning }
        guard let level = Logger.Level(rawValue: setting.lowercased()) else {
            // Said by the first process only, not again after BLASCore's re-execution.
            guard ProcessInfo.processInfo.environment["DICEKIT_BLAS_CONFIGURED"] == nil else { return .warning }
            var logger = Logger(label: "dice") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .warning
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            logger.warning("DICEKIT_LOG_LEVEL=\(setting) is not a level (\(levels)); using warning")
            return .warning
        }
        return level
    }
}
