// Run-time binding of oneDNN 2.x declared in CDNNLShim.h.
//
// oneDNN 2.x's memory and operation descriptors are plain structs (696 and 2800 bytes in 2.6);
// they are only ever passed by pointer here, so they live in over-sized aligned byte arrays
// and their layout is oneDNN's business. Version 3 (libdnnl.so.3) changed the API and is not
// loaded.
#include "CDNNLShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef void *DKObj;
typedef int64_t DKDims[12];
typedef struct { int arg; DKObj memory; } DKExecArg;
typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } DKVersion;

enum { DK_CPU = 1, DK_BF16 = 2, DK_F32 = 3, DK_IN_ORDER = 1, DK_SUCCESS = 0,
       DK_ARG_SRC = 1, DK_ARG_DST = 17, DK_ARG_WEIGHTS = 33, DK_QUERY_IMPL_INFO_STR = 8,
       DK_MD_BYTES = 2048, DK_OP_BYTES = 8192, DK_CACHE = 256 };

static struct {
    const DKVersion *(*dnnl_version)(void);
    int (*dnnl_engine_create)(DKObj *engine, int kind, size_t index);
    int (*dnnl_stream_create)(DKObj *stream, DKObj engine, unsigned flags);
    int (*dnnl_stream_wait)(DKObj stream);
    int (*dnnl_memory_desc_init_by_strides)(void *md, int ndims, const int64_t *dims, int type, const int64_t *strides);
    int (*dnnl_matmul_desc_init)(void *desc, const void *src, const void *weights, const void *bias, const void *dst);
    int (*dnnl_primitive_attr_create)(DKObj *attr);
    int (*dnnl_primitive_attr_destroy)(DKObj attr);
    int (*dnnl_primitive_attr_set_post_ops)(DKObj attr, DKObj postOps);
    int (*dnnl_post_ops_create)(DKObj *postOps);
    int (*dnnl_post_ops_destroy)(DKObj postOps);
    int (*dnnl_post_ops_append_sum)(DKObj postOps, float scale);
    int (*dnnl_primitive_desc_create)(DKObj *pd, const void *desc, DKObj attr, DKObj engine, DKObj hint);
    int (*dnnl_primitive_desc_destroy)(DKObj pd);
    int (*dnnl_primitive_desc_query)(DKObj pd, int what, int index, void *result);
    int (*dnnl_primitive_create)(DKObj *primitive, DKObj pd);
    int (*dnnl_primitive_destroy)(DKObj primitive);
    int (*dnnl_primitive_execute)(DKObj primitive, DKObj stream, int nargs, const DKExecArg *args);
    int (*dnnl_memory_create)(DKObj *memory, const void *md, DKObj engine, void *handle);
    int (*dnnl_memory_destroy)(DKObj memory);
    void (*omp_set_num_threads)(int threads);
} api;

typedef struct {
    int64_t key[9];
    DKObj primitive;
    _Alignas(64) unsigned char md[3][DK_MD_BYTES]; // src, weights, dst
} DKEntry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int state = 0; // 0 untried, 1 usable, -1 unusable
static const char *failure = NULL;
static DKObj engine;
static _Thread_local DKObj stream;
static DKEntry cache[DK_CACHE];
static int cached = 0;
static char implementation[128] = "";

