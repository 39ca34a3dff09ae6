// GGUFFile: a GGUF file (llama.cpp's single-file model format, versions 2 and 3, little-endian)
// read into its header, metadata and tensor descriptors; tensors are dequantised to Float32 on
// request. Layout:
//
//   "GGUF"  u32 version  u64 tensor_count  u64 kv_count
//   kv_count × { string key, u32 value_type, value }          (string = u64 length + UTF-8 bytes)
//   tensor_count × { string name, u32 n_dims, n_dims × u64 ne, u32 ggml_type, u64 offset }
//   padding to `general.alignment` (default 32)
//   data section: tensor bytes at their offsets (each aligned), ne[0] contiguous
//
// Every count and length is checked against what the rest of the file can hold before anything
// is allocated, so a truncated or hostile file is rejected with a `GGUFError` naming the offset.

import Foundation

/// One tensor descriptor of a GGUF file.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The tensor's name in llama.cpp's scheme (`blk.0.attn_q.weight`).
    public var name: String
    /// Dimensions in ggml order: `ne[0]` (the contiguous one, a row) first.
    public var dimensions: [Int]
    /// Element type.
    public var type: GGMLType
    /// Byte offset of the data, relative to the start of the data section.
    public var offset: UInt64
    /// Bytes of data, or nil when the type is one ggml does not define.
    public var byteCount: Int?

    /// Dimensions in Hugging Face / PyTorch order (outermost first): `dimensions` reversed.
    public var shape: [Int] { dimensions.reversed() }
    /// Number of elements (the product of the dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A parsed GGUF file: version, metadata, tensor descriptors and the data section.
///
/// The file's bytes are memory-mapped where the system allows; values are decoded lazily by
/// `tensor(_:)`.
public struct GGUFFile: Sendable {
    /// The path errors name.
    public let path: String
    /// The format version (2 or 3).
    public let version: UInt32
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let keys: [String]
    /// Tensor descriptors in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment` (a power of two), default 32.
    public let alignment: Int
    /// File offset of the data section.
    public let dataOffset: Int
    /// The whole file.
    let bytes: Data
    private let tensorIndex: [String: Int]

    /// The GGUF magic, "GGUF" read as a little-endian UInt32.
    static let magic: UInt32 = 0x4655_4747
    /// Deepest nesting of arrays accepted.
    static let maxNesting = 4
    /// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
    static let maxDimensions = 4

