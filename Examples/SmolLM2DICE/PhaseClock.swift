// PhaseClock: wall time of each phase of each round, from the DICE loop's events.

import DICEKit
import Foundation

/// Adds up wall-clock seconds per label ("round 1 sample", …): a phase runs from its
/// `phaseStarted` event to the next event that starts or ends something.
final class PhaseClock {
    /// Seconds per label, in order of first appearance.
    private(set) var seconds: [(label: String, seconds: Double)] = []
    private var running: (label: String, start: Date)?

    /// Ends the running phase (if any) and starts `label`.
    func start(_ label: String) {
        stop()
        running = (label, Date())
    }

    /// Ends the running phase, if any.
    func stop() {
        guard let (label, start) = running else { return }
        running = nil
        let elapsed = Date().timeIntervalSince(start)
        if let i = seconds.firstIndex(where: { $0.label == label }) {
            seconds[i].seconds += elapsed
        } else {
            seconds.append((label, elapsed))
        }
    }

    /// Follows one DICE run's events: phases start and end with them.
    func observe(_ event: DICEEvent) {
        switch event {
        case .phaseStarted(let round, let phase): start("round \(round) \(phase.rawValue)")
        case .phaseSkipped, .roundFinished: stop()
        default: break
        }
    }
}
