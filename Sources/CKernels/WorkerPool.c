// ck_pool_run: a process-wide pool of worker threads that wait by spinning briefly before
// sleeping, so that back-to-back parallel regions (decoding runs about a hundred per token)
// do not each pay a thread wake-up.
//
// A job is `chunks` calls of `fn(context, chunk)`. The chunks are claimed through one 64-bit
// ticket, (job generation << 32) | next chunk, so a worker still holding an old generation can
// never claim a chunk of a newer job: its compare-and-swap fails. A finished job's ticket is
// closed (its chunk field set past any chunk count) before the next job's fields are written,
// so a worker that read the old ticket and then the new job's larger chunk count cannot
// advance the old ticket either. The caller claims chunks too,
// so when no worker is awake it runs them all itself rather than wait for one to wake. Which
// thread runs a chunk never changes what the chunk computes.
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>
#include "CKernels.h"
#include "Dispatch.h"

// Pause instructions a worker spins through before it sleeps (about 100 µs), when the pool's
// threads do not outnumber the cores.
enum { POOL_SPINS = 1000, POOL_MAX_WORKERS = 255 };
static const uint_fast64_t POOL_CLOSED = 0xFFFFFFFFu;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_int busy;            // held by the one caller running a job
    atomic_uint_fast64_t ticket;
    atomic_llong done;          // chunks finished in the current job
    atomic_int sleepers;
    uint32_t generation;        // caller side only (under `busy`)
    atomic_int workers;         // started (changed under `lock`)
    atomic_int spins;           // pause budget before sleeping: 0 when workers outnumber cores
    // The current job, written before its ticket is published. `chunks` may be read by a worker
    // still on an older job (whose claim then fails); `fn` and `context` only after a claim.
    atomic_llong chunks;
    ck_pool_task fn;
    void *context;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static inline void pool_pause(void) {
#if CK_X86
    _mm_pause();
#endif
}

// Claims and runs chunks of generation `gen` until none is left or a newer job has started.
static void run_chunks(uint32_t gen) {
    uint_fast64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen) return;
        int64_t index = (int64_t)(t & 0xFFFFFFFFu);
        // Reading `chunks` before the claim is safe: when the job is over, the claim fails.
        if (index >= atomic_load_explicit(&pool.chunks, memory_order_relaxed)) return;
        if (atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t + 1, memory_order_acquire,
                                                  memory_order_acquire)) {
            pool.fn(pool.context, index);
            atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
            t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
        }
    }
}

static void *worker_main(void *unused) {
    (void)unused;
    uint32_t seen = (uint32_t)(atomic_load(&pool.ticket) >> 32);
    for (;;) {
        uint32_t gen;
        int spins = 0;
        while ((gen = (uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_acquire) >> 32)) == seen) {
            if (++spins < atomic_load_explicit(&pool.spins, memory_order_relaxed)) { pool_pause(); continue; }
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((uint32_t)(atomic_load(&pool.ticket) >> 32) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
            spins = 0;
        }
        seen = gen;
        run_chunks(gen);
    }
    return 0;
}

// Starts workers until `count` run (fewer if the system refuses threads).
static void ensure_workers(int count) {
    if (count > POOL_MAX_WORKERS) count = POOL_MAX_WORKERS;
    if (atomic_load_explicit(&pool.workers, memory_order_relaxed) >= count) return;
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < count) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, 0);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        atomic_fetch_add(&pool.workers, 1);
    }
    // Spinning only pays while every thread has a core: with more, it takes time from them.
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    atomic_store(&pool.spins, cores > 0 && pool.workers + 1 > cores ? 0 : POOL_SPINS);
    pthread_mutex_unlock(&pool.lock);
}

int ck_pool_run(int threads, int64_t chunks, ck_pool_task fn, void *context) {
    if (chunks <= 0) return 1;
    if (chunks >= (int64_t)POOL_CLOSED || atomic_exchange_explicit(&pool.busy, 1, memory_order_acquire)) return 0;
    ensure_workers(threads - 1);
    atomic_store_explicit(&pool.chunks, chunks, memory_order_relaxed);
    pool.fn = fn;
    pool.context = context;
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    uint32_t gen = ++pool.generation;
    atomic_store(&pool.ticket, (uint_fast64_t)gen << 32);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_chunks(gen);
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < chunks) pool_pause();
    atomic_store(&pool.ticket, ((uint_fast64_t)gen << 32) | POOL_CLOSED);
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
    return 1;
}
