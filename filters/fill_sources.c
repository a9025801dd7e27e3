/*
 * fill_sources.c — where the colour of each pixel of the fill comes from:
 * the nearest solid visible pixel of the part that is not in a stroke, but
 * for a stroke's first pixels under the occluder (the ink goes on a
 * little), for a narrow colour region (an eye's white) only near the cut,
 * where borders of colour regions meet the cut at a slant along them
 * (fill_borders.c), and for a band along the part's edge (a tyre) the
 * band's own; and the colour regions of those sources, for the average
 * the fill takes (fill_paint.c).
 */
#include "fill.h"
#include "color.h"
#include "bits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A part whose colour sources have a median opacity below this (of 255)
 * is translucent. */
enum { TRANSLUCENT = 250 };

/* In `solid`: a pixel of the part seen through the cover (p->faint_colour). */
enum { SEEN = 2 };

/* A source pixel is narrow within NARROW px of a border of its colour
 * region (keep_narrow_regions_near; two neighbours differ in colour by
 * sz_rgb8_differ, fill.h). */
enum { NARROW = 10 };

/* How far (px) every stroke the occluder cuts goes on under it in the
 * fill (continue_ink_at_the_cut). */
#define INK_STUB 1.5f

/* Whether two 8-bit pixels differ in colour (sz_rgb8_differ). */
static inline bool step8(const uint8_t *a, const uint8_t *b)
{
    return sz_rgb8_differ(a[0], a[1], a[2], b[0], b[1], b[2]);
}

/* The same for visible pixels i and j of the part. */
static bool colour_step(const sz_image *img, size_t i, size_t j)
{
    uint16_t a[4], b[4];
    sz_get16_at(img, i, a);
    sz_get16_at(img, j, b);
    return sz_rgb8_differ(a[0] >> 8, a[1] >> 8, a[2] >> 8, b[0] >> 8, b[1] >> 8, b[2] >> 8);
}

/* (fill.h) */
bool sz_fill_colour_border(const sz_part *p, const uint8_t *src, int x, int y)
{
    int w = p->w, h = p->h;
    size_t i = (size_t)y * w + x;
    if (p->img->depth == 8) { /* (the common case, without widening every sample) */
        const uint8_t *c = sz_row8(p->img, y) + 4 * (size_t)x;
        return (x + 1 < w && src[i + 1] && step8(c, c + 4)) || (x > 0 && src[i - 1] && step8(c, c - 4)) ||
               (y + 1 < h && src[i + w] && step8(c, sz_row8(p->img, y + 1) + 4 * (size_t)x)) ||
               (y > 0 && src[i - w] && step8(c, sz_row8(p->img, y - 1) + 4 * (size_t)x));
    }
    return (x + 1 < w && src[i + 1] && colour_step(p->img, i, i + 1)) ||
           (x > 0 && src[i - 1] && colour_step(p->img, i, i - 1)) ||
           (y + 1 < h && src[i + w] && colour_step(p->img, i, i + w)) ||
           (y > 0 && src[i - w] && colour_step(p->img, i, i - w));
}

/* Whether filled pixel (x, y), whose source j (work index) lies
 * sqrt(scale2) px from a border of its colour region, is beyond the
 * reach of a narrow source: twice that distance plus 3 px. */
static bool beyond_narrow_reach(int x, int y, int32_t j, int w, uint16_t scale2)
{
    if (scale2 >= NARROW * NARROW) return false; /* broad: it reaches as far as it is nearest */
    return sz_pixel_distance(x - j % w, y - j / w) > 2 * sqrtf((float)scale2) + 3;
}

