/*
 * geom.c — distance transforms, thinning, labelling and one-pixel curves
 * for the completion filters (see geom.h).
 */
#include "geom.h"

#include <pthread.h>
#include <stdlib.h>

#define EDT_INF 1e20f

/* 1-D squared distance transform of f (n samples, EDT_INF where there is
 * no site) into d, with the index of the minimising sample in arg
 * (Felzenszwalb & Huttenlocher 2012): the lower envelope of parabolas
 * rooted at the finite samples.  The samples are squared column distances,
 * whole numbers, so each breakpoint is kept as an exact fraction zn / zd
 * (zd > 0) and compared by cross-multiplying in 64-bit integers: no
 * division, no rounding.  (Values reach 2^29, denominators 2^15.)
 * Inside a run of features (f = 0 on both sides too) a sample is its own
 * answer and never the nearest for a sample outside the run, whose ends
 * are nearer: only the run's ends join the envelope, so a row that is
 * mostly feature costs little. */
static void edt_1d(const float *f, int n, float *d, int32_t *arg, int *v, int64_t *zn, int64_t *zd, int64_t *g)
{
    int k = -1;
    for (int q = 0; q < n; q++) {
        if (f[q] >= EDT_INF) continue;
        if (f[q] == 0 && q > 0 && q + 1 < n && f[q - 1] == 0 && f[q + 1] == 0) continue;
        int64_t gq = (int64_t)f[q] + (int64_t)q * q, num = 0, den = 1;
        while (k >= 0) {
            num = gq - g[k], den = 2 * (int64_t)(q - v[k]);
            /* the new parabola passes below v[k]'s after num / den: v[k]
             * stays if that is right of where v[k] took over */
            if (k == 0 || num * zd[k] > zn[k] * den) break;
            k--;
        }
        k++;
        v[k] = q;
        g[k] = gq;
        zn[k] = k == 0 ? -1 : num, zd[k] = k == 0 ? 0 : den; /* zd 0: minus infinity */
    }
    if (k < 0) {
        for (int q = 0; q < n; q++) d[q] = EDT_INF, arg[q] = -1;
        return;
    }
    int j = 0;
    for (int q = 0; q < n; q++) {
        if (f[q] == 0) { /* a feature: its own nearest */
            d[q] = 0, arg[q] = q;
            continue;
        }
        /* on to the next parabola once its breakpoint is left of q */
        while (j < k && zn[j + 1] < (int64_t)q * zd[j + 1]) j++;
        double dq = (double)(q - v[j]);
        d[q] = (float)(dq * dq + f[v[j]]);
        arg[q] = v[j];
    }
}

/* Columns are transformed in strips this wide, walked row by row, so the
 * column pass reads and writes memory in order. */
#define EDT_STRIP 256

sz_status sz_edt(sz_ctx *ctx, const uint8_t *feature, int w, int h, float *dist2, int32_t *nearest)
{
    return sz_edt_rows(ctx, feature, w, h, NULL, dist2, nearest);
}

