/*
 * label.c — connected regions as runs of pixels (see geom.h): labelling
 * in parallel bands joined by union-find, flooding, and looking a pixel
 * up among the runs.
 */
#include "geom.h"

#include <stdlib.h>

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