/* A narrow colour region seen at the cut (an eye's white, a button, a
 * stripe) is as likely to end under the occluder as to go on, and when
 * it is carried far the whole fill there takes a wrong colour.  So a
 * source pixel within NARROW px of a border (ink, or a step of colour;
 * the part's own edge is none, so a band along it is not narrow) lends
 * its colour about twice that distance (plus a little); beyond it, where
 * a source that far from any border is about as near (within 10%) and
 * of another colour, that one's is taken.  Where nothing broad is near,
 * a thin part (a wire, a strand) keeps its own colour, and a gradient
 * beside another colour keeps its own (its deeper pixels are alike).  On
 * the shared benchmark's cases this lowered de by 0.08, and by 0.06 and
 * 0.09 on two other seeds (DESIGN.md, "Narrow colour regions").  `solid`
 * is spent and serves as scratch; `near` is rewritten where a broad
 * source takes over.  The borders found on the way also give the colour
 * regions of the sources' rows (*regions, whose row 0 is the part's row
 * *regions_top; the caller frees them), for the fill's average. */
static sz_status keep_narrow_regions_near(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src,
                                          const uint8_t *want, uint8_t *solid, int32_t *near, sz_runs *regions,
                                          int *regions_top)
{
    int w = p->w, h = p->h;
    /* Only the rows of the filled pixels and of their sources, and the
     * borders NARROW px around them, are looked at (broad sources
     * further away are not looked for): a band [lo, hi) of rows, whose
     * planes below start at row lo. */
    int lo = h, hi = 0;
    /* (rows as threads come free, here and below: the filled rows gather) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(min : lo) reduction(max : hi)
    for (int y = 0; y < h; y++) {
        if (!want[y]) continue;
        lo = SZ_MIN(lo, y), hi = SZ_MAX(hi, y + 1);
        for (int x = 0; x < w; x++) {
            int32_t j = shape[(size_t)y * w + x] ? near[(size_t)y * w + x] : -1;
            if (j >= 0) lo = SZ_MIN(lo, j / w), hi = SZ_MAX(hi, j / w + 1);
        }
    }
    if (lo >= hi) return SZ_OK;
    lo = SZ_MAX(0, lo - NARROW - 1), hi = SZ_MIN(h, hi + NARROW + 1);
    int bh = hi - lo;
    size_t n = (size_t)w * (size_t)bh, first = (size_t)lo * w;
    uint16_t *scale2 = sz_malloc_array(ctx, n, sizeof *scale2);
    uint8_t *asks = sz_calloc(ctx, (size_t)bh, 1);
    int32_t *broad_near = NULL;
    sz_status st = scale2 && asks ? SZ_OK : SZ_ERR_NOMEM;
    uint8_t *border = solid + first, *broad = solid + first;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = lo; y < (st ? lo : hi); y++) {
        const uint8_t *s = src + (size_t)y * w;
        uint8_t *b = solid + (size_t)y * w;
        /* (solid and !src: ink) */
        for (int x = 0; x < w; x++) b[x] = b[x] && !s[x];
        /* a step to a neighbour marks both (each row marks only its own
         * pixels, from its neighbours above and below too) */
        for (int x = 0; x < w; x++)
            if (s[x] && !b[x]) b[x] = sz_fill_colour_border(p, src, x, y);
    }
    if (!st) st = sz_edt_bounded(ctx, border, w, bh, NARROW + 1, scale2);
    /* the colour regions, for the fill's average: sources joined through
     * neighbours with no border between them (a gradient is one region,
     * from its light end to its dark one) */
    if (!st && regions) {
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (long i = 0; i < (long)n; i++) border[i] = src[first + i] && !border[i];
        if (sz_label_runs(ctx, border, w, bh, false, regions) < 0) st = SZ_ERR_NOMEM;
        *regions_top = lo;
    }
    /* the rows where a pixel's source is narrow and far: only they ask
     * for the nearest broad source */
    long asking = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(+ : asking)
    for (int y = lo; y < (st ? lo : hi); y++) {
        if (!want[y]) continue;
        bool a = false;
        for (int x = 0; x < w && !a; x++) {
            size_t i = (size_t)y * w + x;
            int32_t j = near[i];
            a = shape[i] && j >= 0 && beyond_narrow_reach(x, y, j, w, scale2[j - first]);
        }
        asks[y - lo] = a;
        asking += a;
    }
    if (!st && asking) {
        broad_near = sz_malloc_array(ctx, n, sizeof *broad_near);
        if (!broad_near) st = SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (long i = 0; i < (st || !asking ? 0 : (long)n); i++) broad[i] = src[first + i] && scale2[i] >= NARROW * NARROW;
    if (!st && asking) st = sz_edt_rows(ctx, broad, w, bh, asks, NULL, broad_near);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = lo; y < (st || !asking ? lo : hi); y++)
        for (int x = 0; x < w && asks[y - lo]; x++) {
            size_t i = (size_t)y * w + x;
            int32_t j = near[i], k = broad_near[i - first];
            if (!shape[i] || j < 0 || k < 0 || !beyond_narrow_reach(x, y, j, w, scale2[j - first])) continue;
            k += (int32_t)first;
            float d = sz_pixel_distance(x - j % w, y - j / w);
            float to_broad = sz_pixel_distance(x - k % w, y - k / w);
            if (to_broad <= 1.1f * d + 3 && colour_step(p->img, (size_t)j, (size_t)k)) near[i] = k;
        }
    free(scale2), free(asks), free(broad_near);
    return st;
}

