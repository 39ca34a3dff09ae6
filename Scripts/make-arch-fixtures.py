#!/usr/bin/env python3
"""Make the parity fixtures of the newer architectures (Tests/Fixtures/models/), deterministically.

Needs torch, transformers 5 and safetensors (e.g. the venv at /tmp/venv). `make test` never runs
this script: its outputs are committed. Rerunning it rewrites the same files.

    python Scripts/make-arch-fixtures.py             # (re)write the four fixtures below, and the
        # GGUFs tiny-gemma3.gguf and tiny-llama3.gguf (Llama 3 scaling as rope_freqs.weight) of
        # Tests/Fixtures/gguf with llama3-rope-factors.json
    python Scripts/make-arch-fixtures.py --check-dicekit-dir OUT --reference Tests/Fixtures/models/gemma3
        # load a directory written by DICEKit with AutoModelForCausalLM.from_pretrained (float32)
        # and print max |Δlogit| against the reference directory on its golden batch (exit 1
        # when above --tolerance, default 0)

The fixtures (tiny random models, every parameter random, saved by save_pretrained in float32):
    llama3-scaled    Llama with rope_scaling llama3 (factor 8, low 1, high 4, original 32) and an
                     explicit head_dim (16 ≠ hidden / heads): the frequencies fall in all three
                     bands of the scaling
    mistral-window   Mistral with sliding_window 4, shorter than the golden sequences
    qwen3            Qwen3: per-head q/k RMSNorm, head_dim 16 decoupled from hidden / heads
    gemma3           Gemma 3 text, 3 layers (sliding, full, sliding), window 4, global RoPE
                     linearly scaled (factor 2), query_pre_attn_scalar 24 ≠ head_dim, tied,
                     pad_token_id None (transformers' nn.Embedding(padding_idx) gives the pad
                     row no gradient from lookups; DICEKit treats every row alike, so with
                     Gemma's default pad 0 the golden batch's token 0 would differ)

Each directory gets, as Scripts/make_fixtures.py writes for the older ones,
    golden.safetensors  float64 (model.double(), eager attention): logits.<i> [T_i, V] of
                        prompt_i + response_i run alone, logprob [3] (response tokens' log-probs
                        summed), grad.<name> for L = Σ_i w_i · logprob_i
    golden.json         {"prompts", "responses", "weights"}
and
    greedy.json         {"prompt": ids, "tokens": 24 ids}: transformers' greedy continuation
                        (generate, do_sample=False, float32 weights, no eos stop)

Tests/Fixtures/gguf/tiny-gemma3.gguf is the gemma3 fixture's weights (F32) written as llama.cpp's
convert_hf_to_gguf.py writes a Gemma 3: `gemma3.*` metadata (window 4, head_dim 16, global RoPE
base 1e6 with linear scaling 2), llama.cpp tensor names, and every norm weight stored + 1. GGUF
keeps no layer types, local RoPE base or query_pre_attn_scalar (llama.cpp fixes them: every sixth
layer global, 10000, head_dim), so its 3 layers are all local.
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
GREEDY_PROMPT = [3, 17, 42, 8, 61]
GREEDY_TOKENS = 24


# MARK: - Models

def llama3_scaled():
    from transformers import LlamaConfig, LlamaForCausalLM
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 32},
        tie_word_embeddings=False, max_position_embeddings=128, bos_token_id=1, eos_token_id=2,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config)


def mistral_window():
    from transformers import MistralConfig, MistralForCausalLM
    config = MistralConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rope_theta=10000.0, rms_norm_eps=1e-6,
        sliding_window=4, tie_word_embeddings=False, max_position_embeddings=128,
        bos_token_id=1, eos_token_id=2, attn_implementation="eager",
    )
    return MistralForCausalLM(config)


def qwen3():
    from transformers import Qwen3Config, Qwen3ForCausalLM
    config = Qwen3Config(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, rope_theta=1e6, rms_norm_eps=1e-6,
        tie_word_embeddings=True, max_position_embeddings=128, bos_token_id=1, eos_token_id=2,
        attn_implementation="eager",
    )
    return Qwen3ForCausalLM(config)


def gemma3():
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig
    config = Gemma3TextConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6,
        sliding_window=4, layer_types=["sliding_attention", "full_attention", "sliding_attention"],
        rope_parameters={"full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1e6},
                         "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
        query_pre_attn_scalar=24, tie_word_embeddings=True, max_position_embeddings=128,
        bos_token_id=1, eos_token_id=2, pad_token_id=None, attn_implementation="eager",
    )
    return Gemma3ForCausalLM(config)


MODELS = {"llama3-scaled": llama3_scaled, "mistral-window": mistral_window, "qwen3": qwen3, "gemma3": gemma3}


def randomise(model, seed):
    """Every parameter random, norms included, so that bugs show. Gemma's norms scale by
    1 + weight, so theirs are drawn around 0."""
    g = torch.Generator().manual_seed(seed)
    gemma = model.config.model_type.startswith("gemma")
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if "norm" in name and name.endswith(".weight"):
                value = (0.0 if gemma else 1.0) + 0.1 * noise
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


def greedy(directory):
    """transformers' greedy continuation of GREEDY_PROMPT, from the saved float32 weights."""
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(directory, attn_implementation="eager").float().eval()
    with torch.no_grad():
        out = model.generate(torch.tensor([GREEDY_PROMPT]), do_sample=False, max_new_tokens=GREEDY_TOKENS,
                             min_new_tokens=GREEDY_TOKENS, eos_token_id=None, pad_token_id=0)
    return out[0, len(GREEDY_PROMPT):].tolist()


