#!/usr/bin/env python3
"""Make the DPO golden fixture (Tests/Fixtures/dpo/), deterministically.

Needs torch, transformers and safetensors (e.g. the venv at /tmp/venv). `make test` never runs
this script: its outputs are committed. Rerunning it rewrites the same files.

    python Scripts/make_dpo_fixtures.py

What it computes, in float64 (model.double(), eager attention), starting from the float32
weights of Tests/Fixtures/models/llama-gqa-tied:
  - the reference log-probs of PAIRS under a perturbed copy of the model (weights + 0.01·N(0, 1),
    torch seed 0): Σ over response tokens of log_softmax, prompt masked;
  - the policy's log-probs, the sigmoid DPO loss (β = 0.1), mean over the pairs, and TRL's
    metrics (rewards/chosen, rewards/rejected, rewards/margins, rewards/accuracies,
    logps/chosen, logps/rejected);
  - the gradient's global norm (grad_norm), clipping with torch.nn.utils.clip_grad_norm_ at
    MAX_GRAD_NORM (half the norm, so clipping takes effect), and one torch.optim.SGD step with
    lr 0.1; the updated weights.

Writes
  Tests/Fixtures/dpo/sgd_step.json         {"pairs": [{"prompt","chosen","rejected"}], "beta",
                                            "lr", "max_grad_norm", "reference_chosen",
                                            "reference_rejected", "loss", "metrics": {TRL names}}
  Tests/Fixtures/dpo/sgd_step.safetensors  float64 "updated.<name>" for every parameter (tied
                                            weights once, under the embedding's name)
"""
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import LlamaForCausalLM

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "Tests" / "Fixtures" / "models" / "llama-gqa-tied"
OUT = ROOT / "Tests" / "Fixtures" / "dpo"

PAIRS = [
    {"prompt": [1, 17, 33, 5], "chosen": [40, 41, 42, 2], "rejected": [50, 51, 2]},
    {"prompt": [1, 9], "chosen": [12, 2], "rejected": [13, 14, 15, 16, 2]},
    {"prompt": [1, 70, 71, 72, 73, 74], "chosen": [80, 81, 82, 83, 84, 85], "rejected": [80, 81, 90]},
    {"prompt": [1], "chosen": [3, 4, 5], "rejected": [6]},
]
BETA = 0.1
LR = 0.1


def logps(model, pairs, key):
    out = []
    for p in pairs:
        ids = torch.tensor([p["prompt"] + p[key]])
        logits = model(ids).logits[0, :-1]
        lp = torch.log_softmax(logits, -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
        out.append(lp[len(p["prompt"]) - 1:].sum())
    return torch.stack(out)


def main():
    torch.manual_seed(0)
    policy = LlamaForCausalLM.from_pretrained(MODEL, attn_implementation="eager").double()
    reference = LlamaForCausalLM.from_pretrained(MODEL, attn_implementation="eager").double()
    with torch.no_grad():
        for p in reference.parameters():
            p.add_(0.01 * torch.randn_like(p))
        ref_c, ref_r = logps(reference, PAIRS, "chosen"), logps(reference, PAIRS, "rejected")

    pol_c, pol_r = logps(policy, PAIRS, "chosen"), logps(policy, PAIRS, "rejected")
    delta = (pol_c - ref_c) - (pol_r - ref_r)
    loss = -torch.nn.functional.logsigmoid(BETA * delta).mean()
    loss.backward()
    params = [p for p in policy.parameters()]
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in params)).item()
    max_norm = round(norm / 2, 6)
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    torch.optim.SGD(params, lr=LR).step()

    rc, rr = BETA * (pol_c - ref_c).detach(), BETA * (pol_r - ref_r).detach()
    metrics = {
        "loss": loss.item(), "rewards/chosen": rc.mean().item(), "rewards/rejected": rr.mean().item(),
        "rewards/margins": (rc - rr).mean().item(), "rewards/accuracies": (rc > rr).double().mean().item(),
        "logps/chosen": pol_c.mean().item(), "logps/rejected": pol_r.mean().item(), "grad_norm": norm,
        "learning_rate": LR,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    golden = {"pairs": PAIRS, "beta": BETA, "lr": LR, "max_grad_norm": max_norm,
              "reference_chosen": ref_c.tolist(), "reference_rejected": ref_r.tolist(),
              "loss": loss.item(), "metrics": metrics}
    (OUT / "sgd_step.json").write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    tensors = {"updated." + n: p.detach().contiguous() for n, p in policy.named_parameters()}
    save_file(tensors, str(OUT / "sgd_step.safetensors"))
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
