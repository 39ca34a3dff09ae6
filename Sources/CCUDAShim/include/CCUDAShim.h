// CCUDAShim: the few CUDA driver, cuBLAS and NVRTC types and function signatures that
// DICEKitCUDA uses, declared here so that the package builds without a CUDA toolkit. The
// libraries are opened at run time (dlopen); `dk_bind_*` look every symbol up (dlsym) and return
// a table of function pointers, or NULL and the name of the first symbol that is missing.
//
// Every signature below is copied from the public headers of CUDA 12 (cuda.h, cublas_api.h,
// nvrtc.h) with the library's own types replaced by same-sized stand-ins. Versioned names
// (`cuMemAlloc_v2`, `cublasSgemm_v2`, …) are the symbols those headers' macros resolve to.
#ifndef CCUDASHIM_H
#define CCUDASHIM_H

#include <stddef.h>

// MARK: - Driver API (libcuda)

typedef int DKCUresult;                       // CUresult; 0 = CUDA_SUCCESS
typedef int DKCUdevice;                       // CUdevice
typedef unsigned long long DKCUdeviceptr;     // CUdeviceptr (64-bit)
typedef struct DKCUctx_st *DKCUcontext;       // CUcontext
typedef struct DKCUmod_st *DKCUmodule;        // CUmodule
typedef struct DKCUfunc_st *DKCUfunction;     // CUfunction
typedef struct DKCUstream_st *DKCUstream;     // CUstream