sz_status sz_edt_rows(sz_ctx *ctx, const uint8_t *feature, int w, int h, const uint8_t *want, float *dist2,
                      int32_t *nearest)
{
    /* The column pass leaves in `nearest` the row of each pixel's nearest
     * feature in its column; the row pass reads a row of those before it
     * writes the row's answers over them. */
    int32_t *rowof = nearest;
    bool fail = false;
    /* Columns.  The features are binary, so a column's transform is the
     * distance to the nearest feature above or below: one scan down
     * leaving the distance above in dist2 (or, without dist2, in
     * `nearest`), one scan up taking the nearer (ties go to the one above,
     * as in the lower envelope). */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int x0 = 0; x0 < w; x0 += EDT_STRIP) {
        int sw = SZ_MIN(EDT_STRIP, w - x0);
        /* The rows of the nearest feature above and below.  "None" is a
         * row so far off the grid that its distance exceeds h, which keeps
         * the loops free of branches (and so vectorised). */
        int32_t last[EDT_STRIP], next[EDT_STRIP], above[EDT_STRIP];
        for (int b = 0; b < sw; b++) last[b] = -2 * h - 1, next[b] = 3 * h + 1;
        for (int y = 0; y < h; y++) {
            const uint8_t *src = feature + (size_t)y * w + x0;
#pragma omp simd
            for (int b = 0; b < sw; b++) {
                int32_t is = -(int32_t)(src[b] != 0); /* all ones on a feature */
                last[b] = (y & is) | (last[b] & ~is);
                above[b] = y - last[b];
            }
            if (want && !want[y]) continue; /* the row pass answers it alone */
            if (dist2) {
                float *dst = dist2 + (size_t)y * w + x0;
#pragma omp simd
                for (int b = 0; b < sw; b++) dst[b] = (float)above[b];
            } else {
                memcpy(rowof + (size_t)y * w + x0, above, (size_t)sw * sizeof *above);
            }
        }
        for (int y = h - 1; y >= 0; y--) {
            const uint8_t *src = feature + (size_t)y * w + x0;
            float *dst = dist2 ? dist2 + (size_t)y * w + x0 : NULL;
            int32_t *row = rowof ? rowof + (size_t)y * w + x0 : NULL;
            if (want && !want[y]) {
#pragma omp simd
                for (int b = 0; b < sw; b++) {
                    int32_t is = -(int32_t)(src[b] != 0);
                    next[b] = (y & is) | (next[b] & ~is);
                }
                continue;
            }
            if (dst) {
#pragma omp simd
                for (int b = 0; b < sw; b++) above[b] = (int32_t)dst[b];
            } else {
                memcpy(above, row, (size_t)sw * sizeof *above);
            }
#pragma omp simd
            for (int b = 0; b < sw; b++) {
                int32_t is = -(int32_t)(src[b] != 0);
                next[b] = (y & is) | (next[b] & ~is);
            }
            /* the nearer of the two, the one above on a tie */
            if (dst) {
#pragma omp simd
                for (int b = 0; b < sw; b++) {
                    int32_t below = next[b] - y, d = SZ_MIN(above[b], below);
                    float fd = (float)d, sq = fd * fd; /* made whatever d is: no branch to vectorise */
                    dst[b] = d < h ? sq : EDT_INF;
                }
            }
            if (row) {
#pragma omp simd
                for (int b = 0; b < sw; b++) {
                    int32_t below = next[b] - y, d = SZ_MIN(above[b], below);
                    int32_t up = -(int32_t)(above[b] <= below), none = -(int32_t)(d >= h);
                    row[b] = ((((y - above[b]) & up) | (next[b] & ~up)) & ~none) | none; /* -1: none */
                }
            }
        }
    }
    /* rows */
    int m = w;
#pragma omp parallel num_threads(sz_threads(ctx))
    {
        float *f = malloc((size_t)m * sizeof *f), *d = malloc((size_t)m * sizeof *d);
        int64_t *z = malloc(3 * ((size_t)m + 1) * sizeof *z);
        int32_t *arg = malloc((size_t)m * sizeof *arg);
        int *v = malloc((size_t)m * sizeof *v);
        int32_t *rows_of = nearest ? malloc((size_t)m * sizeof *rows_of) : NULL;
        if (!f || !d || !z || !arg || !v || (nearest && !rows_of)) {
#pragma omp atomic write
            fail = true;
        }
        /* rows are independent: hand them out as threads come free, since
         * the wanted ones may gather in one part of the grid */
#pragma omp for schedule(dynamic, 16)
        for (int y = 0; y < h; y++) {
            if (!v || (nearest && !rows_of)) continue;
            float *row = dist2 ? dist2 + (size_t)y * w : NULL;
            if (want && !want[y]) {
                for (int x = 0; x < w && row; x++) row[x] = EDT_INF;
                if (nearest) memset(nearest + (size_t)y * w, 0xff, (size_t)w * sizeof *nearest);
                continue;
            }
            if (nearest) memcpy(rows_of, rowof + (size_t)y * w, (size_t)w * sizeof *rows_of);
            if (row) {
                memcpy(f, row, (size_t)w * sizeof *f);
            } else {
                /* the column distances, from the rows of the features (as
                 * the column pass would have made them) */
                for (int x = 0; x < w; x++) {
                    float fd = (float)(rows_of[x] >= 0 ? abs(y - rows_of[x]) : 0), sq = fd * fd;
                    f[x] = rows_of[x] >= 0 ? sq : EDT_INF;
                }
            }
            edt_1d(f, w, d, arg, v, z, z + m + 1, z + 2 * (m + 1));
            for (int x = 0; x < w; x++) {
                if (row) row[x] = d[x];
                if (nearest) {
                    int32_t fx = arg[x];
                    int32_t fy = fx >= 0 ? rows_of[fx] : -1;
                    nearest[(size_t)y * w + x] = fx >= 0 && fy >= 0 ? fy * w + fx : -1;
                }
            }
        }
        free(f), free(d), free(z), free(arg), free(v), free(rows_of);
    }
    return fail ? sz_fail(ctx, SZ_ERR_NOMEM, "out of memory in the distance transform") : SZ_OK;
}