/* The occluder's edge is not where the part's strokes end: the fill
 * carries each stroke it cuts on under it by INK_STUB px, in the ink's
 * colour, so that no line of paint shows between the stroke and its
 * continuation, even where extend-lines draws none (a stroke it cannot
 * follow, a fill without it).  The nearest visible ink within that
 * distance (the first in raster order on a tie) is such a pixel's
 * source.  On the shared benchmark's cases this lowered de by 0.05 and
 * raised lf1 by .021, and did both on two other seeds (DESIGN.md, "Ink
 * at the cut").  Ink that near lies within a few px in each direction
 * (the eight neighbours at 1.5 px), so each filled pixel looks at them
 * directly, after a row's look down its columns says some are ink: no
 * plane of distances (a bounded transform over the filled rows took
 * 0.01-0.04 s at 4096x4096, most of it in fresh pages). */
static sz_status continue_ink_at_the_cut(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src,
                                         const uint8_t *solid, const uint8_t *want, int32_t *near)
{
    int w = p->w, h = p->h, r = (int)INK_STUB; /* no offset beyond r px in x or y is within INK_STUB */
    bool fail = false;
#pragma omp parallel num_threads(sz_threads(ctx))
    {
        /* column[x]: ink within r rows of this one in column x (solid
         * and src are 0 or 1; ink is solid and not src) */
        uint8_t *column = malloc((size_t)w);
        if (!column) {
#pragma omp atomic write
            fail = true;
        }
        /* (rows as threads come free: the filled rows gather) */
#pragma omp for schedule(dynamic, 16)
        for (int y = 0; y < h; y++) {
            if (!want[y] || !column) continue;
            int y0 = SZ_MAX(0, y - r), y1 = SZ_MIN(h - 1, y + r);
            memset(column, 0, (size_t)w);
            for (int yy = y0; yy <= y1; yy++) {
                const uint8_t *s = solid + (size_t)yy * w, *c = src + (size_t)yy * w;
                for (int x = 0; x < w; x++) column[x] |= s[x] & (c[x] ^ 1);
            }
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                if (!shape[i] || !p->hidden[i]) continue;
                int x0 = SZ_MAX(0, x - r), x1 = SZ_MIN(w - 1, x + r);
                bool any = false;
                for (int xx = x0; xx <= x1; xx++) any |= column[xx] != 0;
                if (!any) continue;
                long best = -1;
                int best_d2 = INT32_MAX;
                for (int yy = y0; yy <= y1; yy++)
                    for (int xx = x0; xx <= x1; xx++) {
                        size_t j = (size_t)yy * w + xx;
                        int dd = (xx - x) * (xx - x) + (yy - y) * (yy - y);
                        if (dd < best_d2 && solid[j] && !src[j]) best_d2 = dd, best = (long)j;
                    }
                if (best >= 0 && best_d2 <= INK_STUB * INK_STUB) near[i] = (int32_t)best;
            }
        }
        free(column);
    }
    return fail ? sz_fail(ctx, SZ_ERR_NOMEM, "out of memory while continuing the ink at the cut") : SZ_OK;
}

