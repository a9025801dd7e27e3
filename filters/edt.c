/*
 * edt.c — exact squared Euclidean distance transforms (see geom.h):
 * whole planes, only the rows a caller wants, or bounded to a few px.
 */
#include "geom.h"

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
            if (want && !want[y]) { /* (its nearest stays as it is) */
                for (int x = 0; x < w && row; x++) row[x] = EDT_INF;
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
    enum { SPAN = 128 };
    _Static_assert(SPAN >= SZ_EDT_BOUND_MAX, "a pixel's reach spans at most its span's neighbours");
    int spans = (w + SPAN - 1) / SPAN;
    /* per thread: the padded row, then the least and the most of g over
     * each span (as 16-bit words, two bytes a span each) */
    size_t row_len = (size_t)w + 2 * (size_t)r + (size_t)spans;
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
    /* Rows: the smallest dx^2 + g^2 over |dx| <= r, one dx at a time (so
     * the inner loop is a plain vector min); the row is padded by r on
     * each side with "far".  A row is taken in spans of SPAN px, at least
     * the largest r, so that a pixel's reach lies within its span and the
     * two beside it: a span all feature is all 0, and one with nothing
     * nearer than r down or up its columns, there or beside it, is all
     * "far" already.  Most of a part is one or the other, so only the
     * spans along an edge pay for the r comparisons. */
#pragma omp parallel num_threads(threads)
    {
        uint16_t *f = rows + (size_t)sz_thread_index() * row_len;
        uint8_t *span_min = (uint8_t *)(f + w + 2 * (size_t)r), *span_max = span_min + spans;
        for (size_t i = 0; i < (size_t)w + 2 * (size_t)r; i++) f[i] = (uint16_t)far;
#pragma omp for schedule(dynamic, 16) /* (the edges, where the work is, may gather in a few rows) */
        for (int y = 0; y < h; y++) {
            const uint8_t *gy = g + (size_t)y * w;
            uint16_t *d = dist2 + (size_t)y * w;
            for (int s = 0; s < spans; s++) {
                int x0 = s * SPAN, x1 = SZ_MIN(w, x0 + SPAN);
                uint8_t lo = (uint8_t)cap, hi = 0;
                for (int x = x0; x < x1; x++) {
                    lo = SZ_MIN(lo, gy[x]), hi = SZ_MAX(hi, gy[x]);
                    f[r + x] = (uint16_t)(gy[x] * gy[x]);
                }
                span_min[s] = lo, span_max[s] = hi;
            }
            memcpy(d, f + r, (size_t)w * sizeof *d);
            for (int s = 0; s < spans; s++) {
                int before = s > 0 ? span_min[s - 1] : cap, after = s + 1 < spans ? span_min[s + 1] : cap;
                int near = SZ_MIN(span_min[s], SZ_MIN(before, after));
                if (span_max[s] == 0 || near >= cap) continue;
                int x0 = s * SPAN, bw = SZ_MIN(w - x0, SPAN);
                uint16_t *ds = d + x0;
                for (int dx = 1; dx <= r; dx++) {
                    const uint16_t *left = f + r + x0 - dx, *right = f + r + x0 + dx, dd = (uint16_t)(dx * dx);
#pragma omp simd
                    for (int x = 0; x < bw; x++) {
                        uint16_t v = (uint16_t)(dd + SZ_MIN(left[x], right[x]));
                        ds[x] = SZ_MIN(ds[x], v);
                    }
                }
            }
        }
    }
    free(g), free(rows);
    return SZ_OK;
}
