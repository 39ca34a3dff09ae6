// SafeTensors: encode and write safetensors files (and a one-call reader). Reading and
// validation live in SafeTensorsFile.swift.

import Foundation

/// Reading and writing the safetensors format.
///
/// Files written here are deterministic: tensors are laid out sorted by name, the header keys
/// are sorted, and the header is padded with spaces to a multiple of 8 bytes (as the reference
/// implementation does), so the same tensors give the same bytes.
public enum SafeTensors {
    /// Reads every tensor of the file at `url`, converted to Float32.
    ///
    /// - Throws: `FormatError` (see `SafeTensorsFile`).
    public static func read(contentsOf url: URL) throws -> [String: HostTensor] {
        try SafeTensorsFile(contentsOf: url).allTensors()
    }

    /// The safetensors bytes for `tensors`, every tensor stored as `dtype`.
    ///
    /// - Parameters:
    ///   - tensors: name → tensor. Names must be non-empty and not `__metadata__`.
    ///   - dtype: `.f32` (default, exact), `.f16` or `.bf16` (round to nearest even). `.f64` is
    ///     read-only and rejected.
    ///   - metadata: the `__metadata__` map; omitted from the header when empty. Hugging Face
    ///     model files carry `["format": "pt"]`.
    /// - Throws: `FormatError.invalidTensor` for a bad name, a values count that disagrees with
    ///   the shape, or an unsupported dtype.
    public static func encode(_ tensors: [String: HostTensor], dtype: SafeTensorsDType = .f32,
                              metadata: [String: String] = [:]) throws -> Data {
        var out = Data()
        try stream(shapes: tensors.mapValues(\.shape), values: { tensors[$0]?.values ?? [] },
                   dtype: dtype, metadata: metadata) { out.append(contentsOf: $0) }
        return out
    }

    /// Writes `tensors` to `url` atomically (see `AtomicFile`); arguments as in `encode`.
    ///
    /// - Throws: `FormatError.invalidTensor` (see `encode`) or `.io`.
    public static func write(_ tensors: [String: HostTensor], to url: URL, dtype: SafeTensorsDType = .f32,
                             metadata: [String: String] = [:]) throws {
        try write(shapes: tensors.mapValues(\.shape), values: { tensors[$0]?.values ?? [] }, to: url,
                  dtype: dtype, metadata: metadata)
    }

    /// Writes a safetensors file atomically with one tensor in memory at a time: the header
    /// from `shapes`, then each tensor's values, asked for in name order, encoded and written
    /// before the next is asked for. The bytes equal `encode`'s for the same tensors.
    ///
    /// - Parameters:
    ///   - shapes: name → shape of every tensor to write (names as in `encode`).
    ///   - values: the values of the named tensor, row-major, as many as its shape holds.
    ///   - url: the file to write; its folder must exist.
    ///   - dtype: `.f32` (default), `.f16` or `.bf16`, as in `encode`.
    ///   - metadata: the `__metadata__` map, as in `encode`.
    /// - Throws: `FormatError.invalidTensor` for a bad name or shape, or when `values` gives a
    ///   count that disagrees with the shape (nothing is left at `url` then); `.io`; what
    ///   `values` throws.
    public static func write(shapes: [String: [Int]], values: (String) throws -> [Float], to url: URL,
                             dtype: SafeTensorsDType = .f32, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(to: url) { append in
            try stream(shapes: shapes, values: values, dtype: dtype, metadata: metadata, to: append)
        }
    }

    /// The file's bytes, in order, handed to `append`: the length-prefixed header, then each
    /// tensor's data (sorted by name), one tensor at a time.
    private static func stream(shapes: [String: [Int]], values: (String) throws -> [Float],
                               dtype: SafeTensorsDType, metadata: [String: String],
                               to append: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard dtype != .f64 else {
            throw FormatError.invalidTensor(tensor: "", reason: "F64 is read-only in DICEKit; write F32, F16 or BF16")
        }
        let names = shapes.keys.sorted()
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += jsonString("__metadata__") + ":{"
            header += metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0] ?? "") }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        var counts: [Int] = []
        for name in names {
            let shape = shapes[name] ?? []
            guard !name.isEmpty, name != "__metadata__" else {
                throw FormatError.invalidTensor(tensor: name, reason: "reserved or empty tensor name")
            }
            let count = try elementCount(shape, name: name)
            let size = count * dtype.byteSize
            header += (first ? "" : ",") + jsonString(name)
            header += ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":["
            header += shape.map(String.init).joined(separator: ",")
            header += "],\"data_offsets\":[\(offset),\(offset + size)]}"
            offset += size
            counts.append(count)
            first = false
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        // Names and shapes are checked before a byte is written; each tensor's count as it comes.
        var length = UInt64(headerBytes.count).littleEndian
        try withUnsafeBytes(of: &length) { try append($0) }
        try headerBytes.withUnsafeBytes { try append($0) }
        for (name, count) in zip(names, counts) {
            let tensor = try values(name)
            guard tensor.count == count else {
                throw FormatError.invalidTensor(tensor: name,
                                                reason: "\(tensor.count) values for shape \(shapes[name] ?? []) (\(count) elements)")
            }
            try encode(tensor, as: dtype, to: append)
        }
    }

    // MARK: - Helpers

    /// The number of elements of `shape`.
    /// - Throws: `FormatError.invalidTensor` naming `name` for a negative dimension or an overflow.
    static func elementCount(_ shape: [Int], name: String) throws -> Int {
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else {
                throw FormatError.invalidTensor(tensor: name, reason: "invalid shape \(shape)")
            }
            elements = product
        }
        return elements
    }

    private static func encode(_ values: [Float], as dtype: SafeTensorsDType,
                               to append: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch dtype {
        case .f32, .f64:
            #if _endian(little)
            try values.withUnsafeBytes { try append($0) }
            #else
            let words = values.map { $0.bitPattern.littleEndian }
            try words.withUnsafeBytes { try append($0) }
            #endif
        case .f16, .bf16:
            var words = [UInt16](repeating: 0, count: values.count)
            for i in values.indices {
                let bits = dtype == .f16 ? halfBits(from: values[i]) : bfloat16Bits(from: values[i])
                words[i] = bits.littleEndian
            }
            try words.withUnsafeBytes { try append($0) }
        }
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
