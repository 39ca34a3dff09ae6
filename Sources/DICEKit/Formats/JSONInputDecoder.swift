// JSONInputDecoder: decodes `Decodable` types from a `JSONDocument`, the way every JSON input of
// DICEKit is read (config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
// JSONL rows, safetensors headers). Unlike Foundation's JSONDecoder on Linux, whose number errors
// say only "not valid JSON", every failure names the key path, the literal and the byte offset;
// and a repeated key takes its last value, as Python's json and transformers do.

import Foundation

/// A `Decoder` over one value of a parsed `JSONDocument`.
///
/// Numbers convert as JSONDecoder converts them, with errors that locate them: an integer type
/// accepts an integer literal in its range, or a fraction/exponent literal whose value is an
/// integer in range (`1.0`, `1e2`); a floating-point type accepts any literal whose value is
/// finite in that type (`1e309` is refused for `Double`, `1e39` for `Float`). Every failure is a
/// `DecodingError` whose context has the coding path and, as `underlyingError`, a
/// `JSONInputError` with the byte offset and the reason ("expected an integer token id, found
/// 1.5").
struct JSONInputDecoder: Decoder {
    /// The value being decoded.
    let node: JSONDocument.Node
    /// Keys from the document's root to `node`.
    let codingPath: [any CodingKey]
    /// What the caller handed to `decode` (the same for every nested value).
    let userInfo: [CodingUserInfoKey: Any]

    /// Parses `data` and decodes a `T` from it; `userInfo` reaches every nested decoder.
    ///
    /// - Throws: `JSONInputError` when `data` is not JSON (syntax, invalid UTF-8, nesting);
    ///   `DecodingError` (with a `JSONInputError` as `underlyingError` where a value is at fault)
    ///   when it does not fit `T`; and whatever `T.init(from:)` throws itself.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data,
                                     userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> T {
        try T(from: JSONInputDecoder(node: JSONDocument.parse(data), codingPath: [], userInfo: userInfo))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = node.value else { throw mismatch([String: Any].self, "an object") }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, object: object))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = node.value else { throw mismatch([Any].self, "an array") }
        return UnkeyedContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueContainer(decoder: self) }

    // MARK: - Values

    /// The decoder of a child value.
    func child(_ node: JSONDocument.Node, _ key: any CodingKey) -> JSONInputDecoder {
        JSONInputDecoder(node: node, codingPath: codingPath + [key], userInfo: userInfo)
    }

    /// A `DecodingError` about this value: `.valueNotFound` for null, else `.typeMismatch`.
    func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        let found: String
        switch node.value {
        case .number(let literal): found = "a number (\(literal))"
        default: found = node.value.kindName
        }
        let problem = JSONInputError(kind: .value, offset: node.offset, reason: "expected \(expected), found \(found)")
        let context = DecodingError.Context(codingPath: codingPath, debugDescription: problem.description,
                                            underlyingError: problem)
        return node.isNull ? .valueNotFound(type, context) : .typeMismatch(type, context)
    }

    func bool() throws -> Bool {
        guard case .bool(let value) = node.value else { throw mismatch(Bool.self, "a boolean") }
        return value
    }

    func string() throws -> String {
        guard case .string(let value) = node.value else { throw mismatch(String.self, "a string") }
        return value
    }

    /// What an integer here is: "an integer token id" under a key named `ids`, `…_ids` or `…_id`
    /// (as in `prompt_ids[1]`, `eos_token_id`), else "an integer".
    var integerName: String {
        let name = codingPath.last(where: { $0.intValue == nil })?.stringValue ?? ""
        return name == "ids" || name.hasSuffix("_ids") || name.hasSuffix("_id") ? "an integer token id" : "an integer"
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let literal) = node.value else { throw mismatch(T.self, integerName) }
        if let value = T(literal) { return value }
        let isPlain = !literal.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if !isPlain, let double = Double(literal), double.isFinite, let value = T(exactly: double) { return value }
        let range = isPlain || (Double(literal).map { $0 == $0.rounded() } ?? true)
            ? " (outside \(T.min)...\(T.max))" : ""
        throw DecodingError.dataCorrupted(numberProblem(T.self, "expected \(integerName), found \(literal)\(range)"))
    }

    func floatingPoint<T: BinaryFloatingPoint>(_ type: T.Type) throws -> T {
        guard case .number(let literal) = node.value else { throw mismatch(T.self, "a number") }
        if let double = Double(literal), double.isFinite {
            let value = T(double)
            if value.isFinite { return value }
        }
        let bits = MemoryLayout<T>.size * 8
        throw DecodingError.dataCorrupted(numberProblem(T.self, "the number \(literal) is outside the range of a \(bits)-bit float"))
    }

    private func numberProblem(_ type: Any.Type, _ reason: String) -> DecodingError.Context {
        let problem = JSONInputError(kind: .value, offset: node.offset, reason: reason)
        return DecodingError.Context(codingPath: codingPath, debugDescription: problem.description, underlyingError: problem)
    }

    /// The value as a `JSONValue` (numbers as `Double`; a number outside Double's range throws).
    func jsonValue() throws -> JSONValue {
        switch node.value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number: return .number(try floatingPoint(Double.self))
        case .string(let s): return .string(s)
        case .array(let elements):
            return .array(try elements.enumerated().map { try child($1, IndexKey($0)).jsonValue() })
        case .object(let object):
            var out: [String: JSONValue] = [:]
            for key in object.keys {
                if let member = object.members[ExactString(key)] { out[key] = try child(member, NameKey(key)).jsonValue() }
            }
            return .object(out)
        }
    }
}

// MARK: - Keys

/// An array index in a coding path.
private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// An object key in a coding path.
private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

// MARK: - Containers

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONInputDecoder
    let object: JSONDocument.Object

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object.members[ExactString(key.stringValue)] != nil }

    func child(_ key: Key) throws -> JSONInputDecoder {
        guard let node = object.members[ExactString(key.stringValue)] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                       debugDescription: "missing field \"\(key.stringValue)\""))
        }
        return decoder.child(node, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try child(key).node.isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).bool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).string() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).floatingPoint(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).floatingPoint(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).integer(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).integer(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).integer(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).integer(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).integer(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).integer(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).integer(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).integer(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).integer(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).integer(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: child(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = NameKey("super")
        guard let node = object.members[ExactString(key.stringValue)] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing field \"super\""))
        }
        return decoder.child(node, key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: JSONInputDecoder
    let elements: [JSONDocument.Node]
    var currentIndex = 0

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The decoder of the current element (the index advances only when decoding succeeds).
    func current(_ type: Any.Type) throws -> JSONInputDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(currentIndex)],
                                                          debugDescription: "the array ends after \(elements.count) elements"))
        }
        return decoder.child(elements[currentIndex], IndexKey(currentIndex))
    }

    mutating func next<T>(_ type: T.Type, _ read: (JSONInputDecoder) throws -> T) throws -> T {
        let value = try read(current(type))
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard try current(Never.self).node.isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) { try $0.bool() } }
    mutating func decode(_ type: String.Type) throws -> String { try next(type) { try $0.string() } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type) { try $0.floatingPoint(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type) { try $0.floatingPoint(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) { try $0.integer(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) { try $0.integer(type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) { try T(from: $0) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(KeyedDecodingContainer<NestedKey>.self) { try $0.container(keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next((any UnkeyedDecodingContainer).self) { try $0.unkeyedContainer() }
    }

    mutating func superDecoder() throws -> any Decoder { try next((any Decoder).self) { $0 } }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let decoder: JSONInputDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.floatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.floatingPoint(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}
