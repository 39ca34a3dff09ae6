// StopSignals: SIGINT and SIGTERM as a request to stop a long command at its next safe boundary
// (an update, a phase), where everything done so far is saved and --resume continues.

import ArgumentParser
import DICEKit
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stop signals a command has received.
///
/// `install()` replaces the default action of SIGINT and SIGTERM (end the process at once) by a
/// handler that records the signal and notes on stderr that the command will stop at the next
/// boundary (and unblocks both, should the parent have blocked them); the command polls `received` there, throws `RunStopped`, tells the person where it
/// stopped and ends with `exitCode` (128 + the signal: 130 for SIGINT, 143 for SIGTERM). A
/// second signal ends the process at once (the handler restores the default action), which is
/// still safe: every file is written atomically.
enum StopSignals {
    /// The first stop signal received (0: none). Set only by the handler.
    private static let first = Atomic<Int32>(0)

    /// Installs the handler for SIGINT and SIGTERM (once per process).
    static func install() {
        // Initialise the static before a handler can touch it: a handler must not run
        // initialisation code.
        _ = first.load(ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { sig in StopSignals.handle(sig) }
        _ = signal(SIGINT, handler)
        _ = signal(SIGTERM, handler)
        // A parent may have started this process with the signals blocked (a blocked signal
        // would wait, unseen, until the command ends): unblock them on this thread, which the
        // threads started later inherit.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        _ = pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// The first stop signal received, or nil.
    static var received: Int32? {
        let value = first.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// The stop request to throw for the signal received (nil when none was).
    static var request: RunStopped? { received.map { RunStopped(reason: name($0)) } }

    /// The stop request of the ranks together: when any rank of `communicator` has received a
    /// stop signal, the request on every rank, so that they all stop at the same boundary (a
    /// collective: every rank calls it at the same point; one process: `request`).
    /// - Throws: what the all-gather throws.
    static func request(over communicator: any Communicator) throws -> RunStopped? {
        guard communicator.size > 1 else { return request }
        let signalled = try communicator.allGather(received.map { [UInt8(truncatingIfNeeded: $0)] } ?? [])
        guard let first = signalled.first(where: { !$0.isEmpty }) else { return nil }
        return request ?? RunStopped(reason: name(Int32(first[0])))
    }

    /// The exit status of a command stopped by `received`: 128 + the signal, as a shell reports
    /// a process that a signal ended (130 for SIGINT, 143 for SIGTERM).
    static var exitCode: ExitCode { ExitCode(128 + (received ?? SIGINT)) }

    /// "SIGINT", "SIGTERM" or "signal N".
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    /// Records the first signal, says what happens next (only async-signal-safe calls:
    /// an atomic store, `write`, `signal`), and lets a second signal end the process.
    private static func handle(_ sig: Int32) {
        _ = first.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
        let note: StaticString = "\nstopping at the next safe point (a second signal ends at once)\n"
        _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
        _ = signal(sig, SIG_DFL)
    }
}