sz_status sz_edt_bounded(sz_ctx *ctx, const uint8_t *feature, int w, int h, int r, uint16_t *dist2)
{
    if (r < 0 || r > SZ_EDT_BOUND_MAX) return sz_fail(ctx, SZ_ERR_ARG, "distance bound %d out of range", r);
    size_t n = (size_t)w * (size_t)h;
    int cap = r + 1, far = cap * cap; /* any distance beyond r */
    uint8_t *g = sz_malloc(ctx, n ? n : 1); /* distance down or up its column, capped */
    int threads = sz_threads(ctx);
    size_t row_len = (size_t)w + 2 * (size_t)r;
    uint16_t *rows = sz_malloc_array(ctx, (size_t)threads * row_len, sizeof *rows);
    if (!g || !rows) {
        free(g), free(rows);
        return SZ_ERR_NOMEM;
    }
    /* Columns, in blocks walked row by row: a running count from above,
     * then from below. */
    enum { BLOCK = 256 };
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int x0 = 0; x0 < w; x0 += BLOCK) {
        uint8_t run[BLOCK];
        int bw = SZ_MIN(w - x0, BLOCK);
        memset(run, cap, sizeof run);
        for (int y = 0; y < h; y++) {
            const uint8_t *f = feature + (size_t)y * w + x0;
            uint8_t *o = g + (size_t)y * w + x0;
#pragma omp simd
            for (int x = 0; x < bw; x++) {
                run[x] = f[x] ? 0 : (uint8_t)SZ_MIN(run[x] + 1, cap);
                o[x] = run[x];
            }
        }
        memset(run, cap, sizeof run);
        for (int y = h - 1; y >= 0; y--) {
            const uint8_t *f = feature + (size_t)y * w + x0;
            uint8_t *o = g + (size_t)y * w + x0;
#pragma omp simd
            for (int x = 0; x < bw; x++) {
                run[x] = f[x] ? 0 : (uint8_t)SZ_MIN(run[x] + 1, cap);
                o[x] = SZ_MIN(o[x], run[x]);
            }
        }
    }
    /* Rows: the smallest dx^2 + g^2 over |dx| <= r, one dx at a time over
     * the whole row (so the inner loop is a plain vector min); the row is
     * padded by r on each side with "far". */
