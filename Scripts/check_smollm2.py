#!/usr/bin/env python3
"""Checks DICEKit's GGUF path on SmolLM2-135M-Instruct against transformers (not part of `make test`).

Called by Scripts/smollm2.sh --check. With transformers loading the same GGUF as the reference:

  1. the tokenizer transformers builds from the converted directory (tokenizer.json written by
     `dice convert`) encodes all AlpacaEval instructions exactly as the GGUF's;
  2. the model transformers loads from the converted directory gives logits within 1e-4 of the
     GGUF-loaded model on a few chat prompts;
  3. goldens for the Swift side (Tests/DICEKitTests/GGUF/SmolLM2Tests.swift, run with
     DICEKIT_SMOLLM2_DIR=OUT): the GGUF tokenizer's ids of every instruction, the logits of the
     chat prompts (the GGUF-loaded model in float64), and 32-token greedy continuations of 5 chat
     prompts (fp32 `generate`, EOS banned until 32 tokens).

Usage: check_smollm2.py --gguf FILE.gguf --converted DIR --alpaca outputs.json --out OUT
Prints one JSON object with the measurements.
"""
import argparse
import json
import os

import numpy as np
import torch
from safetensors.numpy import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Give three tips for staying healthy.",
    "Explain what a prime number is in one sentence.",
    "Translate 'good morning' into Spanish.",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--converted", required=True)
    parser.add_argument("--alpaca", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    folder, name = os.path.split(os.path.abspath(args.gguf))

    with open(args.alpaca) as f:
        instructions = [row["instruction"] for row in json.load(f)]

    gguf_tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    conv_tok = AutoTokenizer.from_pretrained(args.converted)
    ids = [gguf_tok.encode(text, add_special_tokens=False) for text in instructions]
    conv_ids = [conv_tok.encode(text, add_special_tokens=False) for text in instructions]
    tokenizer_mismatches = sum(a != b for a, b in zip(ids, conv_ids))
    chats = [gguf_tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
             for p in PROMPTS]
    chat_ids = [gguf_tok.encode(c, add_special_tokens=False) for c in chats]
    with open(os.path.join(args.out, "tokenizer.golden.json"), "w") as f:
        json.dump({"instructions": instructions, "ids": ids, "chats": chats, "chat_ids": chat_ids}, f, ensure_ascii=False)

    gguf_model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    conv_model = AutoModelForCausalLM.from_pretrained(args.converted, dtype=torch.float32).eval()
    worst = 0.0
    with torch.no_grad():
        for seq in chat_ids:
            reference = gguf_model(torch.tensor([seq])).logits[0]
            converted = conv_model(torch.tensor([seq])).logits[0]
            worst = max(worst, ((converted - reference).abs() / reference.abs().clamp(min=1)).max().item())
        greedy = []
        for seq in chat_ids:
            out = gguf_model.generate(torch.tensor([seq]), max_new_tokens=32, do_sample=False,
                                      min_new_tokens=32, pad_token_id=gguf_tok.pad_token_id)
            greedy.append(out[0, len(seq):].tolist())
        # The Swift goldens: the same fp32 weights, evaluated in float64.
        gguf_model = gguf_model.double()
        logits = {f"logits.{i}": gguf_model(torch.tensor([seq])).logits[0].numpy() for i, seq in enumerate(chat_ids)}
    save_file(logits, os.path.join(args.out, "logits.golden.safetensors"))
    with open(os.path.join(args.out, "greedy.golden.json"), "w") as f:
        json.dump({"chat_ids": chat_ids, "continuations": greedy,
                   "texts": [gguf_tok.decode(g) for g in greedy]}, f, ensure_ascii=False, indent=1)

    print(json.dumps({
        "instructions": len(instructions),
        "converted_tokenizer_mismatches": tokenizer_mismatches,
        "instruction_tokens": sum(map(len, ids)),
        "converted_vs_gguf_logits_max_rel_error": worst,
        "prompts": len(chat_ids),
        "greedy_texts": [gguf_tok.decode(g) for g in greedy],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
