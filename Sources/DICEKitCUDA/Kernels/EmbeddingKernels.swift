// CUDA C: token embedding lookup and its scatter-add backward.

extension CUDAKernelFamily {
    static let embeddingSource = #"""
    // out[n, c] = table[ids[n], c]. ids [N] (checked on the host), table [V, C], out [N, C].
    extern "C" __global__ void dk_embedding(const int *ids, const float *table, float *out,
                                            long long tokens, int channels) {
        DK_FOR_EACH(i, tokens * channels) {
            long long n = i / channels, c = i % channels;
            out[i] = table[(long long)ids[n] * channels + c];
        }
    }

    // dtable[ids[n], c] += dout[n, c]. One thread per channel walks the tokens in order, so
    // repeated ids accumulate without atomics and in a fixed order.
    extern "C" __global__ void dk_embedding_backward(const int *ids, const float *dout,
                                                     float *dtable, long long tokens,
                                                     int channels) {
        DK_FOR_EACH(c, channels) {
            for (long long n = 0; n < tokens; n++) {
                dtable[(long long)ids[n] * channels + c] += dout[n * channels + c];
            }
        }
    }

    """#
}
