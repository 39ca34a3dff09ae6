import Foundation
import Testing
@testable import DICEKit

/// The GGUF header, metadata and tensor descriptors of Tests/Fixtures/gguf/dequant.gguf, whose
/// values Scripts/make_gguf_fixtures.py sets by hand.
@Suite("GGUF reader")
struct GGUFReaderTests {
    let file: GGUFFile

    init() throws {
        file = try GGUFFile(contentsOf: Fixtures.gguf("dequant.gguf"))
    }

    @Test func headerAndAlignment() {
        #expect(file.version == 3)
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(file.tensors.count == 11)  // 10 types (F32 … Q6_K, Q5_0, Q5_1) and a 3-D F32
        for info in file.tensors { #expect(info.offset % 64 == 0, "\(info.name)") }
    }

    @Test func everyValueType() {
        let m = file.metadata
        #expect(m["test.u8"] == .uint8(200))
        #expect(m["test.i8"] == .int8(-100))
        #expect(m["test.u16"] == .uint16(60000))
        #expect(m["test.i16"] == .int16(-30000))
        #expect(m["test.u32"] == .uint32(4_000_000_000))
        #expect(m["test.i32"] == .int32(-2_000_000_000))
        #expect(m["test.f32"] == .float32(0.15625))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.string"] == .string("héllo ✓"))
        #expect(m["test.u64"] == .uint64(18_000_000_000_000_000_000))
        #expect(m["test.i64"] == .int64(-9_000_000_000_000_000_000))
        #expect(m["test.f64"] == .float64(-2.5e-300))
        #expect(m["test.array.i32"] == .array([.int32(1), .int32(-2), .int32(3)]))
        #expect(m["test.array.string"] == .array([.string("a"), .string(""), .string("ü")]))
        #expect(m["test.array.nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        #expect(m["test.u64"]?.int == nil, "a UINT64 beyond Int.max has no Int value")
        #expect(m["test.i16"]?.double == -30000)
        #expect(file.keys.firstIndex(of: "test.u8")! < file.keys.firstIndex(of: "test.array.nested")!)
    }

    @Test func tensorDescriptors() throws {
        let q4k = try #require(file.tensorInfo("t.Q4_K"))
        #expect(q4k.dimensions == [512, 3])
        #expect(q4k.shape == [3, 512])
        #expect(q4k.type == .q4_K)
        #expect(q4k.byteCount == 3 * 2 * 144)
        let cube = try #require(file.tensorInfo("t.F32_3d"))
        #expect(cube.shape == [2, 3, 4])
        #expect(cube.dimensions == [4, 3, 2])
        #expect(GGMLType(rawValue: 13).name == "Q5_K")
        #expect(GGMLType(rawValue: 99).name == "type 99")
    }

    /// Versions 2 and 3 share the little-endian layout: the same bytes with version 2 read alike.
    @Test func versionTwo() throws {
        var bytes = try Data(contentsOf: Fixtures.gguf("dequant.gguf"))
        bytes[4] = 2
        let v2 = try GGUFFile(data: bytes, path: "v2.gguf")
        #expect(v2.version == 2)
        #expect(v2.metadata == file.metadata)
        #expect(v2.tensors == file.tensors)
        #expect(try v2.tensor("t.Q6_K") == file.tensor("t.Q6_K"))
    }

    @Test func isGGUFNeedsAFileNamedGGUF() throws {
        #expect(GGUFFile.isGGUF(Fixtures.gguf("dequant.gguf")))
        #expect(!GGUFFile.isGGUF(Fixtures.gguf("dequant.safetensors")))
        #expect(!GGUFFile.isGGUF(Fixtures.model("llama-gqa-tied")))
        #expect(!GGUFFile.isGGUF(Fixtures.gguf("absent.gguf")))
    }
}
