#!/usr/bin/env python3
"""Reward-model fixtures: tiny random *ForSequenceClassification checkpoints (one label) saved by
transformers, with the scores transformers gives, for DICEKit's parity tests.

Writes Tests/Fixtures/reward-models/<name>/{config.json, model.safetensors} and
Tests/Fixtures/reward-models/goldens.json: {name: {"sequences": [[ids]], "scores": [float]}},
each sequence scored alone (no padding: the last token is the last non-pad token).

Also usable as a checker: `make-rm-fixtures.py --check DIR SEQUENCES.json` loads a reward model
folder DICEKit wrote with AutoModelForSequenceClassification and prints its scores as JSON.

Run with the venv of the guide (torch, transformers): /tmp/venv/bin/python Scripts/make-rm-fixtures.py
"""
import json
import os
import sys

import torch
from transformers import (AutoModelForSequenceClassification, GPT2Config, LlamaConfig, Qwen2Config)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "reward-models")


def configs():
    common = dict(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                  num_labels=1, pad_token_id=0, bos_token_id=1, eos_token_id=2)
    yield "llama", LlamaConfig(**common, tie_word_embeddings=False, rms_norm_eps=1e-6)
    yield "qwen2", Qwen2Config(**common, tie_word_embeddings=True, rms_norm_eps=1e-6)
    yield "gpt2", GPT2Config(vocab_size=64, n_embd=16, n_layer=2, n_head=4, n_positions=64, num_labels=1,
                             pad_token_id=0, bos_token_id=1, eos_token_id=2)


def scores(model, sequences):
    out = []
    with torch.no_grad():
        for ids in sequences:
            out.append(float(model(torch.tensor([ids])).logits[0, 0]))
    return out


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        model = AutoModelForSequenceClassification.from_pretrained(sys.argv[2], torch_dtype=torch.float32).eval()
        with open(sys.argv[3]) as f:
            sequences = json.load(f)
        print(json.dumps(scores(model, sequences)))
        return
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    goldens = {}
    for name, config in configs():
        model = AutoModelForSequenceClassification.from_config(config).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.2, generator=gen)
        folder = os.path.join(ROOT, name)
        model.save_pretrained(folder, safe_serialization=True)
        sequences = [[1, 5, 9, 13, 21, 7], [1, 5, 9, 13, 30, 31, 40], [1, 60], [1, 3, 3, 3, 3, 3, 3, 3, 3, 63]]
        goldens[name] = {"sequences": sequences, "scores": scores(model, sequences)}
    with open(os.path.join(ROOT, "goldens.json"), "w") as f:
        json.dump(goldens, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
