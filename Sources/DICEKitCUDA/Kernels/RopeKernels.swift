// CUDA C: rotary position embedding, Hugging Face's rotate-half layout.

extension CUDAKernelFamily {
    static let ropeSource = #"""
    // For token n, head h and i < D/2 the pair (x[i], x[i + D/2]) is rotated by
    // sign · positions[n] · inverseFrequencies[i]. x [N, heads, D] in place; positions [N];
    // inverseFrequencies [D/2] (computed on the host per layer).
    extern "C" __global__ void dk_rope(float *x, const int *positions,
                                       const float *inverseFrequencies, long long tokens,
                                       int heads, int headSize, float sign) {
        int half = headSize / 2;
        DK_FOR_EACH(t, tokens * heads * half) {
            long long nh = t / half;
            int i = (int)(t % half);
            long long n = nh / heads;
            float angle = (float)positions[n] * inverseFrequencies[i];
            float c = cosf(angle), s = sign * sinf(angle);
            float *v = x + nh * headSize;
            float a = v[i], b = v[i + half];
            v[i] = a * c - b * s;
            v[i + half] = b * c + a * s;
        }
    }

    """#
}
