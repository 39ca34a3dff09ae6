#!/usr/bin/env python3
"""Builds the fuzz seed corpora under Fuzz/Corpus/<Target>/ from the test fixtures (never needed
by `make test`; `make fuzz` copies them to a scratch folder and fuzzes from there).

  FuzzJSONL          preference rows in every layout (ids, strings, conversations, prompt lists),
                     blank lines, CRLF, a byte-order mark, bad rows of each kind.
  FuzzTokenizerJSON  each Tests/Fixtures/tokenizers/*/tokenizer.json and the CLI tokenizer, and a
                     shrunk copy of each (first 300 ids, merges among them; compact JSON).
  FuzzSafeTensors    the dtypes fixture, small files of every dtype (scalars, empty tensors,
                     metadata), and each fixture model's header with its data cut short.
  FuzzGGUF           the tokenizer and dequant GGUF fixtures, and a tiny (hidden 8) Llama with a
                     shrunk byte-level tokenizer, written with gguf-py.
  FuzzChatTemplate   the built-in template names, format strings, the fixtures'
                     tokenizer_config.json files and their Jinja chat templates.

Usage: /tmp/venv/bin/python Scripts/make_fuzz_corpus.py   (pip install gguf safetensors numpy)
Crashing inputs that `make fuzz` found are kept beside the seeds as crash-<sha1> (this script
leaves them alone).
"""
import json
import os
import struct

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFWriter, TokenType
from safetensors.numpy import save

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
TOKENIZERS = os.path.join(FIXTURES, "tokenizers")
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
TOKENIZER_NAMES = sorted(n for n in os.listdir(TOKENIZERS) if os.path.isdir(os.path.join(TOKENIZERS, n)))
RNG = np.random.default_rng(20250609)


def folder(target):
    path = os.path.join(CORPUS, target)
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.startswith("seed-"):
            os.remove(os.path.join(path, name))
    return path


def put(path, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(path, "seed-" + name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


# MARK: - JSONL

def make_jsonl():
    out = folder("FuzzJSONL")
    ids = {"prompt_ids": [1, 2, 3], "chosen_ids": [4, 5], "rejected_ids": [6]}
    strings = {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}
    conversation = {
        "chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
        "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Go away."}],
    }
    prompt_list = {
        "prompt": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}],
        "chosen": [{"role": "assistant", "content": "Hello"}],
        "rejected": [{"role": "assistant", "content": "No"}],
    }
    row = lambda r: json.dumps(r, ensure_ascii=False)
    put(out, "ids.jsonl", row(ids) + "\n" + row({**ids, "chosen_ids": [6]}) + "\n")
    put(out, "strings.jsonl", row(strings) + "\n\n  \n" + row({**strings, "chosen": "naïve café 🙂"}) + "\n")
    put(out, "conversation.jsonl", row(conversation) + "\n" + row(prompt_list) + "\n")
    put(out, "crlf-bom.jsonl", "\ufeff" + row(strings) + "\r\n" + row(ids) + "\r\n")
    long_row = {"prompt_ids": list(range(1, 40)), "chosen_ids": list(range(40, 60)), "rejected_ids": [7] * 30}
    put(out, "long.jsonl", row(long_row) + "\n")
    put(out, "extra-fields.jsonl", row({**ids, "id": 7, "score": -1.5e3, "tags": [None, True, {"a": []}]}) + "\n")
    put(out, "bad-rows.jsonl", "\n".join([
        row({"prompt_ids": [1], "chosen_ids": [-2], "rejected_ids": [3]}),
        row({"prompt": "", "chosen": "a", "rejected": "b"}),
        row({"prompt": "p", "chosen": "same", "rejected": "same"}),
        row({"chosen": [{"role": "user", "content": "x"}], "rejected": "y"}),
        "[1, 2, 3]", "{\"prompt\": \"unterminated", "\"text\"", "null", "{}",
    ]) + "\n")


# MARK: - tokenizer.json

