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
        guard dtype != .f64 else {
            throw FormatError.invalidTensor(tensor: "", reason: "F64 is read-only in DICEKit; write F32, F16 or BF16")
        }
        let names = tensors.keys.sorted()
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
        for name in names {
            guard let tensor = tensors[name] else { continue }
            guard !name.isEmpty, name != "__metadata__" else {
                throw FormatError.invalidTensor(tensor: name, reason: "reserved or empty tensor name")
            }
            try validate(tensor, name: name)
            let size = tensor.values.count * dtype.byteSize
            header += (first ? "" : ",") + jsonString(name)
            header += ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":["
            header += tensor.shape.map(String.init).joined(separator: ",")
            header += "],\"data_offsets\":[\(offset),\(offset + size)]}"
            offset += size
            first = false
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            append(tensor.values, as: dtype, to: &out)
        }
        return out
    }

    /// Writes `tensors` to `url` atomically (see `AtomicFile`); arguments as in `encode`.
    ///
    /// - Throws: `FormatError.invalidTensor` (see `encode`) or `.io`.
    public static func write(_ tensors: [String: HostTensor], to url: URL, dtype: SafeTensorsDType = .f32,
                             metadata: [String: String] = [:]) throws {
        try AtomicFile.write(encode(tensors, dtype: dtype, metadata: metadata), to: url)
    }

    // MARK: - Helpers

    static func validate(_ tensor: HostTensor, name: String) throws {
        var elements = 1
        for dimension in tensor.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow else {
                throw FormatError.invalidTensor(tensor: name, reason: "invalid shape \(tensor.shape)")
            }
            elements = product
        }
        guard elements == tensor.values.count else {
            throw FormatError.invalidTensor(tensor: name,
                                            reason: "\(tensor.values.count) values for shape \(tensor.shape) (\(elements) elements)")
        }
    }

    private static func append(_ values: [Float], as dtype: SafeTensorsDType, to out: inout Data) {
        switch dtype {
        case .f32, .f64:
            #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for v in values { var w = v.bitPattern.littleEndian; withUnsafeBytes(of: &w) { out.append(contentsOf: $0) } }
            #endif
        case .f16, .bf16:
            var words = [UInt16](repeating: 0, count: values.count)
            for i in values.indices {
                let bits = dtype == .f16 ? halfBits(from: values[i]) : bfloat16Bits(from: values[i])
                words[i] = bits.littleEndian
            }
            words.withUnsafeBytes { out.append(contentsOf: $0) }
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
