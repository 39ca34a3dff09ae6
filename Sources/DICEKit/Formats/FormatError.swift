// FormatError: every way a file on disk (safetensors, model directory, config JSON) can be
// rejected. Each case names the file and, where it applies, the tensor, the byte offset and what
// was expected, so that a person can find the problem without a debugger.

/// Why a file could not be read or written.
///
/// Every case carries `path` (the file), and, where it applies, the tensor name and the byte
/// offset in the file. `description` renders one readable sentence.
public enum FormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened, read, written, synced or renamed.
    case io(path: String, reason: String)
    /// A required file of a model directory is absent; `expected` says what was looked for.
    case missingFile(path: String, expected: String)
    /// Something other than a regular file is where a file was expected (`found`: "a
    /// directory", "a FIFO (named pipe)", "a character device", "a socket", …); it is not read.
    case notRegularFile(path: String, found: String)
    /// The file ends at `offset` bytes where `expected` was still to come.
    case truncated(path: String, offset: Int, expected: String)
    /// The 8-byte safetensors header length (at offset 0) exceeds `limit` bytes: what remains
    /// of the file after the length field, or the 100 MB header cap, whichever is smaller.
    case headerLengthOutOfRange(path: String, headerLength: UInt64, limit: Int)
    /// JSON at `offset` is malformed or is not the expected structure; `tensor` names the header
    /// entry when the problem is inside one.
    case invalidJSON(path: String, offset: Int, tensor: String?, reason: String)
    /// A safetensors entry declares a dtype that the format does not define.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A safetensors entry has a dtype the format defines but DICEKit cannot convert to Float32.
    case unsupportedDType(path: String, tensor: String, dtype: String, supported: [String])
    /// A shape with a negative dimension, or whose element or byte count overflows `Int`.
    case invalidShape(path: String, tensor: String, shape: [Int], reason: String)
    /// `data_offsets` `[begin, end)` (relative to the data section, which starts at file offset
    /// `dataStart`) is reversed or reaches past the `dataSize` bytes of the data section.
    case dataOffsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataStart: Int, dataSize: Int)
    /// A tensor's byte range (at file offset `offset`) holds `actualBytes` where its shape and
    /// dtype need `expectedBytes`.
    case dataSizeMismatch(path: String, tensor: String, offset: Int, expectedBytes: Int, actualBytes: Int)
    /// Two tensors' byte ranges overlap, starting at file offset `offset`.
    case overlappingData(path: String, tensor: String, other: String, offset: Int)
    /// `length` bytes at file offset `offset` belong to no tensor (a hole or trailing bytes);
    /// the format requires the data section to be covered exactly.
    case unindexedData(path: String, offset: Int, length: Int)
    /// A tensor that was asked for, or that the model configuration requires, is absent.
    case missingTensor(path: String, tensor: String, expectedShape: [Int]?)
    /// A tensor's shape disagrees with the model configuration.
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    /// The same tensor name appears in two files of one sharded checkpoint.
    case duplicateTensor(path: String, tensor: String, otherPath: String)
    /// A tensor handed to a writer is inconsistent (values count ≠ shape product, bad name).
    case invalidTensor(tensor: String, reason: String)
    /// `config.json` names a `model_type` DICEKit does not implement.
    case unsupportedModelType(path: String, modelType: String, supported: [String])
    /// `config.json` names an architecture DICEKit does not implement.
    case unsupportedArchitecture(path: String, architecture: String, supported: [String])
    /// A configuration key is missing, has the wrong type, or a value DICEKit does not support.
    case invalidConfig(path: String, key: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .io(let path, _), .missingFile(let path, _), .notRegularFile(let path, _), .truncated(let path, _, _),
             .headerLengthOutOfRange(let path, _, _), .invalidJSON(let path, _, _, _),
             .unknownDType(let path, _, _), .unsupportedDType(let path, _, _, _),
             .invalidShape(let path, _, _, _), .dataOffsetsOutOfRange(let path, _, _, _, _, _),
             .dataSizeMismatch(let path, _, _, _, _), .overlappingData(let path, _, _, _),
             .unindexedData(let path, _, _), .missingTensor(let path, _, _),
             .shapeMismatch(let path, _, _, _), .duplicateTensor(let path, _, _),
             .unsupportedModelType(let path, _, _), .unsupportedArchitecture(let path, _, _),
             .invalidConfig(let path, _, _):
            return path
        case .invalidTensor:
            return ""
        }
    }

    /// The tensor the error is about, if any.
    public var tensor: String? {
        switch self {
        case .invalidJSON(_, _, let tensor, _): return tensor
        case .unknownDType(_, let tensor, _), .unsupportedDType(_, let tensor, _, _),
             .invalidShape(_, let tensor, _, _), .dataOffsetsOutOfRange(_, let tensor, _, _, _, _),
             .dataSizeMismatch(_, let tensor, _, _, _), .overlappingData(_, let tensor, _, _),
             .missingTensor(_, let tensor, _), .shapeMismatch(_, let tensor, _, _),
             .duplicateTensor(_, let tensor, _), .invalidTensor(let tensor, _):
            return tensor
        default: return nil
        }
    }

    /// One readable sentence: file, location, what was expected and what was found.
    public var description: String {
        switch self {
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .missingFile(let path, let expected):
            return "\(path): file not found (expected \(expected))"
        case .notRegularFile(let path, let found):
            return "\(path): not a regular file (found \(found)); expected a file to read"
        case .truncated(let path, let offset, let expected):
            return "\(path): file ends at byte \(offset), expected \(expected)"
        case .headerLengthOutOfRange(let path, let length, let limit):
            return "\(path): at byte 0, header length \(length) exceeds the \(limit) bytes available"
        case .invalidJSON(let path, let offset, let tensor, let reason):
            let entry = tensor.map { " in entry \"\($0)\"" } ?? ""
            return "\(path): invalid JSON at byte \(offset)\(entry): \(reason)"
        case .unknownDType(let path, let tensor, let dtype):
            return "\(path): tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case .unsupportedDType(let path, let tensor, let dtype, let supported):
            return "\(path): tensor \"\(tensor)\": dtype \(dtype) is not supported (expected one of \(supported.joined(separator: ", ")))"
        case .invalidShape(let path, let tensor, let shape, let reason):
            return "\(path): tensor \"\(tensor)\": invalid shape \(shape): \(reason)"
        case .dataOffsetsOutOfRange(let path, let tensor, let begin, let end, let dataStart, let dataSize):
            return "\(path): tensor \"\(tensor)\": data_offsets [\(begin), \(end)) (file bytes \(dataStart + begin)..<\(dataStart + end)) outside the data section of \(dataSize) bytes at byte \(dataStart)"
        case .dataSizeMismatch(let path, let tensor, let offset, let expected, let actual):
            return "\(path): tensor \"\(tensor)\" at byte \(offset): holds \(actual) bytes, shape × dtype needs \(expected)"
        case .overlappingData(let path, let tensor, let other, let offset):
            return "\(path): tensor \"\(tensor)\" at byte \(offset) overlaps tensor \"\(other)\""
        case .unindexedData(let path, let offset, let length):
            return "\(path): \(length) bytes at byte \(offset) belong to no tensor (expected the data section to be covered exactly)"
        case .missingTensor(let path, let tensor, let shape):
            let expected = shape.map { " with shape \($0)" } ?? ""
            return "\(path): missing tensor \"\(tensor)\"\(expected)"
        case .shapeMismatch(let path, let tensor, let expected, let actual):
            return "\(path): tensor \"\(tensor)\" has shape \(actual), expected \(expected)"
        case .duplicateTensor(let path, let tensor, let other):
            return "\(path): tensor \"\(tensor)\" also appears in \(other)"
        case .invalidTensor(let tensor, let reason):
            return "tensor \"\(tensor)\": \(reason)"
        case .unsupportedModelType(let path, let modelType, let supported):
            return "\(path): model_type \"\(modelType)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case .unsupportedArchitecture(let path, let architecture, let supported):
            return "\(path): architecture \"\(architecture)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case .invalidConfig(let path, let key, let reason):
            return "\(path): \"\(key)\": \(reason)"
        }
    }

    /// `description` without the leading "PATH: " (for errors of other types that add the path
    /// themselves).
    var reasonWithoutPath: String {
        let text = description
        let prefix = path + ": "
        return !path.isEmpty && text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// The same error about another file: used where a decoder learns the path only later.
    func withPath(_ newPath: String) -> FormatError {
        switch self {
        case .unsupportedModelType(_, let m, let s): return .unsupportedModelType(path: newPath, modelType: m, supported: s)
        case .unsupportedArchitecture(_, let a, let s): return .unsupportedArchitecture(path: newPath, architecture: a, supported: s)
        case .invalidConfig(_, let k, let r): return .invalidConfig(path: newPath, key: k, reason: r)
        case .invalidJSON(_, let o, let t, let r): return .invalidJSON(path: newPath, offset: o, tensor: t, reason: r)
        default: return self
        }
    }
}
