#!/usr/bin/env python3
"""Checks DICEKit's GGUF path on Gemma-3-270M (base, Q4_K_M) against transformers (not part of `make test`).

Called by Scripts/gemma3.sh --check. transformers loading the same GGUF
(`from_pretrained(dir, gguf_file=…)`) is the oracle:

  1. its tokenizer's ids of all 805 AlpacaEval instructions (no special tokens) and of the 5 prompts
     (with <bos>, as `encode` adds it); when --converted is given, the tokenizer transformers builds
     from the directory `dice convert` wrote must give the same ids;
  2. the logits of the 5 prompts, from the GGUF-loaded model in float64 (the Swift side must be
     within 1e-4 relative: |Δ| / max(|reference|, 1));
  3. 32-token greedy continuations of the 5 prompts (fp32 `generate`, EOS banned until 32 tokens);
  4. with --converted, the model transformers loads from that directory against the GGUF-loaded one
     (max relative logit error).

Goldens go to OUT (tokenizer.golden.json, logits.golden.safetensors, greedy.golden.json) for
Tests/DICEKitTests/GGUF/Gemma3Tests.swift, run with DICEKIT_GEMMA3_DIR=the folder holding OUT as
`check`.

Usage: check_gemma3.py --gguf FILE.gguf --alpaca outputs.json --out OUT [--converted DIR]
Prints one JSON object with the measurements.
"""
import argparse
import json
import os
import time

import torch
from safetensors.numpy import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "The three primary colors are",
    "def fibonacci(n):",
    "Water boils at a temperature of",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--alpaca", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--converted")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    folder, name = os.path.split(os.path.abspath(args.gguf))
    report = {}

    with open(args.alpaca) as f:
        instructions = [row["instruction"] for row in json.load(f)]

    started = time.time()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    report["tokenizer_load_seconds"] = round(time.time() - started, 1)
    ids = [tok.encode(text, add_special_tokens=False) for text in instructions]
    prompt_ids = [tok.encode(p) for p in PROMPTS]
    with open(os.path.join(args.out, "tokenizer.golden.json"), "w") as f:
        json.dump({"instructions": instructions, "ids": ids, "prompts": PROMPTS, "prompt_ids": prompt_ids}, f,
                  ensure_ascii=False)
    report["instructions"] = len(instructions)
    report["instruction_tokens"] = sum(map(len, ids))
    if args.converted:
        conv_tok = AutoTokenizer.from_pretrained(args.converted)
        report["converted_tokenizer_mismatches"] = sum(
            conv_tok.encode(text, add_special_tokens=False) != want for text, want in zip(instructions, ids))

    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    report["model_type"] = model.config.model_type
    with torch.no_grad():
        greedy = []
        for seq in prompt_ids:
            out = model.generate(torch.tensor([seq]), max_new_tokens=32, min_new_tokens=32, do_sample=False,
                                 pad_token_id=tok.pad_token_id)
            greedy.append(out[0, len(seq):].tolist())
        if args.converted:
            conv_model = AutoModelForCausalLM.from_pretrained(args.converted, dtype=torch.float32).eval()
            worst = 0.0
            for seq in prompt_ids:
                reference = model(torch.tensor([seq])).logits[0]
                converted = conv_model(torch.tensor([seq])).logits[0]
                worst = max(worst, ((converted - reference).abs() / reference.abs().clamp(min=1)).max().item())
            report["converted_vs_gguf_logits_max_rel_error"] = worst
        # The Swift goldens: the same fp32 weights, evaluated in float64.
        model = model.double()
        logits = {f"logits.{i}": model(torch.tensor([seq])).logits[0].numpy() for i, seq in enumerate(prompt_ids)}
    save_file(logits, os.path.join(args.out, "logits.golden.safetensors"))
    texts = [tok.decode(g) for g in greedy]
    with open(os.path.join(args.out, "greedy.golden.json"), "w") as f:
        json.dump({"prompt_ids": prompt_ids, "continuations": greedy, "texts": texts}, f, ensure_ascii=False, indent=1)
    report["greedy_texts"] = texts
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
