// CUDA C: the sequence log-prob kernel (log-softmax gathered at the target) and its backward,
// one block per row.

extension CUDAKernelFamily {
    static let logSoftmaxSource = #"""
    // lse[n] = log Σ_v exp(logits[n, v]); logp[n] = logits[n, targets[n]] − lse[n].
    // logits [N, V]; targets [N] (checked on the host); logp, lse [N].
    extern "C" __global__ void dk_log_softmax_gather(const float *logits, const int *targets,
                                                     float *logp, float *lse, int vocabulary) {
        __shared__ float scratch[32];
        long long n = blockIdx.x;
        const float *row = logits + n * vocabulary;
        float m = -__int_as_float(0x7f800000);
        for (int v = threadIdx.x; v < vocabulary; v += blockDim.x) m = fmaxf(m, row[v]);
        m = dk_block_max(m, scratch);
        float l;
        if (isinf(m)) {
            l = m;  // all −∞ (or +∞ present): as the CPU's logSumExp
        } else {
            float s = 0.0f;
            for (int v = threadIdx.x; v < vocabulary; v += blockDim.x) s += expf(row[v] - m);
            s = dk_block_sum(s, scratch);
            l = m + logf(s);
        }
        if (threadIdx.x == 0) {
            lse[n] = l;
            logp[n] = row[targets[n]] - l;
        }
    }

    // dlogits[n, v] += dlogp[n] · (𝟙[v = targets[n]] − exp(logits[n, v] − lse[n])).
    extern "C" __global__ void dk_log_softmax_gather_backward(const float *logits,
                                                              const int *targets,
                                                              const float *lse,
                                                              const float *dlogp, float *dlogits,
                                                              int vocabulary) {
        long long n = blockIdx.x;
        float g = dlogp[n];
        if (g == 0.0f) return;
        const float *row = logits + n * vocabulary;
        float *drow = dlogits + n * vocabulary;
        float l = lse[n];
        int target = targets[n];
        for (int v = threadIdx.x; v < vocabulary; v += blockDim.x) {
            float d = drow[v] - g * expf(row[v] - l);
            if (v == target) d += g;
            drow[v] = d;
        }
    }

    """#
}
