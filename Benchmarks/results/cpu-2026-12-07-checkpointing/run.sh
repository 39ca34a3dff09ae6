#!/bin/sh
# Activation checkpointing on SmolLM2-135M (~/.cache/dicekit/smollm2/hf, else its shape with
# random weights): 8 pairs × (prompt 256 + chosen 256 / rejected 256), i.e. 512-token sequences,
# one DPO update per timed step, AdamW, clip 1.0. Plain and checkpointed runs alternate, each in
# its own process (its own VmHWM); each writes one JSON line to series.jsonl, preceded by a
# comment line with the time and `uptime` (the load average the step times were taken under).
# Usage: run.sh [DICE] [ROUNDS] [REPEATS]; SERIES=FILE writes the rows there instead.
set -eu
DICE=${1:-.build/release/dice}
ROUNDS=${2:-1}
REPEATS=${3:-3}
OUT=${SERIES:-$(dirname "$0")/series.jsonl}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    for flag in "" --checkpoint-activations; do
        echo "# $(date -u +%FT%TZ) $(uptime)" >>"$OUT"
        # shellcheck disable=SC2086
        "$DICE" bench dpo --shape smollm2 --prompt-length 256 --response-length 256 --repeats "$REPEATS" --json $flag >>"$OUT"
    done
    i=$((i + 1))
done
echo "# $(date -u +%FT%TZ) $(uptime)" >>"$OUT"
