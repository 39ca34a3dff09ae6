#!/usr/bin/env bash
# Alternates the pre-refactor dice (main at 9c3d52b) and this session's dice, N times each, on
# `bench dpo` and `bench generate` with the PyTorch/transformers peer; JSON lines to $OUT.
set -u
cd /work/main
N=${N:-3}; OUT=${OUT:-/tmp/ab.jsonl}
for i in $(seq 1 $N); do
  for side in before after; do
    bin=/tmp/dice-before; [ $side = after ] && bin=/tmp/dice-after
    for b in dpo generate; do
      line=$($bin bench $b --json --python /tmp/venv/bin/python 2>/dev/null | tail -1)
      echo "{\"run\":$i,\"side\":\"$side\",\"bench\":\"$b\",\"core\":\"${OPENBLAS_CORETYPE:-native}\",\"result\":$line}" >> $OUT
    done
  done
done
