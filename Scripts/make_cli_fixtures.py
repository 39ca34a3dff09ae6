#!/usr/bin/env python3
"""Make the fixtures of the `dice logprobs` tests (Tests/Fixtures/cli/), deterministically.

Needs torch, transformers and tokenizers (e.g. the venv at /tmp/venv); `make test` never runs
this script: its outputs are committed. Run Scripts/make_fixtures.py first (it makes the model).

What it writes
--------------
Tests/Fixtures/cli/tokenizer96/
    tokenizer.json, tokenizer_config.json   a SentencePiece-style BPE tokenizer (Metaspace
        pre-tokenizer, <unk> for characters outside its alphabet) whose 96 ids fit the fixture
        model Tests/Fixtures/models/llama-gqa-tied (vocab 96); eos_token <|im_end|>, the ChatML
        chat template.
Tests/Fixtures/cli/logprobs_golden.json
    {"rows": [{"prompt": str, "response": str}],
     "cases": [{"name": str, "arguments": [str],          # extra `dice logprobs` arguments
                "prompt_ids": [[int]], "response_ids": [[int]],
                "logprob": [float]}]}                     # float64, per row
    Each case renders the prompt with transformers' apply_chat_template (one user message,
    add_generation_prompt=True; "none" uses the prompt itself), encodes prompt and response
    with add_special_tokens=False, appends eos_token_id to the response for --append-eos, and
    sums log_softmax over the response tokens of llama-gqa-tied run in float64.
"""

import json
import shutil
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "cli"
MODEL = ROOT / "Tests" / "Fixtures" / "models" / "llama-gqa-tied"

CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
)

CORPUS = [
    "the cat sat on the mat and the dog sat on the log",
    "a small model learns to write short and helpful answers",
    "which answer is better? the short one or the long one?",
    "rank the answers, then train on the pairs again",
    "<|user|>\n<|assistant|>\n<|system|>\nline one\nline two",
] * 4

ROWS = [
    {"prompt": "which answer is better?", "response": "the short one"},
    {"prompt": "the cat sat", "response": "on the mat and the dog sat on the log"},
    {"prompt": "rank the answers", "response": "then train on the pairs"},
    {"prompt": "naïve café?", "response": "unknown letters: é ï"},
    {"prompt": "a", "response": ""},
]


def make_tokenizer():
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(vocab_size=96, special_tokens=["<unk>", "<s>", "<|im_start|>", "<|im_end|>"],
                                  show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    assert tokenizer.get_vocab_size() <= 96, tokenizer.get_vocab_size()
    target = OUT / "tokenizer96"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    tokenizer.save(str(target / "tokenizer.json"))
    config = {"bos_token": "<s>", "eos_token": "<|im_end|>", "unk_token": "<unk>", "chat_template": CHATML_TEMPLATE}
    (target / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return target


def logprob(model, prompt_ids, response_ids):
    ids = prompt_ids + response_ids
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    logp = torch.log_softmax(logits, dim=-1)
    targets = torch.tensor(response_ids, dtype=torch.long)
    return logp[len(prompt_ids) - 1:len(ids) - 1].gather(1, targets[:, None]).sum().item()


def main():
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
    torch.use_deterministic_algorithms(True)
    directory = make_tokenizer()
    tok = PreTrainedTokenizerFast(tokenizer_file=str(directory / "tokenizer.json"),
                                  bos_token="<s>", eos_token="<|im_end|>", unk_token="<unk>")
    model = AutoModelForCausalLM.from_pretrained(MODEL, attn_implementation="eager").double().eval()

    cases = []
    for name, arguments, template, eos in [
        ("model template (chatml)", [], CHATML_TEMPLATE, False),
        ("model template, --append-eos", ["--append-eos"], CHATML_TEMPLATE, True),
        ("--template zephyr", ["--template", "zephyr"], ZEPHYR_TEMPLATE, False),
        ("--template none, --append-eos", ["--template", "none", "--append-eos"], None, True),
    ]:
        prompts, responses, values = [], [], []
        for row in ROWS:
            text = row["prompt"] if template is None else tok.apply_chat_template(
                [{"role": "user", "content": row["prompt"]}], chat_template=template,
                tokenize=False, add_generation_prompt=True)
            p = tok.encode(text, add_special_tokens=False)
            r = tok.encode(row["response"], add_special_tokens=False) + ([tok.eos_token_id] if eos else [])
            prompts.append(p)
            responses.append(r)
            values.append(logprob(model, p, r) if r else 0.0)
        cases.append({"name": name, "arguments": arguments, "prompt_ids": prompts, "response_ids": responses,
                      "logprob": values})
    lines = ["{", ' "rows": ' + json.dumps(ROWS, ensure_ascii=False) + ",", ' "cases": [']
    lines += ["  " + json.dumps(case, ensure_ascii=False) + ("," if i + 1 < len(cases) else "")
              for i, case in enumerate(cases)]
    lines += [" ]", "}"]
    (OUT / "logprobs_golden.json").write_text("\n".join(lines) + "\n")
    print(f"wrote {directory} and {OUT / 'logprobs_golden.json'}")


if __name__ == "__main__":
    main()
