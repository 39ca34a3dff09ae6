// PhaseClock: wall time of each phase of each round, from the DICE loop's events.

import DICEKit
import Foundation

/// Adds up wall-clock and CPU seconds per label ("dice round 1 sample", …): a phase runs from its
/// `phaseStarted` event to the next event that starts or ends something. CPU seconds (the
/// process's user + system time, all threads) do not grow when other programs share the cores,
/// so they say what a phase costs on a loaded machine too.
final class PhaseClock {
    /// Times per label, in order of first appearance.
    private(set) var times: [PhaseTime] = []
    private var running: (label: String, start: Date, cpu: Double)?

    /// Ends the running phase (if any) and starts `label`.
    func start(_ label: String) {
        stop()
        running = (label, Date(), Self.cpuSeconds())
    }

    /// Ends the running phase, if any.
    func stop() {
        guard let (label, start, cpu) = running else { return }
        running = nil
        let elapsed = Date().timeIntervalSince(start), used = Self.cpuSeconds() - cpu
        if let i = times.firstIndex(where: { $0.phase == label }) {
            times[i].seconds += elapsed
            times[i].cpuSeconds += used
        } else {
            times.append(PhaseTime(phase: label, seconds: elapsed, cpuSeconds: used))
        }
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Follows the events of the DICE run labelled `run` ("dice", "rm"): phases start and end
    /// with them, as "`run` round t phase".
    func observe(_ event: DICEEvent, run: String) {
        switch event {
        case .phaseStarted(let round, let phase): start("\(run) round \(round) \(phase.rawValue)")
        case .phaseSkipped, .roundFinished: stop()
        default: break
        }
    }
}
