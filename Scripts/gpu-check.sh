#!/usr/bin/env bash
# gpu-check.sh — verify DICEKitCUDA on an NVIDIA GPU machine.
#
#   Scripts/gpu-check.sh build   here (Swift, no GPU needed): a release `dice` with the Swift
#                                runtime linked in (--static-swift-stdlib) and the test runner
#                                (Swift Testing has no static runtime: its Swift libraries are
#                                copied beside it), with OpenBLAS, into .build-gpu/bundle/ and
#                                .build-gpu/bundle.tar.xz (to carry to another machine)
#   Scripts/gpu-check.sh run     on the GPU machine, from the repository root (needs no Swift;
#                                unpacks .build-gpu/bundle.tar.xz when the bundle folder is absent):
#                                the CUDA tests (NVRTC compile, kernel and model parity vs the CPU
#                                backend), then `dice bench kernels|dpo|generate --backend cuda --json`
#   Scripts/gpu-check.sh nccl    on the GPU machine: only the NCCL check of `run` — `dice dpo
#                                --backend cuda` under mpirun, one rank per GPU (one GPU: a
#                                one-rank NCCL communicator, whose all-reduce still runs every
#                                update), against one process without mpirun
#   Scripts/gpu-check.sh         both, on a machine that has Swift and a GPU
#
# On the GPU machine libcuda comes from the driver; libcublas and libnvrtc from its Python
# packages (site-packages/nvidia/{cublas,cuda_nvrtc}/lib, e.g. `pip install nvidia-cublas-cu12
# nvidia-cuda-nvrtc-cu12`, or what torch installed), found by the backend itself; override with
# DICEKIT_LIBCUDA, DICEKIT_LIBCUBLAS, DICEKIT_LIBNVRTC. Results go to $RESULTS (default
# .build-gpu/results/). Each step has a time limit (STEP_SECONDS, default 150 for the tests and
# 90 for each benchmark), so that a hung step cannot eat a rented machine's time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.build-gpu/bundle
RESULTS=${RESULTS:-.build-gpu/results}
STEP_SECONDS=${STEP_SECONDS:-90}
# The scratch folder `make test` uses, so that a tested tree builds the runner once.
SCRATCH=${SCRATCH:-.build}

build() {
    swift build -c release --static-swift-stdlib --product dice --scratch-path "$SCRATCH"
    swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path "$SCRATCH"
    rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/lib"
    cp "$SCRATCH/release/dice" "$SCRATCH/release/DICEKitPackageTests.xctest" "$BUNDLE/"
    # The Swift runtime of the test runner, and OpenBLAS (the CPU reference) with what it needs.
    for lib in $(ldd "$BUNDLE/dice" "$BUNDLE/DICEKitPackageTests.xctest" | awk '/=> \// { print $3 }' | sort -u); do
        case "$(basename "$lib")" in
            libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;;
            *) cp -L "$lib" "$BUNDLE/lib/" ;;
        esac
    done
    tar -C .build-gpu -cJf .build-gpu/bundle.tar.xz bundle
    du -sh "$BUNDLE" .build-gpu/bundle.tar.xz
}

unpack() {
    if [ ! -x "$BUNDLE/dice" ] && [ -f .build-gpu/bundle.tar.xz ]; then
        # Python's tarfile where the machine has no xz.
        if command -v xz >/dev/null; then tar -C .build-gpu -xJf .build-gpu/bundle.tar.xz
        else python3 -c 'import tarfile; tarfile.open(".build-gpu/bundle.tar.xz").extractall(".build-gpu")'; fi
    fi
    [ -x "$BUNDLE/dice" ] || { echo "no $BUNDLE/dice: run '$0 build' first" >&2; exit 1; }
    mkdir -p "$RESULTS"
    export LD_LIBRARY_PATH="$PWD/$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export DICEKIT_FIXTURES="$PWD/Tests/Fixtures"
}

