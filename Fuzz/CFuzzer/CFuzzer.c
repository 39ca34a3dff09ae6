// Header-only: LLVMFuzzerRunDriver is defined by the fuzzer runtime (see include/CFuzzer.h).
