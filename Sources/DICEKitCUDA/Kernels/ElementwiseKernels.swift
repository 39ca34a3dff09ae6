// CUDA C: elementwise arithmetic, bias, strided 2-D copies, and Double-precision partial sums.

extension CUDAKernelFamily {
    static let elementwiseSource = #"""
    // out = a + b. a, b, out [n]; out may alias a or b.
    extern "C" __global__ void dk_add(const float *a, const float *b, float *out, long long n) {
        DK_FOR_EACH(i, n) out[i] = a[i] + b[i];
    }

    // x *= alpha. x [n].
    extern "C" __global__ void dk_scale(float *x, long long n, float alpha) {
        DK_FOR_EACH(i, n) x[i] *= alpha;
    }

    // y += alpha · x. x, y [n].
    extern "C" __global__ void dk_axpy(float alpha, const float *x, float *y, long long n) {
        DK_FOR_EACH(i, n) y[i] += alpha * x[i];
    }

    // x[r, c] += bias[c]. x [rows, columns], bias [columns].
    extern "C" __global__ void dk_add_bias(float *x, const float *bias, long long rows, int columns) {
        DK_FOR_EACH(i, rows * columns) x[i] += bias[i % columns];
    }

    // dst[r·dstStride + c] (= or +=) src[r·srcStride + c] for a rows × columns block.
    extern "C" __global__ void dk_copy2d(const float *src, long long srcStride, float *dst,
                                         long long dstStride, long long rows, int columns,
                                         int accumulate) {
        DK_FOR_EACH(i, rows * columns) {
            long long r = i / columns, c = i % columns;
            float v = src[r * srcStride + c];
            if (accumulate) dst[r * dstStride + c] += v; else dst[r * dstStride + c] = v;
        }
    }

    // partials[block] = Σ f(x[i]) over this block's grid-stride share, in Double;
    // f(x) = x, or x² when `squares`. Block size 256; the host adds the partials in order.
    extern "C" __global__ void dk_partial_sums(const float *x, long long n, int squares,
                                               double *partials) {
        __shared__ double scratch[32];
        double s = 0.0;
        DK_FOR_EACH(i, n) {
            double v = (double)x[i];
            s += squares ? v * v : v;
        }
        int lane = threadIdx.x % DK_WARP, warp = threadIdx.x / DK_WARP;
        s = dk_warp_sum_double(s);
        if (lane == 0) scratch[warp] = s;
        __syncthreads();
        if (warp == 0) {
            int warps = blockDim.x / DK_WARP;
            s = lane < warps ? scratch[lane] : 0.0;
            s = dk_warp_sum_double(s);
            if (lane == 0) partials[blockIdx.x] = s;
        }
    }

    // Column sums in two deterministic stages. Stage 1: block (32, 8) over a tile of 32
    // columns and the row chunk blockIdx.y (rows chunkRows·y ..< chunkRows·(y+1)):
    //   partials[y, c] = Σ_r term(r, c), where term is
    //   mode 0: a[r, c]                     (bias gradients)
    //   mode 1: a[r, c] · b[r, c] · s[r]      (RMSNorm weight gradient: dout · x · rstd)
    //   mode 2: a[r, c] · (b[r, c] − m[r]) · s[r]   (LayerNorm weight gradient)
    // a, b [rows, columns]; m, s [rows]; partials [gridDim.y, columns].
    extern "C" __global__ void dk_column_partials(const float *a, const float *b, const float *m,
                                                  const float *s, int mode, long long rows,
                                                  int columns, long long chunkRows,
                                                  float *partials) {
        __shared__ float tile[8][33];
        int c = blockIdx.x * 32 + threadIdx.x;
        long long lower = chunkRows * blockIdx.y;
        long long upper = lower + chunkRows < rows ? lower + chunkRows : rows;
        float acc = 0.0f;
        if (c < columns) {
            for (long long r = lower + threadIdx.y; r < upper; r += 8) {
                float v = a[r * columns + c];
                if (mode == 1) v *= b[r * columns + c] * s[r];
                else if (mode == 2) v *= (b[r * columns + c] - m[r]) * s[r];
                acc += v;
            }
        }
        tile[threadIdx.y][threadIdx.x] = acc;
        __syncthreads();
        if (threadIdx.y == 0 && c < columns) {
            float total = 0.0f;
            for (int y = 0; y < 8; y++) total += tile[y][threadIdx.x];
            partials[(long long)blockIdx.y * columns + c] = total;
        }
    }

    // Stage 2: out[c] += Σ_y partials[y, c], y in order. partials [chunks, columns].
    extern "C" __global__ void dk_column_finish(const float *partials, int chunks, int columns,
                                                float *out) {
        DK_FOR_EACH(c, columns) {
            float total = 0.0f;
            for (int y = 0; y < chunks; y++) total += partials[(long long)y * columns + c];
            out[c] += total;
        }
    }

    """#
}