#define DK_BIND(name)                                                   \
    do {                                                               \
        void *symbol = dlsym(library, #name);                          \
        if (symbol == NULL) { failure = "libdnnl.so.2 lacks " #name; return -1; } \
        *(void **)(&api.name) = symbol;                                \
    } while (0)

static int load(void) {
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) { failure = "libdnnl.so.2 not found (install libdnnl2)"; return -1; }
    DK_BIND(dnnl_version);
    DK_BIND(dnnl_engine_create);
    DK_BIND(dnnl_stream_create);
    DK_BIND(dnnl_stream_wait);
    DK_BIND(dnnl_memory_desc_init_by_strides);
    DK_BIND(dnnl_matmul_desc_init);
    DK_BIND(dnnl_primitive_attr_create);
    DK_BIND(dnnl_primitive_attr_destroy);
    DK_BIND(dnnl_primitive_attr_set_post_ops);
    DK_BIND(dnnl_post_ops_create);
    DK_BIND(dnnl_post_ops_destroy);
    DK_BIND(dnnl_post_ops_append_sum);
    DK_BIND(dnnl_primitive_desc_create);
    DK_BIND(dnnl_primitive_desc_destroy);
    DK_BIND(dnnl_primitive_desc_query);
    DK_BIND(dnnl_primitive_create);
    DK_BIND(dnnl_primitive_destroy);
    DK_BIND(dnnl_primitive_execute);
    DK_BIND(dnnl_memory_create);
    DK_BIND(dnnl_memory_destroy);
    DK_BIND(omp_set_num_threads);
    const DKVersion *v = api.dnnl_version();
    if (v == NULL || v->major != 2) { failure = "libdnnl.so.2 is not oneDNN 2.x"; return -1; }
    if (api.dnnl_engine_create(&engine, DK_CPU, 0) != DK_SUCCESS) { failure = "oneDNN: no CPU engine"; return -1; }
    return 1;
}

// Under `lock`.
static int ensure(void) {
    if (state == 0) state = load();
    return state;
}

int dk_dnnl_available(void) {
    pthread_mutex_lock(&lock);
    int ok = ensure() == 1;
    pthread_mutex_unlock(&lock);
    return ok;
}

const char *dk_dnnl_error(void) {
    pthread_mutex_lock(&lock);
    const char *f = state == 1 ? NULL : failure;
    pthread_mutex_unlock(&lock);
    return f;
}

const char *dk_dnnl_implementation(void) { return implementation; }

// Creates the primitive for `key` into `e` (under `lock`); 0 on success.
static int create(DKEntry *e, const int64_t key[9]) {
    int64_t m = key[0], n = key[1], k = key[2];
    DKDims ad = {m, k}, as = {key[3], key[4]}, bd = {k, n}, bs = {key[5], key[6]}, cd = {m, n}, cs = {key[8], 1};
    memset(e->md, 0, sizeof e->md);
    if (api.dnnl_memory_desc_init_by_strides(e->md[0], 2, ad, DK_BF16, as) != DK_SUCCESS
        || api.dnnl_memory_desc_init_by_strides(e->md[1], 2, bd, DK_BF16, bs) != DK_SUCCESS
        || api.dnnl_memory_desc_init_by_strides(e->md[2], 2, cd, DK_F32, cs) != DK_SUCCESS) return -1;
    _Alignas(64) static unsigned char desc[DK_OP_BYTES];
    memset(desc, 0, sizeof desc);
    if (api.dnnl_matmul_desc_init(desc, e->md[0], e->md[1], NULL, e->md[2]) != DK_SUCCESS) return -1;
    DKObj attr = NULL, postOps = NULL, pd = NULL;
    int status = -1;
    if (api.dnnl_primitive_attr_create(&attr) != DK_SUCCESS) return -1;
    if (key[7]) {
        if (api.dnnl_post_ops_create(&postOps) != DK_SUCCESS
            || api.dnnl_post_ops_append_sum(postOps, 1.0f) != DK_SUCCESS
            || api.dnnl_primitive_attr_set_post_ops(attr, postOps) != DK_SUCCESS) goto done;
    }
    if (api.dnnl_primitive_desc_create(&pd, desc, attr, engine, NULL) != DK_SUCCESS) goto done;
    const char *info = NULL;
    if (api.dnnl_primitive_desc_query(pd, DK_QUERY_IMPL_INFO_STR, 0, &info) == DK_SUCCESS && info != NULL)
        snprintf(implementation, sizeof implementation, "%s", info);
    if (api.dnnl_primitive_create(&e->primitive, pd) != DK_SUCCESS) goto done;
    memcpy(e->key, key, sizeof e->key);
    status = 0;
done:
    if (pd) api.dnnl_primitive_desc_destroy(pd);
    if (postOps) api.dnnl_post_ops_destroy(postOps);
    api.dnnl_primitive_attr_destroy(attr);
    return status;
}

// Each call runs on the calling thread alone (OpenMP limited to one thread there): callers
// split the columns over their own workers, which keeps oneDNN's OpenMP team from competing
// with them (on a loaded machine a two-thread team was 40× slower than one thread).
int dk_dnnl_matmul_bf16(int64_t m, int64_t n, int64_t k,
                        const uint16_t *a, int64_t as0, int64_t as1,
                        const uint16_t *b, int64_t bs0, int64_t bs1,
                        float *c, int64_t ldc, int accumulate) {
    if (m <= 0 || n <= 0) return 0;
    int64_t key[9] = {m, n, k, as0, as1, bs0, bs1, accumulate ? 1 : 0, ldc};
    DKEntry *e = NULL, *own = NULL;
    pthread_mutex_lock(&lock);
    if (ensure() != 1) { pthread_mutex_unlock(&lock); return -1; }
    api.omp_set_num_threads(1);
    for (int i = 0; i < cached; i++)
        if (memcmp(cache[i].key, key, sizeof key) == 0) { e = &cache[i]; break; }
    if (e == NULL && cached < DK_CACHE) {
        if (create(&cache[cached], key) == 0) e = &cache[cached++];
    }
    pthread_mutex_unlock(&lock);
    if (e == NULL) {
        // The cache is full (or creation failed): a primitive for this call only.
        static _Thread_local DKEntry scratch;
        pthread_mutex_lock(&lock);
        int made = create(&scratch, key);
        pthread_mutex_unlock(&lock);
        if (made != 0) return -1;
        e = own = &scratch;
    }
    if (stream == NULL && api.dnnl_stream_create(&stream, engine, DK_IN_ORDER) != DK_SUCCESS) {
        stream = NULL;
        return -1;
    }
    int status = -1;
    DKObj mem[3] = {NULL, NULL, NULL};
    if (api.dnnl_memory_create(&mem[0], e->md[0], engine, (void *)a) != DK_SUCCESS
        || api.dnnl_memory_create(&mem[1], e->md[1], engine, (void *)b) != DK_SUCCESS
        || api.dnnl_memory_create(&mem[2], e->md[2], engine, c) != DK_SUCCESS) goto release;
    DKExecArg args[3] = {{DK_ARG_SRC, mem[0]}, {DK_ARG_WEIGHTS, mem[1]}, {DK_ARG_DST, mem[2]}};
    if (api.dnnl_primitive_execute(e->primitive, stream, 3, args) == DK_SUCCESS
        && api.dnnl_stream_wait(stream) == DK_SUCCESS) status = 0;
release:
    for (int i = 0; i < 3; i++) if (mem[i]) api.dnnl_memory_destroy(mem[i]);
    if (own) api.dnnl_primitive_destroy(own->primitive);
    return status;
}
