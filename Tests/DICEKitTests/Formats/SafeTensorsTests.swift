// SafeTensors: round trips, exact F16/BF16 conversions (against torch's, from the fixture), and
// every malformed-file rejection with the typed error that names file, tensor and offset.

import Foundation
import Testing
@testable import DICEKit

/// Bytes of a safetensors file from a header string and data bytes.
func safetensorsBytes(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
    let h = Array(header.utf8)
    var out = Data()
    var n = (headerLength ?? UInt64(h.count)).littleEndian
    withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
    out.append(contentsOf: h)
    out.append(contentsOf: data)
    return out
}

@Suite("SafeTensors")
struct SafeTensorsTests {
    static let sample: [String: HostTensor] = [
        "a.weight": HostTensor(shape: [2, 3], values: [1, -2.5, 3.25, 0, -0.0, 1e-3]),
        "b": HostTensor(shape: [4], values: [65504, 1e-7, -7, 0.333333]),
        "scalar": HostTensor(shape: [], values: [42]),
        "empty": HostTensor(shape: [0, 5], values: []),
    ]

    // MARK: - Round trips

    @Test("F32 round trip is exact and keeps metadata")
    func roundTripF32() throws {
        let data = try SafeTensors.encode(Self.sample, metadata: ["format": "pt", "note": "a \"quoted\"\nline"])
        let file = try SafeTensorsFile(data: data, path: "mem")
        #expect(file.metadata == ["format": "pt", "note": "a \"quoted\"\nline"])
        #expect(try file.allTensors() == Self.sample)
        #expect(file.entries["a.weight"]?.dtype == .f32)
        #expect((data.count - 8) % 4 == 0)
    }

