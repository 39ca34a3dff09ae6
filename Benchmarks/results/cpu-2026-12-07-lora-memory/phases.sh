#!/bin/sh
# The three DICEKit sides of `dice bench lora` (LoRA r16, LoRA r16 + checkpointing, full
# fine-tuning), each in its own process through the bench's own --phase entry, started together
# so that on a machine loaded by other work each side gets a share of the cores for the same
# minutes (the peaks, VmHWM, do not depend on the load; the step times do). One JSON line per
# side, prefixed by its name, to phases-<label>.jsonl.
# Usage: phases.sh DICE LABEL [MODEL] [BATCH]
#   BATCH: a batch.json of 8 pairs of prompt 64 + chosen 128 / rejected 128 ids (batch.json here:
#   Python's random.Random(3), ids below 49152).
set -eu
DICE=$1
LABEL=$2
MODEL=${3:-$HOME/.cache/dicekit/smollm2/hf}
DIR=$(dirname "$0")
BATCH=${4:-$DIR/batch.json}
OUT=$DIR/phases-$LABEL.jsonl
echo "# $(date -u +%FT%TZ) $(uptime)" >>"$OUT"
for phase in lora lora-checkpointed full; do
    ( json=$("$DICE" bench lora --model "$MODEL" --phase $phase --batch "$BATCH" --repeats 1 --rank 16)
      echo "$phase $json" >>"$OUT" ) &
done
wait
echo "# $(date -u +%FT%TZ) $(uptime)" >>"$OUT"
