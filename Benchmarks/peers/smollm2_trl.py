#!/usr/bin/env python3
"""Peers of `dice bench smollm2`: TRL's DPOTrainer step and transformers' `generate` on
SmolLM2-135M-Instruct (the same converted directory DICEKit loads), one phase per process.

--phase dpo: AutoModelForCausalLM (fp32, eager attention) and TRL's DPOTrainer on the batch of
batch.json (2 pairs, prompt 64 + chosen 64 / rejected 64 token ids; the dataset is given already
tokenized: `_prepare_dataset` is bypassed so TRL sees exactly DICEKit's ids). Reference:
`precompute_ref_log_probs=True` and no `ref_model` — TRL scores the batch with the starting model
before training and keeps no second model, as DICEKit does. Sigmoid loss β 0.1, AdamW (torch,
lr 5e-7, no weight decay, constant schedule), max_grad_norm 1.0, batch 2, one warm-up step then
`--repeats` timed steps (a callback times each optimizer step); the first step's loss and grad
norm are reported.

--phase generate: transformers `generate` on the chat prompt of batch.json, 16 samples
(num_return_sequences) × 32 new tokens (min_new_tokens = max_new_tokens), temperature 0.7, top-p
0.9, top-k off, KV cache; the best of `--repeats` after a warm-up.

Prints one JSON object; peak_rss_mib is this process's VmHWM (model loading included).
"""
import argparse, json, os, time


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dpo(a, batch):
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    import trl
    from trl import DPOConfig, DPOTrainer

    class Pretokenized(DPOTrainer):
        """DPOTrainer on a dataset that already holds prompt_ids / chosen_ids / rejected_ids."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            return dataset

    class Timer(TrainerCallback):
        def __init__(self):
            self.times, self.start = [], None

        def on_step_begin(self, args, state, control, **kw):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self.start)

    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    data = Dataset.from_dict({"prompt_ids": batch["prompt"], "chosen_ids": batch["chosen"],
                              "rejected_ids": batch["rejected"]})
    n = len(batch["prompt"])
    config = DPOConfig(
        output_dir=a.work, per_device_train_batch_size=n, gradient_accumulation_steps=1,
        max_steps=1 + a.repeats, learning_rate=5e-7, lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.0, optim="adamw_torch", max_grad_norm=1.0, beta=0.1, loss_type=["sigmoid"],
        precompute_ref_log_probs=True, max_length=None, logging_steps=1, save_strategy="no",
        report_to=[], use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0,
        remove_unused_columns=False, seed=0, disable_tqdm=True)
    timer = Timer()
    trainer = Pretokenized(model=model, args=config, train_dataset=data, processing_class=tokenizer,
                           callbacks=[timer])
    trainer.train()
    first = next((h for h in trainer.state.log_history if "loss" in h), {})
    tokens = sum(2 * len(p) + len(c) + len(r) for p, c, r in zip(batch["prompt"], batch["chosen"], batch["rejected"]))
    best = min(timer.times[1:]) if len(timer.times) > 1 else timer.times[0]
    return {"peer": f"trl {trl.__version__} / transformers {__import__('transformers').__version__} / torch {torch.__version__}",
            "threads": a.threads, "pairs": n, "seconds": best, "pairs_per_s": n / best, "tokens_per_s": tokens / best,
            "first_loss": first.get("loss"), "first_grad_norm": first.get("grad_norm"), "peak_rss_mib": peak_rss_mib()}


def generate(a, batch):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    ids = torch.tensor([batch["generation_prompt"]])
    mask = torch.ones_like(ids)
    samples, new = 16, 32

    def run():
        out = model.generate(ids, attention_mask=mask, do_sample=True, temperature=0.7, top_p=0.9, top_k=0,
                             num_return_sequences=samples, min_new_tokens=new, max_new_tokens=new)
        assert out.shape == (samples, ids.shape[1] + new), out.shape

    with torch.no_grad():
        run()
        best = float("inf")
        for _ in range(a.repeats):
            t = time.perf_counter(); run(); best = min(best, time.perf_counter() - t)
    return {"peer": "transformers " + __import__("transformers").__version__ + " / torch " + torch.__version__,
            "threads": a.threads, "tokens": samples * new, "seconds": best, "tokens_per_s": samples * new / best,
            "peak_rss_mib": peak_rss_mib()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=["dpo", "generate"], required=True)
    ap.add_argument("--model", required=True, help="the converted SmolLM2 directory")
    ap.add_argument("--batch", required=True, help="batch.json written by `dice bench smollm2`")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", default="/tmp/smollm2-trl", help="TRL's output_dir (nothing is saved)")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    batch = json.load(open(a.batch))
    result = dpo(a, batch) if a.phase == "dpo" else generate(a, batch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
