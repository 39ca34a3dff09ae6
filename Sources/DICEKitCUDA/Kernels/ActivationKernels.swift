// CUDA C: GELU (tanh form), SwiGLU and GeGLU, forward and backward.

extension CUDAKernelFamily {
    static let activationSource = #"""
    #define DK_GELU_SCALE 0.7978845608028654f
    #define DK_GELU_CUBIC 0.044715f

    // out = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). x, out [n].
    extern "C" __global__ void dk_gelu(const float *x, float *out, long long n) {
        DK_FOR_EACH(i, n) {
            float v = x[i];
            float t = tanhf(DK_GELU_SCALE * (v + DK_GELU_CUBIC * v * v * v));
            out[i] = 0.5f * v * (1.0f + t);
        }
    }

    // dx += gelu'(x) · dout.
    extern "C" __global__ void dk_gelu_backward(const float *x, const float *dout, float *dx,
                                                long long n) {
        DK_FOR_EACH(i, n) {
            float v = x[i];
            float t = tanhf(DK_GELU_SCALE * (v + DK_GELU_CUBIC * v * v * v));
            float dt = (1.0f - t * t) * DK_GELU_SCALE * (1.0f + 3.0f * DK_GELU_CUBIC * v * v);
            dx[i] += dout[i] * (0.5f * (1.0f + t) + 0.5f * v * dt);
        }
    }

    // out = silu(gate) · up. gate, up, out [n].
    extern "C" __global__ void dk_swiglu(const float *gate, const float *up, float *out,
                                         long long n) {
        DK_FOR_EACH(i, n) {
            float g = gate[i];
            out[i] = g / (1.0f + expf(-g)) * up[i];
        }
    }

    // dgate += dout · up · silu'(gate); dup += dout · silu(gate).
    extern "C" __global__ void dk_swiglu_backward(const float *gate, const float *up,
                                                  const float *dout, float *dgate, float *dup,
                                                  long long n) {
        DK_FOR_EACH(i, n) {
            float g = gate[i];
            float sigma = 1.0f / (1.0f + expf(-g));
            dup[i] += dout[i] * g * sigma;
            dgate[i] += dout[i] * up[i] * sigma * (1.0f + g * (1.0f - sigma));
        }
    }

    // out = gelu(gate) · up (tanh form). gate, up, out [n].
    extern "C" __global__ void dk_geglu(const float *gate, const float *up, float *out,
                                        long long n) {
        DK_FOR_EACH(i, n) {
            float v = gate[i];
            float t = tanhf(DK_GELU_SCALE * (v + DK_GELU_CUBIC * v * v * v));
            out[i] = 0.5f * v * (1.0f + t) * up[i];
        }
    }

    // dgate += dout · up · gelu'(gate); dup += dout · gelu(gate).
    extern "C" __global__ void dk_geglu_backward(const float *gate, const float *up,
                                                 const float *dout, float *dgate, float *dup,
                                                 long long n) {
        DK_FOR_EACH(i, n) {
            float v = gate[i];
            float t = tanhf(DK_GELU_SCALE * (v + DK_GELU_CUBIC * v * v * v));
            float dt = (1.0f - t * t) * DK_GELU_SCALE * (1.0f + 3.0f * DK_GELU_CUBIC * v * v);
            dup[i] += dout[i] * 0.5f * v * (1.0f + t);
            dgate[i] += dout[i] * up[i] * (0.5f * (1.0f + t) + 0.5f * v * dt);
        }
    }

    """#
}
