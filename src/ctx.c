/*
 * ctx.c — the context: error text, callbacks, limits, threads, and the
 * allocation helpers that report through it.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

static const uint64_t default_limits[SZ_LIMIT_COUNT_] = {
    [SZ_LIMIT_LAYER_PIXELS] = UINT64_C(1) << 28, /* 16384 x 16384 */
    [SZ_LIMIT_DOC_PIXELS] = UINT64_C(1) << 30,   /* 32768 x 32768 */
    [SZ_LIMIT_LAYERS] = 10000,
    [SZ_LIMIT_MEMORY] = UINT64_C(16) << 30,
};

const char *sz_version(void)
{
    return PACKAGE_VERSION;
}

const char *sz_status_name(sz_status st)
{
    switch (st) {
    case SZ_OK: return "success";
    case SZ_ERR_ARG: return "invalid argument";
    case SZ_ERR_NOMEM: return "out of memory";
    case SZ_ERR_IO: return "input/output error";
    case SZ_ERR_FORMAT: return "malformed input";
    case SZ_ERR_UNSUPPORTED: return "unsupported input";
    case SZ_ERR_LIMIT: return "resource limit exceeded";
    case SZ_ERR_COLOR: return "colour management error";
    case SZ_ERR_CANCELLED: return "cancelled";
    case SZ_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

sz_ctx *sz_ctx_new(void)
{
    sz_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    memcpy(ctx->limits, default_limits, sizeof ctx->limits);
    return ctx;
}

void sz_ctx_free(sz_ctx *ctx)
{
    if (ctx) free(ctx->kept);
    free(ctx);
}

const char *sz_ctx_error(const sz_ctx *ctx)
{
    return ctx ? ctx->error : "no context";
}

sz_status sz_ctx_status(const sz_ctx *ctx)
{
    return ctx ? ctx->status : SZ_ERR_ARG;
}

void sz_ctx_clear_error(sz_ctx *ctx)
{
    ctx->status = SZ_OK;
    ctx->error[0] = '\0';
}

void sz_ctx_set_log(sz_ctx *ctx, sz_log_fn fn, void *user)
{
    ctx->log_fn = fn;
    ctx->log_user = user;
}

void sz_ctx_set_progress(sz_ctx *ctx, sz_progress_fn fn, void *user)
{
    ctx->progress_fn = fn;
    ctx->progress_user = user;
}

void sz_ctx_set_text_output(sz_ctx *ctx, sz_text_fn fn, void *user)
{
    ctx->text_fn = fn;
    ctx->text_user = user;
}

void sz_ctx_set_threads(sz_ctx *ctx, int threads)
{
    ctx->threads = threads < 0 ? 0 : threads;
}

int sz_ctx_threads(const sz_ctx *ctx)
{
    return ctx->threads;
}

int sz_thread_index(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int sz_team_size(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

size_t sz_ctx_set_work(sz_ctx *ctx, size_t pixels)
{
    if (!ctx) return 0;
    size_t before = ctx->work_pixels;
    ctx->work_pixels = pixels;
    return before;
}

void sz_ctx_init_child(sz_ctx *child, const sz_ctx *parent, sz_log_fn log, void *log_user)
{
    memset(child, 0, sizeof *child);
    memcpy(child->limits, parent->limits, sizeof child->limits);
    child->threads = 1;
    child->log_fn = log, child->log_user = log_user;
}

size_t sz_ctx_work(const sz_ctx *ctx)
{
    return ctx ? ctx->work_pixels : 0;
}

int sz_threads(const sz_ctx *ctx)
{
    if (ctx && ctx->threads > 0) return ctx->threads; /* asked for: even small work gets them */
    if (ctx && ctx->work_pixels && ctx->work_pixels < SZ_ONE_THREAD_PIXELS) return 1;
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

sz_status sz_ctx_set_limit(sz_ctx *ctx, sz_limit which, uint64_t value)
{
    if ((unsigned)which >= SZ_LIMIT_COUNT_)
        return sz_fail(ctx, SZ_ERR_ARG, "unknown limit %d", (int)which);
    if (value == 0)
        return sz_fail(ctx, SZ_ERR_ARG, "a limit must be positive");
    ctx->limits[which] = value;
    return SZ_OK;
}

uint64_t sz_ctx_limit(const sz_ctx *ctx, sz_limit which)
{
    if ((unsigned)which >= SZ_LIMIT_COUNT_) return 0;
    return ctx->limits[which];
}

sz_status sz_fail(sz_ctx *ctx, sz_status st, const char *fmt, ...)
{
    if (!ctx) return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    ctx->status = st;
    return st;
}

void sz_error_prefix(sz_ctx *ctx, const char *fmt, ...)
{
    if (!ctx) return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t plen = strlen(prefix);
    memcpy(prefix + plen, ": ", 3);
    plen += 2;
    /* Shift the old message right; what no longer fits is cut at the end. */
    size_t cap = sizeof ctx->error - 1, olen = strlen(ctx->error);
    if (plen > cap) plen = cap;
    if (olen > cap - plen) olen = cap - plen;
    memmove(ctx->error + plen, ctx->error, olen);
    memcpy(ctx->error, prefix, plen);
    ctx->error[plen + olen] = '\0';
}

void sz_log(sz_ctx *ctx, sz_log_level level, const char *fmt, ...)
{
    if (!ctx || !ctx->log_fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_user, level, msg);
}

void sz_emit(sz_ctx *ctx, const char *fmt, ...)
{
    if (!ctx || !ctx->text_fn) return;
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        ctx->text_fn(ctx->text_user, small);
    } else if (n >= 0) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            ctx->text_fn(ctx->text_user, big);
            free(big);
        }
    }
    va_end(ap2);
    va_end(ap);
}

sz_status sz_progress(sz_ctx *ctx, const char *stage, double fraction)
{
    if (!ctx || !ctx->progress_fn) return SZ_OK;
    if (ctx->progress_fn(ctx->progress_user, stage, fraction))
        return sz_fail(ctx, SZ_ERR_CANCELLED, "%s: cancelled", stage);
    return SZ_OK;
}

/* Planes of a large image (a 4096x4096 float plane is 64 MiB) are asked
 * to be backed by huge pages: with 4 KiB pages, first touching such planes
 * costs a page fault per 4 KiB, which on a virtual machine took over half
 * the time of `complete` at 4K (7.3 s against 3.7 s).  The advice covers
 * the whole 2 MiB pages inside the block; it is only advice, and the block
 * is freed with free() as usual.  A calloc'd block stays lazily zeroed. */
#define HUGE_ALLOC_MIN ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

static void *advise_huge(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && size >= HUGE_ALLOC_MIN) {
        uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        uintptr_t end = ((uintptr_t)p + size) & ~(uintptr_t)(HUGE_PAGE - 1);
        if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    }
#else
    (void)size;
#endif
    return p;
}

void *sz_malloc(sz_ctx *ctx, size_t size)
{
    void *p = advise_huge(malloc(size ? size : 1), size);
    if (!p) sz_fail(ctx, SZ_ERR_NOMEM, "out of memory (%zu bytes)", size);
    return p;
}

void *sz_calloc(sz_ctx *ctx, size_t count, size_t size)
{
    size_t total;
    if (sz_mul_overflows(count, size, &total)) {
        sz_fail(ctx, SZ_ERR_NOMEM, "allocation size overflows");
        return NULL;
    }
    void *p = advise_huge(calloc(total ? count : 1, total ? size : 1), total);
    if (!p) sz_fail(ctx, SZ_ERR_NOMEM, "out of memory (%zu bytes)", total);
    return p;
}

void *sz_malloc_array(sz_ctx *ctx, size_t count, size_t size)
{
    size_t total;
    if (sz_mul_overflows(count, size, &total)) {
        sz_fail(ctx, SZ_ERR_NOMEM, "allocation size overflows");
        return NULL;
    }
    return sz_malloc(ctx, total);
}

void *sz_realloc_array(sz_ctx *ctx, void *p, size_t count, size_t size)
{
    size_t total;
    if (sz_mul_overflows(count, size, &total)) {
        sz_fail(ctx, SZ_ERR_NOMEM, "allocation size overflows");
        return NULL;
    }
    void *q = realloc(p, total ? total : 1);
    if (!q) sz_fail(ctx, SZ_ERR_NOMEM, "out of memory (%zu bytes)", total);
    return q;
}

char *sz_strdup(sz_ctx *ctx, const char *s)
{
    return sz_strndup(ctx, s, strlen(s));
}

char *sz_strndup(sz_ctx *ctx, const char *s, size_t n)
{
    char *d = sz_malloc(ctx, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

sz_status sz_check_layer_size(sz_ctx *ctx, int64_t w, int64_t h)
{
    if (w < 0 || h < 0 || w > INT32_MAX / 8 || h > INT32_MAX / 8)
        return sz_fail(ctx, SZ_ERR_FORMAT, "invalid layer size %lldx%lld", (long long)w,
                       (long long)h);
    uint64_t px = (uint64_t)w * (uint64_t)h;
    if (px > ctx->limits[SZ_LIMIT_LAYER_PIXELS])
        return sz_fail(ctx, SZ_ERR_LIMIT,
                       "layer of %lldx%lld pixels exceeds the limit of %llu pixels "
                       "(raise it with --limit-layer-pixels)",
                       (long long)w, (long long)h,
                       (unsigned long long)ctx->limits[SZ_LIMIT_LAYER_PIXELS]);
    if (px * 8 > ctx->limits[SZ_LIMIT_MEMORY])
        return sz_fail(ctx, SZ_ERR_LIMIT, "layer of %lldx%lld pixels exceeds the memory limit",
                       (long long)w, (long long)h);
    return SZ_OK;
}

sz_status sz_check_canvas_size(sz_ctx *ctx, int64_t w, int64_t h)
{
    if (w <= 0 || h <= 0 || w > INT32_MAX / 8 || h > INT32_MAX / 8)
        return sz_fail(ctx, SZ_ERR_FORMAT, "invalid canvas size %lldx%lld", (long long)w,
                       (long long)h);
    if ((uint64_t)w * (uint64_t)h > ctx->limits[SZ_LIMIT_DOC_PIXELS])
        return sz_fail(ctx, SZ_ERR_LIMIT,
                       "canvas of %lldx%lld pixels exceeds the limit of %llu pixels "
                       "(raise it with --limit-doc-pixels)",
                       (long long)w, (long long)h,
                       (unsigned long long)ctx->limits[SZ_LIMIT_DOC_PIXELS]);
    return SZ_OK;
}
