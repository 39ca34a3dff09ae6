#!/usr/bin/env python3
"""Builds the tokenizer fixtures under Tests/Fixtures/tokenizers/ (never needed by `make test`).

Trains three small tokenizers locally with the Hugging Face `tokenizers` library (no hub access),
shaped like the real tokenizer.json files DICEKit must read:

  gpt2_bytelevel   byte-level BPE, ByteLevel pre-tokenizer (GPT-2 regex), merges as [a, b] pairs,
                   ChatML template, <|im_start|>/<|im_end|> specials, an lstrip/rstrip special and a
                   non-special added token.
  llama3_split     byte-level BPE with ignore_merges, Sequence[Split(Llama-3 regex), ByteLevel],
                   TemplateProcessing adding <|begin_of_text|>, the Llama-3 chat template.
  llama2_spm       SentencePiece-style BPE: Prepend("▁")+Replace(" ", "▁") normalizer, byte_fallback
                   with <0x00>..<0xFF> tokens at ids 3..258, unk, merges as "a b" strings, decoders
                   Replace/ByteFallback/Fuse/Strip, TemplateProcessing adding <s>, Zephyr template.
  digits_bytelevel byte-level BPE behind Sequence[Digits(individual), ByteLevel(add_prefix_space)]
                   (SmolLM's pre-tokenizer, here with a prefix space), single_word and rstrip tokens,
                   SmolLM2's ChatML template with a default system message.
  mistral_metaspace SentencePiece-style BPE with the Metaspace pre-tokenizer (prepend_scheme
                   "first", split false) and Metaspace decoder, ChatML template.
  qwen2_split      Qwen2/Qwen3's pipeline: NFC normalizer, Sequence[Split(Qwen-2 regex: single digits),
                   ByteLevel(no prefix space, no regex)], ByteLevel post-processor and decoder without
                   prefix space or offset trimming, <|endoftext|>/<|im_start|>/<|im_end|> specials and
                   non-special <think>/</think>, Qwen3's chat template.
  gemma_spm        Gemma (1/2/3)'s pipeline: Replace(" " → "▁") normalizer with no prefix "▁",
                   Split(" ", MergedWithPrevious) pre-tokenizer (a no-op after the normalizer: the
                   whole text is one BPE word, as in the real file), BPE with byte_fallback, fuse_unk
                   and <0x00>..<0xFF> tokens, decoders Replace/ByteFallback/Fuse (no Strip), <bos>
                   TemplateProcessing, Gemma 3's chat template.

The last three are trained on TRAIN_CORPUS + MULTILINGUAL_CORPUS; every fixture is checked on
FIXTURE_CORPUS + MULTILINGUAL_CORPUS (scripts, emoji sequences, CJK, code and whitespace runs).

For each it records golden ids (with and without special tokens), decoded strings (with and
without skip_special_tokens), decodings of arbitrary id sequences, and chat-template renderings
made by transformers' `apply_chat_template(tokenize=False)`.

Usage: python3 Scripts/make_tokenizer_fixtures.py   (needs `pip install tokenizers transformers`)
"""
import json
import os
import random

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizers")

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
QWEN2_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# SmolLM2-Instruct's template: ChatML plus a default system message.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
)
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

TRAIN_CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog didn't care; it's a lazy dog.",
    "Preference optimization trains a policy to prefer chosen responses over rejected ones.",
    "Direct preference optimization (DPO) uses the log-ratio of policy and reference as an implicit reward.",
    "We'll sample 16 responses per prompt, they're ranked, and you've got new pairs. I'm sure we'd do it again.",
    "In 2024 there were 1,234,567 tokens in 89 files; version 3.14 shipped on 2025-01-02.",
    "Café, naïve, résumé, façade, jalapeño, Zürich, São Paulo, Ångström, crème brûlée.",
    "def main():\n    print('hello world')\n    return 0\n",
    "if (x > 0) { y = x * 2; } else { y = -x; }  // comment\n\tindented with a tab",
    "Once upon a time, a small model learned to write short and helpful answers.",
    "HELLO WORLD! Shouting IS NOT ALLOWED. It'S odd, ISN'T it? They'RE here.",
    "Lists: one, two, three; numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 10000.",
    "Москва и Санкт-Петербург — крупнейшие города России.",
    "Ελληνικά γράμματα: α β γ δ ε.",
    "email@example.com https://example.org/path?query=1&x=2 #hashtag @mention",
]

