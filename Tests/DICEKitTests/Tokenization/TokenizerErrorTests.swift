// Malformed and unsupported tokenizer files must be rejected with typed errors naming the file.

import Foundation
import Testing
@testable import DICEKit

@Suite("Tokenizer loading errors")
struct TokenizerErrorTests {
    static let path = "bad/tokenizer.json"

    /// Loads `json` as tokenizer.json and returns the TokenizerError it throws (nil if none).
    func loadError(_ json: String, config: String? = nil) -> TokenizerError? {
        do {
            _ = try Tokenizer(tokenizerJSON: Data(json.utf8), config: config.map { Data($0.utf8) },
                              tokenizerPath: Self.path, configPath: "bad/tokenizer_config.json")
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    /// A minimal valid BPE tokenizer.json with `model` and extra top-level members spliced in.
    func spec(model: String = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#,
              extra: String = "") -> String {
        #"{"version": "1.0", "added_tokens": [], \#(extra) "model": \#(model)}"#
    }

    @Test("the minimal spec loads and merges")
    func minimalLoads() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Data(spec().utf8), config: nil)
        #expect(tokenizer.encode("abab") == [2, 2])
        #expect(tokenizer.encode("ba") == [1, 0])
        #expect(tokenizer.decode([2, 1]) == "ab b")  // no decoder: tokens joined by spaces
        #expect(tokenizer.vocabularySize == 3)
    }

    @Test("truncated JSON names the file")
    func truncated() throws {
        let full = String(decoding: try TokenizerFixtures.tokenizerJSON("gpt2_bytelevel"), as: UTF8.self)
        let error = loadError(String(full.prefix(full.count / 2)))
        guard case let .malformedJSON(path, _, reason)? = error else {
            Issue.record("expected malformedJSON, got \(String(describing: error))"); return
        }
        #expect(path == Self.path)
        #expect(!reason.isEmpty)
        #expect(error?.description.hasPrefix(Self.path) == true)
    }

    @Test("empty data and non-object JSON are malformed")
    func notAnObject() {
        for json in ["", "[]", "42", "null"] {
            guard case .malformedJSON(let path, _, _)? = loadError(json) else {
                Issue.record("expected malformedJSON for \(json.debugDescription)"); continue
            }
            #expect(path == Self.path)
        }
    }

