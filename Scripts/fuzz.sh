#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer + AddressSanitizer and runs each one for FUZZ_SECONDS on
# a scratch copy of its seed corpus (Fuzz/Corpus/<Target>, never modified). Exits non-zero when
# any target crashes, hangs (> 10 s on one input) or runs out of memory; the input that did it
# is left in $FUZZ_BUILD/fuzz-work/<Target>/ (crash-*, timeout-*, oom-*, leak-*).
# `make fuzz` runs this; see Documentation/Fuzzing.md.
#
# Environment: FUZZ_SECONDS (default 60, per target), FUZZ_TARGETS (default: all six),
# FUZZ_BUILD (scratch build folder, default .build-fuzzer), FUZZ_FLAGS (extra libFuzzer flags),
# SWIFT (default swift).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-FuzzJSONL FuzzTokenizerJSON FuzzSafeTensors FuzzGGUF FuzzChatTemplate FuzzPEFTAdapter}
FUZZ_BUILD=${FUZZ_BUILD:-.build-fuzzer}
FUZZ_FLAGS=${FUZZ_FLAGS:-}
WORK="$FUZZ_BUILD/fuzz-work"
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# The toolchain's gold cannot link ASan-instrumented Swift objects (an internal error in
# dwarf_reader.cc); the toolchain ships lld, chosen through a toolset file.
SWIFT_BIN=$(dirname "$(readlink -f "$(command -v "$SWIFT")")")
LLD="$SWIFT_BIN/ld.lld"
[ -x "$LLD" ] || LLD=$(command -v ld.lld || true)
if [ -z "$LLD" ]; then echo "fuzz: no ld.lld beside $SWIFT or on PATH" >&2; exit 2; fi
mkdir -p "$FUZZ_BUILD"
TOOLSET="$FUZZ_BUILD/fuzz-toolset.json"
printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$LLD" > "$TOOLSET"

for target in $FUZZ_TARGETS; do
    echo "== building $target (libFuzzer + ASan)"
    "$SWIFT" build -c release --scratch-path "$FUZZ_BUILD" --toolset "$TOOLSET" --product "$target" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
done
BIN=$("$SWIFT" build -c release --scratch-path "$FUZZ_BUILD" --show-bin-path)

failed=()
for target in $FUZZ_TARGETS; do
    dir="$WORK/$target"
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    cp Fuzz/Corpus/"$target"/* "$dir/corpus/"
    dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
    echo "== fuzzing $target for ${FUZZ_SECONDS}s (log: $dir/fuzz.log)"
    # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
    if "$BIN/$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" $FUZZ_FLAGS "$dir/corpus" > "$dir/fuzz.log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\/[^ ]*\).*/cov \1, features \2, corpus \3/p' <<<"$last")
    echo "   $status: ${runs:-?} runs, ${cov:-no coverage line}"
    if [ "$status" = FAILED ]; then
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' "$dir/fuzz.log" | head -5 | sed 's/^/   /'
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${failed[*]} failed (inputs and logs under $WORK/)" >&2
    exit 1
fi
echo "fuzz: no crash in ${FUZZ_SECONDS}s per target"
