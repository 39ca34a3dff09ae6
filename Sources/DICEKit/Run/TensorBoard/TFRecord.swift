// TFRecord: the framing of TensorBoard's event files.
//
//   uint64  length            little-endian
//   uint32  masked CRC32C of the 8 length bytes
//   byte    data[length]
//   uint32  masked CRC32C of the data

import Foundation

/// TFRecord framing (as `tensorboard.summary.writer.record_writer.RecordWriter` writes it).
public enum TFRecord {
    /// Bytes of framing around each record's data: 8 (length) + 4 (its CRC) + 4 (data CRC).
    public static let overhead = 16

    /// `data` as one framed record.
    public static func framed(_ data: Data) -> Data {
        var out = Data(capacity: data.count + overhead)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Data($0) }
        out.append(length)
        append(CRC32C.maskedChecksum(length), to: &out)
        out.append(data)
        append(CRC32C.maskedChecksum(data), to: &out)
        return out
    }

    /// The records of a file's bytes, in order.
    ///
    /// A last record cut short (a writer killed in the middle of an append) is left out and
    /// its bytes counted in `incompleteTail`, as TensorBoard's reader does; every complete
    /// record must check.
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - path: named in errors.
    /// - Throws: `TensorBoardError.damaged` for a complete record whose length or data CRC
    ///   does not match.
    public static func records(in bytes: Data, path: String) throws -> (records: [Data], incompleteTail: Int) {
        let data = Data(bytes)  // indices from 0
        var records: [Data] = []
        var offset = 0
        while data.count - offset >= 12 {
            let lengthBytes = data[offset ..< offset + 8]
            let stored = uint32(data, at: offset + 8)
            guard CRC32C.maskedChecksum(lengthBytes) == stored else {
                throw TensorBoardError.damaged(path: path, offset: offset, reason: "the CRC of the length does not match")
            }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            // Room for the data and its CRC, or a record cut short.
            let room = data.count - offset - overhead
            guard room >= 0, length <= UInt64(room) else { break }
            let start = offset + 12, end = start + Int(length)
            let record = data[start ..< end]
            guard CRC32C.maskedChecksum(record) == uint32(data, at: end) else {
                throw TensorBoardError.damaged(path: path, offset: offset, reason: "the CRC of the \(length) data bytes does not match")
            }
            records.append(Data(record))
            offset = end + 4
        }
        return (records, data.count - offset)
    }

    private static func append(_ value: UInt32, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func uint32(_ data: Data, at offset: Int) -> UInt32 {
        data[offset ..< offset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
