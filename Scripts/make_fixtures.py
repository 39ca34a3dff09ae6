#!/usr/bin/env python3
"""Make DICEKit's format and model fixtures (Tests/Fixtures/), deterministically.

Needs torch, transformers and safetensors (e.g. the venv at /tmp/venv). `make test` never runs
this script: its outputs are committed. Rerunning it rewrites the same files.

    python Scripts/make_fixtures.py                  # (re)write Tests/Fixtures/{models,dtypes}
    python Scripts/make_fixtures.py --check-dicekit-dir OUT --reference Tests/Fixtures/models/gpt2
        # load a directory written by DICEKit with AutoModelForCausalLM.from_pretrained and
        # compare its logits with the reference directory's on the golden batch

What it writes
--------------
Tests/Fixtures/models/<name>/   a tiny random Hugging Face model, saved with save_pretrained
                                (safetensors, float32), plus
    golden.safetensors          float64 tensors computed with model.double() (eager attention):
        logits.<i>   [T_i, V]   logits of the concatenated sequence i = prompt_i + response_i,
                                run alone (no padding)
        logprob      [3]        Σ over response tokens t of log_softmax(logits[t-1])[ids[t]]
                                (prompt masked: the first response token is predicted from the
                                last prompt position)
        grad.<name>  shape of the parameter: ∂L/∂θ for L = Σ_i w_i · logprob_i, for every
                                parameter, under its Hugging Face name (tied weights appear once,
                                under the embedding's name, holding both contributions)
    golden.json                 {"prompts": [[ids]], "responses": [[ids]], "weights": w}
Tests/Fixtures/dtypes/
    dtypes.safetensors          the same values as F32 ("f32"), F16 ("f16") and BF16 ("bf16"),
                                converted by torch (round to nearest even), and the exact float64
                                values of the F16 / BF16 encodings ("f16_expected",
                                "bf16_expected")
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures"

PROMPT_LENGTHS = [5, 1, 9]
RESPONSE_LENGTHS = [7, 4, 1]
WEIGHTS = [1.0, -0.5, 0.25]
VOCAB = 96


# MARK: - Models

def llama_gqa_tied():
    from transformers import LlamaConfig, LlamaForCausalLM
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0, rms_norm_eps=1e-6,
        tie_word_embeddings=True, max_position_embeddings=128, bos_token_id=1, eos_token_id=2,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config), None


def qwen2_bias():
    from transformers import Qwen2Config, Qwen2ForCausalLM
    config = Qwen2Config(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=1, rope_theta=1e6, rms_norm_eps=1e-6,
        tie_word_embeddings=False, max_position_embeddings=128, bos_token_id=1, eos_token_id=[2, 3],
        attn_implementation="eager",
    )
    # ≈ 77 kB of float32 weights: 40 kB shards give two shards and an index.
    return Qwen2ForCausalLM(config), "40KB"


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    config = GPT2Config(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
        activation_function="gelu_new", bos_token_id=0, eos_token_id=0,
        attn_implementation="eager",
    )
    return GPT2LMHeadModel(config), None


MODELS = {"llama-gqa-tied": llama_gqa_tied, "qwen2-bias": qwen2_bias, "gpt2": gpt2}


def randomise(model, seed):
    """Every parameter random, norms and biases included, so that bugs show."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=torch.float64)
            is_norm = ("norm" in name) or (".ln_" in name) or name.startswith("transformer.ln_f")
            if is_norm and name.endswith(".weight"):
                value = 1.0 + 0.1 * noise
            elif name.endswith(".bias"):
                value = 0.1 * noise
            else:
                value = 0.2 * noise
            p.copy_(value.to(p.dtype))


def golden_batch(seed):
    g = torch.Generator().manual_seed(seed)
    prompts = [torch.randint(0, VOCAB, (n,), generator=g).tolist() for n in PROMPT_LENGTHS]
    responses = [torch.randint(0, VOCAB, (n,), generator=g).tolist() for n in RESPONSE_LENGTHS]
    return prompts, responses


def sequence_logprob(logits, ids, prompt_length):
    """Σ_{t ≥ prompt_length} log_softmax(logits[t-1])[ids[t]]."""
    logp = torch.log_softmax(logits, dim=-1)
    targets = torch.tensor(ids[prompt_length:])
    return logp[prompt_length - 1:len(ids) - 1].gather(1, targets[:, None]).sum()


