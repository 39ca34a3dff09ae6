// CUDA C: causal grouped-query attention over packed sequences, one warp per row.
//
// The host describes the batch with small integer tables (see CUDAAttentionPlan):
//   seqs    [S, 7]  queryStart, queryCount, keyStart, keyCount, prefixStart, prefixCount,
//                   window (0: none)
//   items   [W, 2]  (sequence, query i within it), one per query row
//   keyRows [R]     the distinct key rows read by any sequence
//   offsets [R + 1] CSR offsets into entries
//   entries [E, 2]  (sequence, score column j) for each use of a key row
// Score column j of a sequence is its prefix key j (j < prefixCount), else its own key
// j − prefixCount; query i sees columns 0 ... total − queryCount + i (total = prefix + keys),
// or with a window W only the last W of them.
// Each lane holds the head dimensions d = lane + 32·t, t < DK_MAX_SLOTS (D ≤ 256).
// The forward keeps a running (online) softmax; the backward recomputes P from the saved
// log-sum-exp. dQ is accumulated per query row and dK, dV per key row, each by one warp, in a
// fixed order: no atomics, the results are deterministic.

extension CUDAKernelFamily {
    static let attentionSource = #"""
    #define DK_MAX_SLOTS 8

    __device__ __forceinline__ long long dk_key_row(const int *sq, int j) {
        return j < sq[5] ? (long long)sq[4] + j : (long long)sq[2] + (j - sq[5]);
    }

    // The first score column a query whose columns end before `visible` sees.
    __device__ __forceinline__ int dk_first_column(const int *sq, int visible) {
        return sq[6] > 0 && visible > sq[6] ? visible - sq[6] : 0;
    }

