#!/usr/bin/env python3
"""Make the PEFT LoRA interop fixtures (Tests/Fixtures/lora/), deterministically.

Needs torch, transformers 5, peft 0.21 and safetensors (e.g. the venv at /tmp/venv). `make test`
never runs the default mode: its outputs are committed. Rerunning it rewrites the same files.

    python Scripts/make-peft-fixtures.py
        # (re)write Tests/Fixtures/lora/<base>/ for the bases below
    python Scripts/make-peft-fixtures.py --logits BASE_DIR ADAPTER_DIR OUT.safetensors
        # load BASE_DIR (float32) with PeftModel.from_pretrained(ADAPTER_DIR) and write the
        # logits of the base's golden batch (golden.json) as float64 logits.<i> [T_i, V] to
        # OUT.safetensors (DICEKit's test of the adapters it saves)
    python Scripts/make-peft-fixtures.py --merged-logits MODEL_DIR OUT.safetensors
        # the same logits of a plain model directory (`dice merge`'s output)
    python Scripts/make-peft-fixtures.py --scores BASE_DIR ADAPTER_DIR SEQUENCES.json
        # load BASE_DIR as AutoModelForSequenceClassification (num_labels 1, float32) with
        # PeftModel.from_pretrained(ADAPTER_DIR) (a SEQ_CLS adapter: a reward model's) and print
        # the score of each sequence of SEQUENCES.json ([[ids]], each run alone) as a JSON list

For each base (the tiny random models of Scripts/make_fixtures.py under Tests/Fixtures/models/):
    llama-gqa-tied   r 4, alpha 8, every attention and MLP projection (q,k,v,o,gate,up,down)
    qwen2-bias       r 4, alpha 6, rsLoRA (scale alpha/sqrt(r)), q,k,v,o,gate,up,down
    gpt2             r 2, alpha 4, c_attn, c_proj, c_fc (Conv1D: fan_in_fan_out)
a PEFT adapter is made with get_peft_model (LoraConfig as above, lora_dropout 0.05 stored but
inactive in eval), then every lora_A and lora_B is overwritten by seeded N(0, 0.2^2) values so
that B is nonzero and the adapter changes the logits; it is saved with save_pretrained to
    adapter_config.json, adapter_model.safetensors   (PEFT's layout and names)
and the adapted model's logits on the base's golden batch (golden.json: prompt_i + response_i,
each run alone, eval mode, float64) to
    golden.safetensors   logits.<i> [T_i, V] float64

A reward model's adapter (PEFT's sequence-classification task) is made too, in
Tests/Fixtures/lora/llama-gqa-tied-seq-cls/: llama-gqa-tied loaded as
LlamaForSequenceClassification (num_labels 1; its score head is new), LoraConfig(task_type
"SEQ_CLS", r 4, alpha 8, every projection, lora_dropout 0.05), so that PEFT adds the score head to
modules_to_save and trains it in full; every lora_A, lora_B and the score head are overwritten by
seeded N(0, 0.2^2) values; saved with save_pretrained (the head as base_model.model.score.weight),
with the scores of the golden batch (each sequence alone, float64) in
    golden.json   {"sequences": [[ids]], "scores": [float]}
"""

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"

