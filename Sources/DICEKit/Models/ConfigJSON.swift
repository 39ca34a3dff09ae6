// ConfigJSON: the shared plumbing for reading and writing Hugging Face config files —
// file reading with typed errors, DecodingError → FormatError, and stable JSON output.

import Foundation

/// Reading and writing config JSON files with `FormatError`s that name the file and the key.
enum ConfigJSON {
    /// The bytes of `url`, or `FormatError.missingFile` / `.notRegularFile` / `.io` (see `ModelFile`).
    static func read(_ url: URL) throws -> Data {
        try ModelFile.contents(of: url, expected: url.lastPathComponent)
    }

    /// Decodes `data` as `T` (with `JSONInputDecoder`: a repeated key takes its last value, as in
    /// Python), turning every failure into a `FormatError` about `path`: `.invalidJSON` with the
    /// byte offset for bytes that are not JSON (invalid UTF-8 included), `.invalidConfig` naming
    /// the key, and for a number that does not fit (`"vocab_size": 1024.5`) the literal and its
    /// byte offset. `userInfo` is handed to the decoder (e.g. the architecture registry).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String,
                                     userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> T {
        guard data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{") else {
            throw FormatError.invalidJSON(path: path, offset: 0, tensor: nil, reason: "expected a JSON object")
        }
        do {
            return try JSONInputDecoder.decode(T.self, from: data, userInfo: userInfo)
        } catch let error as FormatError {
            throw error.withPath(path)
        } catch {
            guard let problem = DecodingProblem(error) else {
                throw FormatError.invalidConfig(path: path, key: "", reason: "\(error)")
            }
            if problem.kind == .notJSON {
                throw FormatError.invalidJSON(path: path, offset: problem.offset ?? 0, tensor: nil, reason: problem.reason)
            }
            let at = problem.offset.map { " (at byte \($0))" } ?? ""
            throw FormatError.invalidConfig(path: path, key: problem.key, reason: problem.reason + at)
        }
    }

    /// Pretty-printed JSON with sorted keys and a final newline (stable bytes for stable input).
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(value)
            data.append(0x0A)
            return data
        } catch {
            throw FormatError.invalidConfig(path: "", key: "", reason: "cannot encode: \(error)")
        }
    }

    /// A `FormatError.invalidConfig` for `key` with the path filled in later (see `withPath`).
    static func invalid(_ key: String, _ reason: String) -> FormatError {
        .invalidConfig(path: "", key: key, reason: reason)
    }
}
