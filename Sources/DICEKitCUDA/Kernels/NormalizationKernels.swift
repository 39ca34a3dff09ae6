// CUDA C: RMSNorm and LayerNorm, one block per row. The weight and bias gradients are
// column sums (dk_column_partials / dk_column_finish in the elementwise family).

extension CUDAKernelFamily {
    static let normalizationSource = #"""
    // out = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps). x, out [rows, C]; w [C]; rstd [rows].
    extern "C" __global__ void dk_rmsnorm(const float *x, const float *w, float eps, float *out,
                                          float *rstd, int channels) {
        __shared__ float scratch[32];
        long long row = blockIdx.x;
        const float *xr = x + row * channels;
        float *outr = out + row * channels;
        float ss = 0.0f;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) ss += xr[c] * xr[c];
        ss = dk_block_sum(ss, scratch);
        float s = 1.0f / sqrtf(ss / (float)channels + eps);
        if (threadIdx.x == 0) rstd[row] = s;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) outr[c] = xr[c] * s * w[c];
    }

    // dx += s · (dout·w − x·s · mean(dout·w·x·s)). One block per row.
    extern "C" __global__ void dk_rmsnorm_backward(const float *dout, const float *x,
                                                   const float *w, const float *rstd,
                                                   float *dx, int channels) {
        __shared__ float scratch[32];
        long long row = blockIdx.x;
        const float *xr = x + row * channels, *dr = dout + row * channels;
        float *dxr = dx + row * channels;
        float s = rstd[row];
        float dot = 0.0f;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) dot += dr[c] * w[c] * xr[c] * s;
        dot = dk_block_sum(dot, scratch);
        float mean = dot / (float)channels;
        for (int c = threadIdx.x; c < channels; c += blockDim.x)
            dxr[c] += s * (dr[c] * w[c] - xr[c] * s * mean);
    }

    // out = (x − mean) · rstd · w + b. x, out [rows, C]; w, b [C]; mean, rstd [rows].
    extern "C" __global__ void dk_layernorm(const float *x, const float *w, const float *b,
                                            float eps, float *out, float *mean, float *rstd,
                                            int channels) {
        __shared__ float scratch[32];
        long long row = blockIdx.x;
        const float *xr = x + row * channels;
        float *outr = out + row * channels;
        float sum = 0.0f;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) sum += xr[c];
        float m = dk_block_sum(sum, scratch) / (float)channels;
        float var = 0.0f;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) var += (xr[c] - m) * (xr[c] - m);
        var = dk_block_sum(var, scratch);
        float s = 1.0f / sqrtf(var / (float)channels + eps);
        if (threadIdx.x == 0) { mean[row] = m; rstd[row] = s; }
        for (int c = threadIdx.x; c < channels; c += blockDim.x)
            outr[c] = (xr[c] - m) * s * w[c] + b[c];
    }

    // dx += s · (dout·w − mean(dout·w) − xhat · mean(dout·w·xhat)). One block per row.
    extern "C" __global__ void dk_layernorm_backward(const float *dout, const float *x,
                                                     const float *w, const float *mean,
                                                     const float *rstd, float *dx, int channels) {
        __shared__ float scratch[32];
        long long row = blockIdx.x;
        const float *xr = x + row * channels, *dr = dout + row * channels;
        float *dxr = dx + row * channels;
        float m = mean[row], s = rstd[row];
        float sumD = 0.0f, sumDX = 0.0f;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) {
            float dxhat = dr[c] * w[c];
            sumD += dxhat;
            sumDX += dxhat * (xr[c] - m) * s;
        }
        sumD = dk_block_sum(sumD, scratch);
        sumDX = dk_block_sum(sumDX, scratch);
        float meanD = sumD / (float)channels, meanDX = sumDX / (float)channels;
        for (int c = threadIdx.x; c < channels; c += blockDim.x) {
            float xhat = (xr[c] - m) * s;
            dxr[c] += s * (dr[c] * w[c] - meanD - xhat * meanDX);
        }
    }

    """#
}
