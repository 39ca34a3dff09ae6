// Run-time binding of Open MPI and NCCL declared in CMPIShim.h.
#include "CMPIShim.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>

typedef void *DKHandle; // MPI_Comm, MPI_Datatype, MPI_Errhandler, MPI_Request: pointers in Open MPI

struct DKMPIAPI {
    int (*MPI_Initialized)(int *flag);
    int (*MPI_Init_thread)(int *argc, char ***argv, int required, int *provided);
    int (*MPI_Finalize)(void);
    int (*MPI_Abort)(DKHandle comm, int code);
    int (*MPI_Comm_rank)(DKHandle comm, int *rank);
    int (*MPI_Comm_size)(DKHandle comm, int *size);
    int (*MPI_Comm_set_errhandler)(DKHandle comm, DKHandle handler);
    int (*MPI_Isend)(const void *buffer, int count, DKHandle type, int peer, int tag, DKHandle comm, DKHandle *request);
    int (*MPI_Irecv)(void *buffer, int count, DKHandle type, int peer, int tag, DKHandle comm, DKHandle *request);
    int (*MPI_Test)(DKHandle *request, int *flag, void *status);
    int (*MPI_Error_string)(int code, char *text, int *length);
    DKHandle world;
    DKHandle byte;
    DKHandle errorsReturn;
};

enum { DK_MPI_THREAD_SERIALIZED = 2, DK_MPI_TAG = 2026 };
static const size_t DK_PIECE = (size_t)1 << 28; // 256 MiB per message