    /// Whether `url` names a GGUF file rather than a model directory: an existing regular file
    /// whose name ends in `.gguf` (any case).
    public static func isGGUF(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return url.pathExtension.lowercased() == "gguf"
            && FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Reads the GGUF file at `url` (memory-mapped).
    /// - Throws: `GGUFError.io` if it is missing, cannot be read or is not a regular file (a
    ///   FIFO, a device, a socket: refused before reading, without blocking; see `ModelFile`),
    ///   else as `init(data:path:)`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try ModelFile.contents(of: url, expected: "a GGUF file", mapped: true)
        } catch let error as FormatError {
            throw GGUFError.io(path: url.path, reason: error.reasonWithoutPath)
        }
        try self.init(data: data, path: url.path)
    }

    /// Parses GGUF bytes; `path` names the file in errors.
    /// - Throws: `GGUFError`: `.badMagic`, `.unsupportedVersion`, `.truncated`, `.countOutOfRange`,
    ///   `.invalidValueType`, `.nestingTooDeep`, `.duplicateKey`, `.duplicateTensor`,
    ///   `.invalidTensorInfo`, `.invalidMetadata` (`general.alignment`), `.tensorDataOutOfRange`.
    public init(data: Data, path: String) throws {
        let bytes = data.startIndex == 0 ? data : Data(data)
        var reader = GGUFByteReader(data: bytes, path: path)
        let magic = try reader.read(UInt32.self, "the magic")
        guard magic == Self.magic else {
            let found = bytes.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw GGUFError.badMagic(path: path, found: found.isEmpty ? "an empty file" : found)
        }
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCountOffset = reader.offset
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let kvCountOffset = reader.offset
        let kvCount = try reader.read(UInt64.self, "the metadata count")
        // Smallest encodings: a key/value is 8 + 4 + 1 bytes, a tensor descriptor 8 + 4 + 4 + 8.
        try reader.checkCount(kvCount, minimumSize: 13, what: "metadata count", at: kvCountOffset)
        try reader.checkCount(tensorCount, minimumSize: 24, what: "tensor count", at: tensorCountOffset)

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<Int(kvCount) {
            let keyOffset = reader.offset
            let key = try reader.readString("a metadata key")
            let type = try reader.read(UInt32.self, "the value type of \"\(key)\"")
            let value = try reader.readValue(type: type, depth: 0)
            guard metadata[key] == nil else { throw GGUFError.duplicateKey(path: path, offset: keyOffset, key: key) }
            metadata[key] = value
            keys.append(key)
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw GGUFError.invalidMetadata(path: path, key: "general.alignment",
                                                expected: "a power of two up to 2^20, found \(value)")
            }
            alignment = a
        }

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for _ in 0..<Int(tensorCount) {
            let infoOffset = reader.offset
            let info = try reader.readTensorInfo(alignment: alignment)
            guard index[info.name] == nil else {
                throw GGUFError.duplicateTensor(path: path, offset: infoOffset, tensor: info.name)
            }
            index[info.name] = tensors.count
            tensors.append(info)
        }

        let end = reader.offset
        let dataOffset = (end + alignment - 1) / alignment * alignment
        for info in tensors {
            guard let byteCount = info.byteCount else { continue }
            let begin = UInt64(dataOffset).addingReportingOverflow(info.offset)
            let stop = begin.partialValue.addingReportingOverflow(UInt64(byteCount))
            guard !begin.overflow, !stop.overflow, stop.partialValue <= UInt64(bytes.count) else {
                throw GGUFError.tensorDataOutOfRange(path: path, tensor: info.name, begin: begin.partialValue,
                                                     end: stop.partialValue, fileSize: bytes.count)
            }
        }

        self.path = path
        self.metadata = metadata
        self.keys = keys
        self.tensors = tensors
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.bytes = bytes
        self.tensorIndex = index
    }

    /// The descriptor of the tensor named `name`, if any.
    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The tensor named `name`, dequantised to Float32, with `shape` in Hugging Face order
    /// (ggml's dimensions reversed). Dequantisation follows ggml's `dequantize_row_*`.
    /// - Throws: `GGUFError.missingTensor`, `.unsupportedTensorType` (naming the type; see
    ///   `GGMLType.dequantizable`).
    public func tensor(_ name: String) throws -> HostTensor {
        guard let info = tensorInfo(name) else { throw GGUFError.missingTensor(path: path, tensor: name) }
        guard info.type.isDequantizable, let byteCount = info.byteCount else {
            throw GGUFError.unsupportedTensorType(path: path, tensor: name, type: info.type.name,
                                                  supported: GGMLType.dequantizable.map(\.name))
        }
        let count = info.elementCount
        var values = [Float](repeating: 0, count: count)
        let begin = dataOffset + Int(info.offset)
        bytes.withUnsafeBytes { raw in
            let source = UnsafeRawBufferPointer(rebasing: raw[begin..<(begin + byteCount)])
            values.withUnsafeMutableBufferPointer { out in
                GGMLDequantize.run(info.type, source, into: out)
            }
        }
        return HostTensor(shape: info.shape, values: values)
    }

    /// The metadata value of `key` as an integer.
    /// - Throws: `GGUFError.missingMetadata`, or `.invalidMetadata` if it is not an integer.
    func requiredInt(_ key: String) throws -> Int {
        guard let value = metadata[key] else { throw GGUFError.missingMetadata(path: path, key: key) }
        guard let int = value.int else { throw GGUFError.invalidMetadata(path: path, key: key, expected: "an integer, found \(value)") }
        return int
    }

    /// The metadata value of `key` as an integer, nil when absent.
    /// - Throws: `GGUFError.invalidMetadata` if present but not an integer.
    func optionalInt(_ key: String) throws -> Int? {
        guard metadata[key] != nil else { return nil }
        return try requiredInt(key)
    }

    /// The metadata value of `key` as a string, nil when absent.
    /// - Throws: `GGUFError.invalidMetadata` if present but not a string.
    func optionalString(_ key: String) throws -> String? {
        guard let value = metadata[key] else { return nil }
        guard let string = value.string else {
            throw GGUFError.invalidMetadata(path: path, key: key, expected: "a string, found \(value)")
        }
        return string
    }
}

// MARK: - Reading primitives

/// A bounds-checked little-endian cursor over a GGUF file's bytes.
struct GGUFByteReader {
    let data: Data
    let path: String
    var offset = 0

    var remaining: Int { data.count - offset }