def make_models():
    from safetensors.torch import save_file
    root = FIXTURES / "models"
    for index, (name, build) in enumerate(MODELS.items()):
        torch.manual_seed(5000 + index)
        model = build()
        randomise(model, seed=6000 + index)
        model = model.float()
        target = root / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        model.save_pretrained(target)

        prompts, responses = golden_batch(seed=7000 + index)
        golden = compute_golden(model, prompts, responses)
        tensors = {k: v.contiguous() for k, v in golden.items()}
        save_file(tensors, str(target / "golden.safetensors"), metadata={"format": "pt"})
        with open(target / "golden.json", "w") as f:
            json.dump({"prompts": prompts, "responses": responses, "weights": WEIGHTS}, f)
            f.write("\n")
        with open(target / "greedy.json", "w") as f:
            json.dump({"prompt": GREEDY_PROMPT, "tokens": greedy(target)}, f)
            f.write("\n")
        print(f"{name}: {sorted(os.listdir(target))}")


# MARK: - GGUF

GEMMA3_GGUF_BLOCK = {
    "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "post_feedforward_layernorm": "post_ffw_norm",
}


def make_gemma3_gguf():
    import numpy as np
    from gguf import GGUFWriter
    from safetensors.numpy import load_file
    source = FIXTURES / "models" / "gemma3"
    config = json.loads((source / "config.json").read_text())
    weights = load_file(str(source / "model.safetensors"))
    path = FIXTURES / "gguf" / "tiny-gemma3.gguf"
    w = GGUFWriter(str(path), "gemma3")
    w.add_uint32("gemma3.context_length", config["max_position_embeddings"])
    w.add_uint32("gemma3.embedding_length", config["hidden_size"])
    w.add_uint32("gemma3.block_count", config["num_hidden_layers"])
    w.add_uint32("gemma3.feed_forward_length", config["intermediate_size"])
    w.add_uint32("gemma3.attention.head_count", config["num_attention_heads"])
    w.add_uint32("gemma3.attention.head_count_kv", config["num_key_value_heads"])
    w.add_uint32("gemma3.attention.key_length", config["head_dim"])
    w.add_uint32("gemma3.attention.value_length", config["head_dim"])
    w.add_float32("gemma3.attention.layer_norm_rms_epsilon", config["rms_norm_eps"])
    w.add_float32("gemma3.rope.freq_base", config["rope_parameters"]["full_attention"]["rope_theta"])
    w.add_string("gemma3.rope.scaling.type", "linear")
    w.add_float32("gemma3.rope.scaling.factor", config["rope_parameters"]["full_attention"]["factor"])
    w.add_uint32("gemma3.attention.sliding_window", config["sliding_window"])
    w.add_uint32("tokenizer.ggml.bos_token_id", config["bos_token_id"])
    w.add_uint32("tokenizer.ggml.eos_token_id", config["eos_token_id"])
    for name in sorted(weights):
        value = weights[name].astype(np.float32)
        if name.endswith("norm.weight"):
            value = value + np.float32(1)  # convert_hf_to_gguf.py's Gemma norm_shift
        if name == "model.embed_tokens.weight":
            gguf_name = "token_embd.weight"
        elif name == "model.norm.weight":
            gguf_name = "output_norm.weight"
        else:
            parts = name.split(".")
            module = ".".join(parts[3:-1])
            gguf_name = f"blk.{parts[2]}.{GEMMA3_GGUF_BLOCK[module]}.{parts[-1]}"
        w.add_tensor(gguf_name, value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"gguf: {path.name} ({path.stat().st_size} bytes)")


