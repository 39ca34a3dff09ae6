#!/usr/bin/env python3
"""Make DICEKit's generation fixtures: golden greedy continuations from transformers.

Needs torch and transformers (e.g. the venv at /tmp/venv). `make test` never runs this script:
its outputs are committed. Rerunning it rewrites the same files.

    python Scripts/make_generation_fixtures.py

For each fixture model of Scripts/make_fixtures.py (Tests/Fixtures/models/<name>) it writes
Tests/Fixtures/generation/<name>.json:

    {"model": name, "eos_token_ids": [...], "cases": [
        {"name": "greedy" | "greedy_penalty", "repetition_penalty": r, "max_new_tokens": 12,
         "prompts": [[ids]], "outputs": [[ids]], "min_margin": m}]}

`outputs[i]` is `model.generate(prompt_i, do_sample=False, max_new_tokens=12,
repetition_penalty=r)` minus the prompt, each prompt run alone (no padding), the model in
float64 with eager attention; generation stops at the model's EOS ids (generation_config.json),
which stay in the output. `min_margin` is the smallest gap between the chosen logit and the
runner-up over all steps (after the penalty): DICEKit's float32 decoding must pick the same
tokens, which is safe when the margin is far above float32 rounding (the script insists on
1e-3).
"""

import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "Tests" / "Fixtures" / "models"
OUT = ROOT / "Tests" / "Fixtures" / "generation"
NAMES = ["llama-gqa-tied", "qwen2-bias", "gpt2"]
PROMPT_LENGTHS = [4, 1, 11]
NEW_TOKENS = 12
CASES = [("greedy", 1.0), ("greedy_penalty", 1.3)]


def eos_ids(model):
    eos = model.generation_config.eos_token_id
    return eos if isinstance(eos, list) else [eos]


def generate(model, prompt, penalty):
    ids = torch.tensor([prompt])
    out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=NEW_TOKENS, repetition_penalty=penalty,
                         output_scores=True, return_dict_in_generate=True,
                         pad_token_id=eos_ids(model)[0])
    new = out.sequences[0, len(prompt):].tolist()
    margin = float("inf")
    for step, scores in enumerate(out.scores):
        top2 = torch.topk(scores[0], 2).values
        margin = min(margin, float(top2[0] - top2[1]))
    return new, margin


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(NAMES):
        model = AutoModelForCausalLM.from_pretrained(MODELS / name, attn_implementation="eager")
        model = model.double().eval()
        vocab = model.config.vocab_size
        seed = 100 + index
        while True:  # find prompts whose greedy paths have no near-ties
            g = torch.Generator().manual_seed(seed)
            prompts = [torch.randint(0, vocab, (n,), generator=g).tolist() for n in PROMPT_LENGTHS]
            cases = []
            with torch.no_grad():
                for case, penalty in CASES:
                    results = [generate(model, p, penalty) for p in prompts]
                    cases.append({"name": case, "repetition_penalty": penalty, "max_new_tokens": NEW_TOKENS,
                                  "prompts": prompts, "outputs": [r[0] for r in results],
                                  "min_margin": min(r[1] for r in results)})
            if min(c["min_margin"] for c in cases) > 1e-3:
                break
            seed += 1000
        doc = {"model": name, "eos_token_ids": eos_ids(model), "cases": cases}
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(name, "seed", seed, [c["outputs"] for c in cases])


if __name__ == "__main__":
    main()
