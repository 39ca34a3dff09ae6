// Shared helpers of the GGUF tests: fixture locations and a minimal GGUF writer for hand-made
// (hostile) files.

import Foundation
@testable import DICEKit

extension Fixtures {
    /// Tests/Fixtures/gguf/<name> (made by Scripts/make_gguf_fixtures.py).
    static func gguf(_ name: String) -> URL {
        root.appendingPathComponent("gguf").appendingPathComponent(name)
    }
}

/// Builds GGUF bytes field by field (little-endian), for files the fixtures cannot provide.
struct GGUFBytes {
    var data = Data()

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        data.append(contentsOf: Array(s.utf8))
    }
    mutating func header(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) {
        data.append(contentsOf: Array("GGUF".utf8))
        u32(version)
        u64(tensors)
        u64(kvs)
    }
    /// A key with a UINT32 value.
    mutating func kvU32(_ key: String, _ value: UInt32) {
        string(key)
        u32(4)
        u32(value)
    }
    /// A key with a STRING value.
    mutating func kvString(_ key: String, _ value: String) {
        string(key)
        u32(8)
        string(value)
    }
    /// A tensor descriptor.
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }
    /// Zero bytes up to a multiple of `alignment`, then `count` bytes of data.
    mutating func padAndData(alignment: Int = 32, count: Int) {
        while data.count % alignment != 0 { data.append(0) }
        data.append(contentsOf: [UInt8](repeating: 0x3C, count: count))
    }
}