#pragma omp parallel num_threads(threads)
    {
        uint16_t *f = rows + (size_t)sz_thread_index() * row_len;
        for (size_t i = 0; i < row_len; i++) f[i] = (uint16_t)far;
#pragma omp for schedule(static)
        for (int y = 0; y < h; y++) {
            const uint8_t *gy = g + (size_t)y * w;
            uint16_t *d = dist2 + (size_t)y * w;
#pragma omp simd
            for (int x = 0; x < w; x++) f[r + x] = (uint16_t)(gy[x] * gy[x]);
            memcpy(d, f + r, (size_t)w * sizeof *d);
            for (int dx = 1; dx <= r; dx++) {
                const uint16_t *left = f + r - dx, *right = f + r + dx, dd = (uint16_t)(dx * dx);
#pragma omp simd
                for (int x = 0; x < w; x++) {
                    uint16_t v = (uint16_t)(dd + SZ_MIN(left[x], right[x]));
                    d[x] = SZ_MIN(d[x], v);
                }
            }
        }
    }
    free(g), free(rows);
    return SZ_OK;
}

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

sz_status sz_rect_reach(sz_ctx *ctx, const uint8_t *in, uint8_t value, int w, int h, int rx, int ry, uint8_t *out)
{
    uint8_t *rows = sz_malloc(ctx, (size_t)w * (size_t)h);
    if (!rows) return SZ_ERR_NOMEM;
    const bool want = value != 0;
    /* Separable: along rows, then along columns. */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *src = in + (size_t)y * w;
        uint8_t *dst = rows + (size_t)y * w;
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
            continue;
        }
        int count = 0;
        for (int x = 0; x <= rx && x < w; x++) count += (src[x] != 0) == want;
        for (int x = 0; x < w; x++) {
            dst[x] = count > 0;
            if (x + rx + 1 < w) count += (src[x + rx + 1] != 0) == want;
            if (x - rx >= 0) count -= (src[x - rx] != 0) == want;
        }
    }
    if (ry <= REACH_SHIFTS_MAX) {
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = 0; y < h; y++) {
            uint8_t *o = out + (size_t)y * w;
            memset(o, 0, (size_t)w);
            for (int yy = SZ_MAX(0, y - ry); yy <= SZ_MIN(h - 1, y + ry); yy++) {
                const uint8_t *r = rows + (size_t)yy * w;
#pragma omp simd
                for (int x = 0; x < w; x++) o[x] |= r[x];
            }
        }
        free(rows);
        return SZ_OK;
    }
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

/* Union-find root with path halving. */
static int32_t run_root(int32_t *parent, int32_t r)
{
    while (parent[r] != r) r = parent[r] = parent[parent[r]];
    return r;
}

/* Runs of set pixels, row by row: each run is joined to the runs of the
 * row above it touches (overlapping, or one pixel further diagonally when
 * eight-connected); components are then numbered in the order their first
 * run comes in the image, which is the order a scan that floods each new
 * component would give them. */
/* Whether a diagonal contact at row y between columns xa (row y - 1) and
 * xb (row y) may be crossed: not beside a blocking pixel. */
static inline bool diagonal_open(const uint8_t *block, int w, int y, int xa, int xb)
{
    return !block || (!block[(size_t)y * w + xa] && !block[(size_t)(y - 1) * w + xb]);
}

/* Bands of rows whose runs are found in parallel, at most. */
enum { SZ_MAX_BANDS = 64 };

/* sz_label_runs(), where with `block` an eight-connected diagonal step may
 * not pass beside a blocking pixel. */
