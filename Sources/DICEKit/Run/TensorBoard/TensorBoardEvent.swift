// TensorBoardEvent: the `Event` proto of TensorBoard's event files, encoded and decoded by hand —
// only the fields DICEKit writes and reads:
//
//   Event          wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
//                  summary = 5 (Summary)            (file_version and summary: oneof `what`)
//   Summary        value = 1 (repeated Value)
//   Summary.Value  tag = 1 (string), simple_value = 2 (float)
//
// Encoding follows proto3 as the Python protobuf runtime does: fields in number order, scalar
// fields left out when zero, the set member of a oneof always written. Decoding skips fields it
// does not know (source_metadata, the other kinds of Value, …).

import Foundation

/// One named scalar of a summary: TensorBoard's `Summary.Value` with a `simple_value`.
public struct TensorBoardScalar: Sendable, Hashable {
    /// The tag TensorBoard groups and labels the curve by, e.g. `train/loss`.
    public var tag: String
    /// The value; TensorBoard stores scalars as 32-bit floats.
    public var value: Float

    /// The scalar `value` (rounded to Float32) under `tag`.
    public init(_ tag: String, _ value: Double) {
        self.tag = tag
        self.value = Float(value)
    }

    /// The scalar `value` under `tag`, as stored in a file.
    public init(tag: String, value: Float) {
        self.tag = tag
        self.value = value
    }
}

/// One `Event` record of an event file.
public struct TensorBoardEvent: Sendable, Hashable {
    /// What an event carries (the `what` oneof of the proto).
    public enum Content: Sendable, Hashable {
        /// The first record of a file: its format, `"brain.Event:2"`.
        case fileVersion(String)
        /// A summary of scalars (its values that are not scalars are left out when read).
        case scalars([TensorBoardScalar])
        /// A kind DICEKit does not read (a graph, a log message, …), or none; encoded as
        /// nothing.
        case other
    }

    /// When the event was recorded, in seconds since 1970-01-01 UTC.
    public var wallTime: Double
    /// The step (x axis) of the event's values.
    public var step: Int64
    /// What the event carries.
    public var content: Content

