// RunStopped: the error that ends a run at a boundary where everything done so far is saved,
// so that resuming continues it — what an observer throws when its caller asks the run to stop
// (on SIGINT or SIGTERM, say).

/// A request to stop a run cleanly, thrown by an observer.
///
/// `StandardDPOTrainer` honours it at an update boundary: thrown by its observer at `.step`
/// or `.validation`, it first finishes that update (its validation, when due) and writes a
/// checkpoint of it, then rethrows it, so a resume continues from exactly that update. Thrown
/// at `.checkpoint` or `.resumed` it passes through at once (the state on disk is already that
/// of the update). `DICEBootstrapper` keeps every completed phase and, inside a round's
/// training, the metrics of the updates so far. Either way a resumed run ends as one never
/// stopped.
public struct RunStopped: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the run was asked to stop (e.g. "SIGINT").
    public var reason: String

    /// A stop request for `reason`.
    public init(reason: String) {
        self.reason = reason
    }

    /// One line: why the run stopped, and that resuming continues it.
    public var description: String { "the run was stopped (\(reason)); resume it to continue" }
}