static int label_runs(sz_ctx *ctx, const uint8_t *mask, int w, int h, bool eight, const uint8_t *block,
                      sz_runs *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = (size_t)w * (size_t)h / 2 + (size_t)h + 1; /* at most one run per two pixels, per row */
    int32_t *x0 = sz_malloc_array(ctx, cap, sizeof *x0), *x1 = sz_malloc_array(ctx, cap, sizeof *x1);
    int32_t *parent = sz_malloc_array(ctx, cap, sizeof *parent), *row_start = sz_malloc_array(ctx, (size_t)h + 1, sizeof *row_start);
    if (!x0 || !x1 || !parent || !row_start) {
        free(x0), free(x1), free(parent), free(row_start);
        return -1;
    }
    /* The runs, found in parallel: each thread lists those of a band of
     * rows where the band could hold the most (its rows' share of the
     * capacity), then the bands close up in order. */
    int threads = sz_threads(ctx), bands = 1;
    int32_t band_runs[SZ_MAX_BANDS];
#pragma omp parallel num_threads(threads)
    {
        int nb = SZ_MIN(sz_team_size(), SZ_MAX_BANDS), b = sz_thread_index();
        if (b == 0) bands = nb;
        if (b < nb) {
            int y0 = (int)((int64_t)h * b / nb), y1 = (int)((int64_t)h * (b + 1) / nb);
            int32_t runs = (int32_t)((size_t)w * (size_t)y0 / 2 + (size_t)y0), first = runs;
            for (int y = y0; y < y1; y++) {
                row_start[y] = runs;
                const uint8_t *m = mask + (size_t)y * w;
                for (int x = sz_skip_unset(m, 0, w); x < w; x = sz_skip_unset(m, x, w)) {
                    x0[runs] = x;
                    x = sz_skip_set(m, x, w);
                    x1[runs++] = x - 1;
                }
            }
            band_runs[b] = runs - first;
        }
    }
    int32_t runs = band_runs[0];
    for (int b = 1; b < bands; b++) {
        int y0 = (int)((int64_t)h * b / bands), y1 = (int)((int64_t)h * (b + 1) / bands);
        if (y1 == y0) continue; /* no rows */
        int32_t from = row_start[y0], shift = from - runs;
        memmove(x0 + runs, x0 + from, (size_t)band_runs[b] * sizeof *x0);
        memmove(x1 + runs, x1 + from, (size_t)band_runs[b] * sizeof *x1);
        for (int y = y0; y < y1; y++) row_start[y] -= shift;
        runs += band_runs[b];
    }
    row_start[h] = runs;
    /* Components: each run joins the runs above it that touch it. */
    int32_t reach = eight ? 1 : 0;
    for (int y = 0; y < h; y++) {
        int32_t above = y ? row_start[y - 1] : 0, above_end = row_start[y];
        for (int32_t r = row_start[y]; r < row_start[y + 1]; r++) {
            int32_t start = x0[r];
            parent[r] = r;
            /* runs above ending before this one starts cannot touch later runs either */
            while (above < above_end && x1[above] + reach < start) above++;
            for (int32_t k = above; k < above_end && x0[k] <= x1[r] + reach; k++) {
                /* a corner contact only: the pixels beside it must let the step through */
                if (x1[k] < start && !diagonal_open(block, w, y, start - 1, start)) continue;
                if (x0[k] > x1[r] && !diagonal_open(block, w, y, x1[r] + 1, x1[r])) continue;
                int32_t a = run_root(parent, k), c = run_root(parent, r);
                if (a != c) parent[SZ_MAX(a, c)] = SZ_MIN(a, c); /* the earlier run stays the root */
            }
        }
    }
    /* roots are the first run of their component, so numbering them in
     * run order is numbering components by their first pixel */
    for (int32_t r = 0; r < runs; r++) parent[r] = parent[parent[r]]; /* every parent is an earlier run: now the root */
    int count = 0;
    for (int32_t r = 0; r < runs; r++) parent[r] = parent[r] == r ? -(++count) : parent[parent[r]]; /* -label */
    for (int32_t r = 0; r < runs; r++) parent[r] = -parent[r];
    *out = (sz_runs){.w = w, .h = h, .x0 = x0, .x1 = x1, .label = parent, .row_start = row_start, .count = count};
    return count;
}

int sz_label_runs(sz_ctx *ctx, const uint8_t *mask, int w, int h, bool eight, sz_runs *out)
{
    return label_runs(ctx, mask, w, h, eight, NULL, out);
}

int sz_label_runs_blocked(sz_ctx *ctx, const uint8_t *mask, const uint8_t *block, int w, int h, sz_runs *out)
{
    return label_runs(ctx, mask, w, h, true, block, out);
}

