// Golden tests: every fixture tokenizer must encode and decode the fixture corpus exactly as the
// Hugging Face `tokenizers` library did when the fixtures were made.

import Foundation
import Testing
@testable import DICEKit

@Suite("Tokenizer golden outputs (tokenizers library)")
struct TokenizerGoldenTests {
    @Test("encode matches tokenizers, without special tokens", arguments: TokenizerFixtures.names)
    func encodePlain(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        #expect(golden.cases.count > 40)
        for c in golden.cases {
            let ids = tokenizer.encode(c.text)
            #expect(ids == c.ids, "\(name): \(c.text.debugDescription) expected tokens \(c.tokens)")
        }
    }

    @Test("encode matches tokenizers, with special tokens", arguments: TokenizerFixtures.names)
    func encodeWithSpecial(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        for c in golden.cases {
            #expect(tokenizer.encode(c.text, addSpecialTokens: true) == c.ids_with_special,
                    "\(name): \(c.text.debugDescription)")
        }
    }

    @Test("token strings of the encoding match", arguments: TokenizerFixtures.names)
    func tokenStrings(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        for c in golden.cases {
            let ids = tokenizer.encode(c.text)
            #expect(ids.count == c.tokens.count, "\(name): \(c.text.debugDescription)")
            // tokenizers reports an added token by the text it matched (" <mask>" with lstrip);
            // model tokens must be the vocabulary strings.
            for (id, expected) in zip(ids, c.tokens) where !tokenizer.specialTokenIDs.contains(id) {
                #expect(tokenizer.token(forID: id) == expected, "\(name): \(c.text.debugDescription)")
            }
        }
    }

    @Test("decode matches tokenizers (with and without skipping special tokens)", arguments: TokenizerFixtures.names)
    func decodeCorpus(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        for c in golden.cases {
            #expect(tokenizer.decode(c.ids) == c.decoded, "\(name): \(c.text.debugDescription)")
            #expect(tokenizer.decode(c.ids_with_special, skipSpecialTokens: true) == c.decoded_skip_special,
                    "\(name): \(c.text.debugDescription)")
        }
    }

    @Test("decode of arbitrary id sequences (partial UTF-8, specials) matches", arguments: TokenizerFixtures.names)
    func decodeRandomIDs(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        #expect(golden.decode_cases.count == 40)
        for c in golden.decode_cases {
            #expect(tokenizer.decode(c.ids) == c.decoded, "\(name): \(c.ids)")
            #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip_special, "\(name): \(c.ids)")
        }
    }

    @Test("vocabulary size and special token ids", arguments: TokenizerFixtures.names)
    func vocabulary(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        #expect(tokenizer.vocabularySize == golden.vocab_size)
        #expect(tokenizer.bosTokenID == golden.bos_token_id)
        #expect(tokenizer.eosTokenID == golden.eos_token_id)
        #expect(tokenizer.padTokenID == golden.pad_token_id)
    }

    @Test("chat templates render as transformers' apply_chat_template", arguments: TokenizerFixtures.names)
    func chatTemplates(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let golden = try TokenizerFixtures.golden(name)
        #expect(golden.chats.count == 5)
        for chat in golden.chats {
            let rendered = try tokenizer.applyChatTemplate(chat.messages, addGenerationPrompt: chat.add_generation_prompt)
            #expect(rendered == chat.rendered, "\(name): \(chat.messages)")
        }
    }

    @Test("decode(encode(text)) round-trips the corpus for byte-level tokenizers",
          arguments: ["gpt2_bytelevel", "llama3_split", "qwen2_split"])
    func roundTrip(name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        // "<mask>" swallows the space on its left (lstrip), so those texts cannot round-trip.
        for c in try TokenizerFixtures.golden(name).cases where !c.text.contains("<mask>") {
            #expect(tokenizer.decode(tokenizer.encode(c.text)) == c.text)
        }
    }
}