/* A band along the part's edge (a tyre round a wheel's rim, a thick
 * border round a badge, a light outline the ink test does not take):
 * when one colour holds the visible part's outer depths all round and
 * gives way to others inside, the band continues under the cover at its
 * depth from the completed edge, where the nearest source would take the
 * colour inside it (a hidden stretch of tyre was painted rim, out to the
 * tyre's edge), and what lies deeper takes the colour within it, where
 * the nearest source would take the band's (a wedge of outline colour
 * spread from where the cover cuts the outline). */
enum {
    BAND_DEPTH = SZ_EDT_BOUND_MAX, /* cells (px of a part up to BAND_GRID px): the deepest band looked for */
    BAND_MIN = 4,      /* px: a band at least this deep, and the colours within it this deep too */
    BAND_COUNT = 20,   /* sources at a depth, at least, to judge it */
    BAND_GRID = 1024,  /* cells, at most, along a side of the grid it is judged on */
};

/* Colour bins of 3 bits a channel. */
static inline int colour_bin(const sz_image *img, int x, int y)
{
    uint16_t c[4];
    sz_get16(img, x, y, c);
    return (c[0] >> 13) << 6 | (c[1] >> 13) << 3 | (c[2] >> 13);
}

/* Outside the part: neither what shows of it at least half opaque nor its
 * shape under the cover. */
static inline bool off_part(const sz_part *p, const uint8_t *shape, int x, int y)
{
    size_t i = (size_t)y * p->w + x;
    return !shape[i] && (p->hidden[i] || sz_alpha16(p->img, x, y) < 32768);
}

/* out = the pixels of `off` joined to the border of the w x h grid: the
 * gaps between a rim's spokes are no edge of the part.  `scratch` holds n. */
static sz_status outer(sz_ctx *ctx, const uint8_t *off, int w, int h, uint8_t *scratch, uint8_t *out)
{
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            scratch[i] = off[i] && (x == 0 || y == 0 || x == w - 1 || y == h - 1);
        }
    return sz_flood(ctx, off, scratch, NULL, w, h, out);
}

/* Whether the part has a band: its colour bin and its depth in px.  It
 * is judged on a grid of cells `cell` px on a side, each standing for
 * its middle pixel, and looked for as far as BAND_DEPTH cells in: a
 * part drawn twice as large, on twice the cells, has its band looked for
 * as deep in px of the part. */
static sz_status find_edge_band(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src, int cell,
                                int *band, int *depth)
{
    int w = (p->w + cell - 1) / cell, h = (p->h + cell - 1) / cell;
    size_t n = (size_t)w * (size_t)h;
    *band = -1, *depth = 0;
    uint8_t *off = sz_malloc(ctx, 3 * n);
    uint16_t *depth2 = sz_malloc_array(ctx, n, sizeof *depth2);
    long *hist = sz_malloc_array(ctx, (size_t)BAND_DEPTH * 512, sizeof *hist);
    if (!off || !depth2 || !hist) {
        free(off), free(depth2), free(hist);
        return SZ_ERR_NOMEM;
    }
    memset(hist, 0, (size_t)BAND_DEPTH * 512 * sizeof *hist);
#define MIDDLE_X(x) SZ_MIN((x) * cell + cell / 2, p->w - 1)
#define MIDDLE_Y(y) SZ_MIN((y) * cell + cell / 2, p->h - 1)
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) off[(size_t)y * w + x] = off_part(p, shape, MIDDLE_X(x), MIDDLE_Y(y));
    sz_status st = outer(ctx, off, w, h, off + 2 * n, off + n);
    if (!st) st = sz_edt_bounded(ctx, off + n, w, h, BAND_DEPTH, depth2);
    /* the visible sources' colours by depth (integer counts: their sum
     * does not depend on the threads) */
    long total[BAND_DEPTH] = {0};
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : total[:BAND_DEPTH])
    for (int y = 0; y < (st ? 0 : h); y++)
        for (int x = 0; x < w; x++) {
            int px = MIDDLE_X(x), py = MIDDLE_Y(y);
            size_t j = (size_t)y * w + x, i = (size_t)py * p->w + px;
            if (depth2[j] >= BAND_DEPTH * BAND_DEPTH || !src[i] || p->hidden[i]) continue;
            int d = (int)sqrtf((float)depth2[j]);
            total[d]++;
            /* (one histogram for all threads, its counts taken whole:
             * BAND_DEPTH x 512 counts per thread cost more than the
             * rare collision) */
#pragma omp atomic update
            hist[d * 512 + colour_bin(p->img, px, py)]++;
        }