FIXTURE_CORPUS = [
    "",
    "Hello world",
    "Hello, world! How are you?",
    " leading space",
    "   three leading spaces",
    "trailing spaces   ",
    "multiple    internal     spaces",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\nline four\r\nwindows line",
    "\n\n\nnewlines first",
    "mixed \t \n whitespace \u00a0 nbsp \u3000 ideographic",
    "don't won't it's we're they've I'm you'll he'd",
    "DON'T IT'S WE'RE THEY'VE I'M YOU'LL HE'D",
    "1234567890 12 123 1234 12345 3.14159 1,000,000",
    "year 2024, ids 007 and 0x1F",
    "Café naïve résumé façade jalapeño Zürich Ångström",
    "e\u0301 combining acute vs \u00e9 precomposed",
    "日本語のテキストと中文文本",
    "한국어 텍스트",
    "Москва — столица России.",
    "Emoji: 😀 👍🏽 ❤️ 🇫🇷",
    "ZWJ family: 👨‍👩‍👧‍👦 and 🧑‍💻 coder",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "text<|im_end|>more text",
    "<s>Hello</s>",
    "Hello <s> world </s> end",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
    "a <mask> b",
    "prefix<mask>suffix",
    "use the <tool> now",
    "symbols: !@#$%^&*()_+-=[]{}|;':\",./<>?`~",
    "    def f(x):\n        return x ** 2\n",
    "ſ and 's 'S 'T 'Re",
    "a\u200bb zero width space",
    "\ttab start",
    "end with newline\n",
    " ",
    "  ",
    "\n",
    "▁already▁has▁metaspace",
    "<0x41> literal byte token text",
    "\u0000 control \u0007 bell \u001f",
    "The quick brown fox jumps over the lazy dog.",
    "x'ſ y'K it'S 'LL'VE",
    "a <sw> b a<sw>b <sw>",
    "c <rs>   d <rs>",
    "42\n\n  \r\n\t 3.0e10   \u00bd\u00be \u0663\u0664",
    "Ω≈ç√∫ ¡™£¢∞§¶ œ∑´®†¥",
]

