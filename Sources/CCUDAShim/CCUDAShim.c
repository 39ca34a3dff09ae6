// Run-time binding of the CUDA libraries declared in CCUDAShim.h.
#include "CCUDAShim.h"

#include <dlfcn.h>
#include <stdlib.h>

void *dk_open(const char *path) {
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

const char *dk_last_error(void) {
    return dlerror();
}

void dk_free_table(const void *table) {
    free((void *)table);
}

// Looks `name` up into the table field of the same name; on failure records the name and
// jumps to `fail`.
#define DK_BIND(table, library, name)                       \
    do {                                                   \
        void *symbol = dlsym((library), #name);            \
        if (symbol == NULL) { *missing = #name; goto fail; } \
        *(void **)(&(table)->name) = symbol;               \
    } while (0)

const DKDriverAPI *dk_bind_driver(void *library, const char **missing) {
    DKDriverAPI *t = calloc(1, sizeof *t);
    if (t == NULL) { *missing = "(out of host memory)"; return NULL; }
    DK_BIND(t, library, cuInit);
    DK_BIND(t, library, cuDriverGetVersion);
    DK_BIND(t, library, cuDeviceGetCount);
    DK_BIND(t, library, cuDeviceGet);
    DK_BIND(t, library, cuDeviceGetName);
    DK_BIND(t, library, cuDeviceGetAttribute);
    DK_BIND(t, library, cuDevicePrimaryCtxRetain);
    DK_BIND(t, library, cuCtxSetCurrent);
    DK_BIND(t, library, cuMemGetInfo_v2);
    DK_BIND(t, library, cuMemAlloc_v2);
    DK_BIND(t, library, cuMemFree_v2);
    DK_BIND(t, library, cuMemcpyHtoDAsync_v2);
    DK_BIND(t, library, cuMemcpyDtoHAsync_v2);
    DK_BIND(t, library, cuMemcpyDtoDAsync_v2);
    DK_BIND(t, library, cuMemsetD32Async);
    DK_BIND(t, library, cuStreamCreate);
    DK_BIND(t, library, cuStreamSynchronize);
    DK_BIND(t, library, cuStreamDestroy_v2);
    DK_BIND(t, library, cuModuleLoadData);
    DK_BIND(t, library, cuModuleUnload);
    DK_BIND(t, library, cuModuleGetFunction);
    DK_BIND(t, library, cuLaunchKernel);
    DK_BIND(t, library, cuGetErrorName);
    *missing = NULL;
    return t;
fail:
    free(t);
    return NULL;
}

const DKCublasAPI *dk_bind_cublas(void *library, const char **missing) {
    DKCublasAPI *t = calloc(1, sizeof *t);
    if (t == NULL) { *missing = "(out of host memory)"; return NULL; }
    DK_BIND(t, library, cublasCreate_v2);
    DK_BIND(t, library, cublasDestroy_v2);
    DK_BIND(t, library, cublasGetVersion_v2);
    DK_BIND(t, library, cublasSetStream_v2);
    DK_BIND(t, library, cublasSgemm_v2);
    DK_BIND(t, library, cublasSgemmStridedBatched);
    DK_BIND(t, library, cublasGemmStridedBatchedEx);
    *missing = NULL;
    return t;
fail:
    free(t);
    return NULL;
}

const DKNVRTCAPI *dk_bind_nvrtc(void *library, const char **missing) {
    DKNVRTCAPI *t = calloc(1, sizeof *t);
    if (t == NULL) { *missing = "(out of host memory)"; return NULL; }
    DK_BIND(t, library, nvrtcVersion);
    DK_BIND(t, library, nvrtcGetErrorString);
    DK_BIND(t, library, nvrtcCreateProgram);
    DK_BIND(t, library, nvrtcDestroyProgram);
    DK_BIND(t, library, nvrtcCompileProgram);
    DK_BIND(t, library, nvrtcGetProgramLogSize);
    DK_BIND(t, library, nvrtcGetProgramLog);
    DK_BIND(t, library, nvrtcGetPTXSize);
    DK_BIND(t, library, nvrtcGetPTX);
    // Optional: CUBIN output exists from CUDA 11.1 on.
    *(void **)(&t->nvrtcGetCUBINSize) = dlsym(library, "nvrtcGetCUBINSize");
    *(void **)(&t->nvrtcGetCUBIN) = dlsym(library, "nvrtcGetCUBIN");
    *missing = NULL;
    return t;
fail:
    free(t);
    return NULL;
}