def shrink_tokenizer(spec, keep=300):
    """The tokenizer with only ids < keep and the merges among them (ids stay as they are)."""
    spec = json.loads(json.dumps(spec))
    model = spec["model"]
    model["vocab"] = {t: i for t, i in model["vocab"].items() if i < keep}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in model["vocab"] and b in model["vocab"] and a + b in model["vocab"]:
            merges.append(m)
    model["merges"] = merges
    if model.get("unk_token") is not None and model["unk_token"] not in model["vocab"]:
        model["unk_token"] = None
    return spec


def make_tokenizer_json():
    out = folder("FuzzTokenizerJSON")
    for name in TOKENIZER_NAMES:
        data = read(TOKENIZERS, name, "tokenizer.json")
        put(out, f"{name}.json", data)
        put(out, f"{name}-small.json", json.dumps(shrink_tokenizer(json.loads(data)), ensure_ascii=False,
                                                  separators=(",", ":")))
    put(out, "tokenizer96.json", read(FIXTURES, "cli", "tokenizer96", "tokenizer.json"))


# MARK: - safetensors

def make_safetensors():
    out = folder("FuzzSafeTensors")
    put(out, "dtypes.safetensors", read(FIXTURES, "dtypes", "dtypes.safetensors"))
    put(out, "f32.safetensors", save({"a": RNG.standard_normal((2, 3)).astype(np.float32),
                                      "b.bias": np.zeros((0,), np.float32)}, metadata={"format": "pt"}))
    put(out, "f16.safetensors", save({"x": RNG.standard_normal((4,)).astype(np.float16),
                                      "s": np.array(1.5, np.float16)}))
    put(out, "f64-i64.safetensors", save({"d": RNG.standard_normal((2, 2)), "i": np.arange(3, dtype=np.int64),
                                          "m": np.array([True, False])}))
    # bfloat16 has no numpy dtype: write the header by hand.
    header = b'{"w":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}'
    put(out, "bf16.safetensors", struct.pack("<Q", len(header)) + header + bytes([0, 0x3F, 0, 0x40, 0, 0xC0, 0x80, 0x7F]))
    put(out, "empty.safetensors", struct.pack("<Q", 2) + b"{}")
    for name in ("llama-gqa-tied", "gpt2"):
        data = read(FIXTURES, "models", name, "model.safetensors")
        n = struct.unpack("<Q", data[:8])[0]
        put(out, f"{name}-header.safetensors", data[:8 + n + 64])


# MARK: - GGUF

def tiny_vocab():
    """The first 300 ids of gpt2_bytelevel (tokens, types, merges) and its chat template."""
    spec = shrink_tokenizer(json.loads(read(TOKENIZERS, "gpt2_bytelevel", "tokenizer.json")))
    config = json.loads(read(TOKENIZERS, "gpt2_bytelevel", "tokenizer_config.json"))
    by_id = {i: (t, TokenType.NORMAL) for t, i in spec["model"]["vocab"].items()}
    for added in spec["added_tokens"]:
        by_id[added["id"]] = (added["content"], TokenType.CONTROL if added["special"] else TokenType.USER_DEFINED)
    ids = sorted(by_id)
    # Renumber contiguously (GGUF vocabularies are dense).
    tokens = [by_id[i][0] for i in ids]
    types = [by_id[i][1] for i in ids]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    return tokens, types, merges, config["chat_template"]


