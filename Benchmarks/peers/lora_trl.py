#!/usr/bin/env python3
"""Peer of `dice bench lora`: TRL's DPOTrainer with a PEFT LoRA adapter on SmolLM2-135M-Instruct
(the same directory DICEKit loads), fp32, in one process.

AutoModelForCausalLM (fp32, eager attention) wrapped by TRL with `peft_config=LoraConfig(r=16,
lora_alpha=16, lora_dropout=0, target_modules q,k,v,o,gate,up,down)`; the batch of batch.json
(8 pairs, prompt 64 + chosen 128 / rejected 128 token ids) given already tokenized
(`_prepare_dataset` bypassed, so TRL sees exactly DICEKit's ids). Reference:
`precompute_ref_log_probs=True` — TRL scores the batch with the adapters disabled before training
and keeps no second model, as DICEKit does. Sigmoid loss β 0.1, AdamW (torch, lr 5e-5, constant,
no weight decay), max_grad_norm 1.0, batch 8, one warm-up step then `--repeats` timed steps (a
callback times each optimizer step); reports the best and the median step.

Prints one JSON object; peak_rss_mib is this process's VmHWM (model loading included).
"""
import argparse, json, statistics, time


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", required=True, help="batch.json written by `dice bench lora`")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", default="/tmp/lora-trl", help="TRL's output_dir (nothing is saved)")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    batch = json.load(open(a.batch))
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    import peft, trl
    from trl import DPOConfig, DPOTrainer

    class Pretokenized(DPOTrainer):
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
    lora = LoraConfig(r=a.rank, lora_alpha=a.rank, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    config = DPOConfig(
        output_dir=a.work, per_device_train_batch_size=n, gradient_accumulation_steps=1,
        max_steps=1 + a.repeats, learning_rate=5e-5, lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.0, optim="adamw_torch", max_grad_norm=1.0, beta=0.1, loss_type=["sigmoid"],
        precompute_ref_log_probs=True, max_length=None, logging_steps=1, save_strategy="no",
        report_to=[], use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0,
        remove_unused_columns=False, seed=0, disable_tqdm=True, gradient_checkpointing=False)
    timer = Timer()
    trainer = Pretokenized(model=model, args=config, train_dataset=data, processing_class=tokenizer,
                           callbacks=[timer], peft_config=lora)
    trainer.train()
    first = next((h for h in trainer.state.log_history if "loss" in h), {})
    tokens = sum(2 * len(p) + len(c) + len(r) for p, c, r in zip(batch["prompt"], batch["chosen"], batch["rejected"]))
    timed = timer.times[1:] if len(timer.times) > 1 else timer.times
    median = statistics.median(timed)
    print(json.dumps({
        "peer": f"trl {trl.__version__} / peft {peft.__version__} / transformers {__import__('transformers').__version__} / torch {torch.__version__}",
        "threads": a.threads, "pairs": n, "seconds": median, "best_seconds": min(timed), "pairs_per_s": n / median,
        "tokens_per_s": tokens / median, "first_loss": first.get("loss"), "first_grad_norm": first.get("grad_norm"),
        "peak_rss_mib": peak_rss_mib()}))


if __name__ == "__main__":
    main()
