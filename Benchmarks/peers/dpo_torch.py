#!/usr/bin/env python3
"""PyTorch peer of `dice bench dpo`: one DPO update on the small model (DESIGN.md).

Same shape as DICEKit's benchmark: 8 pairs, prompt 64, chosen 64, rejected 64 tokens, Llama
small model (V 8192, C 512, I 1536, 8 layers, 8 heads, 4 KV heads), fp32, eager attention,
reference log-probs precomputed. The update is TRL's: one concatenated forward of
[chosen; rejected] full sequences (prompt + response), log_softmax + gather with the prompt
masked, sigmoid loss (β 0.1), backward, clip_grad_norm_(1.0), AdamW (lr 5e-7, no weight
decay), zero_grad. With --model/--batch it loads DICEKit's initial weights and batch and reports
the first update's loss and gradient norm, for comparison. Prints one JSON object; peak memory
is this process's VmHWM.

With --serve, the timed updates run on request, so that `dice bench dpo` can alternate them with
its own in the same minutes: after the first (untimed) update the script prints one JSON line
with that update's loss and gradient norm, then answers each "step" line on stdin with one
JSON line {"seconds": …}, and "end" (or end of input) with the summary object.

With --autocast bf16 the forward (and so the backward's matmuls) runs under
torch.autocast("cpu", dtype=torch.bfloat16): bf16 matmul inputs, fp32 weights, gradients and
AdamW state (PyTorch's mixed precision, the peer of `dice bench dpo --dtype bf16`).
"""
import contextlib
import argparse, json, sys, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model", help="a Hugging Face folder with the initial weights")
    ap.add_argument("--batch", help="batch.json: prompt, chosen, rejected ids and reference log-probs")
    ap.add_argument("--serve", action="store_true", help="time one update per 'step' line on stdin")
    ap.add_argument("--autocast", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the forward under torch.autocast('cpu', dtype=torch.bfloat16)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model:
        model = LlamaForCausalLM.from_pretrained(a.model, attn_implementation="eager").float()
    else:
        cfg = LlamaConfig(vocab_size=8192, hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
                          num_attention_heads=8, num_key_value_heads=4, rope_theta=10000.0,
                          max_position_embeddings=2048, tie_word_embeddings=False, attn_implementation="eager")
        model = LlamaForCausalLM(cfg).float()
    if a.batch:
        b = json.load(open(a.batch))
    else:
        r = lambda n: torch.randint(0, 8192, (8, n)).tolist()
        b = {"prompt": r(64), "chosen": r(64), "rejected": r(64),
             "reference_chosen": [-600.0] * 8, "reference_rejected": [-600.0] * 8}
    n, p = len(b["prompt"]), len(b["prompt"][0])
    chosen = torch.tensor([x + y for x, y in zip(b["prompt"], b["chosen"])])
    rejected = torch.tensor([x + y for x, y in zip(b["prompt"], b["rejected"])])
    ids = torch.cat([chosen, rejected])  # TRL: one concatenated forward, [chosen; rejected]
    mask = torch.zeros(ids.shape[0], ids.shape[1] - 1)
    mask[:, p - 1:] = 1
    ref_c, ref_r = torch.tensor(b["reference_chosen"]), torch.tensor(b["reference_rejected"])
    beta = 0.1
    opt = torch.optim.AdamW(model.parameters(), lr=5e-7, weight_decay=0.0)

    def autocast():
        if a.autocast == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step():
        with autocast():
            logits = model(ids).logits[:, :-1]
        lp = torch.log_softmax(logits.float(), -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        logps = (lp * mask).sum(-1)
        pc, pr = logps[:n], logps[n:]
        loss = -torch.nn.functional.logsigmoid(beta * ((pc - ref_c) - (pr - ref_r))).mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        return loss.item(), norm.item()

    def timed():
        t = time.perf_counter(); step(); return time.perf_counter() - t

    first_loss, first_norm = step()
    times = []
    if a.serve:
        print(json.dumps({"first_loss": first_loss, "first_grad_norm": first_norm}), flush=True)
        while sys.stdin.readline().strip() == "step":
            times.append(timed())
            print(json.dumps({"seconds": times[-1]}), flush=True)
    else:
        times = [timed() for _ in range(a.repeats)]
    best = min(times, default=float("nan"))
    tokens = 2 * n * ids.shape[1]
    print(json.dumps({"peer": "pytorch " + torch.__version__, "autocast": a.autocast, "threads": a.threads, "pairs": n,
                      "pairs_per_s": n / best, "tokens_per_s": tokens / best, "peak_rss_mib": peak_rss_mib(),
                      "first_loss": first_loss, "first_grad_norm": first_norm, "timed_updates": len(times)}),
          flush=True)


if __name__ == "__main__":
    main()