def llama_cpp_rope_factors(theta, dim, factor, low, high, original):
    """rope_freqs.weight as llama.cpp's convert_hf_to_gguf.py (LlamaModel.generate_extra_tensors)
    computes it for rope_type llama3."""
    import math
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    low_wavelen, high_wavelen = original / low, original / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return torch.tensor(factors, dtype=torch.float32)


def permute_like_llama_cpp(weights, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute of a Q or K projection."""
    rows = weights.shape[0]
    return (weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


LLAMA_GGUF_BLOCK = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
}


def make_llama3_gguf():
    """tiny-llama3.gguf: the llama3-scaled fixture as llama.cpp writes a Llama 3.1 (Q/K rows
    permuted, RoPE scaling as a rope_freqs.weight tensor, no scaling metadata), and
    llama3-rope-factors.json: rope_freqs of real Llama 3.1/3.2 settings with transformers'
    llama3 inverse frequencies for them."""
    import numpy as np
    from gguf import GGUFWriter
    from safetensors.numpy import load_file
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    source = FIXTURES / "models" / "llama3-scaled"
    config = json.loads((source / "config.json").read_text())
    rope = config["rope_parameters"]
    weights = load_file(str(source / "model.safetensors"))
    path = FIXTURES / "gguf" / "tiny-llama3.gguf"
    w = GGUFWriter(str(path), "llama")
    w.add_uint32("llama.context_length", config["max_position_embeddings"])
    w.add_uint32("llama.embedding_length", config["hidden_size"])
    w.add_uint32("llama.block_count", config["num_hidden_layers"])
    w.add_uint32("llama.feed_forward_length", config["intermediate_size"])
    w.add_uint32("llama.attention.head_count", config["num_attention_heads"])
    w.add_uint32("llama.attention.head_count_kv", config["num_key_value_heads"])
    w.add_uint32("llama.rope.dimension_count", config["head_dim"])
    w.add_float32("llama.attention.layer_norm_rms_epsilon", config["rms_norm_eps"])
    w.add_float32("llama.rope.freq_base", rope["rope_theta"])
    w.add_uint32("llama.vocab_size", config["vocab_size"])
    w.add_uint32("tokenizer.ggml.bos_token_id", config["bos_token_id"])
    w.add_uint32("tokenizer.ggml.eos_token_id", config["eos_token_id"])
    w.add_tensor("rope_freqs.weight", llama_cpp_rope_factors(
        rope["rope_theta"], config["head_dim"], rope["factor"], rope["low_freq_factor"],
        rope["high_freq_factor"], rope["original_max_position_embeddings"]).numpy())
    for name in sorted(weights):
        value = weights[name].astype(np.float32)
        if name.endswith("q_proj.weight"):
            value = permute_like_llama_cpp(value, config["num_attention_heads"])
        elif name.endswith("k_proj.weight"):
            value = permute_like_llama_cpp(value, config["num_key_value_heads"])
        if name == "model.embed_tokens.weight":
            gguf_name = "token_embd.weight"
        elif name == "model.norm.weight":
            gguf_name = "output_norm.weight"
        elif name == "lm_head.weight":
            gguf_name = "output.weight"
        else:
            parts = name.split(".")
            gguf_name = f"blk.{parts[2]}.{LLAMA_GGUF_BLOCK['.'.join(parts[3:-1])]}.{parts[-1]}"
        w.add_tensor(gguf_name, value)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"gguf: {path.name} ({path.stat().st_size} bytes)")

    cases = []
    for name, theta, dim, factor, low, high, original in [
            ("Llama-3.1-8B", 500000.0, 128, 8.0, 1.0, 4.0, 8192),
            ("Llama-3.2-1B", 500000.0, 64, 32.0, 1.0, 4.0, 8192),
            ("low 2, high 8", 10000.0, 64, 4.0, 2.0, 8.0, 4096),
            ("llama3-scaled", rope["rope_theta"], config["head_dim"], rope["factor"], rope["low_freq_factor"],
             rope["high_freq_factor"], rope["original_max_position_embeddings"])]:
        hf = LlamaConfig(hidden_size=dim * 2, num_attention_heads=2, head_dim=dim,
                         rope_parameters={"rope_type": "llama3", "rope_theta": theta, "factor": factor,
                                          "low_freq_factor": low, "high_freq_factor": high,
                                          "original_max_position_embeddings": original})
        inv_freq, _ = ROPE_INIT_FUNCTIONS["llama3"](hf, "cpu")
        cases.append({"name": name, "theta": theta, "head_dim": dim,
                      "factors": llama_cpp_rope_factors(theta, dim, factor, low, high, original).tolist(),
                      "inverse_frequencies": inv_freq.tolist()})
    out = FIXTURES / "gguf" / "llama3-rope-factors.json"
    out.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"rope factors: {out.name}")


# MARK: - Checking a directory written by DICEKit

def check_dicekit_dir(directory, reference, tolerance):
    """Load `directory` (written by DICEKit) and `reference` with transformers in float32 and
    compare their logits on the reference's golden batch. Returns a process exit status."""
    from transformers import AutoModelForCausalLM
    ours = AutoModelForCausalLM.from_pretrained(directory, attn_implementation="eager").float().eval()
    ref = AutoModelForCausalLM.from_pretrained(reference, attn_implementation="eager").float().eval()
    golden = json.loads((Path(reference) / "golden.json").read_text())
    worst = 0.0
    with torch.no_grad():
        for p, r in zip(golden["prompts"], golden["responses"]):
            ids = torch.tensor([p + r])
            worst = max(worst, (ours(ids).logits[0] - ref(ids).logits[0]).abs().max().item())
    print(f"{directory} vs {reference}: max |Δlogit| = {worst:.3e} (tolerance {tolerance:g})")
    return 0 if worst <= tolerance else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-dicekit-dir", metavar="DIR",
                        help="load DIR with transformers and compare logits with --reference")
    parser.add_argument("--reference", metavar="DIR", help="reference model directory")
    parser.add_argument("--tolerance", type=float, default=0.0)
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    if args.check_dicekit_dir:
        if not args.reference:
            parser.error("--check-dicekit-dir needs --reference")
        sys.exit(check_dicekit_dir(args.check_dicekit_dir, args.reference, args.tolerance))
    make_models()
    make_gemma3_gguf()
    make_llama3_gguf()


if __name__ == "__main__":
    main()
