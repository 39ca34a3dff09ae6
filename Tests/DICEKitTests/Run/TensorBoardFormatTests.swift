// The event-file format against independent references: CRC-32C against published check values
// (RFC 3720's, and TensorBoard's masked_crc32c of them), TFRecord framing and Event protos
// against files TensorBoard's own writers made (Scripts/make-tensorboard-fixtures.py), and a
// damaged or cut file.

@testable import DICEKit
import Foundation
import Testing

/// The fixtures of Tests/Fixtures/tensorboard.
enum TensorBoardFixtures {
    static let root = Fixtures.root.appendingPathComponent("tensorboard")

    /// scalars.json: the events of scalars/events.out.tfevents.…
    struct Listing: Decodable {
        struct Scalar: Decodable {
            var tag: String
            var value_bits: String
            var scalar: TensorBoardScalar { TensorBoardScalar(tag: tag, value: Float(bitPattern: UInt32(value_bits.dropFirst(2), radix: 16) ?? 0)) }
        }
        struct Add: Decodable {
            var wall_time: Double
            var step: Int
            var scalars: [Scalar]
        }
        var host: String?
        var file_version_wall_time: Double?
        var adds: [Add]?
        var events: [Add]?
    }

    static func listing(_ name: String) throws -> Listing {
        try JSONDecoder().decode(Listing.self, from: Data(contentsOf: root.appendingPathComponent(name)))
    }

    /// The one event file in `folder` of the fixtures.
    static func file(in folder: String) throws -> URL {
        let files = try TensorBoardWriter.eventFiles(in: root.appendingPathComponent(folder))
        return try #require(files.count == 1 ? files.first : nil, "expected one event file in \(folder)")
    }
}

@Suite("TensorBoard event format")
struct TensorBoardFormatTests {
    @Test("CRC-32C of the check values (RFC 3720 and \"123456789\"), and TFRecord's masking",
          arguments: [(Array("123456789".utf8), UInt32(0xE306_9283), UInt32(0xC78A_B0E5)),
                      ([], 0, 0xA282_EAD8),
                      ([UInt8](repeating: 0, count: 32), 0x8A91_36AA, 0x0FD7_FFFA),
                      ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43, 0xF909_B029),
                      ((0 ..< 32).map { UInt8($0) }, 0x46DD_794E, 0x951F_7892),
                      ((0 ..< 32).map { UInt8(31 - $0) }, 0x113F_DB5C, nil)])
    func crc32c(bytes: [UInt8], crc: UInt32, masked: UInt32?) {
        #expect(CRC32C.checksum(bytes) == crc)
        // The mask: rotate right by 15, add 0xA282EAD8 (mod 2^32), written out bit by bit.
        var rotated: UInt32 = 0
        for bit in 0 ..< 32 {
            let source = UInt32((bit + 15) % 32)
            rotated |= ((crc >> source) & 1) << UInt32(bit)
        }
        let sum = (UInt64(rotated) + 0xA282_EAD8) % (1 << 32)
        #expect(CRC32C.masked(crc) == UInt32(sum))
        if let masked { #expect(CRC32C.maskedChecksum(bytes) == masked, "tensorboard's masked_crc32c") }
    }

    @Test("the fixture written by TensorBoard's RecordWriter reads back event by event")
    func readsRecordWriterFixture() throws {
        let listing = try TensorBoardFixtures.listing("scalars.json")
        let events = try TensorBoardWriter.events(inFile: try TensorBoardFixtures.file(in: "scalars"))
        var expected = [TensorBoardEvent(wallTime: try #require(listing.file_version_wall_time), step: 0,
                                         content: .fileVersion("brain.Event:2"))]
        for add in try #require(listing.adds) {
            expected += add.scalars.map {
                TensorBoardEvent(wallTime: add.wall_time, step: Int64(add.step), content: .scalars([$0.scalar]))
            }
        }
        #expect(events.count == expected.count)
        for (read, want) in zip(events, expected) {
            #expect(read.wallTime == want.wallTime && read.step == want.step)
            #expect(Self.bits(read.content) == Self.bits(want.content), "step \(want.step)")
        }
    }

    @Test("EventFileWriter's own file: source_metadata and tensor values are skipped, the simple values read")
    func readsEventFileWriterFixture() throws {
        let listing = try TensorBoardFixtures.listing("eventfilewriter.json")
        let events = try TensorBoardWriter.events(inFile: try TensorBoardFixtures.file(in: "eventfilewriter"))
        try #require(events.count == 3)
        #expect(events[0].content == .fileVersion(TensorBoardWriter.fileVersion))
        for (read, want) in zip(events.dropFirst(), try #require(listing.events)) {
            #expect(read.wallTime == want.wall_time && read.step == Int64(want.step))
            #expect(read.content == .scalars(want.scalars.map(\.scalar)))
        }
    }

    @Test("a file cut inside its last record reads up to it; a flipped byte is named with its record's offset")
    func cutAndDamagedFiles() throws {
        let url = try TensorBoardFixtures.file(in: "scalars")
        let data = try Data(contentsOf: url)
        let whole = try TFRecord.records(in: data, path: url.path)
        #expect(whole.incompleteTail == 0 && whole.records.count == 11)
        // Every cut: the records wholly before it, and the rest counted as the tail.
        var ends = [0]
        for record in whole.records { ends.append((ends.last ?? 0) + record.count + TFRecord.overhead) }
        #expect(ends.last == data.count)
        for cut in stride(from: 0, through: data.count, by: 7) {
            let read = try TFRecord.records(in: data.prefix(cut), path: url.path)
            let kept = ends.lastIndex { $0 <= cut } ?? 0
            #expect(read.records == Array(whole.records.prefix(kept)) && read.incompleteTail == cut - ends[kept], "cut at \(cut)")
        }
        // A byte of the second record's data flipped; then one of its length.
        for (position, what) in [(ends[1] + 14, "data"), (ends[1] + 1, "length")] {
            var damaged = data
            damaged[position] ^= 0x20
            let error = #expect(throws: TensorBoardError.self) { try TFRecord.records(in: damaged, path: "f.tfevents") }
            #expect(error == .damaged(path: "f.tfevents", offset: ends[1], reason: "the CRC of the " + (what == "data"
                ? "\(whole.records[1].count) data bytes does not match" : "length does not match")))
        }
    }

    @Test("bytes that are no Event proto are reported, not read")
    func malformedEvents() {
        for (bytes, reason) in [([0x0A, 0x05, 0x61] as [UInt8], "a field of 5 bytes with 1 left in the event"),
                                ([0x10, 0x80], "a varint cut short at the end of the event"),
                                ([0x0B], "wire type 3, which proto3 does not use"),
                                ([0x1A, 0x01, 0xFF], "a string field that is not UTF-8")] {
            #expect(throws: TensorBoardError.damaged(path: "p", offset: 9, reason: reason)) {
                try TensorBoardEvent(protobuf: Data(bytes), path: "p", offset: 9)
            }
        }
    }

    /// Scalars with their values as bit patterns (NaN compares equal to itself).
    static func bits(_ content: TensorBoardEvent.Content) -> String {
        switch content {
        case .fileVersion(let v): return v
        case .scalars(let s): return s.map { "\($0.tag)=\($0.value.bitPattern)" }.joined(separator: ",")
        case .other: return "other"
        }
    }
}