sz_status sz_flood(sz_ctx *ctx, const uint8_t *pass, const uint8_t *seed, const uint8_t *block, int w, int h,
                   uint8_t *reached)
{
    sz_runs r;
    int count = label_runs(ctx, pass, w, h, true, block, &r);
    uint8_t *seeded = count < 0 ? NULL : sz_calloc(ctx, (size_t)count + 1, 1);
    if (!seeded) {
        sz_runs_free(&r);
        return SZ_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++)
        for (int32_t i = r.row_start[y]; i < r.row_start[y + 1]; i++) {
            if (seeded[r.label[i]]) continue;
            const uint8_t *s = seed + (size_t)y * w;
            int x = r.x0[i];
            while (x <= r.x1[i] && !s[x]) x++;
            seeded[r.label[i]] = x <= r.x1[i];
        }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        uint8_t *out = reached + (size_t)y * w;
        memset(out, 0, (size_t)w);
        for (int32_t i = r.row_start[y]; i < r.row_start[y + 1]; i++)
            if (seeded[r.label[i]]) memset(out + r.x0[i], 1, (size_t)(r.x1[i] - r.x0[i] + 1));
    }
    free(seeded);
    sz_runs_free(&r);
    return SZ_OK;
}

void sz_runs_free(sz_runs *r)
{
    free(r->x0), free(r->x1), free(r->label), free(r->row_start);
    memset(r, 0, sizeof *r);
}

void sz_runs_boxes(const sz_runs *r, int32_t *box, int32_t *area)
{
    for (int k = 0; k <= r->count; k++) {
        if (box) box[4 * k] = r->w, box[4 * k + 1] = r->h, box[4 * k + 2] = -1, box[4 * k + 3] = -1;
        if (area) area[k] = 0;
    }
    for (int y = 0; y < r->h; y++)
        for (int32_t i = r->row_start[y]; i < r->row_start[y + 1]; i++) {
            if (box) {
                int32_t *b = box + 4 * r->label[i];
                b[0] = SZ_MIN(b[0], r->x0[i]), b[1] = SZ_MIN(b[1], y), b[2] = SZ_MAX(b[2], r->x1[i]), b[3] = y;
            }
            if (area) area[r->label[i]] += r->x1[i] - r->x0[i] + 1;
        }
}

int32_t sz_runs_label_near(const sz_runs *r, int x, int y, int32_t *run)
{
    if (x < 0 || y < 0 || x >= r->w || y >= r->h) return 0;
    int32_t k = *run;
    if (k >= r->row_start[y] && k < r->row_start[y + 1] && r->x0[k] <= x && x <= r->x1[k]) return r->label[k];
    /* the last run of the row starting at or before x */
    int32_t lo = r->row_start[y], hi = r->row_start[y + 1] - 1, found = -1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (r->x0[mid] <= x) found = mid, lo = mid + 1;
        else hi = mid - 1;
    }
    if (found < 0 || x > r->x1[found]) return 0;
    *run = found;
    return r->label[found];
}

int32_t sz_runs_label_at(const sz_runs *r, int x, int y)
{
    int32_t run = -1;
    return sz_runs_label_near(r, x, y, &run);
}

void sz_runs_paint(const sz_runs *r, int32_t label, int x0, int y0, int w, int h, uint8_t *out)
{
    for (int y = SZ_MAX(y0, 0); y < SZ_MIN(y0 + h, r->h); y++)
        for (int32_t i = r->row_start[y]; i < r->row_start[y + 1]; i++) {
            if (r->label[i] != label) continue;
            int a = SZ_MAX(r->x0[i], x0), b = SZ_MIN(r->x1[i], x0 + w - 1);
            if (a <= b) memset(out + (size_t)(y - y0) * w + (a - x0), 1, (size_t)(b - a + 1));
        }
}

/* ------------------------------------------------------------------ */
/* One-pixel curves                                                    */
/* ------------------------------------------------------------------ */

