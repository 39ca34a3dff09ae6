// GGUFError: every way a GGUF file (llama.cpp's model format) can be rejected. Each case names
// the file and, where it applies, the byte offset, the metadata key or the tensor, and what was
// expected — a hostile or truncated file yields one of these, never a crash.

/// Why a GGUF file could not be read or turned into a model.
public enum GGUFError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened or read.
    case io(path: String, reason: String)
    /// The first four bytes are not "GGUF" (`found` shows them in hex).
    case badMagic(path: String, found: String)
    /// A version other than 2 or 3 (version 1 used 32-bit counts; big-endian files show up here
    /// as a byte-swapped version).
    case unsupportedVersion(path: String, version: UInt32)
    /// The file ends at `offset` where `expected` was still to come.
    case truncated(path: String, offset: Int, expected: String)
    /// A count or length read at `offset` cannot fit in the rest of the file (or exceeds a
    /// sanity limit): `what` names it, `limit` is the most that could fit.
    case countOutOfRange(path: String, offset: Int, what: String, count: UInt64, limit: UInt64)
    /// A metadata value type number that GGUF does not define (read at `offset`).
    case invalidValueType(path: String, offset: Int, type: UInt32)
    /// Arrays nested deeper than `limit` (at `offset`).
    case nestingTooDeep(path: String, offset: Int, limit: Int)
    /// The same metadata key twice (the second at `offset`).
    case duplicateKey(path: String, offset: Int, key: String)
    /// The same tensor name twice (the second descriptor at `offset`).
    case duplicateTensor(path: String, offset: Int, tensor: String)
    /// A tensor descriptor (at `offset`) is malformed: too many dimensions, a zero or overflowing
    /// dimension, a row length that is not a whole number of quantisation blocks.
    case invalidTensorInfo(path: String, offset: Int, tensor: String, reason: String)
    /// A tensor's type is not one DICEKit dequantises; `type` is its GGML name (or number).
    case unsupportedTensorType(path: String, tensor: String, type: String, supported: [String])
    /// A tensor's bytes `[begin, end)` (file offsets) are misaligned or reach past the end of the
    /// file (`fileSize`).
    case tensorDataOutOfRange(path: String, tensor: String, begin: UInt64, end: UInt64, fileSize: Int)
    /// A required metadata key is absent.
    case missingMetadata(path: String, key: String)
    /// A metadata value has the wrong type or an unusable value; `expected` says what would do.
    case invalidMetadata(path: String, key: String, expected: String)
    /// `general.architecture` names a model family DICEKit does not map.
    case unsupportedArchitecture(path: String, architecture: String, supported: [String])
    /// A tensor the model needs is absent.
    case missingTensor(path: String, tensor: String)
    /// A tensor's shape (Hugging Face order) disagrees with the metadata.
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])

    /// The file the error is about.
    public var path: String {
        switch self {
        case .io(let p, _), .badMagic(let p, _), .unsupportedVersion(let p, _), .truncated(let p, _, _),
             .countOutOfRange(let p, _, _, _, _), .invalidValueType(let p, _, _), .nestingTooDeep(let p, _, _),
             .duplicateKey(let p, _, _), .duplicateTensor(let p, _, _), .invalidTensorInfo(let p, _, _, _),
             .unsupportedTensorType(let p, _, _, _), .tensorDataOutOfRange(let p, _, _, _, _),
             .missingMetadata(let p, _), .invalidMetadata(let p, _, _), .unsupportedArchitecture(let p, _, _),
             .missingTensor(let p, _), .shapeMismatch(let p, _, _, _):
            return p
        }
    }

    /// One readable sentence: file, location, what was expected and what was found.
    public var description: String {
        switch self {
        case .io(let p, let reason):
            return "\(p): \(reason)"
        case .badMagic(let p, let found):
            return "\(p): at byte 0: expected the GGUF magic \"GGUF\", found \(found)"
        case .unsupportedVersion(let p, let version):
            return "\(p): at byte 4: GGUF version \(version) is not supported (expected 2 or 3, little-endian)"
        case .truncated(let p, let offset, let expected):
            return "\(p): file ends at byte \(offset), expected \(expected)"
        case .countOutOfRange(let p, let offset, let what, let count, let limit):
            return "\(p): at byte \(offset): \(what) \(count) exceeds the \(limit) that the rest of the file can hold"
        case .invalidValueType(let p, let offset, let type):
            return "\(p): at byte \(offset): unknown metadata value type \(type) (expected 0...12)"
        case .nestingTooDeep(let p, let offset, let limit):
            return "\(p): at byte \(offset): arrays nested deeper than \(limit)"
        case .duplicateKey(let p, let offset, let key):
            return "\(p): at byte \(offset): metadata key \"\(key)\" appears twice"
        case .duplicateTensor(let p, let offset, let tensor):
            return "\(p): at byte \(offset): tensor \"\(tensor)\" appears twice"
        case .invalidTensorInfo(let p, let offset, let tensor, let reason):
            return "\(p): at byte \(offset): tensor \"\(tensor)\": \(reason)"
        case .unsupportedTensorType(let p, let tensor, let type, let supported):
            return "\(p): tensor \"\(tensor)\": type \(type) is not supported (supported: \(supported.joined(separator: ", ")))"
        case .tensorDataOutOfRange(let p, let tensor, let begin, let end, let size):
            return "\(p): tensor \"\(tensor)\": data at bytes \(begin)..<\(end) is misaligned or outside the file of \(size) bytes"
        case .missingMetadata(let p, let key):
            return "\(p): missing metadata key \"\(key)\""
        case .invalidMetadata(let p, let key, let expected):
            return "\(p): metadata \"\(key)\": expected \(expected)"
        case .unsupportedArchitecture(let p, let architecture, let supported):
            return "\(p): architecture \"\(architecture)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case .missingTensor(let p, let tensor):
            return "\(p): missing tensor \"\(tensor)\""
        case .shapeMismatch(let p, let tensor, let expected, let actual):
            return "\(p): tensor \"\(tensor)\" has shape \(actual), expected \(expected)"
        }
    }
}
