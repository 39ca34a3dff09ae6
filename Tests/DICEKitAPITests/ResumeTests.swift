// Resuming a DICE run through the library (public API only): a run resumed with other
// settings or data is refused, naming what changed, before anything is written; a fresh run
// into a folder that holds one is refused; an in-memory store that lost its models (another
// process) refuses to resume; the same settings continue the run.

import DICEKit
import Foundation
import Testing

@Suite("DICE: resume (public API)")
struct ResumeTests {
    /// Runs round 1 of `run` into `layout` with `store`.
    static func firstRound(_ run: TabularRun, _ layout: RunLayout, _ store: any PolicyStore) throws -> [RoundReport] {
        var one = run.configuration
        one.rounds = 1
        return try DICEBootstrapper(configuration: one).run(prompts: run.prompts, offline: run.offline, store: store,
                                                            layout: layout, mode: .fresh)
    }

    @Test("resumed with K 4 → 6 and seed 0 → 5: refused, naming both, nothing written")
    func changedSettings() throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        let store = try run.store()
        _ = try Self.firstRound(run, layout, store)
        let before = try FileManager.default.contentsOfDirectory(atPath: layout.roundDirectory(1).path).sorted()
        let settings = try Data(contentsOf: layout.settings), state = try Data(contentsOf: layout.state)

        var changed = run.configuration
        changed.rounds = 1
        changed.samplesPerPrompt = 6
        changed.seed = 5
        let bootstrapper = try DICEBootstrapper(configuration: changed)
        var events = 0
        bootstrapper.observer = { _ in events += 1 }
        #expect(throws: DICEError.settingsChanged(path: layout.settings.path,
                                                  differences: ["samplesPerPrompt (4 → 6)", "seed (0 → 5)"])) {
            try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: store, layout: layout, mode: .resume)
        }
        #expect(events == 0, "a phase was started or skipped")
        #expect(try Data(contentsOf: layout.settings) == settings && Data(contentsOf: layout.state) == state)
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.roundDirectory(1).path).sorted() == before)
        #expect(!FileManager.default.fileExists(atPath: layout.roundDirectory(2).path))

        // Other data is refused too; a fresh run into the folder is refused.
        let plain = try DICEBootstrapper(configuration: run.configuration)
        #expect(throws: DICEError.settingsChanged(path: layout.settings.path, differences: ["the offline pairs"])) {
            try plain.run(prompts: run.prompts, offline: Array(run.offline.reversed()), store: store, layout: layout, mode: .resume)
        }
        #expect(throws: DICEError.runExists(path: layout.root.path)) {
            try plain.run(prompts: run.prompts, offline: run.offline, store: store, layout: layout, mode: .fresh)
        }
    }

    @Test("the same settings resume the run: round 1 is skipped, round 2 runs, as in one uninterrupted run")
    func sameSettings() throws {
        let run = try TabularRun()
        let a = try ScratchFolder(), b = try ScratchFolder()
        defer { a.remove(); b.remove() }
        let store = try run.store()
        _ = try Self.firstRound(run, RunLayout(root: a.url), store)
        let bootstrapper = try DICEBootstrapper(configuration: run.configuration)
        var skipped: [String] = []
        bootstrapper.observer = { event in
            if case .phaseSkipped(let round, let phase) = event { skipped.append("\(round).\(phase.rawValue)") }
        }
        let resumed = try bootstrapper.run(prompts: run.prompts, offline: run.offline, store: store,
                                           layout: RunLayout(root: a.url), mode: .resume)
        #expect(skipped == ["1.sample", "1.score", "1.pair", "1.train", "1.evaluate"])
        let whole = try DICEBootstrapper(configuration: run.configuration)
            .run(prompts: run.prompts, offline: run.offline, store: try run.store(), layout: RunLayout(root: b.url), mode: .fresh)
        #expect(resumed == whole)
    }

    @Test("an in-memory store from another process cannot resume a run that trained: a clear refusal")
    func inMemoryStore() throws {
        let run = try TabularRun()
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let layout = RunLayout(root: folder.url)
        _ = try Self.firstRound(run, layout, try run.store())
        // A new store (as after a restart) holds π_ref and π_0 only.
        let restarted = try run.store()
        #expect(!restarted.isPersistent && !restarted.holds(.policy(1)))
        let error = #expect(throws: DICEError.resumeWithoutModel(path: layout.root.path, model: .policy(1), inMemory: true)) {
            try DICEBootstrapper(configuration: run.configuration)
                .run(prompts: run.prompts, offline: run.offline, store: restarted, layout: layout, mode: .resume)
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("pi_1") && message.contains("in-memory store") && message.contains("start a fresh run"))
        #expect(try RunState.read(from: layout.state) == RunState(round: 1, phase: .evaluate))
    }
}