BASES = {
    "llama-gqa-tied": dict(r=4, lora_alpha=8, use_rslora=False,
                           target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "qwen2-bias": dict(r=4, lora_alpha=6, use_rslora=True,
                       target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "gpt2": dict(r=2, lora_alpha=4, use_rslora=False, target_modules=["c_attn", "c_proj", "c_fc"]),
}


def golden_sequences(base_dir):
    golden = json.loads((Path(base_dir) / "golden.json").read_text())
    return [p + r for p, r in zip(golden["prompts"], golden["responses"])]


def logits_of(model, sequences):
    model = model.double().eval()
    out = {}
    with torch.no_grad():
        for i, seq in enumerate(sequences):
            ids = torch.tensor([seq], dtype=torch.long)
            out[f"logits.{i}"] = model(input_ids=ids).logits[0].contiguous()
    return out


def load_base(base_dir):
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager")


def make(name, settings):
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file
    base_dir = FIXTURES / "models" / name
    torch.manual_seed(1234)
    model = load_base(base_dir)
    config = LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.05, bias="none",
                        fan_in_fan_out=(name == "gpt2"), **settings)
    peft_model = get_peft_model(model, config)
    generator = torch.Generator().manual_seed(4321)
    with torch.no_grad():
        for pname, p in sorted(peft_model.named_parameters()):
            if "lora_A" in pname or "lora_B" in pname:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.2)
    out = FIXTURES / "lora" / name
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(out)
    config_path = out / "adapter_config.json"
    saved = json.loads(config_path.read_text())
    saved["base_model_name_or_path"] = f"Tests/Fixtures/models/{name}"
    saved["target_modules"] = sorted(saved["target_modules"])
    config_path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    readme = out / "README.md"
    if readme.exists():
        readme.unlink()
    save_file(logits_of(peft_model, golden_sequences(base_dir)), str(out / "golden.safetensors"))
    print(f"wrote {out}")


def load_classifier(base_dir):
    from transformers import AutoModelForSequenceClassification
    return AutoModelForSequenceClassification.from_pretrained(base_dir, num_labels=1, dtype=torch.float32,
                                                              attn_implementation="eager")


def scores_of(model, sequences):
    model = model.double().eval()
    with torch.no_grad():
        return [float(model(input_ids=torch.tensor([seq], dtype=torch.long)).logits[0, 0]) for seq in sequences]


def make_seq_cls(name="llama-gqa-tied"):
    from peft import LoraConfig, get_peft_model
    base_dir = FIXTURES / "models" / name
    torch.manual_seed(1234)
    config = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.05, bias="none",
                        target_modules=BASES[name]["target_modules"])
    peft_model = get_peft_model(load_classifier(base_dir), config)
    generator = torch.Generator().manual_seed(8765)
    with torch.no_grad():
        for pname, p in sorted(peft_model.named_parameters()):
            if "lora_A" in pname or "lora_B" in pname or "modules_to_save" in pname:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.2)
    out = FIXTURES / "lora" / f"{name}-seq-cls"
    out.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(out)
    config_path = out / "adapter_config.json"
    saved = json.loads(config_path.read_text())
    saved["base_model_name_or_path"] = f"Tests/Fixtures/models/{name}"
    saved["target_modules"] = sorted(saved["target_modules"])
    config_path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    readme = out / "README.md"
    if readme.exists():
        readme.unlink()
    sequences = golden_sequences(base_dir)
    golden = {"sequences": sequences, "scores": scores_of(peft_model, sequences)}
    (out / "golden.json").write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")


def adapter_scores(base_dir, adapter_dir, sequences_path):
    from peft import PeftModel
    model = PeftModel.from_pretrained(load_classifier(base_dir), adapter_dir)
    print(json.dumps(scores_of(model, json.loads(Path(sequences_path).read_text()))))


def adapter_logits(base_dir, adapter_dir, out_path):
    from peft import PeftModel
    from safetensors.torch import save_file
    model = PeftModel.from_pretrained(load_base(base_dir), adapter_dir)
    save_file(logits_of(model, golden_sequences(base_dir)), out_path)


def merged_logits(model_dir, golden_dir, out_path):
    from safetensors.torch import save_file
    save_file(logits_of(load_base(model_dir), golden_sequences(golden_dir)), out_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logits", nargs=3, metavar=("BASE_DIR", "ADAPTER_DIR", "OUT"))
    parser.add_argument("--merged-logits", nargs=3, metavar=("MODEL_DIR", "GOLDEN_DIR", "OUT"))
    parser.add_argument("--scores", nargs=3, metavar=("BASE_DIR", "ADAPTER_DIR", "SEQUENCES"))
    args = parser.parse_args()
    if args.logits:
        adapter_logits(*args.logits)
    elif args.merged_logits:
        merged_logits(*args.merged_logits)
    elif args.scores:
        adapter_scores(*args.scores)
    else:
        for name, settings in BASES.items():
            make(name, settings)
        make_seq_cls()
    return 0


if __name__ == "__main__":
    sys.exit(main())
