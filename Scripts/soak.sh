#!/usr/bin/env bash
# soak.sh: `dice` built with AddressSanitizer and with ThreadSanitizer, each running
#   1. `dice demo` on the toy task with Scripts/soak/demo.json: SFT, π_0, 3 DICE rounds
#      (sample, score, pair, DPO, evaluate), no ablations;
#   2. `dice dpo`: 200 DPO steps on the demo's π_0 with the pairs of its round-1 training set,
#      validation and a checkpoint every 50 steps;
# and failing on any sanitizer report (or any failure of the runs).
#
# Usage: Scripts/soak.sh [address] [thread]        (default: both, in that order)
# Environment: SOAK_SCRATCH (scratch path prefix, default .build-soak → .build-soak-asan,
# .build-soak-tsan), SOAK_DIR (work folder, default a fresh temporary one), SWIFT.
#
# No suppressions: the soak is clean without them (OpenBLAS is not instrumented, and its
# threads touch only the buffers of the call in flight). Should one ever be needed, add a
# file and `suppressions=<file>` to TSAN_OPTIONS below, with a reason for each entry.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
prefix=${SOAK_SCRATCH:-.build-soak}
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)
work=${SOAK_DIR:-$(mktemp -d -t dicekit-soak.XXXXXX)}
mkdir -p "$work"

# The OpenBLAS kernels for this CPU (the dice tool also picks them when it starts).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -qw avx512bw /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=Haswell; fi
fi
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}

status=0
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in address|thread) ;; *) echo "soak: unknown sanitizer '$sanitizer' (address | thread)" >&2; exit 2 ;; esac
    scratch="$prefix-$([ "$sanitizer" = address ] && echo asan || echo tsan)"
    echo "== $sanitizer: building dice into $scratch"
    start=$(date +%s)
    "$SWIFT" build --product dice --sanitize="$sanitizer" --scratch-path "$scratch"
    dice="$("$SWIFT" build --sanitize="$sanitizer" --scratch-path "$scratch" --show-bin-path)/dice"
    echo "   built in $(( $(date +%s) - start )) s"

    run="$work/$sanitizer"
    reports="$run/reports"
    rm -rf "$run"
    mkdir -p "$reports"
    # Reports go to files (one per process: the tool re-executes itself once at start-up).
    export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0"
    export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=0"
    export UBSAN_OPTIONS="log_path=$reports/ubsan"

    start=$(date +%s)
    if ! "$dice" demo --config Scripts/soak/demo.json --output "$run/demo" --fresh >"$run/demo.out" 2>"$run/demo.err"; then
        echo "soak ($sanitizer): dice demo failed; see $run/demo.err" >&2
        status=1
    fi
    echo "   dice demo (3 DICE rounds): $(( $(date +%s) - start )) s"

    # The round-1 training set as token-id pairs (its keys are written sorted).
    sed -E 's/.*"chosenTokens":(\[[0-9,]*\]).*"promptTokens":(\[[0-9,]*\]).*"rejectedTokens":(\[[0-9,]*\]).*/{"prompt_ids":\2,"chosen_ids":\1,"rejected_ids":\3}/' \
        "$run/demo/runs/dice/round-1/train.jsonl" >"$run/pairs.jsonl" 2>/dev/null || true
    start=$(date +%s)
    if ! "$dice" dpo --model "$run/demo/models/pi_0" --data "$run/pairs.jsonl" --output "$run/dpo" \
            --cache-dir "$run/cache" --steps 200 --batch-size 8 --lr 1e-3 --save-every 50 \
            --val-size 16 --eval-every 50 --seed 1 >"$run/dpo.out" 2>"$run/dpo.err"; then
        echo "soak ($sanitizer): dice dpo failed; see $run/dpo.err" >&2
        status=1
    fi
    echo "   dice dpo (200 steps): $(( $(date +%s) - start )) s"

    if compgen -G "$reports/*" >/dev/null; then
        echo "soak ($sanitizer): sanitizer reports:" >&2
        for report in "$reports"/*; do
            echo "--- $report" >&2
            head -n 60 "$report" >&2
        done
        status=1
    else
        echo "   no $sanitizer sanitizer reports"
    fi
done
[ $status -eq 0 ] && echo "soak: clean (work folder $work)"
exit $status
