#!/usr/bin/env python3
"""PyTorch peer of `dice bench generate`: sampling throughput on the small model (DESIGN.md).

Same shape as DICEKit's benchmark: 4 prompts × 16 samples (num_return_sequences) × 64 new
tokens (min_new_tokens = max_new_tokens, so no early stop), prompt 64 random tokens, temperature
0.7, top-p 0.9, top-k off; Llama small model (V 8192, C 512, I 1536, 8 layers, 8 heads, 4 KV
heads), random init, fp32, transformers `generate` with its KV cache. Prints one JSON object with
the generated tokens per second (the best of `--repeats` timed runs after one warm-up).
"""
import argparse, json, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=8192, hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
                      num_attention_heads=8, num_key_value_heads=4, rope_theta=10000.0,
                      max_position_embeddings=2048, tie_word_embeddings=False,
                      bos_token_id=1, eos_token_id=2, pad_token_id=0)
    model = LlamaForCausalLM(cfg).float().eval()
    ids = torch.randint(3, cfg.vocab_size, (a.prompts, a.prompt))
    mask = torch.ones_like(ids)

    def run():
        out = model.generate(ids, attention_mask=mask, do_sample=True, temperature=0.7, top_p=0.9,
                             top_k=0, num_return_sequences=a.samples, min_new_tokens=a.new_tokens,
                             max_new_tokens=a.new_tokens)
        assert out.shape == (a.prompts * a.samples, a.prompt + a.new_tokens), out.shape

    with torch.no_grad():
        run()
        best = float("inf")
        for _ in range(a.repeats):
            t = time.perf_counter(); run(); best = min(best, time.perf_counter() - t)
    tokens = a.prompts * a.samples * a.new_tokens
    print(json.dumps({"peer": "transformers " + __import__("transformers").__version__ + " / torch "
                      + torch.__version__, "threads": a.threads, "tokens": tokens, "seconds": best,
                      "tokens_per_s": tokens / best}))


if __name__ == "__main__":
    main()