def compute_golden(model, prompts, responses):
    """Logits, log-probs and gradients in float64 (a float64 copy of the saved float32 weights)."""
    model = model.double()
    model.eval()
    model.zero_grad(set_to_none=True)
    out = {}
    logprobs = []
    for i, (p, r) in enumerate(zip(prompts, responses)):
        ids = p + r
        logits = model(torch.tensor([ids])).logits[0]
        out[f"logits.{i}"] = logits.detach().clone()
        logprobs.append(sequence_logprob(logits, ids, len(p)))
    logprob = torch.stack(logprobs)
    loss = (torch.tensor(WEIGHTS, dtype=torch.float64) * logprob).sum()
    loss.backward()
    out["logprob"] = logprob.detach().clone()
    for name, p in model.named_parameters():
        out[f"grad.{name}"] = p.grad.detach().clone()
    return out


def make_models():
    from safetensors.torch import save_file
    root = FIXTURES / "models"
    for index, (name, build) in enumerate(MODELS.items()):
        torch.manual_seed(1000 + index)
        model, shard_size = build()
        randomise(model, seed=2000 + index)
        model = model.float()
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        kwargs = {"max_shard_size": shard_size} if shard_size else {}
        model.save_pretrained(target, **kwargs)

        prompts, responses = golden_batch(seed=3000 + index)
        golden = compute_golden(model, prompts, responses)
        tensors = {k: v.contiguous() for k, v in golden.items()}
        save_file(tensors, str(target / "golden.safetensors"), metadata={"format": "pt"})
        with open(target / "golden.json", "w") as f:
            json.dump({"prompts": prompts, "responses": responses, "weights": WEIGHTS}, f)
            f.write("\n")
        files = sorted(os.listdir(target))
        print(f"{name}: {files}")


# MARK: - Dtypes

def make_dtypes():
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(4000)
    scales = torch.tensor([1e-9, 1e-7, 1e-5, 1e-3, 1.0, 1e2, 1e4, 7e4]).repeat_interleave(8)
    values = (torch.randn(64, generator=g, dtype=torch.float64) * scales).float()
    specials = torch.tensor([
        0.0, -0.0, float("inf"), float("-inf"), 65504.0, 65519.0, 65520.0, -65520.0,
        5.960464477539063e-08, 2.9802322387695312e-08, 2.98023259e-08, 6.103515625e-05,
        1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8,
        3.3895313892515355e38, 3.4028234663852886e38, -1.1754943508222875e-38, 1e-45,
    ], dtype=torch.float32)
    f32 = torch.cat([values, specials]).reshape(4, 21)
    f16 = f32.to(torch.float16)
    bf16 = f32.to(torch.bfloat16)
    target = FIXTURES / "dtypes"
    target.mkdir(parents=True, exist_ok=True)
    save_file({
        "f32": f32, "f16": f16, "bf16": bf16,
        "f16_expected": f16.to(torch.float64), "bf16_expected": bf16.to(torch.float64),
    }, str(target / "dtypes.safetensors"), metadata={"format": "pt"})
    print(f"dtypes: {sorted(os.listdir(target))}")


# MARK: - Checking a directory written by DICEKit

def check_dicekit_dir(directory, reference, tolerance):
    """Load `directory` (written by DICEKit) with transformers and compare its float64 logits on
    the reference's golden batch with the reference model's. Returns a process exit status."""
    from transformers import AutoModelForCausalLM
    ours = AutoModelForCausalLM.from_pretrained(directory, attn_implementation="eager").double().eval()
    ref = AutoModelForCausalLM.from_pretrained(reference, attn_implementation="eager").double().eval()
    golden_path = Path(reference) / "golden.json"
    if golden_path.exists():
        golden = json.loads(golden_path.read_text())
        sequences = [p + r for p, r in zip(golden["prompts"], golden["responses"])]
    else:
        sequences = [[1, 2, 3, 4, 5, 6, 7]]
    worst = 0.0
    with torch.no_grad():
        for ids in sequences:
            a = ours(torch.tensor([ids])).logits[0]
            b = ref(torch.tensor([ids])).logits[0]
            worst = max(worst, (a - b).abs().max().item())
    print(f"{directory} vs {reference}: max |Δlogit| = {worst:.3e} (tolerance {tolerance:g})")
    return 0 if worst <= tolerance else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-dicekit-dir", metavar="DIR",
                        help="load DIR with transformers and compare logits with --reference")
    parser.add_argument("--reference", metavar="DIR", help="reference model directory")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    if args.check_dicekit_dir:
        if not args.reference:
            parser.error("--check-dicekit-dir needs --reference")
        sys.exit(check_dicekit_dir(args.check_dicekit_dir, args.reference, args.tolerance))
    make_models()
    make_dtypes()


if __name__ == "__main__":
    main()
