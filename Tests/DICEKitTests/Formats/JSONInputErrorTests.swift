// Every JSON input DICEKit reads (JSONL rows, config.json, generation_config.json, tokenizer.json,
// tokenizer_config.json, safetensors headers): a number that does not fit is named by key path,
// literal and byte; invalid UTF-8 by byte; a repeated key takes its last value, as Python's json
// and transformers do. Expected offsets are found by searching the input text, independently of
// the parser.

import Foundation
import Testing
@testable import DICEKit

@Suite("JSON input: numbers, UTF-8 and repeated keys")
struct JSONInputErrorTests {
    /// The byte offset of the first occurrence of `needle` in `haystack`.
    static func offset(of needle: String, in haystack: String) -> Int? {
        let h = Array(haystack.utf8), n = Array(needle.utf8)
        guard h.count >= n.count else { return nil }
        return (0 ... h.count - n.count).first { Array(h[$0 ..< $0 + n.count]) == n }
    }

    static let llamaConfig = Fixtures.model("llama-gqa-tied").appendingPathComponent("config.json")

    // MARK: - Numbers

    @Test("a token id that is not an integer names the line, the key path, the literal and the byte",
          arguments: ["1.5", "1e309", "18446744073709551616", "-9223372036854775809", "2.5e-3"])
    func tokenIDNotAnInteger(literal: String) throws {
        let good = #"{"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3]}"#
        let bad = #"{"prompt_ids": [1], "chosen_ids": [2, "# + literal + #"], "rejected_ids": [3]}"#
        let data = Data((good + "\n\n" + bad + "\n").utf8)
        let error = #expect(throws: JSONLError.self) { try JSONL.decode(PreferenceRow.self, from: data, path: "/d/p.jsonl") }
        guard case .invalidValue("/d/p.jsonl", 3, "chosen_ids[1]", let reason)? = error,
              let at = Self.offset(of: literal, in: bad) else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.hasPrefix("expected an integer token id, found \(literal)"), "\(reason)")
        #expect(reason.hasSuffix("at byte \(at) of the line"), "\(reason)")
        #expect(error?.description.hasPrefix("/d/p.jsonl:3: field \"chosen_ids[1]\": ") == true)
    }

    @Test("integral numbers in other spellings are still integers; an integer field holding a string is a type error")
    func integralSpellings() throws {
        let rows = try JSONL.decode(PreferenceRow.self, from: Data(#"{"prompt_ids": [1.0, 2e1, -0], "chosen_ids": [2], "rejected_ids": [3]}"#.utf8),
                                    path: "p.jsonl")
        #expect(rows == [.ids(prompt: [1, 20, 0], chosen: [2], rejected: [3])])
        let error = #expect(throws: JSONLError.self) {
            try JSONL.decode(PreferenceRow.self, from: Data(#"{"prompt_ids": ["1"], "chosen_ids": [2], "rejected_ids": [3]}"#.utf8), path: "p.jsonl")
        }
        #expect(error == .wrongType(path: "p.jsonl", line: 1, field: "prompt_ids[0]",
                                    expected: "expected an integer token id, found a string"))
    }

    @Test("a passthrough number outside Double's range names its key and byte")
    func passthroughNumberOutOfRange() {
        let line = #"{"a": 1, "extra": {"score": [0.5, -1e999]}}"#
        let error = #expect(throws: JSONLError.self) {
            try JSONL.decode([String: JSONValue].self, from: Data(line.utf8), path: "x.jsonl")
        }
        guard case .invalidValue("x.jsonl", 1, "extra.score[1]", let reason)? = error,
              let at = Self.offset(of: "-1e999", in: line) else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason == "the number -1e999 is outside the range of a 64-bit float at byte \(at) of the line")
    }

    @Test("config.json: a fractional or out-of-range size names the key, the literal and the byte",
          arguments: ["96.5", "1e309", "18446744073709551616"])
    func configNumber(literal: String) throws {
        let text = try String(contentsOf: Self.llamaConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": \(literal)")
        let error = #expect(throws: FormatError.self) { try ModelConfig.decode(Data(text.utf8), path: "/m/config.json") }
        guard case .invalidConfig("/m/config.json", "vocab_size", let reason)? = error,
              let at = Self.offset(of: "\"vocab_size\": \(literal)", in: text).map({ $0 + 14 }) else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.hasPrefix("expected an integer, found \(literal)"), "\(reason)")
        #expect(reason.hasSuffix("(at byte \(at))"), "\(reason)")
    }

    @Test("generation_config.json: an EOS id of 2.5 names the key and the byte")
    func generationConfigNumber() {
        let text = #"{"bos_token_id": 1, "eos_token_id": [2, 2.5]}"#
        let error = #expect(throws: FormatError.self) {
            try ConfigJSON.decode(GenerationConfig.self, from: Data(text.utf8), path: "/m/generation_config.json")
        }
        // TokenIDs tries a single integer first, then a list: the list's error is the one reported.
        guard case .invalidConfig("/m/generation_config.json", "eos_token_id[1]", let reason)? = error,
              let at = Self.offset(of: "2.5", in: text) else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason == "expected an integer token id, found 2.5 (at byte \(at))")
    }

    @Test("tokenizer.json: a vocabulary id of 1.5 names the JSON path and the byte")
    func tokenizerNumber() {
        let json = #"{"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1.5}, "merges": []}}"#
        do {
            _ = try Tokenizer(tokenizerJSON: Data(json.utf8), config: nil, tokenizerPath: "t/tokenizer.json")
            Issue.record("accepted")
        } catch let TokenizerError.malformedJSON(path, codingPath, reason) {
            #expect(path == "t/tokenizer.json" && codingPath == "model.vocab.b")
            #expect(reason == "expected an integer, found 1.5 (at byte \(Self.offset(of: "1.5", in: json) ?? -1))")
        } catch {
            Issue.record("untyped \(error)")
        }
    }

    @Test("safetensors header: a fractional data offset names the tensor and the file byte")
    func safetensorsNumber() {
        let header = #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.5]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Data($0) }
        bytes.append(Data(header.utf8))
        bytes.append(Data(count: 4))
        let error = #expect(throws: FormatError.self) { try SafeTensorsFile(data: bytes, path: "/m/x.safetensors") }
        guard case .invalidJSON("/m/x.safetensors", let offset, "w", let reason)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(offset == 8 + (Self.offset(of: "4.5", in: header) ?? -100))
        #expect(reason == "w.data_offsets[1]: expected an integer, found 4.5")
    }

    // MARK: - UTF-8

    /// `prefix`, the bytes `bad`, `suffix` as one line.
    static func line(_ prefix: String, _ bad: [UInt8], _ suffix: String) -> Data {
        Data(Array(prefix.utf8) + bad + Array(suffix.utf8))
    }

    @Test("invalid UTF-8 inside a string is named by its byte (JSONL: the line and the byte of the line)",
          arguments: [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]])
    func invalidUTF8InJSONL(bad: [UInt8]) {
        let prefix = #"{"prompt": "caf"#
        let data = Data(#"{"prompt": "a", "chosen": "b", "rejected": "c"}"#.utf8 + [0x0A])
            + Self.line(prefix, bad, #"", "chosen": "b", "rejected": "c"}"#)
        let error = #expect(throws: JSONLError.self) { try JSONL.decode(PreferenceRow.self, from: data, path: "u.jsonl") }
        guard case .invalidJSON("u.jsonl", 2, let reason)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.hasPrefix("invalid UTF-8"), "\(reason)")
        #expect(reason.hasSuffix("at byte \(prefix.utf8.count) of the line"), "\(reason)")
    }

    @Test("invalid UTF-8 in config.json and tokenizer.json is named by its byte")
    func invalidUTF8InFiles() {
        let prefix = #"{"model_type": "lla"#
        let config = Self.line(prefix, [0xFE], #"ma"}"#)
        let e1 = #expect(throws: FormatError.self) { try ModelConfig.decode(config, path: "/m/config.json") }
        guard case .invalidJSON("/m/config.json", prefix.utf8.count, nil, let reason)? = e1 else {
            Issue.record("got \(String(describing: e1))")
            return
        }
        #expect(reason.hasPrefix("invalid UTF-8"))
        #expect(e1?.description.contains("/m/config.json: invalid JSON at byte \(prefix.utf8.count): invalid UTF-8") == true)

        let tprefix = #"{"added_tokens": [], "model": {"type": "BPE", "vocab": {"a"#
        let tokenizer = Self.line(tprefix, [0x80], #"": 0}, "merges": []}}"#)
        do {
            _ = try Tokenizer(tokenizerJSON: tokenizer, config: nil, tokenizerPath: "t/tokenizer.json")
            Issue.record("accepted")
        } catch let TokenizerError.malformedJSON(path, _, reason) {
            #expect(path == "t/tokenizer.json")
            #expect(reason.hasPrefix("invalid UTF-8") && reason.hasSuffix("(at byte \(tprefix.utf8.count))"), "\(reason)")
        } catch {
            Issue.record("untyped \(error)")
        }
    }

    @Test("valid multi-byte UTF-8 and escapes (surrogate pairs included) decode to the same text as Foundation")
    func validUTF8() throws {
        let line = #"{"prompt": "café ☕ 𝄞 \u00e9\ud834\udd1e\n\"", "chosen": "b", "rejected": "c"}"#
        let rows = try JSONL.decode(PreferenceRow.self, from: Data(line.utf8), path: "v.jsonl")
        let reference = try JSONDecoder().decode([String: String].self, from: Data(line.utf8))
        #expect(rows == [.conversation(prompt: [.user(reference["prompt"] ?? "")], chosen: "b", rejected: "c")])
    }

    // MARK: - Repeated keys: the last value wins, as in Python

    @Test("JSONL rows: a repeated key takes its last value")
    func repeatedKeyInJSONL() throws {
        let line = #"{"prompt_ids": [7], "chosen_ids": [2], "rejected_ids": [3], "prompt_ids": [1, 2]}"#
        let rows = try JSONL.decode(PreferenceRow.self, from: Data(line.utf8), path: "r.jsonl")
        #expect(rows == [.ids(prompt: [1, 2], chosen: [2], rejected: [3])])
        let reversed = #"{"prompt_ids": [1, 2], "chosen_ids": [2], "rejected_ids": [3], "prompt_ids": [7]}"#
        #expect(try JSONL.decode(PreferenceRow.self, from: Data(reversed.utf8), path: "r.jsonl")
                    == [.ids(prompt: [7], chosen: [2], rejected: [3])])
        let fields = try JSONL.decode([String: JSONValue].self, from: Data(#"{"a": 1, "a": "x"}"#.utf8), path: "r.jsonl")
        #expect(fields == [["a": .string("x")]])
    }

    @Test("config.json and generation_config.json: a repeated key takes its last value")
    func repeatedKeyInConfigs() throws {
        let text = try String(contentsOf: Self.llamaConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": 50, \"vocab_size\": 96")
        #expect(try ModelConfig.decode(Data(text.utf8), path: "c.json").vocabSize == 96)
        let reversed = try String(contentsOf: Self.llamaConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"vocab_size\": 96", with: "\"vocab_size\": 96, \"vocab_size\": 50")
        #expect(try ModelConfig.decode(Data(reversed.utf8), path: "c.json").vocabSize == 50)
        let generation = #"{"temperature": 0.2, "eos_token_id": 2, "temperature": 0.7}"#
        #expect(try ConfigJSON.decode(GenerationConfig.self, from: Data(generation.utf8), path: "g.json").temperature == 0.7)
    }

    @Test("tokenizer.json and tokenizer_config.json: a repeated key takes its last value")
    func repeatedKeyInTokenizer() throws {
        func tokenizer(_ merges: String) -> String {
            #"{"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "#
                + merges + #"}}"#
        }
        let lastMerges = try Tokenizer(tokenizerJSON: Data(tokenizer(#""merges": [], "merges": ["a b"]"#).utf8),
                                       config: Data(#"{"eos_token": "a", "eos_token": "b"}"#.utf8))
        #expect(lastMerges.encode("ab") == [2])
        #expect(lastMerges.eosTokenID == 1)
        let lastEmpty = try Tokenizer(tokenizerJSON: Data(tokenizer(#""merges": ["a b"], "merges": []"#).utf8),
                                      config: Data(#"{"eos_token": "b", "eos_token": "a"}"#.utf8))
        #expect(lastEmpty.encode("ab") == [0, 1])
        #expect(lastEmpty.eosTokenID == 0)
    }

    @Test("safetensors header: a repeated tensor name takes its last entry")
    func repeatedKeyInSafeTensors() throws {
        let values: [Float] = [1.5, -2]
        let header = #"{"w": {"dtype": "F32", "shape": [7], "data_offsets": [0, 28]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Data($0) }
        bytes.append(Data(header.utf8))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        let file = try SafeTensorsFile(data: bytes, path: "s.safetensors")
        #expect(file.names == ["w"])
        #expect(try file.tensor("w").values == values)

        // The other order: the last entry (7 elements, 28 bytes) is the one checked, and refused.
        let reversed = #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [7], "data_offsets": [0, 28]}}"#
        var other = withUnsafeBytes(of: UInt64(reversed.utf8.count).littleEndian) { Data($0) }
        other.append(Data(reversed.utf8))
        other.append(bytes.suffix(8))
        let error = #expect(throws: FormatError.self) { try SafeTensorsFile(data: other, path: "s.safetensors") }
        #expect(error == .dataOffsetsOutOfRange(path: "s.safetensors", tensor: "w", begin: 0, end: 28,
                                                dataStart: 8 + reversed.utf8.count, dataSize: 8))
    }

    /// Reads the value of `userInfo[Self.scale]` in a nested decoder.
    struct Scaled: Decodable, Equatable {
        static let scale = CodingUserInfoKey(rawValue: "scale")!
        let value: Int
        init(value: Int) { self.value = value }
        init(from decoder: any Decoder) throws {
            let factor = decoder.userInfo[Self.scale] as? Int ?? 1
            value = try decoder.singleValueContainer().decode(Int.self) * factor
        }
    }

    @Test("userInfo given to decode reaches nested decoders (as JSONDecoder's does)")
    func userInfoReachesNestedValues() throws {
        let decoded = try JSONInputDecoder.decode([String: [Scaled]].self, from: Data(#"{"a": [1, 2]}"#.utf8),
                                                  userInfo: [Scaled.scale: 10])
        #expect(decoded == ["a": [Scaled(value: 10), Scaled(value: 20)]])
    }

    // MARK: - Syntax Python refuses

    @Test("what Python's json refuses is refused, with the byte", arguments: [
        (#"{"a": 1,}"#, 8), (#"{"a": NaN}"#, 6), (#"{"a": 01}"#, 7), (#"{"a": "x"#  + "\t" + #""}"#, 8), (#"{"a": "\ud800"}"#, 7),
    ])
    func strictSyntax(line: String, offset: Int) {
        let error = #expect(throws: JSONLError.self) { try JSONL.decode([String: JSONValue].self, from: Data(line.utf8), path: "s.jsonl") }
        guard case .invalidJSON("s.jsonl", 1, let reason)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(reason.hasSuffix("at byte \(offset) of the line"), "\(reason)")
    }
}
