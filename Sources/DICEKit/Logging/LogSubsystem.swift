// LogSubsystem: the swift-log labels DICEKit logs under, one per subsystem. The library never
// prints and never bootstraps `LoggingSystem`: the embedding program chooses the handler, the
// level and where messages go.

import Logging

/// The parts of DICEKit that log, each under its own `Logger` label.
///
/// DICEKit logs through swift-log at `info` level or below, as swift-log's guidance for
/// libraries asks: `debug` for what an embedding program may want to follow (phases and their
/// counts, resume decisions, checkpoint writes, pairs dropped or truncated, reference-cache hits
/// and misses, the OpenBLAS kernel family), `trace` for per-step detail, and `info` only for a
/// fallback that cannot be reported by throwing (CUDA unusable under `auto`, a process that could
/// not re-execute itself for OpenBLAS). Errors are thrown, not logged.
///
/// Types whose API takes options also take a `Logger` (`DICEBootstrapper.logger`,
/// `StandardDPOTrainer.logger`, `ReferenceLogProbCache.logger`, …); their default is this
/// enumeration's ``logger`` for their subsystem, made by whatever handler the program passed to
/// `LoggingSystem.bootstrap` (swift-log's standard-output handler when it passed none).
public enum LogSubsystem: String, Sendable, Hashable, CaseIterable {
    /// The DICE loop: phases with their counts, resume decisions, dropped samples.
    case dice = "dicekit.dice"
    /// DPO and SFT training: resumes, checkpoint writes, the reference log-prob cache.
    case training = "dicekit.training"
    /// Reading data and models: pairs dropped or truncated, weights files, GGUF conversion.
    case formats = "dicekit.formats"
    /// Compute backends: the OpenBLAS kernel family, SIMD level, CUDA fallbacks.
    case backend = "dicekit.backend"
    /// Sampling: batches, tokens generated, how responses ended.
    case generation = "dicekit.generation"

    /// The label, e.g. `"dicekit.dice"`.
    public var label: String { rawValue }

    /// A logger with this subsystem's label, from the process's `LoggingSystem` factory.
    public var logger: Logger { Logger(label: rawValue) }
}