#undef MIDDLE_X
#undef MIDDLE_Y
    free(off), free(depth2);
    /* the outermost depth with sources enough to judge (a quarter of the
     * most at any depth), and its most common colour */
    long most = 0;
    for (int d = 0; d < BAND_DEPTH; d++) most = SZ_MAX(most, total[d]);
    int first = 0, least = (BAND_MIN + cell - 1) / cell; /* BAND_MIN px in cells */
    while (first < BAND_DEPTH && (total[first] < BAND_COUNT || total[first] * 4 < most)) first++;
    if (!st && first < BAND_DEPTH) {
        int bin = 0, end = first;
        for (int b = 1; b < 512; b++)
            if (hist[first * 512 + b] > hist[first * 512 + bin]) bin = b;
        /* it holds three quarters of every depth down to `end`, and, past
         * a depth or two where it gives way (an anti-aliased edge drawn
         * large), less than half of each as far as BAND_MIN px on */
        while (end < BAND_DEPTH && total[end] && hist[end * 512 + bin] * 4 >= total[end] * 3) end++;
        int inside = end;
        while (inside < end + 2 && inside < BAND_DEPTH && hist[inside * 512 + bin] * 2 >= total[inside]) inside++;
        bool band_then_inside = end - first >= least && inside + least <= BAND_DEPTH;
        for (int d = inside; band_then_inside && d < inside + least; d++)
            band_then_inside = total[d] >= BAND_COUNT && hist[d * 512 + bin] * 2 < total[d];
        if (band_then_inside) *band = bin, *depth = end * cell;
    }
    free(hist);
    return st;
}

/* Each filled pixel at the band's depth takes the band's colour from its
 * nearest source of the band, and each deeper one whose nearest source is
 * the band's takes its nearest source within the band instead. */
static sz_status continue_edge_band(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src,
                                    const uint8_t *want, int32_t *near)
{
    int w = p->w, h = p->h, band = -1, end = 0;
    size_t n = (size_t)w * (size_t)h;
    int cell = (SZ_MAX(w, h) + BAND_GRID - 1) / BAND_GRID;
    sz_status st = find_edge_band(ctx, p, shape, src, SZ_MAX(cell, 1), &band, &end);
    if (st || band < 0) return st;
    /* `shallow`: within the band's depth of the outside, in px */
    uint8_t *off = sz_malloc(ctx, 3 * n), *shallow = off ? off + 2 * n : NULL;
    int32_t *nearest = sz_malloc_array(ctx, n, sizeof *nearest);
    if (!off || !nearest) {
        free(off), free(nearest);
        return SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) off[(size_t)y * w + x] = off_part(p, shape, x, y);
    st = outer(ctx, off, w, h, off + 2 * n, off + n);
    long limit2 = (long)end * end;
    /* (the distances borrow the plane of nearest sources, not yet used:
     * a fresh plane at 4096x4096 cost as much as the transform) */
    _Static_assert(sizeof *nearest >= sizeof(float) && sizeof *nearest >= sizeof(uint16_t), "room for a distance");
    if (!st && end < SZ_EDT_BOUND_MAX) {
        uint16_t *d2 = (uint16_t *)nearest;
        st = sz_edt_bounded(ctx, off + n, w, h, end, d2);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (long i = 0; i < (st ? 0 : (long)n); i++) shallow[i] = d2[i] < limit2;
    } else if (!st) { /* a band deeper than the bounded transform reaches (a large part's) */
        float *d2 = (float *)nearest;
        st = sz_edt(ctx, off + n, w, h, d2, NULL);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (long i = 0; i < (st ? 0 : (long)n); i++) shallow[i] = d2[i] < (float)limit2;
    }
    /* the band's sources, and those within it (of the band's colour too
     * when deeper: a tyre's black hub) */
    uint8_t *of_band = off, *within = off + n;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < (st ? 0 : h); y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            bool source = src[i] && !p->hidden[i];
            of_band[i] = source && shallow[i] && colour_bin(p->img, x, y) == band;
            within[i] = source && !of_band[i];
        }
    /* the two rules in turn, with one plane of nearest sources: the first
     * changes only pixels at the band's depth, the second only deeper ones */
    for (int rule = 0; rule < 2 && !st; rule++) {
        st = sz_edt_rows(ctx, rule ? within : of_band, w, h, want, NULL, nearest);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = 0; y < (st ? 0 : h); y++) {
            for (int x = 0; want[y] && x < w; x++) {
                size_t i = (size_t)y * w + x;
                /* (a source that is no source is ink at the cut: it stays) */
                if (!shape[i] || !p->hidden[i] || near[i] < 0 || !src[near[i]] || nearest[i] < 0) continue;
                bool from_band = of_band[near[i]];
                if (rule == 0 && shallow[i] && !from_band) near[i] = nearest[i];
                if (rule == 1 && !shallow[i] && from_band) near[i] = nearest[i];
            }
        }
    }
    free(off), free(nearest);
    return st;
}

