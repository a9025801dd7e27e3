/*
 * shape_race.c — the part and the background race into the unknown region
 * around the walls of the outline (see shape.h): Dial's algorithm over
 * chamfer steps, run only in the pieces of the region both sides start in.
 */
#include "shape.h"
#include "bits.h"

#include <stdlib.h>
#include <string.h>

/* Chamfer steps (5 across, 7 diagonally: within 2% of Euclidean for the
 * purpose of who arrives first) and the ring of buckets Dial's algorithm
 * needs for them. */
enum { STEP = 5, DIAGONAL = 7, RING = 8 };

/* A bucket holds pixels by their coordinates, so that taking one out
 * needs no division to know where it is. */
typedef struct bucket_px {
    int32_t x, y;
} bucket_px;

typedef struct bucket {
    bucket_px *px;
    size_t n, cap;
} bucket;

static inline bool bucket_push(sz_ctx *ctx, bucket *b, int x, int y)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        bucket_px *v = sz_realloc_array(ctx, b->px, cap, sizeof *v);
        if (!v) return false;
        b->px = v, b->cap = cap;
    }
    b->px[b->n++] = (bucket_px){x, y};
    return true;
}

/* The 8 neighbours: the 4 across first, then the diagonals. */
static const int step_x[8] = {1, -1, 0, 0, 1, 1, -1, -1}, step_y[8] = {0, 0, 1, -1, 1, -1, 1, -1};

/* How many 4-neighbours of unknown pixel (x, y) are visible background
 * (the background starts into the unknown region there); *part counts
 * those that are known part (where the part starts). */
static int background_neighbours(const uint8_t *known, const uint8_t *unknown, int w, int h, int x, int y, int *part)
{
    int background = 0;
    *part = 0;
    for (int k = 0; k < 4; k++) {
        int xx = x + step_x[k], yy = y + step_y[k];
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        size_t j = (size_t)yy * w + xx;
        *part += known[j], background += !known[j] && !unknown[j];
    }
    return background;
}

static inline bool inside_grid(int w, int h, int x, int y)
{
    return x >= 0 && y >= 0 && x < w && y < h;
}

/* What a pixel of the unknown region is to the race (see race()), and
 * what the seeds of one of its components are. */
enum { PASS = 1, REACHED = 2, HAS_PART = 4, HAS_BACKGROUND = 8 };

/* The pixels of row y of the unknown region (PASS), those where the
 * background reaches in (REACHED: it borders the visible background, or it
 * is an empty stretch of the canvas's edge), and the race's starting
 * pixels, with the side that starts there (HAS_PART, HAS_BACKGROUND). */
static void race_row(int w, int h, const uint8_t *known, const uint8_t *unknown, uint8_t *side, int y, uint8_t *mark,
                     uint8_t *block)
{
    size_t row = (size_t)y * w;
    for (int x = 0; x < w; x++) {
        size_t i = row + x;
        block[i] = side[i] == WALL;
        mark[i] = 0;
        if (!unknown[i] || block[i]) continue;
        mark[i] = PASS;
        bool inner = x > 0 && y > 0 && x < w - 1 && y < h - 1;
        /* inside the unknown region, nobody starts */
        if (inner && unknown[i - 1] && unknown[i + 1] && unknown[i - w] && unknown[i + w] && unknown[i] != EMPTY_SEED)
            continue;
        int part, background = background_neighbours(known, unknown, w, h, x, y, &part);
        if (unknown[i] == EMPTY_SEED || background) mark[i] |= REACHED;
        /* an empty pixel starts no part, nor does one outside a wall, */
        if (unknown[i] >= EMPTY || side[i] == OUTSIDE) part = 0;
        if (unknown[i] == EMPTY_SEED) background = SZ_MAX(background, 1); /* and away from it, the background */
        if (!part && !background) continue;
        side[i] = part > background ? BY_PART : BY_BACKGROUND;
        mark[i] |= part > background ? HAS_PART : HAS_BACKGROUND;
    }
}

/* The bitwise or of n bytes, eight at a time. */
static uint8_t or_bytes(const uint8_t *p, int n)
{
    uint64_t acc = 0;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t word;
        memcpy(&word, p + k, sizeof word);
        acc |= word;
    }
    for (; k < n; k++) acc |= p[k];
    for (int shift = 32; shift >= 8; shift /= 2) acc |= acc >> shift;
    return (uint8_t)acc;
}