# NCCL in `dice dpo --backend cuda` under mpirun (issue 20): 10 updates of the tiny Llama fixture
# on 32 generated toy pairs, one rank per GPU, and the same run in one process without mpirun.
# Fails when a step fails or when the ranks fell back to the host all-reduce (the "NCCL cannot be
# used" notice); prints both runs' last metrics row (one GPU: the same numbers are expected).
# NCCL comes from DICEKIT_LIBNCCL, the system or the nvidia-nccl-cu12 wheel.
nccl_dpo() {
    command -v mpirun >/dev/null || { echo "note: no mpirun here: the NCCL dice dpo check was not run" >&2; return 0; }
    local dir="$RESULTS/nccl-dpo" gpus root=()
    gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
    [ "${gpus:-0}" -ge 1 ] || gpus=1
    [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
    rm -rf "$dir" && mkdir -p "$dir"
    RANDOM=7
    for _ in $(seq 1 32); do
        echo "{\"prompt_ids\": [$((RANDOM % 90 + 3)), $((RANDOM % 90 + 3)), $((RANDOM % 90 + 3))], \"chosen_ids\": [$((RANDOM % 90 + 3)), $((RANDOM % 90 + 3)), 2], \"rejected_ids\": [$((RANDOM % 90 + 3)), 2]}"
    done > "$dir/pairs.jsonl"
    local args=(dpo --model Tests/Fixtures/models/llama-gqa-tied --data "$dir/pairs.jsonl" --backend cuda --steps 10
                --batch-size 8 --lr 1e-3 --seed 3 --cache-dir "$dir/cache" --no-tensorboard)
    timeout "$STEP_SECONDS" "$BUNDLE/dice" "${args[@]}" --output "$dir/one" 2>&1 | tee "$dir/one.txt" || status=$?
    NCCL_DEBUG=INFO timeout "$STEP_SECONDS" mpirun ${root[@]+"${root[@]}"} --oversubscribe --bind-to none -np "$gpus" \
        "$BUNDLE/dice" "${args[@]}" --output "$dir/ranks" 2>&1 | tee "$dir/ranks.txt" || status=$?
    if grep -q "NCCL cannot be used" "$dir/ranks.txt"; then
        echo "error: the $gpus rank(s) fell back to the host all-reduce (see $dir/ranks.txt)" >&2
        status=1
    fi
    echo "NCCL dice dpo, $gpus rank(s) × 1 GPU each, last rows (one process, then the ranks):"
    tail -n 1 "$dir/one/metrics.jsonl" "$dir/ranks/metrics.jsonl" || status=1
}

run() {
    unpack
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$RESULTS/gpu.txt"
    status=0
    timeout $((STEP_SECONDS * 5 / 3)) "$BUNDLE/DICEKitPackageTests.xctest" --testing-library swift-testing --filter DICEKitCUDATests 2>&1 \
        | tee "$RESULTS/tests.txt" || status=$?
    for bench in kernels dpo generate; do
        timeout "$STEP_SECONDS" "$BUNDLE/dice" bench "$bench" --backend cuda --json | tee "$RESULTS/bench-$bench-cuda.json" || status=$?
    done
    # The CPU figures of the same machine, for the DPO speed-up.
    timeout "$STEP_SECONDS" "$BUNDLE/dice" bench dpo --backend cpu --json | tee "$RESULTS/bench-dpo-cpu.json" || status=$?
    # Data parallelism on the CPU cores (issue 20's target: 4 ranks × 4 threads against 1 × 16),
    # where Open MPI is installed. The NCCL tests (NCCLLibraryTests, a single-GPU all-reduce) ran
    # with the CUDA tests above, NCCL found in site-packages/nvidia/nccl/lib or DICEKIT_LIBNCCL.
    if command -v mpirun >/dev/null; then
        timeout "$STEP_SECONDS" "$BUNDLE/dice" bench dpo --threads 16 --json | tee "$RESULTS/bench-dpo-cpu-1x16.json" || status=$?
        timeout $((STEP_SECONDS * 2)) "$BUNDLE/dice" bench dpo --ranks 4 --threads 4 --json | tee "$RESULTS/bench-dpo-cpu-4x4.json" || status=$?
    else
        echo "note: no mpirun here: the data-parallel CPU benchmark was not run" >&2
    fi
    nccl_dpo
    grep -q "skipped" "$RESULTS/tests.txt" && { echo "note: some CUDA tests were skipped (see $RESULTS/tests.txt)" >&2; }
    exit "$status"
}

case "${1:-all}" in
    build) build ;;
    run) run ;;
    nccl) unpack; status=0; nccl_dpo; exit "$status" ;;
    all) build; run ;;
    *) echo "usage: $0 [build|run|nccl]" >&2; exit 2 ;;
esac
