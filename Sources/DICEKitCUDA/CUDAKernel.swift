// The kernel entry points the backend launches, by family.

/// One `extern "C"` kernel of a `CUDAKernelFamily` source.
enum CUDAKernel: String, CaseIterable, Sendable {
    case add = "dk_add", scale = "dk_scale", axpy = "dk_axpy", addBias = "dk_add_bias"
    case copy2D = "dk_copy2d", partialSums = "dk_partial_sums"
    case columnPartials = "dk_column_partials", columnFinish = "dk_column_finish"
    case embedding = "dk_embedding", embeddingBackward = "dk_embedding_backward"
    case rmsNorm = "dk_rmsnorm", rmsNormBackward = "dk_rmsnorm_backward"
    case layerNorm = "dk_layernorm", layerNormBackward = "dk_layernorm_backward"
    case gelu = "dk_gelu", geluBackward = "dk_gelu_backward"
    case swiglu = "dk_swiglu", swigluBackward = "dk_swiglu_backward"
    case geglu = "dk_geglu", gegluBackward = "dk_geglu_backward"
    case rope = "dk_rope"
    case logSoftmaxGather = "dk_log_softmax_gather"
    case logSoftmaxGatherBackward = "dk_log_softmax_gather_backward"
    case adamW = "dk_adamw", sgd = "dk_sgd"
    case attentionForward = "dk_attention_forward"
    case attentionBackwardQ = "dk_attention_backward_q"
    case attentionBackwardKV = "dk_attention_backward_kv"

    /// The family whose module defines this kernel.
    var family: CUDAKernelFamily {
        switch self {
        case .add, .scale, .axpy, .addBias, .copy2D, .partialSums, .columnPartials, .columnFinish:
            .elementwise
        case .embedding, .embeddingBackward: .embedding
        case .rmsNorm, .rmsNormBackward, .layerNorm, .layerNormBackward: .normalization
        case .gelu, .geluBackward, .swiglu, .swigluBackward, .geglu, .gegluBackward: .activation
        case .rope: .rope
        case .logSoftmaxGather, .logSoftmaxGatherBackward: .logSoftmax
        case .adamW, .sgd: .optimizer
        case .attentionForward, .attentionBackwardQ, .attentionBackwardKV: .attention
        }
    }
}
