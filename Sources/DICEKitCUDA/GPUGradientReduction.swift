// GPUGradientReduction: how the ranks of a data-parallel run sum their gradients — NCCL on the
// GPUs when every rank can load it, else the host communicator's all-reduce (host copies).

import DICEKit

/// The gradient transport of a data-parallel run, chosen collectively by `choose(host:backend:)`.
public enum GPUGradientReduction {
    /// NCCL sums the gradient on the GPUs (give the trainer this reducer: it `sumsOverRanks`).
    case nccl(NCCLGradientReducer)
    /// The trainer's all-reduce over the host communicator (`AllReduceGradientReducer`: the
    /// gradient copied to the host and back); `notice` says why NCCL is not used (nil: one
    /// process without a launcher, or ranks that compute on the CPU: nothing else applies).
    case host(notice: String?)

    /// The transport for the ranks of `host` computing on `backend`: NCCL when a launcher started
    /// them (`host` is not a `LocalCommunicator`; `mpirun -np 1` on one GPU makes a one-rank NCCL
    /// communicator, which still runs NCCL's all-reduce every update), they compute on CUDA, and
    /// every one of them loads NCCL (`agreedLibrary`); then every rank joins the NCCL
    /// communicator (a collective: every rank calls this).
    /// - Parameter loadLibrary: opens NCCL (default: `NCCLLibrary()`, which searches
    ///   `DICEKIT_LIBNCCL`, the system and the `nvidia-nccl-cu12` wheel).
    /// - Throws: what `host` throws; `CommunicatorError` from `ncclCommInitRank`.
    public static func choose(host: any Communicator, backend: any Backend,
                              loadLibrary: () throws -> NCCLLibrary = { try NCCLLibrary() }) throws -> GPUGradientReduction {
        guard let cuda = backend as? CUDABackend else { return .host(notice: nil) }
        let (library, notice) = try agreedLibrary(host: host, loadLibrary: loadLibrary)
        guard let library else { return .host(notice: notice) }
        return .nccl(NCCLGradientReducer(try NCCLCommunicator(library: library, host: host, backend: cuda)))
    }

    /// NCCL when `host` is a launcher's communicator (not a `LocalCommunicator`) and every rank
    /// loaded it with `loadLibrary` (the ranks agree, so that none joins an NCCL communicator
    /// alone); otherwise nil and a one-line notice saying why and that the gradients go through
    /// the host (no notice for a `LocalCommunicator`: one process needs no NCCL). A collective:
    /// every rank calls it.
    /// - Throws: what the all-gather throws.
    public static func agreedLibrary(host: any Communicator, loadLibrary: () throws -> NCCLLibrary) throws
        -> (library: NCCLLibrary?, notice: String?) {
        if host is LocalCommunicator { return (nil, nil) }
        var library: NCCLLibrary?
        var failure = ""
        do { library = try loadLibrary() } catch { failure = String(describing: error) }
        let loaded = try host.allGather(library == nil ? [] : [1])
        let missing = loaded.indices.filter { loaded[$0].isEmpty }
        guard missing.isEmpty, let library else {
            let reason = library == nil ? failure : "rank(s) \(missing.map(String.init).joined(separator: ", ")) could not load it"
            return (nil, "notice: NCCL cannot be used (\(reason)); the gradients are summed over the host communicator (copied to the host and back)")
        }
        return (library, nil)
    }
}
