#!/usr/bin/env python3
"""Renders the real chat templates in Tests/Fixtures/chat-templates/*.jinja with transformers'
`apply_chat_template` and writes Tests/Fixtures/chat-templates/goldens.json, which
Tests/DICEKitTests/Tokenization/JinjaGoldenTests.swift compares DICEKit's Jinja interpreter against.

Run: /tmp/venv/bin/python Scripts/make-template-goldens.py   (transformers ≥ 4.43, jinja2 ≥ 3.1.6; no hub access)

Each case names a template, a fixture tokenizer (Tests/Fixtures/tokenizers/<name>: its special tokens are the
template's bos_token/eos_token/…, as transformers passes them), the messages, add_generation_prompt and extra
template kwargs. The golden holds the rendered text and its ids (`apply_chat_template(tokenize=True)`, i.e. the
text encoded without added special tokens), or the error message when the template raises.
`strftime_now` is pinned to NOW so that the Llama 3.1/3.2 date lines are reproducible.
"""
import datetime as real_datetime
import json
import os
import sys

import transformers
import transformers.utils.chat_template_utils as ctu
from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TEMPLATES = os.path.join(ROOT, "Tests", "Fixtures", "chat-templates")
TOKENIZERS = os.path.join(ROOT, "Tests", "Fixtures", "tokenizers")
NOW = real_datetime.datetime(2026, 3, 5, 14, 7, 9)


class FixedDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


ctu.datetime = FixedDatetime  # strftime_now reads the module's `datetime` at call time

FAMILIES = {
    "llama-3": "llama3_split",
    "llama-3.1": "llama3_split",
    "llama-3.2": "llama3_split",
    "qwen2.5": "qwen2_split",
    "qwen3": "qwen2_split",
    "gemma-3": "gemma_spm",
    "mistral-7b-v0.2": "llama2_spm",
    "mistral-nemo": "llama2_spm",
    "zephyr": "llama2_spm",
    "smollm2": "digits_bytelevel",
}

SYSTEM = {"role": "system", "content": "You are terse.  Answer in one line.\n"}
CONVERSATIONS = {
    "user": [{"role": "user", "content": "What is 2+2?"}],
    "system-user": [SYSTEM, {"role": "user", "content": "  Héllo, wörld 👋 \"quoted\" {braces}  "}],
    "multi-turn": [
        SYSTEM,
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": " 7 \n"},
        {"role": "user", "content": "Another one?\n\nPlease."},
    ],
    "multi-turn-no-system": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"},
    ],
    "thinking": [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "content": "<think>\n91 = 7 * 13.\n</think>\n\nNo: 91 = 7 × 13."},
        {"role": "user", "content": "And 97?"},
    ],
}

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city, in °C",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Zürich"}},
            "required": ["city"],
        },
    },
}


def cases():
    for family in FAMILIES:
        for name in ["user", "system-user", "multi-turn", "multi-turn-no-system"]:
            for gen in [False, True]:
                yield family, name, gen, {}
    for gen in [False, True]:
        for thinking in [False, True]:
            yield "qwen3", "thinking", gen, {"enable_thinking": thinking}
            yield "qwen3", "user", gen, {"enable_thinking": thinking}
    for family in ["llama-3.1", "llama-3.2", "qwen2.5", "qwen3"]:
        yield family, "system-user", True, {"tools": [TOOL]}
    yield "llama-3.1", "user", True, {"date_string": "1 Jan 2030"}
    yield "qwen2.5", "thinking", True, {}


def main():
    out = []
    for family, conversation, gen, kwargs in cases():
        with open(os.path.join(TEMPLATES, family + ".jinja"), encoding="utf-8") as f:
            template = f.read()
        tokenizer_name = FAMILIES[family]
        tok = AutoTokenizer.from_pretrained(os.path.join(TOKENIZERS, tokenizer_name))
        messages = CONVERSATIONS[conversation]
        case = {"template": family, "tokenizer": tokenizer_name, "conversation": conversation,
                "messages": messages, "add_generation_prompt": gen, "kwargs": kwargs}
        try:
            text = tok.apply_chat_template(messages, chat_template=template, tokenize=False,
                                           add_generation_prompt=gen, **kwargs)
            ids = tok.apply_chat_template(messages, chat_template=template, tokenize=True,
                                          add_generation_prompt=gen, return_dict=False, **kwargs)
            if hasattr(ids, "tolist"):
                ids = ids.tolist()
            if ids and isinstance(ids[0], list):
                ids = ids[0]
            case["text"] = text
            case["ids"] = ids
        except Exception as e:  # raise_exception in the template
            case["error"] = str(e)
        out.append(case)
    doc = {"transformers": transformers.__version__, "now": NOW.isoformat(), "cases": out}
    path = os.path.join(TEMPLATES, "goldens.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {len(out)} cases ({sum('error' in c for c in out)} errors) to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
