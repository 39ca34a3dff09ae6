// SafeTensorsFile: a validated safetensors file (memory-mapped), read tensor by tensor.
//
// Layout: [0, 8) header length n (UInt64, little-endian) · [8, 8+n) JSON header
// {name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {String: String}}
// · [8+n, end of file) the data section; data_offsets are relative to its start.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor's entry in a safetensors header, after validation.
public struct SafeTensorsEntry: Sendable, Hashable {
    /// The tensor's name (a Hugging Face parameter name for model files).
    public let name: String
    /// The dtype name as written in the file ("F32", "BF16", "I64", …).
    public let dtypeName: String
    /// Dimensions, outermost first; every one ≥ 0.
    public let shape: [Int]
    /// The tensor's bytes as absolute offsets in the file.
    public let byteRange: Range<Int>

    /// The dtype, if DICEKit can convert it to Float32; nil for other format dtypes (I64, BOOL, …).
    public var dtype: SafeTensorsDType? { SafeTensorsDType(rawValue: dtypeName) }
    /// The number of elements (product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file whose header has been fully validated; tensors are converted on request.
///
/// Validation on open (each failure a `FormatError` naming the file, the tensor and the byte
/// offset): the 8-byte length is present and the header fits in the file (and under 100 MB); the
/// header is a JSON object (a repeated name takes its last entry, as in Python) whose entries have a string `dtype` the format defines, a `shape` of
/// non-negative integers whose element and byte counts do not overflow, and `data_offsets`
/// `[begin, end]` inside the data section with `end − begin` equal to elements × dtype size;
/// entries do not overlap and cover the data section exactly (as the reference implementation
/// requires); `__metadata__`, if present, maps strings to strings.
///
/// The bytes are memory-mapped (read whole when mapping is not possible). A file must not be
/// truncated by another process while it is open — DICEKit's own writers never modify a file in
/// place (see `AtomicFile`).
public struct SafeTensorsFile: Sendable {
    /// The path the file was read from (used in every error).
    public let path: String
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor entry, by name.
    public let entries: [String: SafeTensorsEntry]
    /// The file's bytes.
    private let bytes: Data
    /// Whether `bytes` maps the file read-only (so `releasePages` may drop its pages).
    private var mapped = false

    /// Largest header accepted, as in the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// The tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Opens and validates the file at `url` (memory-mapped).
    ///
    /// - Throws: `FormatError.missingFile` if it does not exist, `.notRegularFile` for a
    ///   directory, FIFO, device or socket (never read), `.io` if it cannot be read, and any
    ///   validation error listed on the type.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let (data, mapped) = try ModelFile.contentsAndMapping(of: url, expected: "a safetensors file", mapped: true)
        try self.init(data: data, path: path)
        self.mapped = mapped
    }