/// CU_DEVICE_ATTRIBUTE_* values used.
enum {
    DK_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    DK_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    DK_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

/// CU_STREAM_NON_BLOCKING.
enum { DK_CU_STREAM_NON_BLOCKING = 1 };

/// CUDA_ERROR_OUT_OF_MEMORY.
enum { DK_CUDA_ERROR_OUT_OF_MEMORY = 2 };

typedef struct DKDriverAPI {
    DKCUresult (* _Nonnull cuInit)(unsigned int flags);
    DKCUresult (* _Nonnull cuDriverGetVersion)(int * _Nonnull version);
    DKCUresult (* _Nonnull cuDeviceGetCount)(int * _Nonnull count);
    DKCUresult (* _Nonnull cuDeviceGet)(DKCUdevice * _Nonnull device, int ordinal);
    DKCUresult (* _Nonnull cuDeviceGetName)(char * _Nonnull name, int length, DKCUdevice device);
    DKCUresult (* _Nonnull cuDeviceGetAttribute)(int * _Nonnull value, int attribute, DKCUdevice device);
    DKCUresult (* _Nonnull cuDevicePrimaryCtxRetain)(DKCUcontext _Nullable * _Nonnull context, DKCUdevice device);
    DKCUresult (* _Nonnull cuCtxSetCurrent)(DKCUcontext _Nullable context);
    DKCUresult (* _Nonnull cuMemGetInfo_v2)(size_t * _Nonnull free, size_t * _Nonnull total);
    DKCUresult (* _Nonnull cuMemAlloc_v2)(DKCUdeviceptr * _Nonnull pointer, size_t bytes);
    DKCUresult (* _Nonnull cuMemFree_v2)(DKCUdeviceptr pointer);
    DKCUresult (* _Nonnull cuMemcpyHtoDAsync_v2)(DKCUdeviceptr destination, const void * _Nonnull source,
                                                 size_t bytes, DKCUstream _Nullable stream);
    DKCUresult (* _Nonnull cuMemcpyDtoHAsync_v2)(void * _Nonnull destination, DKCUdeviceptr source,
                                                 size_t bytes, DKCUstream _Nullable stream);
    DKCUresult (* _Nonnull cuMemcpyDtoDAsync_v2)(DKCUdeviceptr destination, DKCUdeviceptr source,
                                                 size_t bytes, DKCUstream _Nullable stream);
    DKCUresult (* _Nonnull cuMemsetD32Async)(DKCUdeviceptr destination, unsigned int value, size_t count,
                                             DKCUstream _Nullable stream);
    DKCUresult (* _Nonnull cuStreamCreate)(DKCUstream _Nullable * _Nonnull stream, unsigned int flags);
    DKCUresult (* _Nonnull cuStreamSynchronize)(DKCUstream _Nullable stream);
    DKCUresult (* _Nonnull cuStreamDestroy_v2)(DKCUstream _Nonnull stream);
    DKCUresult (* _Nonnull cuModuleLoadData)(DKCUmodule _Nullable * _Nonnull module, const void * _Nonnull image);
    DKCUresult (* _Nonnull cuModuleUnload)(DKCUmodule _Nonnull module);
    DKCUresult (* _Nonnull cuModuleGetFunction)(DKCUfunction _Nullable * _Nonnull function,
                                                DKCUmodule _Nonnull module, const char * _Nonnull name);
    DKCUresult (* _Nonnull cuLaunchKernel)(DKCUfunction _Nonnull function,
                                           unsigned int gridX, unsigned int gridY, unsigned int gridZ,
                                           unsigned int blockX, unsigned int blockY, unsigned int blockZ,
                                           unsigned int sharedBytes, DKCUstream _Nullable stream,
                                           void * _Nullable * _Nullable parameters,
                                           void * _Nullable * _Nullable extra);
    DKCUresult (* _Nonnull cuGetErrorName)(DKCUresult error, const char * _Nullable * _Nonnull name);
} DKDriverAPI;

// MARK: - cuBLAS (libcublas)

typedef int DKcublasStatus;                   // cublasStatus_t; 0 = CUBLAS_STATUS_SUCCESS
typedef struct DKcublasContext *DKcublasHandle;

/// cublasOperation_t, cudaDataType, cublasComputeType_t and cublasGemmAlgo_t values used.
enum {
    DK_CUBLAS_OP_N = 0,
    DK_CUBLAS_OP_T = 1,
    DK_CUDA_R_32F = 0,
    DK_CUBLAS_COMPUTE_32F = 68,
    DK_CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    DK_CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
    DK_CUBLAS_GEMM_DEFAULT = -1,
};

typedef struct DKCublasAPI {
    DKcublasStatus (* _Nonnull cublasCreate_v2)(DKcublasHandle _Nullable * _Nonnull handle);
    DKcublasStatus (* _Nonnull cublasDestroy_v2)(DKcublasHandle _Nonnull handle);
    DKcublasStatus (* _Nonnull cublasGetVersion_v2)(DKcublasHandle _Nonnull handle, int * _Nonnull version);
    DKcublasStatus (* _Nonnull cublasSetStream_v2)(DKcublasHandle _Nonnull handle, DKCUstream _Nullable stream);
    DKcublasStatus (* _Nonnull cublasSgemm_v2)(DKcublasHandle _Nonnull handle, int transa, int transb,
                                               int m, int n, int k, const float * _Nonnull alpha,
                                               const float * _Nullable a, int lda,
                                               const float * _Nullable b, int ldb,
                                               const float * _Nonnull beta, float * _Nullable c, int ldc);
    DKcublasStatus (* _Nonnull cublasSgemmStridedBatched)(
        DKcublasHandle _Nonnull handle, int transa, int transb, int m, int n, int k,
        const float * _Nonnull alpha, const float * _Nullable a, int lda, long long strideA,
        const float * _Nullable b, int ldb, long long strideB,
        const float * _Nonnull beta, float * _Nullable c, int ldc, long long strideC, int batchCount);
    DKcublasStatus (* _Nonnull cublasGemmStridedBatchedEx)(
        DKcublasHandle _Nonnull handle, int transa, int transb, int m, int n, int k,
        const void * _Nonnull alpha, const void * _Nullable a, int aType, int lda, long long strideA,
        const void * _Nullable b, int bType, int ldb, long long strideB,
        const void * _Nonnull beta, void * _Nullable c, int cType, int ldc, long long strideC,
        int batchCount, int computeType, int algorithm);
} DKCublasAPI;

// MARK: - NVRTC (libnvrtc)

typedef int DKnvrtcResult;                    // nvrtcResult; 0 = NVRTC_SUCCESS
typedef struct DKnvrtcProgram_st *DKnvrtcProgram;

typedef struct DKNVRTCAPI {
    DKnvrtcResult (* _Nonnull nvrtcVersion)(int * _Nonnull major, int * _Nonnull minor);
    const char * _Nonnull (* _Nonnull nvrtcGetErrorString)(DKnvrtcResult result);
    DKnvrtcResult (* _Nonnull nvrtcCreateProgram)(DKnvrtcProgram _Nullable * _Nonnull program,
                                                  const char * _Nonnull source, const char * _Nullable name,
                                                  int headerCount, const char * _Nullable const * _Nullable headers,
                                                  const char * _Nullable const * _Nullable includeNames);
    DKnvrtcResult (* _Nonnull nvrtcDestroyProgram)(DKnvrtcProgram _Nullable * _Nonnull program);
    DKnvrtcResult (* _Nonnull nvrtcCompileProgram)(DKnvrtcProgram _Nonnull program, int optionCount,
                                                   const char * _Nullable const * _Nullable options);
    DKnvrtcResult (* _Nonnull nvrtcGetProgramLogSize)(DKnvrtcProgram _Nonnull program, size_t * _Nonnull size);
    DKnvrtcResult (* _Nonnull nvrtcGetProgramLog)(DKnvrtcProgram _Nonnull program, char * _Nonnull log);
    DKnvrtcResult (* _Nonnull nvrtcGetPTXSize)(DKnvrtcProgram _Nonnull program, size_t * _Nonnull size);
    DKnvrtcResult (* _Nonnull nvrtcGetPTX)(DKnvrtcProgram _Nonnull program, char * _Nonnull ptx);
    /// NULL before CUDA 11.1 (no CUBIN output; PTX is used instead).
    DKnvrtcResult (* _Nullable nvrtcGetCUBINSize)(DKnvrtcProgram _Nonnull program, size_t * _Nonnull size);
    DKnvrtcResult (* _Nullable nvrtcGetCUBIN)(DKnvrtcProgram _Nonnull program, char * _Nonnull cubin);
} DKNVRTCAPI;

// MARK: - Loading

/// dlopen(path, RTLD_NOW | RTLD_LOCAL); NULL on failure (see `dk_last_error`).
void * _Nullable dk_open(const char * _Nonnull path);

/// The text of the last dlopen/dlsym failure on this thread, or NULL.
const char * _Nullable dk_last_error(void);

/// Binds every symbol of the driver API from `library` (a dk_open handle). Returns a table
/// owned by the caller (free with `dk_free_table`), or NULL with `*missing` set to the name of
/// the first symbol that is absent.
const DKDriverAPI * _Nullable dk_bind_driver(void * _Nonnull library, const char * _Nullable * _Nonnull missing);
/// As `dk_bind_driver`, for cuBLAS.
const DKCublasAPI * _Nullable dk_bind_cublas(void * _Nonnull library, const char * _Nullable * _Nonnull missing);
/// As `dk_bind_driver`, for NVRTC (`nvrtcGetCUBIN*` may be NULL in the table).
const DKNVRTCAPI * _Nullable dk_bind_nvrtc(void * _Nonnull library, const char * _Nullable * _Nonnull missing);

/// Frees a table returned by a `dk_bind_*` function.
void dk_free_table(const void * _Nullable table);

#endif
