#!/usr/bin/env bash
# Alternates OpenBLAS kernel families with this session's dice: bench kernels and bench dpo.
set -u
cd /work/main
N=${N:-3}; OUT=${OUT:-/tmp/core.jsonl}
for i in $(seq 1 $N); do
  for core in Haswell SkylakeX Cooperlake; do
    for b in kernels dpo; do
      extra=""; [ $b = dpo ] && extra="--python /tmp/venv/bin/python"
      line=$(OPENBLAS_CORETYPE=$core /tmp/dice-after bench $b --json $extra 2>/dev/null | tail -1)
      echo "{\"run\":$i,\"core\":\"$core\",\"bench\":\"$b\",\"result\":$line}" >> $OUT
    done
  done
done