/* (see shape.h) */
sz_status sz_shape_race(sz_ctx *ctx, int w, int h, const uint8_t *known, const uint8_t *unknown, uint8_t *side,
                        int32_t *dist, uint8_t *background_reaches)
{
    size_t n = (size_t)w * (size_t)h;
    uint8_t *mark = background_reaches, *block = sz_malloc(ctx, n);
    if (!block) return SZ_ERR_NOMEM;
    /* (rows handed out as threads come free: the unknown ones, which cost
     * more, gather where the occluder is) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < h; y++) race_row(w, h, known, unknown, side, y, mark, block);
    sz_runs runs;
    int count = sz_label_runs_blocked(ctx, mark, block, w, h, &runs);
    free(block);
    if (count < 0) return SZ_ERR_NOMEM;
    uint8_t *seeds = sz_calloc(ctx, (size_t)count + 1, 1);
    if (!seeds) {
        sz_runs_free(&runs);
        return SZ_ERR_NOMEM;
    }
    enum { ALL = REACHED | HAS_PART | HAS_BACKGROUND, BOTH = HAS_PART | HAS_BACKGROUND };
    for (int y = 0; y < h; y++)
        for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++) {
            uint8_t *has = &seeds[runs.label[r]];
            if ((*has & ALL) != ALL) *has |= or_bytes(mark + (size_t)y * w + runs.x0[r], runs.x1[r] - runs.x0[r] + 1);
        }
    /* Distances where the race runs: unreached (INT32_MAX) on the pieces
     * both sides start in, 0 where they start, and -1 (never stepped on)
     * everywhere else on their rows and the rows beside. */
    int top = h, bottom = -1;
    for (int y = 0; y < h; y++)
        for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++)
            if ((seeds[runs.label[r]] & BOTH) == BOTH) top = SZ_MIN(top, y), bottom = y;
    top = SZ_MAX(0, top - 1), bottom = SZ_MIN(h - 1, bottom + 1);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = top; y <= bottom; y++) {
        int32_t *d = dist + (size_t)y * w;
        const uint8_t *m = mark + (size_t)y * w;
        for (int x = 0; x < w; x++) d[x] = -1;
        for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++)
            if ((seeds[runs.label[r]] & BOTH) == BOTH)
                for (int x = runs.x0[r]; x <= runs.x1[r]; x++) d[x] = m[x] & BOTH ? 0 : INT32_MAX;
    }
    /* the starting pixels in raster order, which decides ties */
    bucket ring[RING] = {{0}};
    sz_status st = SZ_OK;
    for (int y = top; y <= bottom && !st; y++)
        for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1] && !st; r++) {
            if ((seeds[runs.label[r]] & BOTH) != BOTH) continue;
            for (int x = runs.x0[r]; x <= runs.x1[r] && !st; x++)
                if (!dist[(size_t)y * w + x] && !bucket_push(ctx, &ring[0], x, y)) st = SZ_ERR_NOMEM;
        }
    int32_t step[8];
    for (int e = 0; e < 8; e++) step[e] = step_y[e] * w + step_x[e];
    size_t pending = ring[0].n;
    for (int32_t d = 0; pending && !st; d++) {
        bucket *b = &ring[d % RING];
        for (size_t k = 0; k < b->n && !st; k++) {
            int x = b->px[k].x, y = b->px[k].y;
            int32_t i = y * w + x;
            pending--;
            if (dist[i] != d) continue; /* reached sooner since */
            bool inner = x > 0 && y > 0 && x < w - 1 && y < h - 1;
            for (int e = 0; e < 8; e++) {
                int32_t nd = d + (e < 4 ? STEP : DIAGONAL), j = i + step[e];
                /* the distance first: most neighbours were reached as
                 * soon, and one that may not be stepped on is at -1; then
                 * a diagonal step may not pass between wall pixels */
                if (inner ? nd >= dist[j] : !inside_grid(w, h, x + step_x[e], y + step_y[e]) || nd >= dist[j]) continue;
                if (e >= 4 && (side[i + step_x[e]] == WALL || side[i + step[e] - step_x[e]] == WALL)) continue;
                dist[j] = nd, side[j] = side[i];
                if (!bucket_push(ctx, &ring[nd % RING], x + step_x[e], y + step_y[e])) st = SZ_ERR_NOMEM;
                pending++;
            }
        }
        b->n = 0;
    }
    for (int k = 0; k < RING; k++) free(ring[k].px);
    /* a piece one side alone starts in is that side's, all of it */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < (st ? 0 : h); y++) {
        memset(background_reaches + (size_t)y * w, 0, (size_t)w);
        for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++) {
            uint8_t has = seeds[runs.label[r]], alone = has & BOTH;
            size_t i = (size_t)y * w + runs.x0[r], len = (size_t)(runs.x1[r] - runs.x0[r] + 1);
            if (alone == HAS_PART) memset(side + i, BY_PART, len);
            else if (alone == HAS_BACKGROUND) memset(side + i, BY_BACKGROUND, len);
            if (has & REACHED) memset(background_reaches + i, 1, len);
        }
    }
    free(seeds);
    sz_runs_free(&runs);
    return st;
}