def make_gguf():
    out = folder("FuzzGGUF")
    for name in ("tokenizer-bpe.gguf", "tokenizer-spm.gguf", "dequant.gguf"):
        put(out, name, read(FIXTURES, "gguf", name))
    tokens, types, merges, template = tiny_vocab()
    vocab, hidden, heads, kv_heads, ffn = len(tokens), 8, 2, 1, 16
    head = hidden // heads
    shapes = {
        "token_embd.weight": (vocab, hidden), "blk.0.attn_norm.weight": (hidden,),
        "blk.0.attn_q.weight": (hidden, hidden), "blk.0.attn_k.weight": (kv_heads * head, hidden),
        "blk.0.attn_v.weight": (kv_heads * head, hidden), "blk.0.attn_output.weight": (hidden, hidden),
        "blk.0.ffn_norm.weight": (hidden,), "blk.0.ffn_gate.weight": (ffn, hidden),
        "blk.0.ffn_up.weight": (ffn, hidden), "blk.0.ffn_down.weight": (hidden, ffn),
        "output_norm.weight": (hidden,),
    }
    values = {name: (RNG.standard_normal(shape) * 0.1).astype(np.float32) for name, shape in shapes.items()}
    # The same model twice: plain, and with llama.cpp's Llama 3 RoPE factors (rope_freqs.weight).
    for file_name, rope_freqs in (("seed-tiny-llama.gguf", None),
                                  ("seed-tiny-llama3.gguf", np.array([1.0, 8.0], dtype=np.float32))):
        w = GGUFWriter(os.path.join(out, file_name), "llama")
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre("smollm")
        w.add_token_list(tokens)
        w.add_token_types(types)
        w.add_token_merges(merges)
        w.add_bos_token_id(0)
        w.add_eos_token_id(1)
        w.add_chat_template(template)
        w.add_context_length(32)
        w.add_embedding_length(hidden)
        w.add_block_count(1)
        w.add_feed_forward_length(ffn)
        w.add_head_count(heads)
        w.add_head_count_kv(kv_heads)
        w.add_rope_freq_base(10000.0)
        w.add_layer_norm_rms_eps(1e-5)
        if rope_freqs is not None:
            w.add_tensor("rope_freqs.weight", rope_freqs)
        for name, v in values.items():
            if name.endswith("norm.weight"):
                w.add_tensor(name, v)
            else:
                w.add_tensor(name, v.astype(np.float16), raw_dtype=Q.F16)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


# MARK: - chat templates

def make_chat_template():
    out = folder("FuzzChatTemplate")
    for name in ("chatml", "zephyr", "llama3", "Llama-3", "none"):
        put(out, f"name-{name}.txt", name)
    put(out, "format-alpaca.txt", "### Instruction:\\n{prompt}\\n\\n### Response:\\n")
    put(out, "format-all.txt", "{bos}[{system}] {prompt} {eos}{unknown}{\\t}\\\\")
    for name in TOKENIZER_NAMES:
        data = read(TOKENIZERS, name, "tokenizer_config.json")
        put(out, f"{name}-config.json", data)
        template = json.loads(data).get("chat_template")
        if isinstance(template, str):
            put(out, f"{name}.jinja", template)
    put(out, "smollm2.jinja", "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful "
        "AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{% for message in messages %}"
        "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}")
    put(out, "zephyr.jinja", "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] "
        "+ eos_token }}{% endfor %}")
    # The Jinja interpreter: the real templates, a template with JSON messages after a NUL byte, a hostile one.
    templates = os.path.join(FIXTURES, "chat-templates")
    for name in sorted(os.listdir(templates)):
        if name.endswith(".jinja"):
            with open(os.path.join(templates, name), "rb") as f:
                put(out, "real-" + name, f.read())
    put(out, "jinja-json-messages.txt",
        "{% for m in messages %}{{ m.role|upper }}: {{ m.content|trim|tojson(indent=2) }}{% if not loop.last %}\n"
        "{% endif %}{% endfor %}\0" + json.dumps([
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": "x", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}],
            separators=(",", ":")))
    put(out, "jinja-hostile.txt",
        "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}{% set ns = namespace(s=\"ab\") %}"
        "{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s[::-1][:3] }}")


def main():
    make_jsonl()
    make_tokenizer_json()
    make_safetensors()
    make_gguf()
    make_chat_template()
    total = 0
    for target in sorted(os.listdir(CORPUS)):
        files = sorted(os.listdir(os.path.join(CORPUS, target)))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        total += size
        print(f"{size:>9}  {target} ({len(files)} files)")
    print(f"{total:>9}  total")


if __name__ == "__main__":
    main()
