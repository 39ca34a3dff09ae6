// Turns a Foundation DecodingError into the parts DICEKit's typed errors carry: the coding path
// as a readable key ("messages[2].role") and a short reason.

import Foundation

/// What went wrong in a `JSONDecoder` call, in the terms DICEKit's errors use.
struct DecodingProblem {
    /// What kind of problem it is.
    enum Kind {
        /// The bytes are not JSON at all.
        case notJSON
        /// A required key is absent; `key` names it (with its parent path).
        case missingKey
        /// A value has the wrong JSON type (or is null where a value is required).
        case wrongType
        /// A value has the right type but is not acceptable.
        case invalidValue
    }

    let kind: Kind
    /// The coding path, outermost first, e.g. `["messages", 2, "role"]` → "messages[2].role".
    let codingPath: [any CodingKey]
    /// Human-readable reason.
    let reason: String

    /// The coding path as "a.b[2].c" ("" at the top level).
    var key: String { DecodingProblem.render(codingPath) }

    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            kind = .missingKey
            codingPath = context.codingPath + [key]
            reason = "missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            kind = .wrongType
            codingPath = context.codingPath
            reason = "expected \(DecodingProblem.jsonName(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            kind = .wrongType
            codingPath = context.codingPath
            reason = "expected \(DecodingProblem.jsonName(type)), found null"
        case .dataCorrupted(let context):
            codingPath = context.codingPath
            if context.codingPath.isEmpty {
                kind = .notJSON
                let underlying = context.underlyingError.map { " (\($0.localizedDescription))" } ?? ""
                reason = "not valid JSON\(underlying)"
            } else {
                kind = .invalidValue
                reason = context.debugDescription
            }
        @unknown default:
            kind = .invalidValue
            codingPath = []
            reason = "\(error)"
        }
    }

    /// Where `data` stops being JSON, as a byte offset: the position `JSONSerialization` reports
    /// ("around character N"), or the end of the data when it ends too early. Nil when
    /// `JSONSerialization` accepts the bytes (the problem is one only `JSONDecoder` sees, such as
    /// a number that does not fit) or names no position. `JSONDecoder` itself reports none.
    static func syntaxErrorOffset(in data: Data) -> Int? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
            if text.contains("nexpected end of file") { return data.count }
            guard let range = text.range(of: "around character ") else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// The JSON name of a Swift type a decoder expected ("a string", "an integer", …).
    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") { return "a JSON object" }
            if name.hasPrefix("Array") { return "a JSON array" }
            return name
        }
    }
}
