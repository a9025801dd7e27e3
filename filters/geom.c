/*
 * geom.c — reach (dilation by a square or rectangle), listing a
 * mask's pixels, offsets in order of distance, and lists of candidate
 * pairs for the completion filters (see geom.h).
 */
#include "geom.h"

#include <pthread.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* Reach, listing                                                      */
/* ------------------------------------------------------------------ */

sz_status sz_square_reach(sz_ctx *ctx, const uint8_t *in, uint8_t value, int w, int h, int r, uint8_t *out)
{
    return sz_rect_reach(ctx, in, value, w, h, r, r, out);
}

/* A small radius is a few shifted ORs of whole rows, which vectorise;
 * beyond it, a count of the matches in the sliding window reads every
 * pixel twice whatever the radius is. */
#define REACH_SHIFTS_MAX 4

/* Row y of `in` reached along the row: dst[x] is whether a pixel within
 * rx of x matches (is `value`, set or not). */
static void reach_row(const uint8_t *in, bool want, int w, int y, int rx, uint8_t *dst)
{
    const uint8_t *src = in + (size_t)y * w;
    if (rx <= REACH_SHIFTS_MAX) {
        memset(dst, 0, (size_t)w);
        for (int t = -rx; t <= rx; t++) {
            int x0 = SZ_MAX(0, -t), x1 = SZ_MIN(w, w - t);
            const uint8_t *from = src + t;
            if (want) {
#pragma omp simd
                for (int x = x0; x < x1; x++) dst[x] |= from[x] != 0;
            } else {
#pragma omp simd
                for (int x = x0; x < x1; x++) dst[x] |= from[x] == 0;
            }
        }
        return;
    }
    int count = 0;
    for (int x = 0; x <= rx && x < w; x++) count += (src[x] != 0) == want;
    for (int x = 0; x < w; x++) {
        dst[x] = count > 0;
        if (x + rx + 1 < w) count += (src[x + rx + 1] != 0) == want;
        if (x - rx >= 0) count -= (src[x - rx] != 0) == want;
    }
}

sz_status sz_rect_reach(sz_ctx *ctx, const uint8_t *in, uint8_t value, int w, int h, int rx, int ry, uint8_t *out)
{
    const bool want = value != 0;
    /* Separable: along rows, then along columns. */
    if (ry <= REACH_SHIFTS_MAX) {
        /* A few rows reached along, ORed down: each thread takes one block
         * of rows and keeps the 2 ry + 1 rows an output row needs in a
         * ring, so no plane of them is made (a 4096x4096 plane is 16 MiB
         * of fresh pages); the rows at a block's ends are reached twice. */
        bool fail = false;
        int span = 2 * ry + 1;
#pragma omp parallel num_threads(sz_threads(ctx))
        {
            int t = sz_thread_index(), nt = sz_team_size();
            int y0 = (int)((long)h * t / nt), y1 = (int)((long)h * (t + 1) / nt);
            uint8_t *ring = y1 > y0 ? malloc((size_t)span * (size_t)w) : NULL;
            if (y1 > y0 && !ring) {
#pragma omp atomic write
                fail = true;
            }
            int made = SZ_MAX(0, y0 - ry); /* the next row to reach along */
            for (int y = y0; y < y1 && ring; y++) {
                for (; made <= SZ_MIN(h - 1, y + ry); made++)
                    reach_row(in, want, w, made, rx, ring + (size_t)(made % span) * w);
                uint8_t *o = out + (size_t)y * w;
                memset(o, 0, (size_t)w);
                for (int yy = SZ_MAX(0, y - ry); yy <= SZ_MIN(h - 1, y + ry); yy++) {
                    const uint8_t *r = ring + (size_t)(yy % span) * w;
#pragma omp simd
                    for (int x = 0; x < w; x++) o[x] |= r[x];
                }
            }
            free(ring);
        }
        return fail ? sz_fail(ctx, SZ_ERR_NOMEM, "out of memory while reaching") : SZ_OK;
    }
    uint8_t *rows = sz_malloc(ctx, (size_t)w * (size_t)h);
    if (!rows) return SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) reach_row(in, want, w, y, rx, rows + (size_t)y * w);
    /* columns in blocks, walked row by row so that memory is read in order */
    enum { BLOCK = 256 };
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int x0 = 0; x0 < w; x0 += BLOCK) {
        uint32_t count[BLOCK] = {0};
        int bw = SZ_MIN(w - x0, BLOCK);
        for (int y = 0; y <= ry && y < h; y++) {
            const uint8_t *r = rows + (size_t)y * w + x0;
            for (int x = 0; x < bw; x++) count[x] += r[x];
        }
        for (int y = 0; y < h; y++) {
            uint8_t *o = out + (size_t)y * w + x0;
            for (int x = 0; x < bw; x++) o[x] = count[x] > 0;
            if (y + ry + 1 < h) {
                const uint8_t *r = rows + (size_t)(y + ry + 1) * w + x0;
                for (int x = 0; x < bw; x++) count[x] += r[x];
            }
            if (y - ry >= 0) {
                const uint8_t *r = rows + (size_t)(y - ry) * w + x0;
                for (int x = 0; x < bw; x++) count[x] -= r[x];
            }
        }
    }
    free(rows);
    return SZ_OK;
}

