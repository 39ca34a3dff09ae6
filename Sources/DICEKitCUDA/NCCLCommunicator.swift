// NCCLCommunicator: one rank per GPU; the NCCL unique id is made by rank 0 and shared over the
// host communicator (MPI), as llm.c does; gradients are all-reduced on the GPU.

import CCUDAShim
import CMPIShim
import DICEKit

/// An NCCL communicator over the ranks of `host` (an `MPICommunicator`: one rank per GPU), for
/// summing device buffers of a `CUDABackend`.
///
/// Made collectively: rank 0 calls `ncclGetUniqueId`, the 128-byte id is broadcast over `host`,
/// and every rank calls `ncclCommInitRank` with its rank and the size of `host`, with its
/// backend's CUDA context current. NCCL's sum runs in NCCL's own order (ring or tree, chosen per
/// size): for the same ranks, GPUs and `NCCL_ALGO`/`NCCL_PROTO` a rerun gives the same bits; set
/// `NCCL_ALGO=Ring` to pin it.
public final class NCCLCommunicator {
    /// This rank (that of `host`).
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// The NCCL library in use.
    public let library: NCCLLibrary
    private let backend: CUDABackend
    private let comm: UnsafeMutableRawPointer

    /// Joins the NCCL communicator of every rank of `host` on `backend`'s GPU.
    /// - Throws: `CommunicatorError` from the id's broadcast or from ncclCommInitRank.
    public init(library: NCCLLibrary, host: any Communicator, backend: CUDABackend) throws {
        let id = try host.broadcast(host.rank == 0 ? try library.uniqueID() : [], root: 0)
        guard id.count == Int(DK_NCCL_UNIQUE_ID_BYTES) else {
            throw CommunicatorError.countMismatch(operation: "the NCCL unique id", expected: Int(DK_NCCL_UNIQUE_ID_BYTES),
                                                  rank: 0, actual: id.count)
        }
        backend.makeCurrent()
        var made: UnsafeMutableRawPointer?
        let status = id.withUnsafeBytes { dk_nccl_comm_init(library.api, &made, Int32(host.size), $0.baseAddress!, Int32(host.rank)) }
        try library.check(status, "ncclCommInitRank", rank: host.rank)
        guard let made else {
            throw CommunicatorError.transport(rank: host.rank, operation: "ncclCommInitRank", message: "no communicator returned")
        }
        self.rank = host.rank
        self.size = host.size
        self.library = library
        self.backend = backend
        self.comm = made
    }

    deinit { _ = dk_nccl_comm_destroy(library.api, comm) }

    /// Sums `slice` (on the backend's GPU) over the ranks, in place, on the backend's stream,
    /// and waits for it.
    /// - Throws: `CommunicatorError.transport` with NCCL's message.
    public func allReduceSum(_ slice: BufferSlice) throws {
        backend.makeCurrent()
        let address = backend.address(slice)
        let pointer = UnsafeMutableRawPointer(bitPattern: UInt(address))
        guard let pointer else { return }
        let status = dk_nccl_all_reduce_sum(library.api, pointer, pointer, slice.count, Int32(DK_NCCL_FLOAT32), comm,
                                            UnsafeMutableRawPointer(backend.stream))
        try library.check(status, "ncclAllReduce of \(slice.count) Float values", rank: rank)
        backend.synchronize()
    }
}

/// The data-parallel `GradientReducer` of GPU ranks: the gradient summed over the ranks by NCCL,
/// on the GPU (no copy to the host).
public struct NCCLGradientReducer: GradientReducer {
    /// The GPUs that train together.
    public let communicator: NCCLCommunicator

    /// A reducer over `communicator`.
    public init(_ communicator: NCCLCommunicator) {
        self.communicator = communicator
    }

    /// True: the result is the sum over the ranks.
    public var sumsOverRanks: Bool { true }

    /// Sums `gradients` over the ranks in place.
    /// - Throws: `CommunicatorError.transport`.
    public func reduce(_ gradients: BufferSlice, on backend: any Backend) throws {
        try communicator.allReduceSum(gradients)
    }
}
