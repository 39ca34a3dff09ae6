// The demo sweep: the seed-list parser, the findings of a report, and the summary's spreads
// against hand computations.

import Foundation
import Testing
@testable import DICEKit

@Suite("Toy demo sweep")
struct ToyDemoSweepTests {
    @Test func seedLists() throws {
        #expect(try ToyDemoSweep.seeds(parsing: "0-9") == Array(0...9))
        #expect(try ToyDemoSweep.seeds(parsing: "4") == [4])
        #expect(try ToyDemoSweep.seeds(parsing: "7, 0-2,5-5") == [7, 0, 1, 2, 5])
        for bad in ["", "3-1", "a", "1-", "-2", "1,,2", "0-3,2", "1-2-3", "0-20000"] {
            #expect(throws: DICEError.self, "'\(bad)'") { try ToyDemoSweep.seeds(parsing: bad) }
        }
    }

    static func row(_ round: Int, lc: Double, length: Double, halfWidth: Double = 0.03) -> ToyDemoRow {
        ToyDemoRow(round: round, winRate: lc + 0.01, lcWinRate: lc, averageLength: length, alpha: round == 0 ? nil : 0.1,
                   winRateInterval: BootstrapInterval(lower: lc - halfWidth, upper: lc + halfWidth, level: 0.95, resamples: 10),
                   lcWinRateInterval: BootstrapInterval(lower: lc - halfWidth, upper: lc + halfWidth, level: 0.95, resamples: 10),
                   comparisons: 1000)
    }

    static func report(seed: UInt64, r1: Double, r2: Double, offline: Double, noReplay: Double,
                       noLR: Double, noLRLength: Double) -> ToyDemoReport {
        ToyDemoReport(rounds: [row(0, lc: 0.5, length: 6), row(1, lc: r1, length: 6), row(2, lc: r2, length: 6)],
                      ablations: ["offline_only": row(2, lc: offline, length: 6), "gamma_0": row(2, lc: noReplay, length: 6),
                                  "no_length_regularization": row(2, lc: noLR, length: noLRLength)],
                      rewardAccuracy: 0.7, seed: seed)
    }

    /// Each finding's thresholds, on both sides.
    @Test func findings() throws {
        let good = try ToyDemoFindings(Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.62, noReplay: 0.6, noLR: 0.67, noLRLength: 8))
        #expect(good.improvesOverRounds && good.replayHelps && good.lengthRegularizationHelps)
        let weakRoundOne = try ToyDemoFindings(Self.report(seed: 0, r1: 0.55, r2: 0.65, offline: 0.6, noReplay: 0.6, noLR: 0.6, noLRLength: 8))
        #expect(!weakRoundOne.improvesOverRounds)
        let roundTwoWorse = try ToyDemoFindings(Self.report(seed: 0, r1: 0.66, r2: 0.65, offline: 0.6, noReplay: 0.6, noLR: 0.6, noLRLength: 8))
        #expect(!roundTwoWorse.improvesOverRounds)
        let offlineClose = try ToyDemoFindings(Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.635, noReplay: 0.6, noLR: 0.6, noLRLength: 8))
        #expect(!offlineClose.replayHelps)
        let noReplayBetter = try ToyDemoFindings(Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.6, noReplay: 0.66, noLR: 0.6, noLRLength: 8))
        #expect(!noReplayBetter.replayHelps)
        let noLRShorter = try ToyDemoFindings(Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.6, noReplay: 0.6, noLR: 0.6, noLRLength: 5))
        #expect(!noLRShorter.lengthRegularizationHelps)
        let noLRFarBetter = try ToyDemoFindings(Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.6, noReplay: 0.6, noLR: 0.69, noLRLength: 8))
        #expect(!noLRFarBetter.lengthRegularizationHelps)
        var partial = Self.report(seed: 0, r1: 0.6, r2: 0.65, offline: 0.6, noReplay: 0.6, noLR: 0.6, noLRLength: 8)
        partial.ablations["gamma_0"] = nil
        #expect(throws: DICEError.self) { try ToyDemoFindings(partial) }
    }

    /// Mean, sample sd, min and max per model, by hand; the count of seeds per finding.
    @Test func summary() throws {
        let reports = [
            Self.report(seed: 0, r1: 0.60, r2: 0.66, offline: 0.60, noReplay: 0.62, noLR: 0.67, noLRLength: 8),
            Self.report(seed: 1, r1: 0.55, r2: 0.62, offline: 0.61, noReplay: 0.58, noLR: 0.63, noLRLength: 7),
            Self.report(seed: 2, r1: 0.64, r2: 0.70, offline: 0.62, noReplay: 0.64, noLR: 0.80, noLRLength: 9),
        ]
        let sweep = try ToyDemoSweep(reports: reports)
        #expect(sweep.seeds == [0, 1, 2])
        #expect(sweep.models.map(\.name) == ["pi_0", "round_1", "round_2", "gamma_0", "no_length_regularization", "offline_only"])
        let r2 = try #require(sweep.models.first { $0.name == "round_2" })
        #expect(abs(r2.lcWinRate.mean - 0.66) < 1e-12)
        // Deviations 0, −0.04, +0.04: variance (0 + 0.0016 + 0.0016)/2.
        #expect(abs(r2.lcWinRate.standardDeviation - (0.0032 / 2).squareRoot()) < 1e-12)
        #expect(r2.lcWinRate.min == 0.62 && r2.lcWinRate.max == 0.70)
        #expect(sweep.held == ["finding_1_rounds": 2, "finding_2_replay": 2, "finding_3_length": 2])
        #expect(sweep.perSeed.map(\.findings.replayHelps) == [true, false, true])
        #expect(throws: DICEError.self) { try ToyDemoSweep(reports: []) }
    }
}

/// `dice demo --seeds`: a bad seed list, or a sweep that could not check the findings, is refused
/// before any work, naming the flag, with no output folder made.
@Suite("dice demo --seeds")
struct DemoSeedsFlagTests {
    @Test(arguments: [
        (["--seeds", "3-1"], "'3-1'"),
        (["--seeds", "0,x"], "'x'"),
        (["--seeds", "0-1", "--no-ablations"], "ablations off"),
    ])
    func refusedBeforeWork(extra: [String], named: String) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let output = folder.file("sweep")
        guard let result = try DiceTool.run(["demo", "--output", output.path] + extra, in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr.contains("--seeds") && result.stderr.contains(named), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