    // out [Nq, H, D] and lse [Nq, H] from q [Nq, H, D], k, v [Nk, G, D].
    extern "C" __global__ void dk_attention_forward(const float *q, const float *k,
                                                    const float *v, float *out, float *lse,
                                                    const int *seqs, const int *items,
                                                    int itemCount, int heads, int kvHeads,
                                                    int headSize, float scale) {
        long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / DK_WARP;
        int lane = threadIdx.x % DK_WARP;
        if (warp >= (long long)itemCount * heads) return;
        int item = (int)(warp / heads), h = (int)(warp % heads);
        const int *sq = seqs + 7 * items[2 * item];
        int i = items[2 * item + 1];
        int total = sq[5] + sq[3];
        int visible = total - sq[1] + i + 1;
        int g = h / (heads / kvHeads);
        long long row = (long long)sq[0] + i;
        const float *qr = q + (row * heads + h) * headSize;
        float qv[DK_MAX_SLOTS], acc[DK_MAX_SLOTS];
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            qv[t] = d < headSize ? qr[d] : 0.0f;
            acc[t] = 0.0f;
        }
        float m = -__int_as_float(0x7f800000), l = 0.0f;
        for (int j = dk_first_column(sq, visible); j < visible; j++) {
            long long offset = (dk_key_row(sq, j) * kvHeads + g) * headSize;
            const float *kr = k + offset, *vr = v + offset;
            float dot = 0.0f;
            for (int t = 0; t < DK_MAX_SLOTS; t++) {
                int d = lane + DK_WARP * t;
                if (d < headSize) dot += qv[t] * kr[d];
            }
            float score = dk_warp_sum(dot) * scale;
            float mNew = fmaxf(m, score);
            float correction = expf(m - mNew), p = expf(score - mNew);
            l = l * correction + p;
            for (int t = 0; t < DK_MAX_SLOTS; t++) {
                int d = lane + DK_WARP * t;
                if (d < headSize) acc[t] = acc[t] * correction + p * vr[d];
            }
            m = mNew;
        }
        float *outr = out + (row * heads + h) * headSize;
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            if (d < headSize) outr[d] = acc[t] / l;
        }
        if (lane == 0) lse[row * heads + h] = m + logf(l);
    }

    // dq += scale · Σ_j dS_ij k_j, with dS_ij = P_ij (dO_i·v_j − δ_i) and δ_i = dO_i·O_i,
    // which is also written to delta [Nq, H] for dk_attention_backward_kv.
    extern "C" __global__ void dk_attention_backward_q(const float *dout, const float *q,
                                                       const float *k, const float *v,
                                                       const float *out, const float *lse,
                                                       float *dq, float *delta,
                                                       const int *seqs, const int *items,
                                                       int itemCount, int heads, int kvHeads,
                                                       int headSize, float scale) {
        long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / DK_WARP;
        int lane = threadIdx.x % DK_WARP;
        if (warp >= (long long)itemCount * heads) return;
        int item = (int)(warp / heads), h = (int)(warp % heads);
        const int *sq = seqs + 7 * items[2 * item];
        int i = items[2 * item + 1];
        int total = sq[5] + sq[3];
        int visible = total - sq[1] + i + 1;
        int g = h / (heads / kvHeads);
        long long row = (long long)sq[0] + i;
        long long base = (row * heads + h) * headSize;
        float qv[DK_MAX_SLOTS], dov[DK_MAX_SLOTS], acc[DK_MAX_SLOTS];
        float dd = 0.0f;
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            qv[t] = d < headSize ? q[base + d] : 0.0f;
            dov[t] = d < headSize ? dout[base + d] : 0.0f;
            if (d < headSize) dd += dov[t] * out[base + d];
            acc[t] = 0.0f;
        }
        float di = dk_warp_sum(dd);
        float li = lse[row * heads + h];
        for (int j = dk_first_column(sq, visible); j < visible; j++) {
            long long offset = (dk_key_row(sq, j) * kvHeads + g) * headSize;
            const float *kr = k + offset, *vr = v + offset;
            float sd = 0.0f, pd = 0.0f;
            for (int t = 0; t < DK_MAX_SLOTS; t++) {
                int d = lane + DK_WARP * t;
                if (d < headSize) { sd += qv[t] * kr[d]; pd += dov[t] * vr[d]; }
            }
            float p = expf(dk_warp_sum(sd) * scale - li);
            float ds = p * (dk_warp_sum(pd) - di) * scale;
            for (int t = 0; t < DK_MAX_SLOTS; t++) {
                int d = lane + DK_WARP * t;
                if (d < headSize) acc[t] += ds * kr[d];
            }
        }
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            if (d < headSize) dq[base + d] += acc[t];
        }
        if (lane == 0) delta[row * heads + h] = di;
    }

    // For key row keyRows[r] and kv head g: dv += Σ P_ij dO_i and dk += scale · Σ dS_ij q_i
    // over every (sequence, column j) that reads the row, every query i that sees column j and
    // every query head of the group.
    extern "C" __global__ void dk_attention_backward_kv(const float *dout, const float *q,
                                                        const float *k, const float *v,
                                                        const float *lse, const float *delta,
                                                        float *dk, float *dv, const int *seqs,
                                                        const int *keyRows, const int *offsets,
                                                        const int *entries, int rowCount,
                                                        int heads, int kvHeads, int headSize,
                                                        float scale) {
        long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / DK_WARP;
        int lane = threadIdx.x % DK_WARP;
        if (warp >= (long long)rowCount * kvHeads) return;
        int r = (int)(warp / kvHeads), g = (int)(warp % kvHeads);
        int group = heads / kvHeads;
        long long base = ((long long)keyRows[r] * kvHeads + g) * headSize;
        float kv[DK_MAX_SLOTS], vv[DK_MAX_SLOTS], dka[DK_MAX_SLOTS], dva[DK_MAX_SLOTS];
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            kv[t] = d < headSize ? k[base + d] : 0.0f;
            vv[t] = d < headSize ? v[base + d] : 0.0f;
            dka[t] = 0.0f;
            dva[t] = 0.0f;
        }
        for (int e = offsets[r]; e < offsets[r + 1]; e++) {
            const int *sq = seqs + 7 * entries[2 * e];
            int j = entries[2 * e + 1];
            int tq = sq[1], total = sq[5] + sq[3];
            int first = j - (total - tq);
            if (first < 0) first = 0;
            // With a window W, query i sees column j while total − tq + i − W < j.
            int end = sq[6] > 0 ? j + sq[6] - (total - tq) : tq;
            if (end > tq) end = tq;
            for (int i = first; i < end; i++) {
                long long row = (long long)sq[0] + i;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    long long qb = (row * heads + h) * headSize;
                    float sd = 0.0f, pd = 0.0f;
                    for (int t = 0; t < DK_MAX_SLOTS; t++) {
                        int d = lane + DK_WARP * t;
                        if (d < headSize) { sd += q[qb + d] * kv[t]; pd += dout[qb + d] * vv[t]; }
                    }
                    float p = expf(dk_warp_sum(sd) * scale - lse[row * heads + h]);
                    float ds = p * (dk_warp_sum(pd) - delta[row * heads + h]) * scale;
                    for (int t = 0; t < DK_MAX_SLOTS; t++) {
                        int d = lane + DK_WARP * t;
                        if (d < headSize) {
                            dva[t] += p * dout[qb + d];
                            dka[t] += ds * q[qb + d];
                        }
                    }
                }
            }
        }
        for (int t = 0; t < DK_MAX_SLOTS; t++) {
            int d = lane + DK_WARP * t;
            if (d < headSize) { dk[base + d] += dka[t]; dv[base + d] += dva[t]; }
        }
    }

    """#
}
