// CUDA C: rotary position embedding, Hugging Face's rotate-half layout.

extension CUDAKernelFamily {
    static let ropeSource = #"""
    // For token n, head h and i < D/2 the pair (x[i], x[i + D/2]) is rotated by
    // sign · positions[n] · θ^(−2i/D). x [N, heads, D] in place; positions [N].
    extern "C" __global__ void dk_rope(float *x, const int *positions, long long tokens,
                                       int heads, int headSize, float theta, float sign) {
        int half = headSize / 2;
        DK_FOR_EACH(t, tokens * heads * half) {
            long long nh = t / half;
            int i = (int)(t % half);
            long long n = nh / heads;
            float inverseFrequency = 1.0f / powf(theta, (float)(2 * i) / (float)headSize);
            float angle = (float)positions[n] * inverseFrequency;
            float c = cosf(angle), s = sign * sinf(angle);
            float *v = x + nh * headSize;
            float a = v[i], b = v[i + half];
            v[i] = a * c - b * s;
            v[i + half] = b * c + a * s;
        }
    }

    """#
}