# A multilingual corpus: many scripts (RTL, Indic, Thai without spaces, CJK, Hangul), emoji
# sequences (ZWJ, skin tones, flags, keycaps, variation selectors), astral-plane letters, code in
# several languages, and runs of spaces, tabs and newlines.
MULTILINGUAL_CORPUS = [
    "مرحبا بالعالم، كيف حالك اليوم؟ ٣٤٥ كتاباً",
    "שלום עולם! מה שלומך?",
    "नमस्ते दुनिया, आप कैसे हैं? १२३ किताबें",
    "বাংলা ভাষা এবং தமிழ் மொழி",
    "สวัสดีชาวโลกภาษาไทยไม่มีช่องว่าง",
    "東京は日本の首都です。カタカナとひらがな、そして漢字。",
    "我喜欢机器学习和自然语言处理，价格是１２３元。",
    "안녕하세요 세계! 한국어 문장입니다.",
    "Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ, đường phố.",
    "İstanbul ıi İI; Größe Straße; Ærøskøbing; Łódź; Čeština",
    "Ελληνικά: Καλημέρα κόσμε. Русский: Привет, мир! Українська: Їжак ґанок.",
    "🤖🚀🔥💯 ✨ 👩🏾‍🔬 🏳️‍🌈 1️⃣ #️⃣ 🇯🇵🇺🇸",
    "I ❤️ NY 🗽!! Emoji-in-words: ok👍done, 😀😀😀",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 𐍈 𓀀 and full-width ＡＢＣ１２３",
    "∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x|; ∑ᵢ aᵢ ≤ ∞",
    "O'Neill's 'quoted' text — it’s “curly” and «guillemets» …",
    "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "fn main() {\n\tlet v: Vec<u8> = vec![1, 2, 3];\n\tprintln!(\"{:?}\", v);\n}\n",
    '{"key": [1, 2.5e-3, null, true], "nested": {"a": "b\\n"}}',
    "<div class=\"x\">\n  <p>Hello &amp; welcome</p>\n</div>",
    "$ ls -la | grep '^d' && echo \"done\" > /dev/null 2>&1",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "a" + " " * 17 + "b" + "\t" * 5 + "c",
    "\n" * 7 + "seven newlines" + "\r\n" * 3,
    "        sixteen   \t \t  mixed   \n\n   indentation        ",
    "end with spaces and tabs \t \t ",
    "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
    "price: $1,234.56 (≈ €1.100,00) — 50% off!!! ###",
    "e\u0301\u0302 stacked marks, a\u200db zwj, x\ufe0f vs16, \u00ad soft hyphen",
    "日本語 mixed with English and 123 numbers と emoji 🎌",
]

CHATS = [
    ([{"role": "user", "content": "Hello!"}], True),
    ([{"role": "user", "content": "Hello!"}], False),
    ([{"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": "What is 2+2?"}], True),
    ([{"role": "system", "content": "Be brief."},
      {"role": "user", "content": "  Tell me a joke.  "},
      {"role": "assistant", "content": "Why did the chicken cross the road?\n"},
      {"role": "user", "content": "Why?"}], True),
    ([{"role": "user", "content": "Multi\nline\n\nprompt with café and 日本"},
      {"role": "assistant", "content": " spaced answer "}], False),
]


def byte_level_bpe(pattern_split, ignore_merges, special_tokens, vocab_size, corpus=None, trim_offsets=True):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if pattern_split == "digits":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True),
        ])
    elif pattern_split is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern_split), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=trim_offsets, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator((corpus or TRAIN_CORPUS) * 3, trainer)
    return tok


def qwen2_bpe(vocab_size):
    """Qwen2/Qwen3's tokenizer.json pipeline around a BPE trained on the multilingual corpus."""
    tok = byte_level_bpe(QWEN2_PATTERN, False, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], vocab_size,
                         corpus=TRAIN_CORPUS + MULTILINGUAL_CORPUS, trim_offsets=False)
    tok.normalizer = normalizers.NFC()
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.add_tokens([AddedToken("<think>", normalized=False, special=False),
                    AddedToken("</think>", normalized=False, special=False)])
    return tok


