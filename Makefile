# DICEKit — each target installs what it needs, then runs.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test bench build clean

# OpenBLAS headers and library (Debian/Ubuntu), installed only when missing.
deps:
	@if ! dpkg -s libopenblas-dev >/dev/null 2>&1; then \
		echo "Installing libopenblas-dev…"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev; \
	fi

build: deps
	$(SWIFT) build -c release

# The test suite, built with optimisation (the numeric tests run real kernels).
test: deps
	$(SWIFT) build --build-tests -c release -Xswiftc -enable-testing
	$(SWIFT) test --skip-build -c release -Xswiftc -enable-testing

# Benchmarks: DICEKit beside its peers, in one run.
bench: build
	.build/release/dice bench kernels

clean:
	rm -rf .build