    @Test("wrong types report the JSON path", arguments: [
        (#"{"type": "BPE", "vocab": [1, 2], "merges": []}"#, "", "model.vocab"),
        (#"{"type": "BPE", "vocab": {"a": "zero"}, "merges": []}"#, "", "model.vocab.a"),
        (#"{"type": "BPE", "vocab": {"a": 0}, "merges": [[1, 2]]}"#, "", "model.merges[0][0]"),
        (#"{"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"}"#, "", "model.byte_fallback"),
        (#"{"type": "BPE", "vocab": {"a": 0}, "merges": []}"#, #""pre_tokenizer": {"type": "Digits", "individual_digits": 1},"#,
         "pre_tokenizer.individual_digits"),
        (#"{"type": "BPE", "vocab": {"a": 0}, "merges": []}"#, #""normalizer": {"prepend": "x"},"#, "normalizer.type"),
    ])
    func wrongTypes(model: String, extra: String, codingPath: String) {
        let error = loadError(spec(model: model, extra: extra))
        guard case let .malformedJSON(path, at, _)? = error else {
            Issue.record("expected malformedJSON, got \(String(describing: error))"); return
        }
        #expect(path == Self.path)
        #expect(at == codingPath)
    }

    @Test("added token with a wrong type reports its index")
    func addedTokenType() {
        let json = #"{"added_tokens": [{"id": "seven", "content": "<s>"}], "model": {"type": "BPE", "vocab": {}, "merges": []}}"#
        #expect(loadError(json) == .malformedJSON(path: Self.path, codingPath: "added_tokens[0].id",
                                                  reason: loadErrorReason(json)))
    }

    private func loadErrorReason(_ json: String) -> String {
        if case let .malformedJSON(_, _, reason)? = loadError(json) { return reason }
        return "<none>"
    }

    @Test("a missing model is reported by key")
    func missingModel() {
        guard case let .malformedJSON(_, codingPath, reason)? = loadError(#"{"added_tokens": []}"#) else {
            Issue.record("expected malformedJSON"); return
        }
        #expect(codingPath == "model")
        #expect(reason.contains("model"))
    }

    @Test("unsupported component types are named")
    func unsupportedTypes() {
        #expect(loadError(spec(model: #"{"type": "WordPiece", "vocab": {}, "unk_token": "[UNK]"}"#))
            == .unsupportedModel(path: Self.path, type: "WordPiece"))
        #expect(loadError(spec(model: #"{"type": "Unigram", "vocab": []}"#))
            == .unsupportedModel(path: Self.path, type: "Unigram"))
        #expect(loadError(spec(extra: #""pre_tokenizer": {"type": "BertPreTokenizer"},"#))
            == .unsupportedPreTokenizer(path: Self.path, type: "BertPreTokenizer"))
        #expect(loadError(spec(extra: #""normalizer": {"type": "BertNormalizer", "lowercase": true},"#))
            == .unsupportedNormalizer(path: Self.path, type: "BertNormalizer"))
        #expect(loadError(spec(extra: #""decoder": {"type": "WordPiece", "prefix": "@@"},"#))
            == .unsupportedDecoder(path: Self.path, type: "WordPiece"))
        #expect(loadError(spec(extra: #""post_processor": {"type": "Magic"},"#))
            == .unsupportedPostProcessor(path: Self.path, type: "Magic"))
        let regex = #"\w+|[^\w\s]+"#
        let split = #""pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+|[^\\w\\s]+"}, "behavior": "Isolated", "invert": false},"#
        #expect(loadError(spec(extra: split)) == .unsupportedPattern(path: Self.path, pattern: regex))
        // Nested inside a Sequence, the innermost unsupported type is still named.
        let nested = #""pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Punctuation"}]},"#
        #expect(loadError(spec(extra: nested)) == .unsupportedPreTokenizer(path: Self.path, type: "Punctuation"))
    }

    @Test("merges: missing list, malformed entry, tokens outside the vocabulary")
    func merges() {
        #expect(loadError(spec(model: #"{"type": "BPE", "vocab": {"a": 0}}"#)) == .missingMerges(path: Self.path))
        guard case .invalidMerge(Self.path, 1, _)? = loadError(spec(model:
            #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a b c"]}"#)) else {
            Issue.record("expected invalidMerge #1"); return
        }
        guard case .invalidMerge(Self.path, 0, let reason)? = loadError(spec(model:
            #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}"#)) else {
            Issue.record("expected invalidMerge #0"); return
        }
        #expect(reason.contains("'ab'"))
        guard case .invalidMerge(Self.path, 0, let reason2)? = loadError(spec(model:
            #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a zz"]}"#)) else {
            Issue.record("expected invalidMerge for zz"); return
        }
        #expect(reason2.contains("'zz'"))
    }

    @Test("an unk_token missing from the vocabulary is named")
    func unknownUnk() {
        #expect(loadError(spec(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}"#))
            == .unknownToken(path: Self.path, token: "<unk>", context: "model.unk_token"))
    }

    @Test("a bad tokenizer_config.json is named")
    func badConfig() {
        guard case let .malformedJSON(path, codingPath, _)? = loadError(spec(), config: #"{"bos_token": 5}"#) else {
            Issue.record("expected malformedJSON"); return
        }
        #expect(path == "bad/tokenizer_config.json")
        #expect(codingPath == "bos_token")
        guard case .malformedJSON("bad/tokenizer_config.json", _, _)? = loadError(spec(), config: "{\"eos") else {
            Issue.record("expected malformedJSON for truncated config"); return
        }
    }

    @Test("a missing directory reports the tokenizer.json path")
    func missingFile() {
        let dir = URL(fileURLWithPath: "/nonexistent/dicekit-model")
        #expect(throws: TokenizerError.self) { try Tokenizer(directory: dir) }
        do {
            _ = try Tokenizer(directory: dir)
        } catch let TokenizerError.unreadableFile(path, _) {
            #expect(path == "/nonexistent/dicekit-model/tokenizer.json")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("out-of-range ids are rejected, not trapped on")
    func negativeID() {
        guard case .malformedJSON(Self.path, _, let reason)? = loadError(spec(model:
            #"{"type": "BPE", "vocab": {"a": -3}, "merges": []}"#)) else {
            Issue.record("expected malformedJSON"); return
        }
        #expect(reason.contains("-3"))
    }
}

@Suite("Tokenizer configuration files")
struct TokenizerConfigTests {
    let minimal = ##"{"added_tokens": [{"id": 3, "content": "<s>", "special": true}], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["#version: 0.2", "a b"]}}"##

    @Test("AddedToken dicts, nulls, huge model_max_length and named template lists")
    func configShapes() throws {
        let config = #"""
        {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>",
         "pad_token": null, "add_bos_token": true, "model_max_length": 1000000000000000019884624838656,
         "chat_template": [{"name": "tool_use", "template": "{{ tools }}"},
                           {"name": "default", "template": "{{ '<|im_start|>' }}"}],
         "unknown_key": {"nested": [1, 2, 3]}}
        """#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(minimal.utf8), config: Data(config.utf8))
        #expect(tokenizer.config.bosToken == "<s>")
        #expect(tokenizer.config.eosToken == "</s>")
        #expect(tokenizer.config.padToken == nil)
        #expect(tokenizer.config.addBOSToken == true)
        #expect((tokenizer.config.modelMaxLength ?? 0) > 1e29)
        #expect(tokenizer.config.chatTemplate == "{{ '<|im_start|>' }}")
        #expect(try tokenizer.chatTemplate == .jinja(JinjaTemplate(source: "{{ '<|im_start|>' }}")))
        #expect(try tokenizer.applyChatTemplate([.user("x")], addGenerationPrompt: false) == "<|im_start|>")
        #expect(tokenizer.bosTokenID == 3)
        #expect(tokenizer.eosTokenID == nil)  // "</s>" is not in this vocabulary
        #expect(tokenizer.vocabularySize == 4)
        // The "#version" header is not a merge (tokenizers skips it).
        #expect(tokenizer.encode("ab<s>") == [2, 3])
    }

    @Test("a fixture directory loads both files")
    func directory() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama2_spm")
        #expect(tokenizer.config.bosToken == "<s>")
        #expect(tokenizer.config.eosToken == "</s>")
        #expect(tokenizer.config.addBOSToken == true)
        #expect(tokenizer.tokenID("<0x41>") == 3 + 0x41)
        #expect(tokenizer.token(forID: 3 + 0x41) == "<0x41>")
        #expect(tokenizer.token(forID: -1) == nil)
        #expect(tokenizer.token(forID: 1 << 40) == nil)
        #expect(tokenizer.decode([-5, 1 << 40]) == "")
    }
}