    @Test("F16 and BF16 round trips equal the rounded values", arguments: [SafeTensorsDType.f16, .bf16])
    func roundTripHalf(dtype: SafeTensorsDType) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let url = folder.file("x.safetensors")
        try SafeTensors.write(Self.sample, to: url, dtype: dtype)
        let file = try SafeTensorsFile(contentsOf: url)
        for (name, tensor) in Self.sample {
            #expect(file.entries[name]?.dtypeName == dtype.rawValue)
            let read = try file.tensor(name)
            #expect(read.shape == tensor.shape)
            let expected = tensor.values.map {
                dtype == .f16 ? float(fromHalfBits: halfBits(from: $0)) : float(fromBFloat16Bits: bfloat16Bits(from: $0))
            }
            #expect(read.values == expected)
        }
        // Writing is deterministic.
        #expect(try SafeTensors.encode(Self.sample, dtype: dtype) == Data(contentsOf: url))
    }

    @Test("encoding rejects values that disagree with the shape")
    func encodeRejectsBadTensor() {
        var bad = HostTensor(shape: [2], values: [1, 2])
        bad.values.append(3)
        let error = #expect(throws: FormatError.self) { try SafeTensors.encode(["w": bad]) }
        #expect(error?.tensor == "w")
    }

    // MARK: - Conversions

    @Test("F16 and BF16 decode exactly as torch does (fixture)")
    func dtypeFixture() throws {
        let file = try SafeTensorsFile(contentsOf: Fixtures.root.appendingPathComponent("dtypes/dtypes.safetensors"))
        #expect(file.entries["f16"]?.dtype == .f16)
        #expect(file.entries["bf16"]?.dtype == .bf16)
        #expect(file.entries["f16_expected"]?.dtype == .f64)
        let f16 = try file.tensor("f16").values, bf16 = try file.tensor("bf16").values
        let f16Expected = try file.doubles("f16_expected"), bf16Expected = try file.doubles("bf16_expected")
        #expect(f16.count == 84 && f16Expected.count == 84)
        #expect(f16.map(Double.init) == f16Expected)
        #expect(bf16.map(Double.init) == bf16Expected)
        // Our round-to-nearest-even encoders reproduce torch's bytes from the F32 source.
        let f32 = try file.tensor("f32").values
        #expect(f32.map { Double(float(fromHalfBits: halfBits(from: $0))) } == f16Expected)
        #expect(f32.map { Double(float(fromBFloat16Bits: bfloat16Bits(from: $0))) } == bf16Expected)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    @Test("half conversions agree with Swift's Float16 on every bit pattern and on random floats")
    func halfAgainstFloat16() {
        for bits in 0 ... UInt16.max {
            let ours = float(fromHalfBits: bits), theirs = Float(Float16(bitPattern: bits))
            #expect(ours.bitPattern == theirs.bitPattern || (ours.isNaN && theirs.isNaN))
        }
        var rng = SplitMix64(seed: 7)
        var mismatches = 0
        for i in 0 ..< 200_000 {
            // Random bit patterns concentrated on the half range (exponents 100…150).
            let raw = UInt32(truncatingIfNeeded: rng.next())
            let exponent = UInt32(100 + (i % 51)) << 23
            let x = Float(bitPattern: (raw & 0x807F_FFFF) | exponent)
            if halfBits(from: x) != Float16(x).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
    #endif

    @Test("bfloat16 rounds to nearest even, overflows to infinity, keeps NaN")
    func bfloat16Rounding() {
        #expect(bfloat16Bits(from: 1.0) == 0x3F80)
        #expect(bfloat16Bits(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(bfloat16Bits(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even
        #expect(bfloat16Bits(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(bfloat16Bits(from: .greatestFiniteMagnitude) == 0x7F80)
        #expect(float(fromBFloat16Bits: bfloat16Bits(from: .nan)).isNaN)
        #expect(float(fromHalfBits: halfBits(from: .nan)).isNaN)
    }

    // MARK: - Malformed files

    @Test("a file shorter than the length field is truncated at its size")
    func truncatedLength() {
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: Data([1, 0, 0]), path: "t.safetensors")
        }
        #expect(error == .truncated(path: "t.safetensors", offset: 3, expected: "an 8-byte header length"))
    }

    @Test("a header length beyond the file is rejected at byte 0")
    func headerBeyondFile() {
        let bytes = safetensorsBytes(header: "{}", headerLength: 1000)
        let error = #expect(throws: FormatError.self) { try SafeTensorsFile(data: bytes, path: "h.safetensors") }
        #expect(error == .headerLengthOutOfRange(path: "h.safetensors", headerLength: 1000, limit: 2))
        let huge = safetensorsBytes(header: "{}", headerLength: .max)
        #expect(throws: FormatError.self) { try SafeTensorsFile(data: huge, path: "h.safetensors") }
    }

    @Test("a header that is not a JSON object is invalid JSON at byte 8 (or where its syntax breaks)",
          arguments: [("not json at all", 8), ("[1, 2]", 8), ("{\"a\": ", 14), ("{\"a\": 1,,", 16), ("\"string\"", 8),
                      ("{\"a\": 1}", 8)])
    func headerNotJSON(header: String, expectedOffset: Int) {
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: header), path: "j.safetensors")
        }
        guard case .invalidJSON(let path, let offset, _, _) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(path == "j.safetensors" && offset == expectedOffset)
    }

    @Test("an entry without dtype names the tensor")
    func entryWithoutDType() {
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), path: "e")
        }
        #expect(error?.tensor == "w")
    }

    @Test("__metadata__ must map strings to strings")
    func metadataNotStrings() {
        #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: #"{"__metadata__":{"n":1}}"#), path: "m")
        }
    }

    @Test("data offsets past the data section name tensor and offsets")
    func offsetsOutOfRange() {
        let header = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), path: "o")
        }
        #expect(error == .dataOffsetsOutOfRange(path: "o", tensor: "w", begin: 0, end: 16,
                                                dataStart: 8 + header.utf8.count, dataSize: 8))
        let reversed = #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#
        #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: reversed, data: [0, 0, 0, 0]), path: "o")
        }
    }

    @Test("a byte range that disagrees with shape × dtype is a size mismatch at its offset")
    func sizeMismatch() {
        let header = #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), path: "s")
        }
        #expect(error == .dataSizeMismatch(path: "s", tensor: "w", offset: 8 + header.utf8.count,
                                           expectedBytes: 6, actualBytes: 8))
    }

    @Test("overlapping tensors, holes and trailing bytes are rejected")
    func coverage() {
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let e1 = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: overlap, data: [UInt8](repeating: 0, count: 12)), path: "c")
        }
        #expect(e1 == .overlappingData(path: "c", tensor: "b", other: "a", offset: 8 + overlap.utf8.count + 4))

        let hole = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let e2 = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: hole, data: [UInt8](repeating: 0, count: 8)), path: "c")
        }
        #expect(e2 == .unindexedData(path: "c", offset: 8 + hole.utf8.count, length: 4))

        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let e3 = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: trailing, data: [UInt8](repeating: 0, count: 6)), path: "c")
        }
        #expect(e3 == .unindexedData(path: "c", offset: 8 + trailing.utf8.count + 4, length: 2))
    }

    @Test("unknown dtypes are rejected on open; known non-float dtypes when read")
    func dtypes() throws {
        let unknown = #"{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#
        let e1 = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: unknown, data: [0, 0, 0, 0]), path: "d")
        }
        #expect(e1 == .unknownDType(path: "d", tensor: "w", dtype: "F17"))

        let integer = #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        let file = try SafeTensorsFile(data: safetensorsBytes(header: integer, data: [UInt8](repeating: 0, count: 8)), path: "d")
        let e2 = #expect(throws: FormatError.self) { try file.tensor("ids") }
        #expect(e2 == .unsupportedDType(path: "d", tensor: "ids", dtype: "I64", supported: ["F32", "F16", "BF16", "F64"]))
        let e3 = #expect(throws: FormatError.self) { try file.tensor("nope") }
        #expect(e3 == .missingTensor(path: "d", tensor: "nope", expectedShape: nil))
    }

    @Test("negative and overflowing shapes are invalid",
          arguments: ["[-1]", "[4294967296, 4294967296]", "[1152921504606846976, 4]", "[1.5]"])
    func badShapes(shape: String) {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,0]}}"
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(data: safetensorsBytes(header: header), path: "n")
        }
        switch error {
        case .invalidShape(path: "n", tensor: "w", _, _) where shape != "[1.5]": break
        // A non-integer is named by its key path, literal and file byte (8 + its place in the header).
        case .invalidJSON(path: "n", let offset, tensor: "w", let reason) where shape == "[1.5]":
            #expect(offset == 8 + (JSONInputErrorTests.offset(of: "1.5", in: header) ?? -100))
            #expect(reason == "w.shape[0]: expected an integer, found 1.5")
        default: Issue.record("unexpected \(String(describing: error))")
        }
    }

    @Test("a truncated model file is rejected naming the file and a tensor past the end")
    func truncatedModelFile() throws {
        let source = Fixtures.model("llama-gqa-tied").appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: source)
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let cut = folder.file("model.safetensors")
        try bytes.prefix(bytes.count - 100).write(to: cut)
        let error = #expect(throws: FormatError.self) { try SafeTensorsFile(contentsOf: cut) }
        guard case .dataOffsetsOutOfRange(let path, _, _, let end, _, let size) = error else {
            Issue.record("expected dataOffsetsOutOfRange, got \(String(describing: error))")
            return
        }
        #expect(path == cut.path && end > size)
        // Cut inside the header too.
        try bytes.prefix(20).write(to: cut)
        #expect(throws: FormatError.self) { try SafeTensorsFile(contentsOf: cut) }
    }

    @Test("error descriptions name the file, the tensor and the byte offset")
    func descriptions() {
        let e = FormatError.dataSizeMismatch(path: "/m/model.safetensors", tensor: "w", offset: 96,
                                             expectedBytes: 6, actualBytes: 8)
        #expect(e.description == "/m/model.safetensors: tensor \"w\" at byte 96: holds 8 bytes, shape × dtype needs 6")
        #expect(e.path == "/m/model.safetensors" && e.tensor == "w")
        let h = FormatError.headerLengthOutOfRange(path: "/x", headerLength: 1000, limit: 2)
        #expect(h.description.contains("/x") && h.description.contains("byte 0") && h.description.contains("1000"))
    }

    @Test("a missing file is a missingFile error")
    func missingFile() {
        let error = #expect(throws: FormatError.self) {
            try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))
        }
        #expect(error?.path == "/nonexistent/x.safetensors")
    }

    /// Random byte changes in the first 2 KiB (header and the first data) and random
    /// truncations of a real file: each input is either read whole and consistently (every
    /// tensor's value count matches its shape) or rejected with a `FormatError` naming the
    /// file — never another error, never a crash — and every file cut short is rejected (the
    /// format indexes every data byte, so a missing tail is always detectable).
    @Test("random corruptions of a real file are rejected with a FormatError, never a crash")
    func fuzz() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.model("gpt2").appendingPathComponent("model.safetensors")))
        var rng = SplitMix64(seed: 11)
        var truncations = 0, rejectedTruncations = 0, rejected = 0
        for trial in 0 ..< 300 {
            var copy = bytes
            for _ in 0 ..< 1 + Int(rng.next() % 4) {
                let i = Int(rng.next() % UInt64(min(copy.count, 2048)))
                copy[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            var cut = 0
            if rng.next() % 3 == 0 {
                cut = Int(rng.next() % UInt64(copy.count))
                copy.removeLast(cut)
            }
            if cut > 0 { truncations += 1 }
            do {
                let tensors = try SafeTensorsFile(data: Data(copy), path: "fuzz-\(trial)").allTensors()
                #expect(cut == 0, "trial \(trial): a file missing its last \(cut) bytes was accepted")
                for (name, tensor) in tensors {
                    #expect(tensor.values.count == tensor.shape.reduce(1, *), "trial \(trial): \(name) \(tensor.shape)")
                }
            } catch let error as FormatError {
                rejected += 1
                if cut > 0 { rejectedTruncations += 1 }
                #expect(error.path == "fuzz-\(trial)", "trial \(trial): \(error)")
            } catch {
                Issue.record("trial \(trial): not a FormatError: \(error)")
            }
        }
        #expect(truncations > 50 && rejectedTruncations == truncations)
        #expect(rejected > truncations, "no corruption of the header was caught")
    }
}
