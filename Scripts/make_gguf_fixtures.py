#!/usr/bin/env python3
"""Builds the GGUF fixtures under Tests/Fixtures/gguf/ (never needed by `make test`).

Files (each < 1 MB):

  dequant.gguf          one tensor per supported type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K,
                        Q6_K, Q5_0, Q5_1), a 3-D F32 tensor, metadata of every GGUF value type (arrays of
                        strings and of arrays among them), `general.alignment` = 64.
  dequant.safetensors   gguf-py's `dequantize` of each tensor (Float32, numpy/HF shape order).
  tokenizer-gemma.gguf  a Gemma-3-style SentencePiece vocabulary (architecture gemma3, space runs
                        spelled with spaces, no merges, scores out of merge order).
  tiny-llama.gguf       a random Llama (1 layer, hidden 256, 4 heads / 2 KV heads, untied head)
                        written the way llama.cpp's convert_hf_to_gguf.py writes one: Q/K rows
                        permuted, tensors in Q8_0/Q4_K/Q6_K/Q4_1/BF16/F16/Q4_0/F32, and the
                        byte-level BPE tokenizer of Tests/Fixtures/tokenizers/gpt2_bytelevel
                        (tokenizer.ggml.model "gpt2", pre "smollm", a control and a user-defined
                        token, ChatML template).
  tiny-llama.golden.safetensors  logits (float64) of transformers' model loaded with
                        `from_pretrained(dir, gguf_file=…)` for the sequences in tiny-llama.json.
  tokenizer-bpe.gguf    tokenizer only: llama3_split's byte-level BPE, pre "llama-bpe", BOS added.
  tokenizer-spm.gguf    tokenizer only: llama2_spm's SentencePiece vocabulary as llama.cpp stores
                        it (model "llama", scores, byte tokens, no merges).
  tokenizers.golden.json  for each GGUF: transformers' `AutoTokenizer.from_pretrained(dir,
                        gguf_file=…)` ids with and without special tokens, decodings, special tokens.

Q4_K and Q6_K blocks are random bytes with small scales (gguf-py has no quantizer for them); the
others are quantized from random data with gguf-py's `quantize`.

Usage: /tmp/venv/bin/python Scripts/make_gguf_fixtures.py   (pip install gguf torch transformers)
"""
import json
import os

import numpy as np
import torch
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V
from gguf import GGUFWriter, TokenType, dequantize, quantize
from safetensors.numpy import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "gguf")
TOKENIZERS = os.path.join(HERE, "..", "Tests", "Fixtures", "tokenizers")
RNG = np.random.default_rng(20250601)


def k_blocks(qtype, rows, cols):
    """Random Q4_K / Q6_K bytes for a [rows, cols] tensor, with small finite scales."""
    n = rows * cols // 256
    if qtype == Q.Q4_K:
        d = (RNG.uniform(0.5, 1.5, n) * 1e-4).astype(np.float16).view(np.uint8).reshape(n, 2)
        dmin = (RNG.uniform(0.5, 1.5, n) * 1e-4).astype(np.float16).view(np.uint8).reshape(n, 2)
        rest = RNG.integers(0, 256, (n, 12 + 128), dtype=np.uint8)
        blocks = np.concatenate([d, dmin, rest], axis=1)
    else:
        low = RNG.integers(0, 256, (n, 128 + 64), dtype=np.uint8)
        scales = RNG.integers(-24, 25, (n, 16)).astype(np.int8).view(np.uint8)
        d = (RNG.uniform(0.5, 1.5, n) * 1e-4).astype(np.float16).view(np.uint8).reshape(n, 2)
        blocks = np.concatenate([low, scales, d], axis=1)
    return blocks.reshape(rows, -1)


def encode(values, qtype):
    """(bytes, dequantized Float32) of a 2-D float array stored as `qtype`."""
    if qtype == Q.F32:
        data = values.astype(np.float32)
        return data, data
    if qtype == Q.F16:
        data = values.astype(np.float16)
        return data, data.astype(np.float32)
    if qtype in (Q.Q4_K, Q.Q6_K):
        data = k_blocks(qtype, *values.shape)
    else:
        data = quantize(values.astype(np.float32), qtype)
    return data, dequantize(data, qtype).astype(np.float32).reshape(values.shape)


