// CMPIShim: Open MPI (libmpi.so.40) bound at run time with dlopen/dlsym, so that DICEKit builds
// and runs without MPI; only a program launched by mpirun (or srun) opens the library.
//
// The few MPI functions used are looked up by name; MPI's handles (MPI_COMM_WORLD, MPI_BYTE,
// MPI_ERRORS_RETURN) are, in Open MPI's ABI, the addresses of the exported globals
// `ompi_mpi_comm_world`, `ompi_mpi_byte` and `ompi_mpi_errors_return`, so they are looked up
// too. MPI_STATUS_IGNORE is NULL in Open MPI.
//
// Every collective of MPICommunicator is built from one primitive, `dk_mpi_exchange`: post a
// receive from and a send to each listed peer (non-blocking), then poll until all complete or a
// deadline passes, naming the first peer that did not answer. That is what lets a rank that
// waits for a dead peer stop with the peer's rank instead of hanging.
#ifndef CMPISHIM_H
#define CMPISHIM_H

#include <stddef.h>

/// The bound library: function pointers and predefined handles.
typedef struct DKMPIAPI DKMPIAPI;

/// Opens `path` (RTLD_NOW | RTLD_GLOBAL: Open MPI's plug-ins need libmpi's symbols) and binds
/// every symbol. NULL on failure, with `error` (a static or dlerror string) set.
const DKMPIAPI * _Nullable dk_mpi_open(const char * _Nonnull path, const char * _Nullable * _Nonnull error);

/// MPI_Init_thread(MPI_THREAD_SERIALIZED) unless MPI is already initialised, then the world's
/// error handler set to MPI_ERRORS_RETURN. Returns 0 or the MPI error code (message in `message`).
int dk_mpi_init(const DKMPIAPI * _Nonnull api, int * _Nonnull rank, int * _Nonnull size,
                char * _Nonnull message, int messageLength);

/// MPI_Finalize. Returns the MPI error code.
int dk_mpi_finalize(const DKMPIAPI * _Nonnull api);

/// MPI_Abort(MPI_COMM_WORLD, code): the launcher ends every rank.
void dk_mpi_abort(const DKMPIAPI * _Nonnull api, int code);

/// Exchanges bytes with `count` peers: for each i, receives `recvBytes[i]` bytes from
/// `peers[i]` into `recv[i]` and sends `sendBytes[i]` bytes from `send[i]` to it (either may be
/// 0 bytes; a message is still exchanged, so a zero-byte exchange is a rendezvous). Messages
/// over 256 MiB go in pieces. Polls until all complete or `timeoutSeconds` pass.
///
/// Returns 0 when all completed; 1 on timeout (`failedPeer`: the first peer whose receive or
/// send had not completed); 2 on an MPI error (`failedPeer`: the peer of the failing request,
/// `message`: MPI's error string).
int dk_mpi_exchange(const DKMPIAPI * _Nonnull api, int count, const int * _Nonnull peers,
                    const void * _Nullable const * _Nonnull send, const size_t * _Nonnull sendBytes,
                    void * _Nullable const * _Nonnull recv, const size_t * _Nonnull recvBytes,
                    double timeoutSeconds, int * _Nonnull failedPeer, char * _Nonnull message, int messageLength);

// MARK: - NCCL (libnccl.so.2)

/// The bound NCCL library.
typedef struct DKNCCLAPI DKNCCLAPI;

/// ncclUniqueId: 128 opaque bytes, made by rank 0 and shared with every rank (over MPI).
enum { DK_NCCL_UNIQUE_ID_BYTES = 128 };

/// ncclDataType_t and ncclRedOp_t values used.
enum { DK_NCCL_FLOAT32 = 7, DK_NCCL_FLOAT64 = 8, DK_NCCL_SUM = 0 };

/// Opens `path` and binds ncclGetVersion, ncclGetUniqueId, ncclCommInitRank, ncclAllReduce,
/// ncclCommDestroy and ncclGetErrorString. NULL on
/// failure, with `error` set to dlerror's message or the first missing symbol's name.
const DKNCCLAPI * _Nullable dk_nccl_open(const char * _Nonnull path, const char * _Nullable * _Nonnull error);

/// ncclGetVersion (e.g. 22105 for 2.21.5). Returns the ncclResult_t.
int dk_nccl_version(const DKNCCLAPI * _Nonnull api, int * _Nonnull version);

/// ncclGetUniqueId into `id` (DK_NCCL_UNIQUE_ID_BYTES bytes). Returns the ncclResult_t.
int dk_nccl_unique_id(const DKNCCLAPI * _Nonnull api, void * _Nonnull id);

/// ncclCommInitRank with the shared `id`; `comm` receives the communicator. Returns the ncclResult_t.
int dk_nccl_comm_init(const DKNCCLAPI * _Nonnull api, void * _Nullable * _Nonnull comm, int size,
                      const void * _Nonnull id, int rank);

/// ncclAllReduce(sum) of `count` elements of `dataType` on device memory, on `stream`.
int dk_nccl_all_reduce_sum(const DKNCCLAPI * _Nonnull api, const void * _Nonnull send, void * _Nonnull recv,
                           size_t count, int dataType, void * _Nonnull comm, void * _Nullable stream);

/// ncclCommDestroy.
int dk_nccl_comm_destroy(const DKNCCLAPI * _Nonnull api, void * _Nonnull comm);

/// ncclGetErrorString.
const char * _Nonnull dk_nccl_error_string(const DKNCCLAPI * _Nonnull api, int result);

#endif
