import Foundation
import Testing
@testable import DICEKit

/// Truncated, corrupted and hostile GGUF files: each is rejected with the `GGUFError` that names
/// the problem, never a crash; a seeded fuzz test flips bytes of a real header.
@Suite("GGUF hostile files")
struct GGUFHostileFileTests {
    static func parse(_ data: Data) throws -> GGUFFile { try GGUFFile(data: data, path: "bad.gguf") }

    /// A valid file with one 32-element F32 tensor, for mutation.
    static func valid(type: UInt32 = 0, offset: UInt64 = 0, dims: [UInt64] = [32], dataBytes: Int = 128) -> Data {
        var b = GGUFBytes()
        b.header(tensors: 1, kvs: 1)
        b.kvU32("general.alignment", 32)
        b.tensor("w", dims: dims, type: type, offset: offset)
        b.padAndData(count: dataBytes)
        return b.data
    }

    @Test func validBaselineParses() throws {
        let file = try Self.parse(Self.valid())
        #expect(try file.tensor("w").values.count == 32)
    }

    @Test func badMagic() {
        var data = Self.valid()
        data.replaceSubrange(0..<4, with: Array("GGML".utf8))
        #expect(throws: GGUFError.badMagic(path: "bad.gguf", found: "47 47 4d 4c")) { try Self.parse(data) }
    }

    @Test(arguments: [UInt32(1), 4, 0x0300_0000])
    func unsupportedVersion(_ version: UInt32) {
        var data = Self.valid()
        withUnsafeBytes(of: version.littleEndian) { data.replaceSubrange(4..<8, with: $0) }
        #expect(throws: GGUFError.unsupportedVersion(path: "bad.gguf", version: version)) { try Self.parse(data) }
    }

    /// Every prefix of a real file is rejected (and the error is a GGUFError).
    @Test func everyTruncationThrows() throws {
        let full = try Data(contentsOf: Fixtures.gguf("dequant.gguf"))
        let file = try GGUFFile(data: full, path: "x")
        let dataEnd = file.tensors.map { file.dataOffset + Int($0.offset) + ($0.byteCount ?? 0) }.max() ?? 0
        var lengths = Array(0..<file.dataOffset)
        lengths += Array(stride(from: file.dataOffset, to: dataEnd, by: 97)) + [dataEnd - 1]
        for length in lengths {
            #expect(throws: GGUFError.self, "prefix of \(length) bytes") { try Self.parse(full.prefix(length)) }
        }
    }

    @Test func truncatedHeaderNamesTheOffset() {
        let data = Self.valid().prefix(10)
        #expect(throws: GGUFError.truncated(path: "bad.gguf", offset: 10, expected: "the tensor count")) { try Self.parse(data) }
    }

    @Test func absurdCounts() throws {
        var b = GGUFBytes()
        b.header(tensors: 1 << 60, kvs: 0)
        #expect(throws: GGUFError.countOutOfRange(path: "bad.gguf", offset: 8, what: "tensor count", count: 1 << 60, limit: 0)) {
            try Self.parse(b.data)
        }
        b = GGUFBytes()
        b.header(tensors: 0, kvs: UInt64.max)
        #expect(throws: GGUFError.self) { try Self.parse(b.data) }

        // A string length far beyond the file.
        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.u64(UInt64.max)
        b.data.append(contentsOf: [UInt8](repeating: 0x61, count: 20))
        #expect(throws: GGUFError.countOutOfRange(path: "bad.gguf", offset: 24, what: "length of a metadata key", count: UInt64.max, limit: 20)) {
            try Self.parse(b.data)
        }

        // An array of 2^40 UINT32s.
        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("k")
        b.u32(9)
        b.u32(4)
        b.u64(1 << 40)
        b.u32(7)
        #expect(throws: GGUFError.countOutOfRange(path: "bad.gguf", offset: 41, what: "array length", count: 1 << 40, limit: 1)) {
            try Self.parse(b.data)
        }
    }

    @Test func absurdDimensions() {
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(dims: [32, 1 << 40])) }
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(dims: [32, 0])) }
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(dims: [32, UInt64.max, UInt64.max])) }
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(dims: [1, 1, 1, 1, 1])) }
        // A Q4_0 row of 33 elements is not whole blocks.
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(type: 2, dims: [33])) }
    }

    @Test func unknownValueType() {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("k")
        b.u32(13)
        b.u32(0)
        #expect(throws: GGUFError.invalidValueType(path: "bad.gguf", offset: 33, type: 13)) { try Self.parse(b.data) }
    }

    @Test func nestingTooDeep() {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("k")
        b.u32(9)
        for _ in 0..<10 {
            b.u32(9)
            b.u64(1)
        }
        #expect(throws: GGUFError.self) { try Self.parse(b.data) }
    }

    @Test func duplicates() {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 2)
        b.kvU32("k", 1)
        b.kvU32("k", 2)
        #expect(throws: GGUFError.duplicateKey(path: "bad.gguf", offset: 41, key: "k")) { try Self.parse(b.data) }
    }

    @Test func badAlignment() {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.kvU32("general.alignment", 48)
        #expect(throws: GGUFError.self) { try Self.parse(b.data) }
    }

    @Test func offsetsBeyondTheFile() {
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(offset: 1 << 20)) }
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(offset: UInt64.max - 31)) }
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(dataBytes: 127)) }
        // Misaligned.
        #expect(throws: GGUFError.self) { try Self.parse(Self.valid(offset: 4, dataBytes: 132)) }
    }

    /// Types DICEKit does not dequantise are read as descriptors and refused by name when used.
    @Test(arguments: [(UInt32(13), "Q5_K"), (99, "type 99"), (26, "I32")])
    func unsupportedTensorType(_ type: UInt32, _ name: String) throws {
        let file = try Self.parse(Self.valid(type: type, dims: [256], dataBytes: 1024))
        #expect(throws: GGUFError.unsupportedTensorType(path: "bad.gguf", tensor: "w", type: name,
                                                        supported: GGMLType.dequantizable.map(\.name))) {
            try file.tensor("w")
        }
    }

    /// Seeded fuzzing of the header parser: random byte changes in a real header either parse or
    /// throw a GGUFError (a crash fails the whole run).
    @Test func fuzzHeader() throws {
        let full = try Data(contentsOf: Fixtures.gguf("dequant.gguf"))
        let headerEnd = try GGUFFile(data: full, path: "x").dataOffset
        var rng = SplitMix64(seed: 0x6767_7566)
        var rejected = 0
        for _ in 0..<3000 {
            var data = full
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<headerEnd, using: &rng)
                data[at] = Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : 0xFF
            }
            if Bool.random(using: &rng) { data = data.prefix(Int.random(in: 0...full.count, using: &rng)) }
            do {
                let file = try Self.parse(data)
                for info in file.tensors where info.type.isDequantizable { _ = try? file.tensor(info.name) }
            } catch is GGUFError {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }
}
