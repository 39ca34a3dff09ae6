// AlpacaEvalRecords: the shared reading of alpaca_eval's JSON files — a list of flat records —
// with errors that name the record and the field.

import Foundation

/// A JSON list of records, parsed with byte offsets.
struct AlpacaEvalRecords {
    /// The file, for errors.
    let path: String
    /// The list's elements.
    let nodes: [JSONDocument.Node]

    /// Parses `data` as a JSON list.
    /// - Throws: `AlpacaEvalError.invalidJSON` or `.notAList`.
    init(_ data: Data, path: String) throws {
        self.path = path
        let root: JSONDocument.Node
        do {
            root = try JSONDocument.parse(data)
        } catch let error as JSONInputError {
            throw AlpacaEvalError.invalidJSON(path: path, offset: error.offset, reason: error.reason)
        }
        guard case .array(let nodes) = root.value else {
            throw AlpacaEvalError.notAList(path: path, found: root.value.kindName)
        }
        self.nodes = nodes
    }

    /// Record `index` as an object.
    /// - Throws: `AlpacaEvalError.notARecord`.
    func object(at index: Int) throws -> Record {
        guard case .object(let object) = nodes[index].value else {
            throw AlpacaEvalError.notARecord(path: path, index: index, found: nodes[index].value.kindName)
        }
        return Record(path: path, index: index, object: object)
    }

    /// One record's fields.
    struct Record {
        let path: String
        let index: Int
        let object: JSONDocument.Object

        /// The error for a field of the wrong kind or value.
        func invalid(_ field: String, expected: String, found: String) -> AlpacaEvalError {
            .invalidField(path: path, index: index, field: field, offset: object.members[ExactString(field)]?.offset ?? 0,
                          expected: expected, found: found)
        }

        /// A required string field.
        func string(_ field: String) throws -> String {
            guard let node = object.members[ExactString(field)] else {
                throw AlpacaEvalError.missingField(path: path, index: index, field: field)
            }
            guard case .string(let text) = node.value else {
                throw invalid(field, expected: "a string", found: node.value.kindName)
            }
            return text
        }

        /// A string field that may be absent or null.
        func optionalString(_ field: String) throws -> String? {
            guard let node = object.members[ExactString(field)], !node.isNull else { return nil }
            guard case .string(let text) = node.value else {
                throw invalid(field, expected: "a string", found: node.value.kindName)
            }
            return text
        }

        /// A required number field (nil for `null` when `nullable`).
        func number(_ field: String, nullable: Bool) throws -> Double? {
            guard let node = object.members[ExactString(field)] else {
                throw AlpacaEvalError.missingField(path: path, index: index, field: field)
            }
            if node.isNull, nullable { return nil }
            guard case .number(let literal) = node.value, let value = Double(literal), value.isFinite else {
                throw invalid(field, expected: nullable ? "a number or null" : "a number", found: node.value.kindName)
            }
            return value
        }
    }
}