def add(writer, name, values, qtype, golden=None):
    data, dense = encode(values, qtype)
    # Quantized data is passed as bytes [rows, row bytes]; gguf-py derives the element shape.
    writer.add_tensor(name, data, raw_dtype=None if qtype in (Q.F32, Q.F16) else qtype)
    if golden is not None:
        golden[name] = dense
    return dense


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# MARK: - dequant.gguf

def make_dequant():
    path = os.path.join(OUT, "dequant.gguf")
    w = GGUFWriter(path, "llama")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.15625)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓")
    w.add_uint64("test.u64", 18_000_000_000_000_000_000)
    w.add_int64("test.i64", -9_000_000_000_000_000_000)
    w.add_float64("test.f64", -2.5e-300)
    w.add_array("test.array.i32", [1, -2, 3])
    w.add_array("test.array.string", ["a", "", "ü"])
    w.add_key_value("test.array.nested", [[1, 2], [3]], V.ARRAY, sub_type=V.ARRAY)
    golden = {}
    for qtype in (Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q4_K, Q.Q6_K):
        values = RNG.standard_normal((3, 512)).astype(np.float32)
        values[0, :32] = 0  # an all-zero block
        add(w, f"t.{qtype.name}", values, qtype, golden)
    add(w, "t.F32_3d", RNG.standard_normal((2, 3, 4)).astype(np.float32), Q.F32, golden)
    # Q5_0 / Q5_1 (Gemma-3-270M's Q4_K_M file uses Q5_0) draw from their own generator, so that the
    # fixtures made after this one keep their bytes.
    rng5 = np.random.default_rng(20261207)
    for qtype in (Q.Q5_0, Q.Q5_1):
        values = rng5.standard_normal((3, 512)).astype(np.float32)
        values[0, :32] = 0
        add(w, f"t.{qtype.name}", values, qtype, golden)
    finish(w)
    save_file({k: np.ascontiguousarray(v) for k, v in golden.items()}, os.path.join(OUT, "dequant.safetensors"))


# MARK: - tokenizers

def read_tokenizer(name):
    """(tokens, token types, merges, config) from a tokenizer fixture (ids must be contiguous)."""
    with open(os.path.join(TOKENIZERS, name, "tokenizer.json")) as f:
        spec = json.load(f)
    with open(os.path.join(TOKENIZERS, name, "tokenizer_config.json")) as f:
        config = json.load(f)
    by_id = {i: (t, TokenType.NORMAL) for t, i in spec["model"]["vocab"].items()}
    for added in spec["added_tokens"]:
        by_id[added["id"]] = (added["content"], TokenType.CONTROL if added["special"] else TokenType.USER_DEFINED)
    assert sorted(by_id) == list(range(len(by_id))), name
    tokens = [by_id[i][0] for i in range(len(by_id))]
    types = [by_id[i][1] for i in range(len(by_id))]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    return tokens, types, merges, config


def special(config, key):
    value = config.get(key)
    return value["content"] if isinstance(value, dict) else value


def add_bpe_tokenizer(w, name, pre, add_bos):
    tokens, types, merges, config = read_tokenizer(name)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index(special(config, "bos_token")))
    w.add_eos_token_id(tokens.index(special(config, "eos_token")))
    if special(config, "pad_token"):
        w.add_pad_token_id(tokens.index(special(config, "pad_token")))
    w.add_add_bos_token(add_bos)
    w.add_chat_template(config["chat_template"])
    return len(tokens)