/* The sources (fill.h), in five steps: the nearest source of each
 * filled pixel, the ink at the cut, the narrow regions, the borders at a
 * slant (after the narrow regions, whose reach, measured straight to the
 * source, would hand a pixel taken along a slanting border back to the
 * square colour), the band along the edge. */
sz_status sz_fill_sources(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const sz_fill_params *fp,
                          int32_t **near_out, bool *translucent, sz_runs *regions, int *regions_top)
{
    *near_out = NULL;
    *translucent = false;
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *src = sz_malloc(ctx, n), *solid = sz_malloc(ctx, n);
    int32_t *near = sz_malloc_array(ctx, n, sizeof *near);
    /* three packed masks: the dark pixels, and two for their opening */
    int words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    sz_word *bits = sz_malloc_array(ctx, nw ? 3 * nw : 1, sizeof *bits);
    if (!src || !solid || !near || !bits) {
        free(src), free(solid), free(near), free(bits);
        return SZ_ERR_NOMEM;
    }
    /* Sources: solid visible pixels (the part's body, p->solid, so that a
     * translucent part continues its own colour) that are not line art,
     * that is not in a stroke (SZ_STROKE_OPEN, fill.h) and much darker
     * than the part (an outline must not spread into the fill, but dark
     * areas, hair or shading, are colours to continue); failing that, any solid
     * visible pixel.  The luma waits in `src` until the median is known.
     * The part's pixels seen, however faintly, through the cover in a
     * colour to trust (p->faint_colour) are sources too, the nearest there
     * are (SEEN in `solid`,
     * which the statistics of the body leave out: their opacity is the
     * cover's doing). */
    sz_word *dark_bits = bits, *scratch = bits + nw, *broad = bits + 2 * nw;
    /* hist: the body's luma; ahist: its opacity, of which the ink's is
     * taken away below once the ink is known (read now, while the row is
     * at hand, rather than in another pass over the image) */
    long hist[256] = {0}, ahist[256] = {0}, total = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:256], ahist[:256], total)
    for (int y = 0; y < h; y++) {
        uint8_t *body = solid + (size_t)y * w, *luma = src + (size_t)y * w;
        const uint8_t *hid = p->hidden + (size_t)y * w;
        const sz_word *seen = sz_part_faint_colour_row(p, y);
        if (p->img->depth == 8) { /* (the common case, without widening every sample) */
            const uint8_t *px = sz_row8(p->img, y);
            for (int x = 0; x < w; x++, px += 4) {
                body[x] = !hid[x] ? px[3] * 257u >= p->solid : px[3] && seen && sz_bit(seen, x) ? SEEN : 0;
                luma[x] = (uint8_t)sz_luma8_of8(px);
                if (body[x] == 1) ahist[px[3]]++;
            }
        } else {
            for (int x = 0; x < w; x++) {
                uint16_t c[4];
                sz_get16(p->img, x, y, c);
                body[x] = !hid[x] ? c[3] >= p->solid : c[3] && seen && sz_bit(seen, x) ? SEEN : 0;
                luma[x] = (uint8_t)SZ_MIN(255u, sz_luma8(c));
                if (body[x] == 1) ahist[c[3] >> 8]++;
            }
        }
        /* the luma waits in src for now */
        for (int x = 0; x < w; x++)
            if (body[x] == 1) hist[luma[x]]++, total++;
    }
    unsigned dark = (unsigned)(sz_hist_percentile(hist, total, 50) * 0.6);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *luma = src + (size_t)y * w, *body = solid + (size_t)y * w;
        sz_word *row = dark_bits + (size_t)y * words;
        for (int k = 0; k < words; k++) {
            sz_word word = 0;
            for (int b = 0, x = k * 64; b < 64 && x < w; b++, x++) word |= (sz_word)(body[x] && luma[x] < dark) << b;
            row[k] = word;
        }
    }
    /* an opening of the dark pixels keeps the broad ones: the rest is ink */
    sz_status st = sz_bits_open_square(ctx, dark_bits, w, h, SZ_STROKE_OPEN, scratch, broad);
    long nsrc = 0, nseen = 0, seen = 0, ink_alpha[256] = {0};
    for (int pass = 0; pass < 2 && !nsrc && !st; pass++) {
        memset(ink_alpha, 0, sizeof ink_alpha);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : nsrc, nseen, seen, ink_alpha[:256])
        for (int y = 0; y < h; y++) {
            const sz_word *dark_row = dark_bits + (size_t)y * words, *broad_row = broad + (size_t)y * words;
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                bool ink = sz_bit(dark_row, x) && !sz_bit(broad_row, x);
                src[i] = solid[i] && (pass || !ink);
                nsrc += src[i];
                seen += solid[i] == SEEN, nseen += src[i] && solid[i] == SEEN;
                if (solid[i] == 1 && !src[i]) ink_alpha[sz_alpha16(p->img, x, y) >> 8]++;
            }
        }
    }
    for (int k = 0; k < 256; k++) ahist[k] -= ink_alpha[k];
    /* A translucent part (a blush, a veil, a glow: its colour sources are
     * mostly less than opaque) continues as translucent as it is; what
     * shows of it through the cover tells its colour, not its opacity. */
    *translucent = !st && nsrc > nseen && sz_hist_percentile(ahist, nsrc - nseen, 50) < TRANSLUCENT;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (long i = 0; i < (st || !seen ? 0 : (long)n); i++) {
        if (solid[i] == SEEN && *translucent) solid[i] = src[i] = 0;
        solid[i] = solid[i] != 0; /* seen is seen: the rules below take it as visible */
    }
    /* only the rows the fill paints ask for their sources */
    uint8_t *want = st ? NULL : sz_malloc(ctx, (size_t)h);
    if (!st && !want) st = SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < (st ? 0 : h); y++) {
        want[y] = sz_skip_unset(shape + (size_t)y * w, 0, w) < w;
    }
    if (!st) st = sz_edt_rows(ctx, src, w, h, want, NULL, near);
    /* (the body is spent: scratch) */
    if (!st) st = continue_ink_at_the_cut(ctx, p, shape, src, solid, want, near);
    if (!st && fp->narrow_near) st = keep_narrow_regions_near(ctx, p, shape, src, want, solid, near, regions, regions_top);
    if (!st && fp->slant_borders) st = sz_fill_follow_borders(ctx, p, shape, src, want, near);
    /* (last: by the narrow regions' measure a band is narrow, every pixel
     * of it within NARROW px of its inner border, yet it goes on all round) */
    if (!st) st = continue_edge_band(ctx, p, shape, src, want, near);
    free(want);
    free(src), free(solid), free(bits);
    if (st) free(near);
    else *near_out = near;
    return st;
}