    /// Throws `.countOutOfRange` unless `count` items of at least `minimumSize` bytes fit in the
    /// rest of the file.
    func checkCount(_ count: UInt64, minimumSize: Int, what: String, at position: Int) throws {
        let limit = UInt64(max(0, remaining) / minimumSize)
        guard count <= limit else {
            throw GGUFError.countOutOfRange(path: path, offset: position, what: what, count: count, limit: limit)
        }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw GGUFError.truncated(path: path, offset: data.count, expected: what) }
        let value = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func readString(_ what: String) throws -> String {
        let lengthOffset = offset
        let length = try read(UInt64.self, "the length of \(what)")
        try checkCount(length, minimumSize: 1, what: "length of \(what)", at: lengthOffset)
        let count = Int(length)
        let string = data.withUnsafeBytes { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)]), as: UTF8.self)
        }
        offset += count
        return string
    }

    /// The smallest encoding of a value of GGUF type `type`, or nil for an unknown type.
    static func minimumSize(of type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return nil
        }
    }

    mutating func readValue(type: UInt32, depth: Int) throws -> GGUFValue {
        let start = offset
        switch type {
        case 0: return .uint8(try read(UInt8.self, "a UINT8 value"))
        case 1: return .int8(try read(Int8.self, "an INT8 value"))
        case 2: return .uint16(try read(UInt16.self, "a UINT16 value"))
        case 3: return .int16(try read(Int16.self, "an INT16 value"))
        case 4: return .uint32(try read(UInt32.self, "a UINT32 value"))
        case 5: return .int32(try read(Int32.self, "an INT32 value"))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, "a FLOAT32 value")))
        case 7:
            let byte = try read(UInt8.self, "a BOOL value")
            guard byte <= 1 else {
                throw GGUFError.invalidMetadata(path: path, key: "(value at byte \(start))", expected: "a BOOL of 0 or 1, found \(byte)")
            }
            return .bool(byte == 1)
        case 8: return .string(try readString("a STRING value"))
        case 9:
            guard depth < GGUFFile.maxNesting else {
                throw GGUFError.nestingTooDeep(path: path, offset: start, limit: GGUFFile.maxNesting)
            }
            let elementTypeOffset = offset
            let elementType = try read(UInt32.self, "an array's element type")
            guard let size = Self.minimumSize(of: elementType) else {
                throw GGUFError.invalidValueType(path: path, offset: elementTypeOffset, type: elementType)
            }
            let countOffset = offset
            let count = try read(UInt64.self, "an array's length")
            try checkCount(count, minimumSize: size, what: "array length", at: countOffset)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) { elements.append(try readValue(type: elementType, depth: depth + 1)) }
            return .array(elements)
        case 10: return .uint64(try read(UInt64.self, "a UINT64 value"))
        case 11: return .int64(try read(Int64.self, "an INT64 value"))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, "a FLOAT64 value")))
        default:
            throw GGUFError.invalidValueType(path: path, offset: max(0, start - 4), type: type)
        }
    }

    mutating func readTensorInfo(alignment: Int) throws -> GGUFTensorInfo {
        let start = offset
        let name = try readString("a tensor name")
        let rank = try read(UInt32.self, "the dimension count of \"\(name)\"")
        guard rank >= 1, rank <= UInt32(GGUFFile.maxDimensions) else {
            throw GGUFError.invalidTensorInfo(path: path, offset: start, tensor: name,
                                              reason: "\(rank) dimensions (expected 1...\(GGUFFile.maxDimensions))")
        }
        var dimensions: [Int] = []
        var elements = 1
        for _ in 0..<Int(rank) {
            let ne = try read(UInt64.self, "a dimension of \"\(name)\"")
            let product = ne <= UInt64(Int.max)
                ? elements.multipliedReportingOverflow(by: Int(ne)) : (partialValue: 0, overflow: true)
            guard ne >= 1, !product.overflow, product.partialValue <= 1 << 40 else {
                throw GGUFError.invalidTensorInfo(path: path, offset: start, tensor: name,
                                                  reason: "dimension \(ne) is zero or makes the tensor implausibly large")
            }
            elements = product.partialValue
            dimensions.append(Int(ne))
        }
        let type = GGMLType(rawValue: try read(UInt32.self, "the type of \"\(name)\""))
        let dataOffset = try read(UInt64.self, "the data offset of \"\(name)\"")
        var byteCount: Int?
        if let layout = type.layout {
            guard dimensions[0] % layout.blockSize == 0 else {
                throw GGUFError.invalidTensorInfo(path: path, offset: start, tensor: name,
                                                  reason: "row length \(dimensions[0]) is not a multiple of the \(type.name) block size \(layout.blockSize)")
            }
            byteCount = elements / layout.blockSize * layout.typeSize
        }
        guard dataOffset % UInt64(alignment) == 0 else {
            throw GGUFError.tensorDataOutOfRange(path: path, tensor: name, begin: dataOffset,
                                                 end: dataOffset &+ UInt64(byteCount ?? 0), fileSize: data.count)
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: dataOffset, byteCount: byteCount)
    }
}