def add_llama_keys(w, vocab, hidden=256, layers=1, heads=4, kv_heads=2, ffn=256):
    w.add_context_length(128)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(50000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(hidden // heads)
    w.add_vocab_size(vocab)


def make_tokenizer_bpe():
    w = GGUFWriter(os.path.join(OUT, "tokenizer-bpe.gguf"), "llama")
    vocab = add_bpe_tokenizer(w, "llama3_split", "llama-bpe", add_bos=True)
    add_llama_keys(w, vocab)
    finish(w)


def make_tokenizer_spm():
    tokens, types, _, config = read_tokenizer("llama2_spm")
    for i, t in enumerate(tokens):
        if t.startswith("<0x") and len(t) == 6:
            types[i] = TokenType.BYTE
    scores = [0.0 if ty != TokenType.NORMAL else -float(i) for i, ty in enumerate(types)]
    w = GGUFWriter(os.path.join(OUT, "tokenizer-spm.gguf"), "llama")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_chat_template(config["chat_template"])
    add_llama_keys(w, len(tokens))
    finish(w)


def make_tokenizer_gemma():
    """A Gemma-3-style "llama" vocabulary (tokenizer-gemma.gguf) from the gemma_spm fixture, written
    as Gemma's GGUF files are: runs of "▁" spelled with spaces, newline runs, space runs and
    [multimodal] typed USER_DEFINED, <0x..> tokens BYTE, no merges, and scores that do not follow
    the merge order (transformers rebuilds Gemma's merges from the token order instead)."""
    tokens, types, _, config = read_tokenizer("gemma_spm")
    rng = np.random.default_rng(3)  # own stream: the fixtures after this one keep their bytes
    for i, t in enumerate(tokens):
        if t.startswith("<0x") and len(t) == 6:
            types[i] = TokenType.BYTE
        elif t and set(t) == {"\u2581"} and len(t) > 1:
            tokens[i] = " " * len(t)
            types[i] = TokenType.USER_DEFINED
        elif t and set(t) == {"\n"}:
            types[i] = TokenType.USER_DEFINED
    scores = [float(x) for x in rng.permutation(len(tokens))]
    w = GGUFWriter(os.path.join(OUT, "tokenizer-gemma.gguf"), "gemma3")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(tokens.index("<bos>"))
    w.add_eos_token_id(tokens.index("<eos>"))
    w.add_unk_token_id(tokens.index("<unk>"))
    w.add_pad_token_id(tokens.index("<pad>"))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_context_length(128)
    w.add_embedding_length(64)
    w.add_block_count(2)
    w.add_feed_forward_length(128)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_key_length(32)
    w.add_value_length(32)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(1000000.0)
    w.add_sliding_window(16)
    finish(w)


# MARK: - tiny-llama.gguf

def permute(weights, n_head, n_head_kv=None):
    """convert_hf_to_gguf.py's LlamaModel.permute (HF rotary order → GGML's interleaved order)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def make_tiny_llama():
    path = os.path.join(OUT, "tiny-llama.gguf")
    w = GGUFWriter(path, "llama")
    w.add_name("tiny-llama")
    vocab = add_bpe_tokenizer(w, "gpt2_bytelevel", "smollm", add_bos=False)
    hidden, heads, kv_heads, ffn = 256, 4, 2, 256
    add_llama_keys(w, vocab, hidden=hidden, heads=heads, kv_heads=kv_heads, ffn=ffn)
    head = hidden // heads

    def normal(*shape, scale=0.05):
        return (RNG.standard_normal(shape) * scale).astype(np.float32)

    add(w, "token_embd.weight", normal(vocab, hidden), Q.Q8_0)
    add(w, "blk.0.attn_norm.weight", 1 + normal(hidden, scale=0.1), Q.F32)
    # Q4_K / Q6_K blocks are random bytes: permuting them is meaningless, so they are written as is
    # (the loader's un-permutation still applies; transformers does the same).
    add(w, "blk.0.attn_q.weight", normal(hidden, hidden), Q.Q4_K)
    add(w, "blk.0.attn_k.weight", normal(kv_heads * head, hidden), Q.Q6_K)
    add(w, "blk.0.attn_v.weight", normal(kv_heads * head, hidden), Q.Q4_1)
    add(w, "blk.0.attn_output.weight", normal(hidden, hidden), Q.BF16)
    add(w, "blk.0.ffn_norm.weight", 1 + normal(hidden, scale=0.1), Q.F32)
    add(w, "blk.0.ffn_gate.weight", normal(ffn, hidden), Q.F16)
    add(w, "blk.0.ffn_up.weight", normal(ffn, hidden), Q.Q4_K)
    add(w, "blk.0.ffn_down.weight", normal(hidden, ffn), Q.Q6_K)
    add(w, "output_norm.weight", 1 + normal(hidden, scale=0.1), Q.F32)
    add(w, "output.weight", normal(vocab, hidden), Q.Q4_0)
    finish(w)

    model = AutoModelForCausalLM.from_pretrained(OUT, gguf_file="tiny-llama.gguf").double().eval()
    sequences = [[1, 5, 17, 300, 42, 9, 650, 2], [100, 200, 300, 400, 500, 600, 701, 700, 3, 4, 5]]
    golden = {}
    with torch.no_grad():
        for i, seq in enumerate(sequences):
            golden[f"logits.{i}"] = model(torch.tensor([seq])).logits[0].numpy().astype(np.float64)
    save_file(golden, os.path.join(OUT, "tiny-llama.golden.safetensors"))
    with open(os.path.join(OUT, "tiny-llama.json"), "w") as f:
        json.dump({"sequences": sequences, "config": model.config.to_diff_dict()}, f, indent=1, default=str)

    # A hand-permuted projection, for the un-permutation test: row r of the GGUF tensor holds
    # HF row `permute`'s source of r.
    rows = np.arange(hidden, dtype=np.float32)[:, None].repeat(2, axis=1)
    golden_perm = {"q.hf": rows, "q.gguf": permute(rows, heads, heads),
                   "k.hf": rows[: kv_heads * head], "k.gguf": permute(rows[: kv_heads * head], heads, kv_heads)}
    save_file({k: np.ascontiguousarray(v) for k, v in golden_perm.items()}, os.path.join(OUT, "permute.safetensors"))


# MARK: - tokenizer goldens

TEXTS = [
    "", "Hello world", "Hello, world! How are you?", " leading space", "   three leading spaces",
    "trailing  ", "line\nbreaks\n\n and\ttabs", "numbers 1234567 and 3.14159", "café naïve über 東京 🙂",
    "<|im_start|>user\nHi<|im_end|>\n", "don't won't I'll we've", "<s> a</s>b <unk>", "<tool> x<mask>",
    "<|begin_of_text|>x<|eot_id|>", "emoji 🤗🤗 and \u00a0nbsp", "CAPS and MiXeD 'S 'Ll",
    "a  b   c    d", "\n\n\nthree newlines\n", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    "東京は日本の首都です。 مرحبا нормально", "def f(x):\n    return x  # two spaces\n\n", "[multimodal] <bos>x<eos>",
]


def tokenizer_golden(file):
    tok = AutoTokenizer.from_pretrained(OUT, gguf_file=file)
    cases = []
    for text in TEXTS:
        ids = tok.encode(text, add_special_tokens=False)
        cases.append({
            "text": text, "ids": ids, "ids_with_special": tok.encode(text, add_special_tokens=True),
            "decoded": tok.decode(ids), "decoded_skip": tok.decode(ids, skip_special_tokens=True),
        })
    return {"cases": cases, "bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token,
            "unk_token": tok.unk_token, "vocab_size": len(tok), "chat_template": tok.chat_template}


def main():
    os.makedirs(OUT, exist_ok=True)
    make_dequant()
    make_tokenizer_bpe()
    make_tokenizer_spm()
    make_tokenizer_gemma()
    make_tiny_llama()
    golden = {f: tokenizer_golden(f)
              for f in ("tiny-llama.gguf", "tokenizer-bpe.gguf", "tokenizer-spm.gguf", "tokenizer-gemma.gguf")}
    with open(os.path.join(OUT, "tokenizers.golden.json"), "w") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}")


if __name__ == "__main__":
    main()
