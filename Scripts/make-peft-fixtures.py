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
    args = parser.parse_args()
    if args.logits:
        adapter_logits(*args.logits)
    elif args.merged_logits:
        merged_logits(*args.merged_logits)
    else:
        for name, settings in BASES.items():
            make(name, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
