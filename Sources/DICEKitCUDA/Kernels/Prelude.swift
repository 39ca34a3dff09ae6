// The CUDA C helpers every kernel family starts with: warp and block reductions and a
// grid-stride loop. NVRTC compiles without the CUDA headers, so the sources use only
// compiler built-ins (expf, __shfl_xor_sync, …) and declare their own helpers.

extension CUDAKernelFamily {
    /// Prepended to every family's source.
    static let prelude = #"""
    #define DK_WARP 32
    #define DK_FULL_MASK 0xffffffffu
    // Grid-stride loop over [0, n) with a 64-bit index.
    #define DK_FOR_EACH(i, n) \
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
             i += (long long)blockDim.x * gridDim.x)

    // Sum over the 32 lanes of a warp; every lane gets the result.
    __device__ __forceinline__ float dk_warp_sum(float v) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(DK_FULL_MASK, v, o);
        return v;
    }
    __device__ __forceinline__ float dk_warp_max(float v) {
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(DK_FULL_MASK, v, o));
        return v;
    }
    __device__ __forceinline__ double dk_warp_sum_double(double v) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(DK_FULL_MASK, v, o);
        return v;
    }
    // Sum over a block of at most 1024 threads (a multiple of 32); every thread gets the result.
    // `scratch` holds 32 floats of shared memory; the block must call this uniformly.
    __device__ float dk_block_sum(float v, float *scratch) {
        int lane = threadIdx.x % DK_WARP, warp = threadIdx.x / DK_WARP;
        int warps = (blockDim.x + DK_WARP - 1) / DK_WARP;
        v = dk_warp_sum(v);
        __syncthreads();
        if (lane == 0) scratch[warp] = v;
        __syncthreads();
        v = lane < warps ? scratch[lane] : 0.0f;
        return dk_warp_sum(v);
    }
    __device__ float dk_block_max(float v, float *scratch) {
        int lane = threadIdx.x % DK_WARP, warp = threadIdx.x / DK_WARP;
        int warps = (blockDim.x + DK_WARP - 1) / DK_WARP;
        v = dk_warp_max(v);
        __syncthreads();
        if (lane == 0) scratch[warp] = v;
        __syncthreads();
        v = lane < warps ? scratch[lane] : -__int_as_float(0x7f800000);
        return dk_warp_max(v);
    }

    """#
}