    /// An event of `content` at `step`, recorded at `wallTime` (seconds since 1970).
    public init(wallTime: Double, step: Int64, content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    // MARK: - Encoding

    /// The event as protobuf bytes (proto3, as TensorBoard's Python writer serializes it).
    public var protobuf: Data {
        var out = Data()
        if wallTime.bitPattern != 0 {
            Self.key(1, .fixed64, &out)
            withUnsafeBytes(of: wallTime.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        if step != 0 {
            Self.key(2, .varint, &out)
            Self.varint(UInt64(bitPattern: step), &out)
        }
        switch content {
        case .fileVersion(let version):
            Self.bytes(3, Data(version.utf8), &out)
        case .scalars(let scalars):
            var summary = Data()
            for scalar in scalars {
                var value = Data()
                if !scalar.tag.isEmpty { Self.bytes(1, Data(scalar.tag.utf8), &value) }
                Self.key(2, .fixed32, &value)
                withUnsafeBytes(of: scalar.value.bitPattern.littleEndian) { value.append(contentsOf: $0) }
                Self.bytes(1, value, &summary)
            }
            Self.bytes(5, summary, &out)
        case .other:
            break
        }
        return out
    }

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private static func key(_ field: UInt64, _ type: WireType, _ out: inout Data) {
        varint(field << 3 | type.rawValue, &out)
    }

    private static func varint(_ value: UInt64, _ out: inout Data) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func bytes(_ field: UInt64, _ payload: Data, _ out: inout Data) {
        key(field, .lengthDelimited, &out)
        varint(UInt64(payload.count), &out)
        out.append(payload)
    }

    // MARK: - Decoding

    /// Decodes an `Event` from protobuf bytes; unknown fields are skipped.
    /// - Parameters:
    ///   - data: one record's data (an `Event` protobuf).
    ///   - path: the file, named in errors.
    ///   - offset: the record's byte offset in that file, named in errors.
    /// - Throws: `TensorBoardError.damaged` for bytes that are no valid protobuf (a field cut
    ///   short, a wire type proto3 does not use, a tag that is not UTF-8).
    public init(protobuf data: Data, path: String, offset: Int) throws {
        func damaged(_ reason: String) -> TensorBoardError { .damaged(path: path, offset: offset, reason: reason) }
        wallTime = 0
        step = 0
        content = .other
        var event = ProtobufReader(data)
        while let (field, type) = try event.key(damaged) {
            switch (field, type) {
            case (1, 1): wallTime = Double(bitPattern: try event.fixed64(damaged))
            case (2, 0): step = Int64(bitPattern: try event.varint(damaged))
            case (3, 2): content = .fileVersion(try event.string(damaged))
            case (5, 2):
                var scalars: [TensorBoardScalar] = []
                var summary = ProtobufReader(try event.lengthDelimited(damaged))
                while let (field, type) = try summary.key(damaged) {
                    guard field == 1, type == 2 else {
                        try summary.skip(type, damaged)
                        continue
                    }
                    var value = ProtobufReader(try summary.lengthDelimited(damaged))
                    var tag = "", simple: Float?
                    while let (field, type) = try value.key(damaged) {
                        switch (field, type) {
                        case (1, 2): tag = try value.string(damaged)
                        case (2, 5): simple = Float(bitPattern: try value.fixed32(damaged))
                        default: try value.skip(type, damaged)
                        }
                    }
                    if let simple { scalars.append(TensorBoardScalar(tag: tag, value: simple)) }
                }
                content = .scalars(scalars)
            default:
                try event.skip(type, damaged)
            }
        }
    }
}

/// Reads protobuf wire format from the front of `bytes`.
private struct ProtobufReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ data: Data) {
        bytes = [UInt8](data)
    }

    /// The next field's number and wire type; nil at the end.
    mutating func key(_ damaged: (String) -> TensorBoardError) throws -> (UInt64, UInt64)? {
        guard position < bytes.count else { return nil }
        let key = try varint(damaged)
        guard key >> 3 != 0 else { throw damaged("field number 0 at byte \(position) of the event") }
        return (key >> 3, key & 7)
    }

    mutating func varint(_ damaged: (String) -> TensorBoardError) throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 64, by: 7) {
            guard position < bytes.count else { throw damaged("a varint cut short at the end of the event") }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
        }
        throw damaged("a varint longer than 10 bytes")
    }

    mutating func fixed64(_ damaged: (String) -> TensorBoardError) throws -> UInt64 {
        try take(8, damaged).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func fixed32(_ damaged: (String) -> TensorBoardError) throws -> UInt32 {
        try take(4, damaged).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func lengthDelimited(_ damaged: (String) -> TensorBoardError) throws -> Data {
        let length = try varint(damaged)
        guard length <= UInt64(bytes.count - position) else {
            throw damaged("a field of \(length) bytes with \(bytes.count - position) left in the event")
        }
        return Data(try take(Int(length), damaged))
    }

    mutating func string(_ damaged: (String) -> TensorBoardError) throws -> String {
        guard let text = String(validating: try lengthDelimited(damaged), as: UTF8.self) else {
            throw damaged("a string field that is not UTF-8")
        }
        return text
    }

    /// Skips a field of wire type `type`.
    mutating func skip(_ type: UInt64, _ damaged: (String) -> TensorBoardError) throws {
        switch type {
        case 0: _ = try varint(damaged)
        case 1: _ = try take(8, damaged)
        case 2: _ = try lengthDelimited(damaged)
        case 5: _ = try take(4, damaged)
        default: throw damaged("wire type \(type), which proto3 does not use")
        }
    }

    private mutating func take(_ count: Int, _ damaged: (String) -> TensorBoardError) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count - position else {
            throw damaged("a field of \(count) bytes with \(bytes.count - position) left in the event")
        }
        defer { position += count }
        return bytes[position ..< position + count]
    }
}
