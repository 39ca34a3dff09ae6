// The kernel families: each is one CUDA C source (prelude + body), compiled by NVRTC into one
// module per process and device architecture.

/// A family of CUDA kernels compiled together into one module.
public enum CUDAKernelFamily: String, CaseIterable, Sendable {
    /// Copies, add, scale, axpy, bias, partial sums and the column sums of weight gradients.
    case elementwise
    /// The embedding gather and its scatter-add backward.
    case embedding
    /// RMSNorm and LayerNorm, forward and backward.
    case normalization
    /// GELU (tanh form) and SwiGLU, forward and backward.
    case activation
    /// Rotary position embedding (rotate-half), forward and inverse.
    case rope
    /// The log-softmax gather of sequence log-probs and its backward.
    case logSoftmax
    /// The AdamW and SGD parameter updates.
    case optimizer
    /// Causal grouped-query attention over packed sequences, forward and backward.
    case attention

    /// The complete CUDA C source: the shared prelude, then the family's kernels. It includes
    /// no headers, so NVRTC compiles it without a CUDA toolkit.
    public var source: String { Self.prelude + body }

    /// The file name given to NVRTC (it appears in compiler messages).
    public var fileName: String { "dicekit_\(rawValue).cu" }

    /// The `extern "C"` kernel entry points the source defines, in source order.
    public var kernelNames: [String] {
        let marker = "extern \"C\" __global__ void "
        return body.components(separatedBy: marker).dropFirst().compactMap { rest in
            rest.split(separator: "(", maxSplits: 1).first.map(String.init)
        }
    }

    private var body: String {
        switch self {
        case .elementwise: Self.elementwiseSource
        case .embedding: Self.embeddingSource
        case .normalization: Self.normalizationSource
        case .activation: Self.activationSource
        case .rope: Self.ropeSource
        case .logSoftmax: Self.logSoftmaxSource
        case .optimizer: Self.optimizerSource
        case .attention: Self.attentionSource
        }
    }
}
