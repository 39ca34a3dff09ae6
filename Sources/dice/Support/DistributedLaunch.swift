// DistributedLaunch: the communicator of a `dice` process — Open MPI when an MPI launcher
// started it (mpirun, srun), one process otherwise — and the steps every distributed command
// shares (the reference log-probs by slices).

import ArgumentParser
import DICEKit
import DICEKitCUDA
import Foundation

enum DistributedLaunch {
    /// `MPICommunicator` when `MPICommunicator.isLaunched()` (Open MPI's mpirun or srun set the
    /// environment), else `LocalCommunicator`.
    /// - Throws: `CommunicatorError.unavailable` when launched by MPI but Open MPI cannot be loaded.
    static func communicator() throws -> any Communicator {
        MPICommunicator.isLaunched() ? try MPICommunicator() : LocalCommunicator()
    }

    /// This process's rank among the ranks on its host (`OMPI_COMM_WORLD_LOCAL_RANK`,
    /// `SLURM_LOCALID` or `MPI_LOCALRANKID`), when several ranks run; nil for one process.
    static func localRank(of communicator: any Communicator,
                          environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        guard communicator.size > 1 else { return nil }
        return ["OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"].lazy
            .compactMap { environment[$0].flatMap { Int($0) } }.first ?? communicator.rank
    }

    /// The gradient transport of a data-parallel run on `backend`: NCCL on CUDA ranks (rank 0
    /// prints a one-line notice when it falls back to the host all-reduce), nil otherwise.
    /// - Throws: as `GPUGradientReduction.choose`.
    static func gpuReducer(_ communicator: any Communicator, backend: any Backend) throws -> NCCLGradientReducer? {
        switch try GPUGradientReduction.choose(host: communicator, backend: backend) {
        case .nccl(let reducer):
            return reducer
        case .host(let notice):
            if let notice, communicator.rank == 0 { warn(notice) }
            return nil
        }
    }

    /// Fails before any work when an MPI launcher started this process with several ranks
    /// (`OMPI_COMM_WORLD_SIZE`, `PMIX_SIZE` or `SLURM_NTASKS` above 1), for `command`s that run in
    /// one process only; MPI is not initialised.
    /// - Throws: `ValidationError` naming the command, the rank count and what runs in parallel.
    static func refuseSeveralRanks(_ command: String,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard MPICommunicator.isLaunched(environment: environment) else { return }
        let size = ["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS"].compactMap { environment[$0].flatMap { Int($0) } }
            .max() ?? 1
        guard size > 1 else { return }
        throw ValidationError("\(command) runs in one process, but mpirun started \(size) ranks: run it without mpirun "
            + "(data-parallel training is `mpirun -np N dice dpo …`; see Documentation/Distributed.md)")
    }

    /// Runs `body` with this process's communicator and finalizes MPI after a normal end; an
    /// error leaves MPI unfinalized, so the process exits non-zero and the launcher ends the job.
    static func run(_ body: (any Communicator) throws -> Void) throws {
        try reportingErrors {
            let communicator = try communicator()
            try body(communicator)
            (communicator as? MPICommunicator)?.finalize()
        }
    }

    /// The reference log-probs of `pairs` over several ranks: rank 0's cache when complete;
    /// otherwise each rank scores its contiguous share of the `batchSize` batches (the batches
    /// of one process), the shares are gathered in rank order and rank 0 stores them in the cache.
    /// - Throws: what the cache, the reference and the communicator throw.
    static func referenceLogProbs(_ cache: ReferenceLogProbCache, key: String, pairs: [PreferencePair], batchSize: Int,
                                  communicator: any Communicator,
                                  reference: () throws -> any ReferenceModel) throws -> ReferenceLogProbs {
        let cached = try communicator.agree {
            communicator.rank == 0 ? try cache.complete(key, count: pairs.count).map { try JSONEncoder().encode($0) } : nil
        }
        let shared = try communicator.broadcast(cached.map { Array($0) } ?? [], root: 0)
        if !shared.isEmpty { return try JSONDecoder().decode(ReferenceLogProbs.self, from: Data(shared)) }
        let step = max(1, batchSize), batches = (pairs.count + step - 1) / step
        let mine = communicator.shard(of: batches)
        let range = min(pairs.count, mine.lowerBound * step)..<min(pairs.count, mine.upperBound * step)
        let part = try communicator.agree {
            range.isEmpty ? ReferenceLogProbs(chosen: [], rejected: [])
                : try ReferenceLogProbs.compute(Array(pairs[range]), reference: reference(), batchSize: step)
        }
        let values = ReferenceLogProbs(chosen: try communicator.allGatherConcatenated(part.chosen),
                                       rejected: try communicator.allGatherConcatenated(part.rejected))
        try communicator.agree { if communicator.rank == 0 { try cache.store(values, key: key) } }
        return values
    }
}
