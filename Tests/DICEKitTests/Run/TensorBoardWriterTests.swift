// TensorBoardWriter against TensorBoard's own writer: the same events give the same bytes as the
// committed fixture (Scripts/make-tensorboard-fixtures.py); a writer started with a history
// replaces the folder's event files and keeps their wall times; appends are in the file when
// `add` returns; DPO figures get the tags Hugging Face's Trainer gives TRL's logs.

@testable import DICEKit
import Foundation
import Testing

@Suite("TensorBoard writer")
struct TensorBoardWriterTests {
    /// A clock that returns `times` one after another (then the last).
    final class Clock {
        var times: [Double]
        init(_ times: [Double]) { self.times = times }
        func next() -> Double { times.count > 1 ? times.removeFirst() : times[0] }
    }

    @Test("the fixture's events written by DICEKit: the same file name and the same bytes as TensorBoard's RecordWriter")
    func sameBytesAsTensorBoard() throws {
        let listing = try TensorBoardFixtures.listing("scalars.json")
        let fixture = try TensorBoardFixtures.file(in: "scalars")
        let folder = try ScratchFolder("tensorboard-bytes")
        defer { folder.remove() }
        let adds = try #require(listing.adds)
        let clock = Clock([try #require(listing.file_version_wall_time)] + adds.map(\.wall_time))
        let writer = try TensorBoardWriter(directory: folder.file("run"), host: try #require(listing.host), clock: clock.next)
        for add in adds { try writer.add(add.scalars.map(\.scalar), step: add.step) }
        #expect(writer.file.lastPathComponent == fixture.lastPathComponent)
        #expect(try Data(contentsOf: writer.file) == Data(contentsOf: fixture))
        #expect(try TensorBoardWriter.eventFiles(in: folder.file("run")) == [writer.file])
    }

    @Test("a writer started with a history replaces the folder's event files, and its rows keep the wall times they had")
    func historyKeepsWallTimes() throws {
        let listing = try TensorBoardFixtures.listing("scalars.json")
        let fixture = try TensorBoardFixtures.file(in: "scalars")
        let folder = try ScratchFolder("tensorboard-history")
        defer { folder.remove() }
        let run = folder.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: run.appendingPathComponent(fixture.lastPathComponent))
        try Data("kept\n".utf8).write(to: run.appendingPathComponent("notes.txt"))
        let adds = try #require(listing.adds)
        // The rows of the first three steps, and a step the old file does not have.
        let history = adds.prefix(3).map { TensorBoardWriter.Row(step: $0.step, scalars: $0.scalars.map(\.scalar)) }
            + [TensorBoardWriter.Row(step: 7, scalars: [TensorBoardScalar("train/loss", 0.25)])]
        let now = 1_800_000_000.5
        let writer = try TensorBoardWriter(directory: run, history: history, host: "h", clock: { now })
        #expect(writer.file.lastPathComponent == "events.out.tfevents.1800000000.h")
        #expect(try TensorBoardWriter.eventFiles(in: run) == [writer.file])
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("notes.txt").path))
        let events = try TensorBoardWriter.events(in: run)
        let old = try TensorBoardWriter.events(inFile: fixture)
        let oldRows = old.dropFirst().filter { $0.step != Int64(adds[3].step) }
        #expect(events.first == TensorBoardEvent(wallTime: now, step: 0, content: .fileVersion("brain.Event:2")))
        #expect(events.dropFirst().dropLast().map { TensorBoardFormatTests.bits($0.content) + "@\($0.wallTime)/\($0.step)" }
                == oldRows.map { TensorBoardFormatTests.bits($0.content) + "@\($0.wallTime)/\($0.step)" })
        #expect(events.last == TensorBoardEvent(wallTime: now, step: 7, content: .scalars([TensorBoardScalar(tag: "train/loss", value: 0.25)])))
    }

    @Test("each add is in the file when it returns (read while the writer is open)")
    func appendsReachTheFile() throws {
        let folder = try ScratchFolder("tensorboard-append")
        defer { folder.remove() }
        var time = 100.0
        let writer = try TensorBoardWriter(directory: folder.url, host: "h", clock: { time })
        for step in 1 ... 5 {
            time += 1
            try writer.add([TensorBoardScalar("a", Double(step)), TensorBoardScalar("b", -Double(step))], step: step)
            let events = try TensorBoardWriter.events(in: folder.url)
            #expect(events.count == 1 + 2 * step)
            #expect(events.last == TensorBoardEvent(wallTime: time, step: Int64(step),
                                                    content: .scalars([TensorBoardScalar(tag: "b", value: -Float(step))])))
        }
    }

    @Test("a folder that cannot be made is named in the error")
    func unusableFolder() throws {
        let folder = try ScratchFolder("tensorboard-unusable")
        defer { folder.remove() }
        try Data().write(to: folder.file("file"))
        let error = #expect(throws: FormatError.self) {
            try TensorBoardWriter(directory: folder.file("file/run"))
        }
        #expect(error.map { "\($0)".contains(folder.file("file/run").path) } == true, "\(String(describing: error))")
    }

    @Test("DPO figures under the tags transformers' TensorBoardCallback gives TRL's logs")
    func dpoTags() {
        let update = DPOMetrics(step: 3, epoch: 0.5, isValidation: false, loss: 0.6, rewardsChosen: 0.1, rewardsRejected: -0.2,
                                rewardsMargins: 0.3, rewardsAccuracies: 0.75, logpsChosen: -10, logpsRejected: -12,
                                gradNorm: 1.5, learningRate: 1e-6)
        #expect(update.tensorBoardScalars == [
            TensorBoardScalar("train/loss", 0.6), TensorBoardScalar("train/grad_norm", 1.5),
            TensorBoardScalar("train/learning_rate", 1e-6), TensorBoardScalar("train/rewards/chosen", 0.1),
            TensorBoardScalar("train/rewards/rejected", -0.2), TensorBoardScalar("train/rewards/accuracies", 0.75),
            TensorBoardScalar("train/rewards/margins", 0.3), TensorBoardScalar("train/logps/chosen", -10),
            TensorBoardScalar("train/logps/rejected", -12), TensorBoardScalar("train/epoch", 0.5)])
        var validation = update
        validation.isValidation = true
        validation.gradNorm = nil
        validation.learningRate = nil
        #expect(validation.tensorBoardScalars == [
            TensorBoardScalar("eval/loss", 0.6), TensorBoardScalar("eval/rewards/chosen", 0.1),
            TensorBoardScalar("eval/rewards/rejected", -0.2), TensorBoardScalar("eval/rewards/accuracies", 0.75),
            TensorBoardScalar("eval/rewards/margins", 0.3), TensorBoardScalar("eval/logps/chosen", -10),
            TensorBoardScalar("eval/logps/rejected", -12)])
    }
}