sz_status sz_mask_list(sz_ctx *ctx, const uint8_t *m, int w, int h, int32_t *out, size_t *count)
{
    size_t *at = sz_malloc_array(ctx, (size_t)h + 1, sizeof *at);
    *count = 0;
    if (!at) return SZ_ERR_NOMEM;
    at[0] = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *row = m + (size_t)y * w;
        size_t set = 0;
        for (int x = sz_skip_unset(row, 0, w); x < w; x = sz_skip_unset(row, x + 1, w)) set++;
        at[y + 1] = set;
    }
    for (int y = 0; y < h; y++) at[y + 1] += at[y];
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *row = m + (size_t)y * w;
        size_t k = at[y];
        for (int x = sz_skip_unset(row, 0, w); x < w; x = sz_skip_unset(row, x + 1, w))
            out[k++] = (int32_t)((size_t)y * w + x);
    }
    *count = at[h];
    free(at);
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Offsets in order of distance                                        */
/* ------------------------------------------------------------------ */

static sz_near_offset near_offsets[SZ_NEAR_N];
static pthread_once_t near_once = PTHREAD_ONCE_INIT;

static int cmp_near_offset(const void *a, const void *b)
{
    const sz_near_offset *p = a, *q = b;
    if (p->d2 != q->d2) return p->d2 - q->d2;
    return p->dy != q->dy ? p->dy - q->dy : p->dx - q->dx;
}

static void near_offsets_init(void)
{
    int k = 0;
    for (int dy = -SZ_NEAR_R; dy <= SZ_NEAR_R; dy++)
        for (int dx = -SZ_NEAR_R; dx <= SZ_NEAR_R; dx++)
            near_offsets[k++] = (sz_near_offset){(int8_t)dx, (int8_t)dy, (int16_t)(dx * dx + dy * dy)};
    qsort(near_offsets, SZ_NEAR_N, sizeof *near_offsets, cmp_near_offset);
}

const sz_near_offset *sz_near_offsets(void)
{
    pthread_once(&near_once, near_offsets_init);
    return near_offsets;
}

/* ------------------------------------------------------------------ */
/* Candidate pairs                                                     */
/* ------------------------------------------------------------------ */

bool sz_pair_push(sz_ctx *ctx, sz_pair_list *l, int a, int b, float cost)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        sz_pair *v = sz_realloc_array(ctx, l->v, cap, sizeof *v);
        if (!v) return false;
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = (sz_pair){a, b, cost, false};
    return true;
}

static int cmp_pair(const void *x, const void *y)
{
    const sz_pair *a = x, *b = y;
    if (a->cost != b->cost) return a->cost < b->cost ? -1 : 1;
    return a->a != b->a ? a->a - b->a : a->b - b->b;
}

void sz_pair_sort(sz_pair_list *l)
{
    if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_pair);
}

bool sz_pair_heap_push(sz_ctx *ctx, sz_pair_list *h, int a, int b, float cost)
{
    if (!sz_pair_push(ctx, h, a, b, cost)) return false;
    sz_pair *v = h->v;
    for (size_t i = h->n - 1; i > 0;) {
        size_t up = (i - 1) / 2;
        if (cmp_pair(&v[up], &v[i]) <= 0) break;
        sz_pair t = v[up];
        v[up] = v[i], v[i] = t, i = up;
    }
    return true;
}

sz_pair sz_pair_heap_pop(sz_pair_list *h)
{
    sz_pair *v = h->v, first = v[0];
    v[0] = v[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && cmp_pair(&v[l], &v[m]) < 0) m = l;
        if (r < h->n && cmp_pair(&v[r], &v[m]) < 0) m = r;
        if (m == i) break;
        sz_pair t = v[m];
        v[m] = v[i], v[i] = t, i = m;
    }
    return first;
}
