#!/bin/sh
# The LoRA and full fine-tuning sides of `dice bench lora` (SmolLM2-135M-Instruct, LoRA r16 on every
# projection, 8 pairs of prompt 64 + chosen 128 / rejected 128 ids, reference precomputed; one
# warm-up and two timed updates), each in its own process through the bench's --phase entry (its
# own VmHWM, model loading included), started together; one JSON line per side, prefixed by its
# name, and the time and load average before and after, to phases-LABEL.jsonl.
# Usage: phases.sh DICE LABEL MODEL [PHASES]
#   MODEL: a SmolLM2-135M-Instruct directory or .gguf (these runs: SmolLM2-135M-Instruct.Q4_1.gguf,
#   dequantised to Float32 on loading). The batch is ../cpu-2026-12-07-lora-memory/batch.json.
set -eu
DICE=$1; LABEL=$2; MODEL=$3; PHASES=${4:-"lora full"}
DIR=$(dirname "$0")
BATCH=$DIR/../cpu-2026-12-07-lora-memory/batch.json
OUT=$DIR/phases-$LABEL.jsonl
echo "# $(date -u +%FT%TZ) $(uptime) model $MODEL" >>"$OUT"
for phase in $PHASES; do
    ( json=$(nice -n 19 "$DICE" bench lora --model "$MODEL" --phase $phase --batch "$BATCH" --repeats 2 --rank 16)
      echo "$phase $json" >>"$OUT" ) &
done
wait
echo "# $(date -u +%FT%TZ) $(uptime)" >>"$OUT"