def gemma_bpe(vocab_size):
    """Gemma's tokenizer.json pipeline around a SentencePiece-style BPE trained on the multilingual
    corpus. Training splits words with Metaspace (so merges stay inside words, as SentencePiece's
    do); the saved pipeline is the real one, which does not split at all."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "[multimodal]", "<start_of_turn>", "<end_of_turn>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False)
    tok.train_from_iterator((TRAIN_CORPUS + MULTILINGUAL_CORPUS) * 3, trainer)
    spec = json.loads(tok.to_str())
    # <0x00>..<0xFF> right after the specials, renumbering the rest of the vocabulary.
    vocab = sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])
    head, rest = vocab[:len(specials)], vocab[len(specials):]
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    ordered = [t for t, _ in head] + byte_tokens + [t for t, _ in rest if t not in byte_tokens]
    spec["model"]["vocab"] = {t: i for i, t in enumerate(ordered)}
    spec["added_tokens"] = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": t != "[multimodal]"} for i, t in enumerate(specials)]
    spec["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
    spec["pre_tokenizer"] = {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                             "invert": False}
    spec["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return Tokenizer.from_str(json.dumps(spec))


def sentencepiece_bpe(vocab_size, metaspace):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"],
                                  show_progress=False)
    tok.train_from_iterator(TRAIN_CORPUS * 3, trainer)
    spec = json.loads(tok.to_str())
    # Insert <0x00>..<0xFF> at ids 3..258 (as in Llama-2), renumbering the rest of the vocabulary.
    vocab = sorted(spec["model"]["vocab"].items(), key=lambda kv: kv[1])
    specials, rest = vocab[:3], vocab[3:]
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    ordered = [t for t, _ in specials] + byte_tokens + [t for t, _ in rest if t not in byte_tokens]
    spec["model"]["vocab"] = {t: i for i, t in enumerate(ordered)}
    # Merges as "a b" strings, the older (Llama-2 era) format.
    spec["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in spec["model"]["merges"]]
    if metaspace:
        spec["normalizer"] = None
        spec["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
        spec["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
            {"type": "ByteFallback"}, {"type": "Fuse"}]}
        # Reverse: Metaspace first would turn <0x20> into text; the real Mistral order is
        # Replace/ByteFallback/Fuse/Strip or Metaspace alone. Keep Metaspace + ByteFallback + Fuse.
    else:
        spec["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
        spec["pre_tokenizer"] = None
        spec["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return Tokenizer.from_str(json.dumps(spec))


def write_fixture(name, tok, config, post_template=None):
    from transformers import PreTrainedTokenizerFast

    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    if post_template is not None:
        tok.post_processor = post_template
    tok_path = os.path.join(out, "tokenizer.json")
    tok.save(tok_path)
    if name == "llama2_spm":
        # tokenizers re-serializes merges as pairs; restore the "a b" string form on disk.
        with open(tok_path, encoding="utf-8") as f:
            spec = json.load(f)
        spec["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in spec["model"]["merges"]]
        with open(tok_path, "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=False, indent=2)
        tok = Tokenizer.from_file(tok_path)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)

    cases = []
    for text in FIXTURE_CORPUS + MULTILINGUAL_CORPUS:
        plain = tok.encode(text, add_special_tokens=False).ids
        special = tok.encode(text, add_special_tokens=True).ids
        cases.append({
            "text": text,
            "ids": plain,
            "ids_with_special": special,
            "tokens": tok.encode(text, add_special_tokens=False).tokens,
            "decoded": tok.decode(plain, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(special, skip_special_tokens=True),
        })
    rng = random.Random(1234 + len(name))
    size = tok.get_vocab_size(with_added_tokens=True)
    decode_cases = []
    for _ in range(40):
        ids = [rng.randrange(size) for _ in range(rng.randrange(1, 12))]
        decode_cases.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                             "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})

    hf = PreTrainedTokenizerFast.from_pretrained(out)
    chats = []
    for messages, gen in CHATS:
        chats.append({"messages": messages, "add_generation_prompt": gen,
                      "rendered": hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)})

    def tid(key):
        value = config.get(key)
        if isinstance(value, dict):
            value = value["content"]
        return None if value is None else tok.token_to_id(value)

    golden = {
        "vocab_size": size,
        "bos_token_id": tid("bos_token"),
        "eos_token_id": tid("eos_token"),
        "pad_token_id": tid("pad_token"),
        "cases": cases,
        "decode_cases": decode_cases,
        "chats": chats,
    }
    with open(os.path.join(out, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
    for file in os.listdir(out):
        size_bytes = os.path.getsize(os.path.join(out, file))
        assert size_bytes < 1_000_000, (name, file, size_bytes)
    print(f"{name}: vocab {size}, {len(cases)} cases, {len(chats)} chats")


def write_patterns():
    """Golden splits of the pre-tokenizers over random strings (Tests/Fixtures/tokenizers/patterns.json)."""
    pool = (list("abcXYZéßñ日本한ΩжK") + list("0123456789½٣")
            + list("  \t\n\r\u00a0\u3000\u2028\u0085") + list("'" * 5 + "sStTmMdDrReEvVlL")
            + list(".,!?-_()[]{}\"@#$%^&*/\\|~`<>:;+=") + ["\U0001F600", "\U0001F44D\U0001F3FD", "\u200d", "\u0301", "\u017f"])
    rng = random.Random(7)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 40))) for _ in range(300)]
    splitters = {
        "gpt2": pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated"),
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        "digits_individual": pre_tokenizers.Digits(individual_digits=True),
        "digits_contiguous": pre_tokenizers.Digits(individual_digits=False),
        "metaspace_always_split": pre_tokenizers.Metaspace(prepend_scheme="always", split=True),
        "whitespace_split": pre_tokenizers.WhitespaceSplit(),
        "split_literal_removed": pre_tokenizers.Split(" ", behavior="removed"),
        "split_literal_merged_previous": pre_tokenizers.Split("a", behavior="merged_with_previous"),
        "split_literal_merged_next": pre_tokenizers.Split("a", behavior="merged_with_next"),
        "split_literal_contiguous": pre_tokenizers.Split("a", behavior="contiguous"),
        "split_literal_isolated_invert": pre_tokenizers.Split("a", behavior="isolated", invert=True),
    }
    out = {"texts": texts, "splits": {name: [[p for p, _ in sp.pre_tokenize_str(t)] for t in texts]
                                      for name, sp in splitters.items()}}
    norm_texts = texts[:100] + ["\u00c5ngstr\u00f6m A\u030a \ufb01 \u2460 \u00bd \u1e9b\u0323 \u0130 \u03a3\u039f\u03a3 \u00df",
                                "  padded  ", "\u3000full width\u3000", "  Hello  World  "]
    norm = {
        "nfc": normalizers.NFC(), "nfd": normalizers.NFD(), "nfkc": normalizers.NFKC(), "nfkd": normalizers.NFKD(),
        "lowercase": normalizers.Lowercase(), "strip": normalizers.Strip(left=True, right=True),
        "strip_left": normalizers.Strip(left=True, right=False),
        "prepend_replace": normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]),
    }
    out["normalizer_texts"] = norm_texts
    out["normalized"] = {name: [n.normalize_str(t) for t in norm_texts] for name, n in norm.items()}
    token_pool = ["\u2581", "\u2581a", "a\u2581", "<0xE6>", "<0x97>", "<0xA5>", "<0x41>", "<0x0A>", "<0xFF>", "b", " ", "  x ",
                  "\u0120", "\u010a", "\u0120hi", "<0xZZ>", "<0x4>", "<0x41", "<|im_end|>", "\u00e9", "\u00c3", "\u00a9"]
    token_lists = [[rng.choice(token_pool) for _ in range(rng.randrange(0, 8))] for _ in range(150)]
    decs = {
        "byte_fallback": decoders.ByteFallback(), "fuse": decoders.Fuse(),
        "strip": decoders.Strip(" ", 1, 0), "strip_right": decoders.Strip("\u2581", 0, 1),
        "replace": decoders.Replace("\u2581", " "),
        "metaspace_first": decoders.Metaspace(prepend_scheme="first"),
        "metaspace_never": decoders.Metaspace(prepend_scheme="never"),
        "byte_level": decoders.ByteLevel(),
        "llama2": decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)]),
    }
    out["token_lists"] = token_lists
    out["decoded"] = {name: [d.decode(tl) for tl in token_lists] for name, d in decs.items()}
    out["decoder_json"] = {name: json.loads(d.__getstate__()) if hasattr(d, "__getstate__") else None
                           for name, d in decs.items()}
    out["normalizer_json"] = {name: json.loads(n.__getstate__()) for name, n in norm.items()}
    # Tiny hand-written BPE models exercising unk_token / fuse_unk without byte fallback, and
    # continuing_subword_prefix / end_of_word_suffix.
    unk_specs = {}
    base_vocab = {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5, "\u2581": 6, "\u2581a": 7, "##b": 8,
                  "##c": 9, "a##b": 10, "c</w>": 11, "b</w>": 12, "ab</w>": 13}
    for name, extra in {"unk_fused": {"fuse_unk": True}, "unk_unfused": {"fuse_unk": False},
                        "no_unk": {"unk_token": None}, "prefix": {"continuing_subword_prefix": "##"},
                        "suffix": {"end_of_word_suffix": "</w>"}}.items():
        model = {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                 "vocab": base_vocab, "merges": ["a b", "ab c", "\u2581 a"]}
        if name == "prefix":
            model["merges"] = [["a", "##b"]]
        if name == "suffix":
            model["merges"] = [["a", "b</w>"]]
        model.update(extra)
        spec = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
                "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None, "model": model}
        tok = Tokenizer.from_str(json.dumps(spec))
        inputs = ["abc", "abx", "xxab", "a b c", "zzz abc yy", "cab", "ab", "abcabc", "\u2581a\u2581", "x", "bc ac"]
        unk_specs[name] = {"tokenizer": spec, "texts": inputs, "ids": [tok.encode(t).ids for t in inputs],
                           "decoded": [tok.decode(tok.encode(t).ids) for t in inputs]}
    out["models"] = unk_specs
    with open(os.path.join(ROOT, "patterns.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


def main():
    # (a) GPT-2 style byte-level BPE, ChatML.
    gpt2 = byte_level_bpe(None, False, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], 700)
    gpt2.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    gpt2.add_tokens([AddedToken("<tool>", single_word=False, normalized=True, special=False)])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=False)
    write_fixture("gpt2_bytelevel", gpt2, {
        "bos_token": "<|endoftext|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
        "pad_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "__type": "AddedToken"},
        "add_bos_token": False, "chat_template": CHATML_TEMPLATE, "model_max_length": 1000000000000000019884624838656})

    # (b) Llama-3 style: Split(regex) + ByteLevel(use_regex=False), ignore_merges, BOS template.
    llama3_specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    llama3 = byte_level_bpe(LLAMA3_PATTERN, True, llama3_specials, 900)
    bot = llama3.token_to_id("<|begin_of_text|>")
    post = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bot)])])
    write_fixture("llama3_split", llama3, {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": LLAMA3_TEMPLATE}, post_template=post)

    # (c) Llama-2 style SentencePiece BPE with byte fallback, Zephyr template.
    llama2 = sentencepiece_bpe(600, metaspace=False)
    post = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    write_fixture("llama2_spm", llama2, {
        "bos_token": {"content": "<s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                      "__type": "AddedToken"},
        "eos_token": {"content": "</s>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                      "__type": "AddedToken"},
        "unk_token": "<unk>", "pad_token": None, "add_bos_token": True, "add_eos_token": False,
        "chat_template": ZEPHYR_TEMPLATE}, post_template=post)

    # (e) SmolLM-style Digits + ByteLevel (here with add_prefix_space), single_word/rstrip tokens.
    smol = byte_level_bpe("digits", False, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], 600)
    smol.add_special_tokens([AddedToken("<sw>", single_word=True, normalized=False, special=True),
                             AddedToken("<rs>", rstrip=True, normalized=False, special=True)])
    write_fixture("digits_bytelevel", smol, {
        "bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>",
        "chat_template": SMOLLM2_TEMPLATE}, post_template=processors.ByteLevel(trim_offsets=False))

    write_patterns()

    # (d) Mistral style: Metaspace pre-tokenizer (prepend_scheme first), ChatML-speaking specials.
    mistral = sentencepiece_bpe(600, metaspace=True)
    mistral.add_special_tokens(["<|im_start|>", "<|im_end|>"])
    post = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    write_fixture("mistral_metaspace", mistral, {
        "bos_token": "<s>", "eos_token": "<|im_end|>", "unk_token": "<unk>", "add_bos_token": True,
        "chat_template": CHATML_TEMPLATE}, post_template=post)


    # (f) Qwen2/Qwen3: NFC + Split(Qwen-2 regex) + ByteLevel, Qwen3's chat template.
    with open(os.path.join(ROOT, "..", "chat-templates", "qwen3.jinja"), encoding="utf-8") as f:
        qwen3_template = f.read()
    qwen = qwen2_bpe(900)
    write_fixture("qwen2_split", qwen, {
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
        "add_bos_token": False, "chat_template": qwen3_template}, post_template=processors.ByteLevel(trim_offsets=False))

    # (g) Gemma: Replace normalizer, no-op Split, byte fallback, <bos> template, Gemma 3's chat template.
    with open(os.path.join(ROOT, "..", "chat-templates", "gemma-3.jinja"), encoding="utf-8") as f:
        gemma_template = f.read()
    gemma = gemma_bpe(900)
    post = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", 2)])
    write_fixture("gemma_spm", gemma, {
        "bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>",
        "add_bos_token": True, "add_eos_token": False, "chat_template": gemma_template}, post_template=post)


if __name__ == "__main__":
    main()