static const int DX[8] = {0, 1, 1, 1, 0, -1, -1, -1}, DY[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

/* Number of separate groups of set pixels around the 8-ring. */
static int ring_groups(unsigned b)
{
    if (b == 0xff) return 1;
    int t = 0;
    for (int k = 0; k < 8; k++) t += !((b >> k) & 1) && ((b >> ((k + 1) & 7)) & 1);
    return t;
}

bool sz_curve_is_end(const uint8_t *m, int w, int h, int x, int y)
{
    unsigned b = 0;
    for (int k = 0; k < 8; k++) b |= (unsigned)sz_mask_at(m, w, h, x + DX[k], y + DY[k]) << k;
    return b && ring_groups(b) == 1 && __builtin_popcount(b) <= 2;
}

static inline bool adjacent(int ax, int ay, int bx, int by)
{
    return abs(ax - bx) <= 1 && abs(ay - by) <= 1;
}

int sz_curve_trace(const uint8_t *m, int w, int h, int x, int y, int max, int *px, int *py, bool *junction)
{
    return sz_curve_trace_from(m, w, h, -9, -9, x, y, max, px, py, junction);
}

int sz_curve_trace_from(const uint8_t *m, int w, int h, int fromx, int fromy, int x, int y, int max, int *px, int *py,
                        bool *junction)
{
    int n = 0, prevx = fromx, prevy = fromy;
    *junction = false;
    while (n < max) {
        px[n] = x, py[n] = y;
        n++;
        int cx[8], cy[8], c = 0;
        for (int k = 0; k < 8; k++) {
            int xx = x + DX[k], yy = y + DY[k];
            if (!sz_mask_at(m, w, h, xx, yy) || (xx == prevx && yy == prevy) || adjacent(xx, yy, prevx, prevy))
                continue;
            bool seen = false;
            for (int j = SZ_MAX(0, n - 4); j < n && !seen; j++) seen = px[j] == xx && py[j] == yy;
            if (!seen) cx[c] = xx, cy[c] = yy, c++;
        }
        if (c == 0) break;
        int pick = 0;
        if (c > 1) {
            bool close = true;
            for (int a = 0; a < c; a++)
                for (int b = a + 1; b < c; b++) close &= adjacent(cx[a], cy[a], cx[b], cy[b]);
            if (!close || c > 2) {
                *junction = true;
                break;
            }
            pick = (cx[0] == x || cy[0] == y) ? 0 : 1; /* the 4-neighbour of a staircase */
        }
        prevx = x, prevy = y;
        x = cx[pick], y = cy[pick];
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Nearest sites                                                       */
/* ------------------------------------------------------------------ */

static int site_axis_x(const void *a, const void *b)
{
    const struct sz_site *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index; /* a total order: the tree never depends on qsort */
}

static int site_axis_y(const void *a, const void *b)
{
    const struct sz_site *p = a, *q = b;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/* Sorts each range by its axis and recurses on the halves around the
 * median (n log^2 n, for a few thousand sites nothing). */
static void sites_arrange(struct sz_site *s, int n, int depth)
{
    if (n <= 1) return;
    qsort(s, (size_t)n, sizeof *s, depth & 1 ? site_axis_y : site_axis_x);
    int mid = n / 2;
    sites_arrange(s, mid, depth + 1);
    sites_arrange(s + mid + 1, n - mid - 1, depth + 1);
}

sz_status sz_sites_build(sz_ctx *ctx, const int32_t *index, int n, int w, sz_sites *out)
{
    out->n = 0;
    out->site = sz_malloc_array(ctx, (size_t)(n > 0 ? n : 1), sizeof *out->site);
    if (!out->site) return SZ_ERR_NOMEM;
    for (int k = 0; k < n; k++)
        out->site[k] = (struct sz_site){.x = index[k] % w, .y = index[k] / w, .index = index[k]};
    out->n = n, out->w = w;
    sites_arrange(out->site, n, 0);
    return SZ_OK;
}

static void sites_search(const struct sz_site *s, int n, int depth, int x, int y, int64_t *best, int32_t *found)
{
    while (n > 0) {
        int mid = n / 2;
        const struct sz_site *m = &s[mid];
        int64_t dx = m->x - x, dy = m->y - y, d2 = dx * dx + dy * dy;
        if (d2 < *best || (d2 == *best && m->index < *found)) *best = d2, *found = m->index;
        int64_t off = depth & 1 ? (int64_t)y - m->y : (int64_t)x - m->x;
        /* the side of the split holding (x, y) first; the other only if a
         * site there could be as near (equally near ones decide by index) */
        const struct sz_site *near = off < 0 ? s : s + mid + 1, *far = off < 0 ? s + mid + 1 : s;
        int nnear = off < 0 ? mid : n - mid - 1, nfar = off < 0 ? n - mid - 1 : mid;
        sites_search(near, nnear, depth + 1, x, y, best, found);
        if (off * off > *best) return;
        s = far, n = nfar, depth++;
    }
}

int32_t sz_sites_nearest(const sz_sites *s, int x, int y, int32_t guess)
{
    int64_t best = INT64_MAX;
    int32_t found = -1;
    if (guess >= 0 && s->n) {
        /* the guess bounds the search; the search still finds the nearest */
        int64_t dx = guess % s->w - x, dy = guess / s->w - y;
        best = dx * dx + dy * dy, found = guess;
    }
    sites_search(s->site, s->n, 0, x, y, &best, &found);
    return found;
}

void sz_sites_free(sz_sites *s)
{
    free(s->site);
    s->site = NULL;
    s->n = 0;
}

static double det3(const double m[3][3])
{
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

bool sz_curve_fit(const int *px, const int *py, int i0, int k, double sigma, double fit[2][3])
{
    double S[5] = {0}, SX[3] = {0}, SY[3] = {0}, s_len = 0;
    for (int i = 0; i < k; i++) {
        if (i) s_len += hypot(px[i] - px[i - 1], py[i] - py[i - 1]);
        if (i < i0) continue;
        double t = s_len, wt = sigma > 0 ? exp(-0.5 * (t / sigma) * (t / sigma)) : 1, tp = wt;
        for (int j = 0; j < 5; j++, tp *= t) S[j] += tp;
        tp = wt;
        for (int j = 0; j < 3; j++, tp *= t) SX[j] += tp * px[i], SY[j] += tp * py[i];
    }
    /* the normal equations, by Cramer's rule */
    double A[3][3] = {{S[0], S[1], S[2]}, {S[1], S[2], S[3]}, {S[2], S[3], S[4]}};
    double det = det3(A);
    const double *rhs[2] = {SX, SY};
    for (int d = 0; d < 2; d++)
        for (int c = 0; c < 3; c++) {
            double M[3][3];
            memcpy(M, A, sizeof M);
            for (int r = 0; r < 3; r++) M[r][c] = rhs[d][r];
            fit[d][c] = fabs(det) > 1e-9 ? det3(M) / det : 0;
        }
    return fabs(det) > 1e-9;
}

bool sz_path_crosses(const uint8_t *m, uint8_t value, int w, int h, const vec2 *pts, int n, vec2 a, vec2 b,
                     float spare)
{
    for (int i = 0; i + 1 < n; i++) {
        vec2 u = pts[i], d = v2_sub(pts[i + 1], u);
        int steps = (int)ceilf(2 * v2_len(d)) + 1;
        for (int s = 0; s <= steps; s++) {
            vec2 q = v2_add(u, v2_scale(d, (float)s / steps));
            if (v2_len(v2_sub(q, a)) < spare || v2_len(v2_sub(q, b)) < spare) continue;
            int x0 = (int)floorf(q.x), y0 = (int)floorf(q.y);
            for (int y = y0; y <= y0 + 1; y++)
                for (int x = x0; x <= x0 + 1; x++)
                    if (x >= 0 && y >= 0 && x < w && y < h && m[(size_t)y * w + x] == value) return true;
        }
    }
    return false;
}

bool sz_pair_push(sz_ctx *ctx, sz_pair_list *l, int a, int b, float cost)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        sz_pair *v = sz_realloc_array(ctx, l->v, cap, sizeof *v);
        if (!v) return false;
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = (sz_pair){a, b, cost};
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
