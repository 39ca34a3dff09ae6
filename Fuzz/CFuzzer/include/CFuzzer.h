// libFuzzer's driver entry point, called by FuzzSupport when the fuzz targets are built with
// `-sanitize=fuzzer -DFUZZING` (the fuzzer runtime defines it; nothing references it otherwise).
#ifndef CFUZZER_H
#define CFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `*argc`/`*argv`, calling `callback` once per input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