#define DK_BIND(table, library, name)                                   \
    do {                                                               \
        void *symbol = dlsym((library), #name);                        \
        if (symbol == NULL) { *error = "missing symbol " #name; goto fail; } \
        *(void **)(&(table)->name) = symbol;                           \
    } while (0)

#define DK_GLOBAL(table, field, library, name)                          \
    do {                                                               \
        void *symbol = dlsym((library), name);                         \
        if (symbol == NULL) { *error = "missing symbol " name; goto fail; } \
        (table)->field = symbol;                                       \
    } while (0)

const DKMPIAPI *dk_mpi_open(const char *path, const char **error) {
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) { *error = dlerror(); return NULL; }
    DKMPIAPI *t = calloc(1, sizeof *t);
    if (t == NULL) { *error = "out of host memory"; return NULL; }
    DK_BIND(t, library, MPI_Initialized);
    DK_BIND(t, library, MPI_Init_thread);
    DK_BIND(t, library, MPI_Finalize);
    DK_BIND(t, library, MPI_Abort);
    DK_BIND(t, library, MPI_Comm_rank);
    DK_BIND(t, library, MPI_Comm_size);
    DK_BIND(t, library, MPI_Comm_set_errhandler);
    DK_BIND(t, library, MPI_Isend);
    DK_BIND(t, library, MPI_Irecv);
    DK_BIND(t, library, MPI_Test);
    DK_BIND(t, library, MPI_Error_string);
    DK_GLOBAL(t, world, library, "ompi_mpi_comm_world");
    DK_GLOBAL(t, byte, library, "ompi_mpi_byte");
    DK_GLOBAL(t, errorsReturn, library, "ompi_mpi_errors_return");
    *error = NULL;
    return t;
fail:
    free(t);
    return NULL;
}

static void dk_describe(const DKMPIAPI *api, int code, char *message, int messageLength) {
    if (messageLength <= 0) return;
    char text[512];
    int length = 0;
    if (api->MPI_Error_string(code, text, &length) != 0 || length <= 0) {
        snprintf(message, (size_t)messageLength, "MPI error %d", code);
    } else {
        text[length < 511 ? length : 511] = 0;
        snprintf(message, (size_t)messageLength, "%s", text);
    }
}

int dk_mpi_init(const DKMPIAPI *api, int *rank, int *size, char *message, int messageLength) {
    int initialized = 0, provided = 0, code;
    if ((code = api->MPI_Initialized(&initialized)) != 0) goto fail;
    if (!initialized && (code = api->MPI_Init_thread(NULL, NULL, DK_MPI_THREAD_SERIALIZED, &provided)) != 0) goto fail;
    if ((code = api->MPI_Comm_set_errhandler(api->world, api->errorsReturn)) != 0) goto fail;
    if ((code = api->MPI_Comm_rank(api->world, rank)) != 0) goto fail;
    if ((code = api->MPI_Comm_size(api->world, size)) != 0) goto fail;
    return 0;
fail:
    dk_describe(api, code, message, messageLength);
    return code;
}

int dk_mpi_finalize(const DKMPIAPI *api) { return api->MPI_Finalize(); }

void dk_mpi_abort(const DKMPIAPI *api, int code) { api->MPI_Abort(api->world, code); }

static double dk_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static size_t dk_pieces(size_t bytes) { return bytes == 0 ? 1 : (bytes + DK_PIECE - 1) / DK_PIECE; }

int dk_mpi_exchange(const DKMPIAPI *api, int count, const int *peers, const void *const *send, const size_t *sendBytes,
                    void *const *recv, const size_t *recvBytes, double timeoutSeconds, int *failedPeer,
                    char *message, int messageLength) {
    size_t total = 0;
    for (int i = 0; i < count; i++) total += dk_pieces(sendBytes[i]) + dk_pieces(recvBytes[i]);
    DKHandle *requests = calloc(total == 0 ? 1 : total, sizeof *requests);
    int *owner = calloc(total == 0 ? 1 : total, sizeof *owner);
    if (requests == NULL || owner == NULL) {
        free(requests);
        free(owner);
        *failedPeer = -1;
        snprintf(message, (size_t)messageLength, "out of host memory for %zu requests", total);
        return 2;
    }
    int result = 0, code = 0;
    size_t posted = 0;
    // Receives first, then sends, peer by peer; pieces in order (MPI keeps their order per peer).
    for (int i = 0; i < count && result == 0; i++) {
        for (size_t p = 0, n = dk_pieces(recvBytes[i]); p < n; p++) {
            size_t offset = p * DK_PIECE, length = recvBytes[i] - offset < DK_PIECE ? recvBytes[i] - offset : DK_PIECE;
            if (recvBytes[i] == 0) length = 0;
            code = api->MPI_Irecv((char *)recv[i] + offset, (int)length, api->byte, peers[i], DK_MPI_TAG, api->world,
                                  &requests[posted]);
            owner[posted++] = peers[i];
            if (code != 0) { result = 2; *failedPeer = peers[i]; break; }
        }
    }
    for (int i = 0; i < count && result == 0; i++) {
        for (size_t p = 0, n = dk_pieces(sendBytes[i]); p < n; p++) {
            size_t offset = p * DK_PIECE, length = sendBytes[i] - offset < DK_PIECE ? sendBytes[i] - offset : DK_PIECE;
            if (sendBytes[i] == 0) length = 0;
            code = api->MPI_Isend((const char *)send[i] + offset, (int)length, api->byte, peers[i], DK_MPI_TAG,
                                  api->world, &requests[posted]);
            owner[posted++] = peers[i];
            if (code != 0) { result = 2; *failedPeer = peers[i]; break; }
        }
    }
    double deadline = dk_now() + timeoutSeconds;
    size_t remaining = posted, spins = 0;
    while (result == 0 && remaining > 0) {
        remaining = 0;
        for (size_t r = 0; r < posted; r++) {
            if (requests[r] == NULL) continue; // MPI_REQUEST_NULL is not NULL in Open MPI; track completion here
            int done = 0;
            code = api->MPI_Test(&requests[r], &done, NULL);
            if (code != 0) { result = 2; *failedPeer = owner[r]; break; }
            if (done) requests[r] = NULL; else remaining++;
        }
        if (result != 0 || remaining == 0) break;
        if (dk_now() > deadline) {
            for (size_t r = 0; r < posted; r++) {
                if (requests[r] != NULL) { *failedPeer = owner[r]; break; }
            }
            result = 1;
            break;
        }
        // Spin briefly (small messages finish in microseconds), then yield the core.
        if (++spins > 1000) {
            struct timespec pause = {0, 50000};
            nanosleep(&pause, NULL);
        } else {
            sched_yield();
        }
    }
    if (result == 2) dk_describe(api, code, message, messageLength);
    if (result == 1) snprintf(message, (size_t)messageLength, "no answer within %.0f s", timeoutSeconds);
    free(requests);
    free(owner);
    return result;
}

// MARK: - NCCL

typedef struct { char internal[DK_NCCL_UNIQUE_ID_BYTES]; } DKNCCLUniqueId;

struct DKNCCLAPI {
    int (*ncclGetVersion)(int *version);
    int (*ncclGetUniqueId)(DKNCCLUniqueId *id);
    int (*ncclCommInitRank)(void **comm, int size, DKNCCLUniqueId id, int rank);
    int (*ncclAllReduce)(const void *send, void *recv, size_t count, int type, int op, void *comm, void *stream);
    int (*ncclCommDestroy)(void *comm);
    const char *(*ncclGetErrorString)(int result);
};

const DKNCCLAPI *dk_nccl_open(const char *path, const char **error) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) { *error = dlerror(); return NULL; }
    DKNCCLAPI *t = calloc(1, sizeof *t);
    if (t == NULL) { *error = "out of host memory"; return NULL; }
    DK_BIND(t, library, ncclGetVersion);
    DK_BIND(t, library, ncclGetUniqueId);
    DK_BIND(t, library, ncclCommInitRank);
    DK_BIND(t, library, ncclAllReduce);
    DK_BIND(t, library, ncclCommDestroy);
    DK_BIND(t, library, ncclGetErrorString);
    *error = NULL;
    return t;
fail:
    free(t);
    return NULL;
}

int dk_nccl_version(const DKNCCLAPI *api, int *version) { return api->ncclGetVersion(version); }

int dk_nccl_unique_id(const DKNCCLAPI *api, void *id) { return api->ncclGetUniqueId((DKNCCLUniqueId *)id); }

int dk_nccl_comm_init(const DKNCCLAPI *api, void **comm, int size, const void *id, int rank) {
    DKNCCLUniqueId copy;
    memcpy(&copy, id, sizeof copy);
    return api->ncclCommInitRank(comm, size, copy, rank);
}

int dk_nccl_all_reduce_sum(const DKNCCLAPI *api, const void *send, void *recv, size_t count, int dataType, void *comm,
                           void *stream) {
    return api->ncclAllReduce(send, recv, count, dataType, DK_NCCL_SUM, comm, stream);
}

int dk_nccl_comm_destroy(const DKNCCLAPI *api, void *comm) { return api->ncclCommDestroy(comm); }

const char *dk_nccl_error_string(const DKNCCLAPI *api, int result) {
    const char *text = api->ncclGetErrorString(result);
    return text == NULL ? "unknown NCCL error" : text;
}