    /// Drops the resident pages that lie wholly inside tensor `name`'s bytes from this process
    /// (`madvise(MADV_DONTNEED)` on the read-only file mapping: a later read faults them in
    /// from the file again), so that a loader copying tensors one at a time does not end up
    /// holding the whole file. A no-op for bytes read into memory, or for an unknown name.
    func releasePages(_ name: String) {
        guard mapped, let entry = entries[name] else { return }
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: base) + entry.byteRange.lowerBound + page - 1) / page * page
            let end = (Int(bitPattern: base) + entry.byteRange.upperBound) / page * page
            guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(address, end - start, Int32(MADV_DONTNEED))
        }
    }

    /// Validates safetensors bytes held in memory; `path` is used only in errors.
    ///
    /// - Throws: any validation error listed on the type.
    public init(data: Data, path: String) throws {
        // Work on a zero-based copy-free view.
        let bytes = data.startIndex == 0 ? data : Data(data)
        self.path = path
        self.bytes = bytes
        let size = bytes.count
        guard size >= 8 else {
            throw FormatError.truncated(path: path, offset: size, expected: "an 8-byte header length")
        }
        var length: UInt64 = 0
        for i in 0 ..< 8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let limit = min(size - 8, SafeTensorsFile.maximumHeaderLength)
        guard length <= UInt64(limit) else {
            throw FormatError.headerLengthOutOfRange(path: path, headerLength: length, limit: limit)
        }
        let headerLength = Int(length)
        let dataStart = 8 + headerLength
        let dataSize = size - dataStart
        let headerBytes = bytes.subdata(in: 8 ..< dataStart)
        guard headerBytes.first(where: { !Self.isJSONSpace($0) }) == UInt8(ascii: "{") else {
            throw FormatError.invalidJSON(path: path, offset: 8, tensor: nil,
                                          reason: "expected the header to be a JSON object")
        }
        let header: RawHeader
        do {
            header = try JSONInputDecoder.decode(RawHeader.self, from: headerBytes)
        } catch {
            guard let problem = DecodingProblem(error) else {
                throw FormatError.invalidJSON(path: path, offset: 8, tensor: nil, reason: "\(error)")
            }
            let tensor = problem.codingPath.first?.stringValue
            throw FormatError.invalidJSON(path: path, offset: 8 + (problem.offset ?? 0), tensor: tensor,
                                          reason: problem.key.isEmpty ? problem.reason : "\(problem.key): \(problem.reason)")
        }
        self.metadata = header.metadata

        var entries: [String: SafeTensorsEntry] = [:]
        for raw in header.entries.sorted(by: { $0.name < $1.name }) {
            let name = raw.name
            guard let elementSize = SafeTensorsDType.formatDTypes[raw.dtype] else {
                throw FormatError.unknownDType(path: path, tensor: name, dtype: raw.dtype)
            }
            var elements = 1
            for dimension in raw.shape {
                guard dimension >= 0 else {
                    throw FormatError.invalidShape(path: path, tensor: name, shape: raw.shape,
                                                   reason: "dimensions must be ≥ 0")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw FormatError.invalidShape(path: path, tensor: name, shape: raw.shape,
                                                   reason: "element count overflows")
                }
                elements = product
            }
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: elementSize)
            guard !overflow else {
                throw FormatError.invalidShape(path: path, tensor: name, shape: raw.shape,
                                               reason: "byte count overflows")
            }
            guard raw.offsets.count == 2 else {
                throw FormatError.invalidJSON(path: path, offset: 8, tensor: name,
                                              reason: "data_offsets: expected [begin, end], found \(raw.offsets.count) numbers")
            }
            let begin = raw.offsets[0], end = raw.offsets[1]
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw FormatError.dataOffsetsOutOfRange(path: path, tensor: name, begin: begin, end: end,
                                                        dataStart: dataStart, dataSize: dataSize)
            }
            guard end - begin == byteCount else {
                throw FormatError.dataSizeMismatch(path: path, tensor: name, offset: dataStart + begin,
                                                   expectedBytes: byteCount, actualBytes: end - begin)
            }
            entries[name] = SafeTensorsEntry(name: name, dtypeName: raw.dtype, shape: raw.shape,
                                             byteRange: (dataStart + begin) ..< (dataStart + end))
        }

        // Coverage: sorted by (begin, end), each entry starts where the previous one ended.
        let ordered = entries.values.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) <
                ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var cursor = dataStart
        var previous: String? = nil
        for entry in ordered {
            if entry.byteRange.lowerBound < cursor {
                throw FormatError.overlappingData(path: path, tensor: entry.name, other: previous ?? "",
                                                  offset: entry.byteRange.lowerBound)
            }
            if entry.byteRange.lowerBound > cursor {
                throw FormatError.unindexedData(path: path, offset: cursor,
                                                length: entry.byteRange.lowerBound - cursor)
            }
            cursor = entry.byteRange.upperBound
            if !entry.byteRange.isEmpty { previous = entry.name }
        }
        if cursor != size {
            throw FormatError.unindexedData(path: path, offset: cursor, length: size - cursor)
        }
        self.entries = entries
    }

    // MARK: - Reading tensors

    /// The tensor `name` converted to Float32 (F16/BF16 exactly, F64 rounded to nearest).
    ///
    /// - Throws: `FormatError.missingTensor` if absent, `.unsupportedDType` for a dtype DICEKit
    ///   cannot convert (I64, BOOL, F8, …).
    public func tensor(_ name: String) throws -> HostTensor {
        let entry = try self.entry(name)
        return HostTensor(shape: entry.shape, values: try floats(entry))
    }

    /// The tensor `name` as bfloat16 bits (row-major, as `shape`): a BF16 tensor's bits as they
    /// are (no Float32 round trip), any other supported dtype converted to Float32 as `tensor(_:)`
    /// does and rounded once to nearest even.
    ///
    /// - Throws: as `tensor(_:)`.
    public func bfloat16(_ name: String) throws -> [UInt16] {
        let entry = try self.entry(name)
        if entry.dtype == .bf16 { return read(entry, as: UInt16.self) { $0 } }
        return try floats(entry).map { bfloat16Bits(from: $0) }
    }

    /// The tensor `name` as Float64 values (exact for every supported dtype, F64 included) —
    /// for golden files whose reference values are stored in double precision.
    ///
    /// - Throws: as `tensor(_:)`.
    public func doubles(_ name: String) throws -> [Double] {
        let entry = try self.entry(name)
        if entry.dtype == .f64 {
            return read(entry, as: UInt64.self) { Double(bitPattern: $0) }
        }
        return try floats(entry).map(Double.init)
    }

    /// Every tensor converted to Float32, by name.
    ///
    /// - Throws: `FormatError.unsupportedDType` naming the first (by name) tensor that cannot be
    ///   converted.
    public func allTensors() throws -> [String: HostTensor] {
        var out: [String: HostTensor] = [:]
        out.reserveCapacity(entries.count)
        for name in names { out[name] = try tensor(name) }
        return out
    }

    /// The entry `name`, or `FormatError.missingTensor`.
    public func entry(_ name: String) throws -> SafeTensorsEntry {
        guard let entry = entries[name] else {
            throw FormatError.missingTensor(path: path, tensor: name, expectedShape: nil)
        }
        return entry
    }

    private func floats(_ entry: SafeTensorsEntry) throws -> [Float] {
        guard let dtype = entry.dtype else {
            throw FormatError.unsupportedDType(path: path, tensor: entry.name, dtype: entry.dtypeName,
                                               supported: SafeTensorsDType.allCases.map(\.rawValue))
        }
        switch dtype {
        case .f32:
            #if _endian(little)
            let count = entry.elementCount
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    let source = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
                }
                initialized = count
            }
            #else
            return read(entry, as: UInt32.self) { Float(bitPattern: $0) }
            #endif
        case .f16: return read(entry, as: UInt16.self) { float(fromHalfBits: $0) }
        case .bf16: return read(entry, as: UInt16.self) { float(fromBFloat16Bits: $0) }
        case .f64: return read(entry, as: UInt64.self) { Float(Double(bitPattern: $0)) }
        }
    }

    /// Reads `entry`'s little-endian words of type `Word` and maps each one.
    private func read<Word: FixedWidthInteger, Element>(_ entry: SafeTensorsEntry, as: Word.Type,
                                                        _ convert: (Word) -> Element) -> [Element] {
        let count = entry.elementCount
        let stride = MemoryLayout<Word>.size
        return bytes.withUnsafeBytes { raw in
            var out = [Element]()
            out.reserveCapacity(count)
            let start = entry.byteRange.lowerBound
            for i in 0 ..< count {
                let word = raw.loadUnaligned(fromByteOffset: start + i * stride, as: Word.self)
                out.append(convert(Word(littleEndian: word)))
            }
            return out
        }
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

// MARK: - Header decoding

/// The header as JSON gives it, before validation.
private struct RawHeader: Decodable {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        let offsets: [Int]
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum EntryKey: String, CodingKey {
        case dtype, shape
        case offsets = "data_offsets"
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
                continue
            }
            let entry = try container.nestedContainer(keyedBy: EntryKey.self, forKey: key)
            entries.append(Entry(name: key.stringValue,
                                 dtype: try entry.decode(String.self, forKey: .dtype),
                                 shape: try entry.decode([Int].self, forKey: .shape),
                                 offsets: try entry.decode([Int].self, forKey: .offsets)))
        }
    }
}
