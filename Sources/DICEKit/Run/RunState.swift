// RunState: the last completed phase of a DICE run (`state.json`), for `--resume`.

import Foundation

/// The progress of a DICE run: the last completed (round, phase), advanced strictly in order.
///
/// Written atomically after each phase's artifacts are written, so a run killed at any moment
/// finds either the previous state or the new one, and every phase at or before the recorded
/// one has its artifacts on disk.
public struct RunState: Sendable, Hashable, Codable {
    /// The format version of `state.json`.
    public var version: Int = 1
    /// The round of the last completed phase (0 when nothing is done yet).
    public var round: Int
    /// The last completed phase of `round` (nil when nothing is done yet).
    public var phase: RunPhase?

    /// Nothing done yet.
    public init() {
        round = 0
        phase = nil
    }

    /// A state whose last completed phase is `phase` of `round` (round ≥ 1).
    public init(round: Int, phase: RunPhase) {
        self.round = round
        self.phase = phase
    }

    /// The next (round, phase) to run in a run of `rounds` rounds, or nil when it is finished.
    public func next(rounds: Int) -> (round: Int, phase: RunPhase)? {
        guard let phase else { return rounds >= 1 ? (1, .sample) : nil }
        if let following = phase.next { return (round, following) }
        return round < rounds ? (round + 1, .sample) : nil
    }

    /// Whether `phase` of `round` is done.
    public func isCompleted(round r: Int, phase p: RunPhase) -> Bool {
        guard let phase else { return false }
        return r < round || (r == round && p <= phase)
    }

    /// Records that `phase` of `round` is done; it must be the next one.
    /// - Throws: `DICEError.phaseOutOfOrder`.
    public mutating func complete(round r: Int, phase p: RunPhase) throws {
        guard let expected = next(rounds: Int.max), expected.round == r, expected.phase == p else {
            let e = next(rounds: Int.max).map { "round \($0.round) \($0.phase.rawValue)" } ?? "nothing"
            throw DICEError.phaseOutOfOrder(round: r, phase: p.rawValue, expected: e)
        }
        round = r
        phase = p
    }

    // MARK: - Files

    /// Writes the state as JSON to `url`, atomically.
    /// - Throws: `FormatError.io`.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }

    /// The state in `url`, or a fresh state when the file does not exist.
    /// - Throws: `DICEError.runState` naming the file when it is unreadable, not a state, from
    ///   an unknown version, or describes round < 1 with a phase.
    public static func read(from url: URL) throws -> RunState {
        guard FileManager.default.fileExists(atPath: url.path) else { return RunState() }
        let state: RunState
        do {
            state = try JSONDecoder().decode(RunState.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw DICEError.runState(path: url.path, reason: "not a run state: \(DecodingProblem(error).key) \(DecodingProblem(error).reason)")
        } catch {
            throw DICEError.runState(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard state.version == 1 else {
            throw DICEError.runState(path: url.path, reason: "unknown version \(state.version) (expected 1)")
        }
        guard (state.phase == nil && state.round == 0) || (state.phase != nil && state.round >= 1) else {
            throw DICEError.runState(path: url.path, reason: "round \(state.round) with phase \(state.phase?.rawValue ?? "none")")
        }
        return state
    }
}
