// Turns a DecodingError (or a JSONInputError) into the parts DICEKit's typed errors carry: the
// coding path as a readable key ("messages[2].role"), a short reason and, where known, the byte
// offset of the value at fault.

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
    /// 0-based byte offset in the document of the bytes at fault, when known: every `.notJSON`
    /// problem from `JSONInputDecoder`, and every number that does not fit its type
    /// (`.invalidValue`). Nil for type mismatches and missing keys (the key names them).
    let offset: Int?

    /// Whether the problem is invalid UTF-8 (a `.notJSON` kind).
    let isInvalidUTF8: Bool

    /// The problem a `JSONInputDecoder.decode` failure describes: a `JSONInputError` (not
    /// JSON) or a `DecodingError`; nil for errors a type's own decoding threw.
    init?(_ error: any Error) {
        if let error = error as? JSONInputError {
            self.init(error)
        } else if let error = error as? DecodingError {
            self.init(error)
        } else {
            return nil
        }
    }

    /// A document that is not JSON: syntax, invalid UTF-8 or nesting, at `error.offset`.
    init(_ error: JSONInputError) {
        kind = error.kind == .value ? .invalidValue : .notJSON
        codingPath = []
        reason = error.reason
        offset = error.offset
        isInvalidUTF8 = error.kind == .invalidUTF8
    }

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
        isInvalidUTF8 = false
        if let located = DecodingProblem.located(error) {
            // From JSONInputDecoder: its reason is complete ("expected an integer, found 1.5").
            codingPath = located.codingPath
            reason = located.problem.reason
            if case .dataCorrupted = error {
                kind = .invalidValue
                offset = located.problem.offset
            } else {
                kind = .wrongType
                offset = nil
            }
            return
        }
        offset = nil
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

    /// The coding path and `JSONInputError` of an error `JSONInputDecoder` threw, else nil.
    private static func located(_ error: DecodingError) -> (codingPath: [any CodingKey], problem: JSONInputError)? {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        default: return nil
        }
        guard let problem = context.underlyingError as? JSONInputError else { return nil }
        return (context.codingPath, problem)
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
