// CUDA C: AdamW and SGD parameter updates (PyTorch's rules; the bias corrections are computed
// on the host, as the CPU backend does).

extension CUDAKernelFamily {
    static let optimizerSource = #"""
    // m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
    // θ = θ · decay − stepSize · m / (sqrt(v) / rootCorrection2 + eps).
    extern "C" __global__ void dk_adamw(float *params, const float *grads, float *m, float *v,
                                        long long n, float beta1, float beta2, float eps,
                                        float decay, float stepSize, float rootCorrection2) {
        DK_FOR_EACH(i, n) {
            float g = grads[i];
            float mi = beta1 * m[i] + (1.0f - beta1) * g;
            float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            float denom = sqrtf(vi) / rootCorrection2 + eps;
            params[i] = params[i] * decay - stepSize * mi / denom;
        }
    }

    // g' = g + λθ; with momentum μ ≠ 0: buf = μ buf + g', θ −= lr · buf; else θ −= lr · g'.
    extern "C" __global__ void dk_sgd(float *params, const float *grads, float *buffer,
                                      long long n, float learningRate, float momentum,
                                      float weightDecay) {
        DK_FOR_EACH(i, n) {
            float g = grads[i] + weightDecay * params[i];
            if (momentum != 0.0f) {
                float b = momentum * buffer[i] + g;
                buffer[i] = b;
                params[i] -= learningRate * b;
            } else {
                params[i] -= learningRate * g;
            }
        }
    }

    """#
}
