#!/usr/bin/env python3
"""PyTorch peer of `dice bench logprobs`: sequence log-probs on the small model (DESIGN.md).

Same shape as DICEKit's benchmark: 16 sequences (8 DPO pairs × chosen/rejected), prompt 64 and
response 64 tokens each, Llama small model (V 8192, C 512, I 1536, 8 layers, 8 heads, 4 KV
heads), or with --shape gemma3 a Gemma-3-270M-like model (Gemma3ForCausalLM: V 8192, C 640,
I 2048, 6 layers (5 local with window 64, 1 global), 4 heads over 1 KV head of size 256, tied),
fp32, eager attention. Log-probs are computed the way TRL does (full logits, log_softmax,
gather, prompt masked). Prints one JSON object.
"""
import argparse, json, time

import torch
from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM


def build(shape):
    if shape == "gemma3":
        cfg = Gemma3TextConfig(vocab_size=8192, hidden_size=640, intermediate_size=2048, num_hidden_layers=6,
                               num_attention_heads=4, num_key_value_heads=1, head_dim=256, sliding_window=64,
                               query_pre_attn_scalar=256, max_position_embeddings=2048, tie_word_embeddings=True)
        return cfg, Gemma3ForCausalLM(cfg)
    cfg = LlamaConfig(vocab_size=8192, hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
                      num_attention_heads=8, num_key_value_heads=4, rope_theta=10000.0,
                      max_position_embeddings=2048, tie_word_embeddings=False)
    return cfg, LlamaForCausalLM(cfg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sequences", type=int, default=16)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--response", type=int, default=64)
    ap.add_argument("--shape", choices=["small", "gemma3"], default="small")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg, model = build(a.shape)
    model = model.float()
    model.config._attn_implementation = "eager"
    total = a.prompt + a.response
    ids = torch.randint(0, cfg.vocab_size, (a.sequences, total))
    mask = torch.zeros(a.sequences, total - 1)
    mask[:, a.prompt - 1:] = 1

    def logps():
        logits = model(ids).logits[:, :-1]
        lp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        return (lp * mask).sum(-1)

    def best(f):
        f()
        b = float("inf")
        for _ in range(a.repeats):
            t = time.perf_counter(); f(); b = min(b, time.perf_counter() - t)
        return b

    with torch.no_grad():
        fwd = best(logps)

    def fwd_bwd():
        model.zero_grad(set_to_none=False)
        logps().sum().backward()

    both = best(fwd_bwd)
    tokens = a.sequences * total
    print(json.dumps({"peer": "pytorch " + torch.__version__, "shape": a.shape, "threads": a.threads, "tokens": tokens,
                      "forward_tokens_per_s": tokens / fwd, "forward_backward_tokens_per_s": tokens / both}))


if __name__ == "__main__":
    main()
