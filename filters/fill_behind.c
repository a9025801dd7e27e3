/*
 * fill-behind — paints the hidden part of a layer: the shape from
 * shape.c, the colour continued from the nearest visible colour and
 * averaged in linear light, onto a new layer under the part (Live2D's own
 * procedure) or into the part with --merge.
 */
#include "fill.h"
#include "extend_lines.h"
#include "color.h"
#include "nn.h"
#include "bits.h"
#include "mirror.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A part whose colour sources have a median opacity below this (of 255)
 * is translucent. */
enum { TRANSLUCENT = 250 };

/* A source pixel is narrow within NARROW px of a border of its colour
 * region (keep_narrow_regions_near).  Two neighbours differ in colour
 * when their 8-bit RGB differ by more than COLOUR_STEP (sum of squares:
 * 16 a channel), which a gradient's steps do not. */
enum { NARROW = 10, COLOUR_STEP = 3 * 16 * 16 };

/* How far (px) every stroke the occluder cuts goes on under it in the
 * fill (continue_ink_at_the_cut). */
#define INK_STUB 1.5f

void sz_fill_params_from_args(const sz_args *args, sz_fill_params *fp)
{
    fp->reach = (float)sz_arg_float(args, "reach");
    fp->smoothness = (float)sz_arg_float(args, "shape-smoothness");
    fp->colour_radius = (int)sz_arg_int(args, "colour-smoothness");
    fp->seal_edge = sz_arg_bool(args, "seal-edge");
    fp->fill_line_art = sz_arg_bool(args, "fill-line-art");
    fp->narrow_near = true;
    fp->model = NULL;
    fp->mirror = true, fp->mirror_axis = -1; /* sz_mirror_args reads them */
    fp->symmetry = NULL;
}

sz_status sz_mirror_args(sz_ctx *ctx, const sz_args *args, bool *mirror, double *axis)
{
    *mirror = !sz_arg_bool(args, "no-mirror");
    *axis = sz_arg_given(args, "mirror-axis") ? sz_arg_float(args, "mirror-axis") : -1;
    if (!*mirror && *axis >= 0)
        return sz_fail(ctx, SZ_ERR_ARG, "--mirror-axis and --no-mirror contradict each other: give one");
    return SZ_OK;
}

/* Whether two 8-bit colours differ (by more than COLOUR_STEP): the one
 * rule for borders of colour regions, for a broad source worth taking,
 * and for which pixels the fill's colour is averaged over. */
static inline bool rgb8_differ(int r0, int g0, int b0, int r1, int g1, int b1)
{
    int dr = r0 - r1, dg = g0 - g1, db = b0 - b1;
    return dr * dr + dg * dg + db * db > COLOUR_STEP;
}

/* The same for two 8-bit pixels. */
static inline bool step8(const uint8_t *a, const uint8_t *b)
{
    return rgb8_differ(a[0], a[1], a[2], b[0], b[1], b[2]);
}

/* The same for visible pixels i and j of the part. */
static bool colour_step(const sz_image *img, size_t i, size_t j)
{
    uint16_t a[4], b[4];
    sz_get16_at(img, i, a);
    sz_get16_at(img, j, b);
    return rgb8_differ(a[0] >> 8, a[1] >> 8, a[2] >> 8, b[0] >> 8, b[1] >> 8, b[2] >> 8);
}

/* Whether filled pixel (x, y), whose source j (work index) lies
 * sqrt(scale2) px from a border of its colour region, is beyond the
 * reach of a narrow source: twice that distance plus 3 px. */
static bool beyond_narrow_reach(int x, int y, int32_t j, int w, uint16_t scale2)
{
    if (scale2 >= NARROW * NARROW) return false; /* broad: it reaches as far as it is nearest */
    return hypotf((float)(x - j % w), (float)(y - j / w)) > 2 * sqrtf((float)scale2) + 3;
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
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(min : lo) reduction(max : hi)
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
        if (p->img->depth == 8) { /* (the common case, without widening every sample) */
            const uint8_t *row = sz_row8(p->img, y), *up = y > 0 ? sz_row8(p->img, y - 1) : NULL,
                          *down = y + 1 < h ? sz_row8(p->img, y + 1) : NULL;
            for (int x = 0; x < w; x++) {
                if (!s[x] || b[x]) continue;
                const uint8_t *c = row + 4 * (size_t)x;
                b[x] = (x + 1 < w && s[x + 1] && step8(c, c + 4)) || (x > 0 && s[x - 1] && step8(c, c - 4)) ||
                       (down && s[x + w] && step8(c, down + 4 * (size_t)x)) ||
                       (up && s[(ptrdiff_t)x - w] && step8(c, up + 4 * (size_t)x));
            }
        } else {
            for (int x = 0; x < w; x++) {
                if (!s[x] || b[x]) continue;
                size_t i = (size_t)y * w + x;
                b[x] = (x + 1 < w && s[x + 1] && colour_step(p->img, i, i + 1)) ||
                       (x > 0 && s[x - 1] && colour_step(p->img, i, i - 1)) ||
                       (y + 1 < h && s[x + w] && colour_step(p->img, i, i + w)) ||
                       (y > 0 && src[i - w] && colour_step(p->img, i, i - w));
            }
        }
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
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : asking)
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
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = lo; y < (st || !asking ? lo : hi); y++)
        for (int x = 0; x < w && asks[y - lo]; x++) {
            size_t i = (size_t)y * w + x;
            int32_t j = near[i], k = broad_near[i - first];
            if (!shape[i] || j < 0 || k < 0 || !beyond_narrow_reach(x, y, j, w, scale2[j - first])) continue;
            k += (int32_t)first;
            float d = hypotf((float)(x - j % w), (float)(y - j / w));
            float to_broad = hypotf((float)(x - k % w), (float)(y - k / w));
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
#pragma omp for schedule(static)
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

/* Where the colour of every filled pixel comes from: the nearest solid
 * visible pixel that is not line art (flat colours stay exact, outlines do
 * not smear into the fill) but for a stroke's first INK_STUB px under the
 * occluder, and with `narrow_near`, not that of a narrow region far from
 * it.  *near_out (the caller frees it) holds that pixel's
 * index, or -1; *translucent tells whether the part's colour sources are
 * mostly less than opaque; with `narrow_near`, *regions (freed by the
 * caller with sz_runs_free) are the sources' colour regions, from row
 * *regions_top (none when it stays zeroed). */
static sz_status colour_sources(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, bool narrow_near,
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
     * visible pixel.  The luma waits in `src` until the median is known. */
    sz_word *dark_bits = bits, *scratch = bits + nw, *broad = bits + 2 * nw;
    /* hist: the body's luma; ahist: its opacity, of which the ink's is
     * taken away below once the ink is known (read now, while the row is
     * at hand, rather than in another pass over the image) */
    long hist[256] = {0}, ahist[256] = {0}, total = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:256], ahist[:256], total)
    for (int y = 0; y < h; y++) {
        uint8_t *body = solid + (size_t)y * w, *luma = src + (size_t)y * w;
        const uint8_t *hid = p->hidden + (size_t)y * w;
        if (p->img->depth == 8) { /* (the common case, without widening every sample) */
            const uint8_t *px = sz_row8(p->img, y);
            for (int x = 0; x < w; x++, px += 4) {
                body[x] = !hid[x] && px[3] * 257u >= p->solid;
                luma[x] = (uint8_t)sz_luma8_of8(px);
                if (body[x]) ahist[px[3]]++;
            }
        } else {
            for (int x = 0; x < w; x++) {
                uint16_t c[4];
                sz_get16(p->img, x, y, c);
                body[x] = !hid[x] && c[3] >= p->solid;
                luma[x] = (uint8_t)SZ_MIN(255u, sz_luma8(c));
                if (body[x]) ahist[c[3] >> 8]++;
            }
        }
        /* the luma waits in src for now */
        for (int x = 0; x < w; x++)
            if (body[x]) hist[luma[x]]++, total++;
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
    long nsrc = 0, ink_alpha[256] = {0};
    for (int pass = 0; pass < 2 && !nsrc && !st; pass++) {
        memset(ink_alpha, 0, sizeof ink_alpha);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : nsrc, ink_alpha[:256])
        for (int y = 0; y < h; y++) {
            const sz_word *dark_row = dark_bits + (size_t)y * words, *broad_row = broad + (size_t)y * words;
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                bool ink = sz_bit(dark_row, x) && !sz_bit(broad_row, x);
                src[i] = solid[i] && (pass || !ink);
                nsrc += src[i];
                if (solid[i] && !src[i]) ink_alpha[sz_alpha16(p->img, x, y) >> 8]++;
            }
        }
    }
    for (int k = 0; k < 256; k++) ahist[k] -= ink_alpha[k];
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
    if (!st && narrow_near) st = keep_narrow_regions_near(ctx, p, shape, src, want, solid, near, regions, regions_top);
    free(want);
    /* A translucent part (a blush, a veil, a glow: its colour sources are
     * mostly less than opaque) continues as translucent as it is. */
    *translucent = !st && nsrc && sz_hist_percentile(ahist, nsrc, 50) < TRANSLUCENT;
    free(src), free(solid), free(bits);
    if (st) free(near);
    else *near_out = near;
    return st;
}

/* The fill's colour is that of its sources, in linear light (and, for a
 * translucent part, their opacity as a fourth channel), averaged along
 * rows and then along columns over a stretch of filled pixels whose
 * sources are alike in colour (rgb8_differ) or of one colour region
 * (keep_narrow_regions_near), each to the next: a gradient is one
 * stretch and continues without streaks or creases, even where its far
 * ends meet, and where two flat colours meet under the occluder the
 * stretch ends, so both stay flat and exact up to the line where they
 * meet (a box over both blurred that line, and ink-dark areas with it:
 * DESIGN.md, "Narrow colour regions").  A pixel's average reaches `radius` px along its stretch
 * near the cut, where the fill meets what the artist drew, and half its
 * distance from its source deeper in, up to DEEP_RADIUS: there the
 * nearest sources of a gradient fan out, and their colours, each copied
 * straight, showed the fan's rays and the creases where two fans meet
 * (the sample's back hair; DESIGN.md, "Gradients deep in the fill").
 * It is made in bands of rows, each from the rows around it, and painted
 * at once: no plane of colours is kept. */
enum { BAND = 64, DEEP_RADIUS = 32 };

typedef struct colour_band {
    const sz_part *p;
    const uint8_t *shape; /* the completed shape (codes, part.h) */
    const int32_t *near;
    const sz_runs *regions; /* the sources' colour regions, from the part's row regions_top (or NULL) */
    int regions_top;
    int radius, reach, ch; /* reach: the largest radius a pixel takes */
    /* per thread (carve_band), over the rows a band needs ((BAND + 2
     * reach) x w): the sources' 8-bit colours and colour regions (0: none
     * known), each pixel's radius, the row averages, and each pixel's
     * first and last row of its stretch down its column */
    uint32_t *code;
    int32_t *region;
    uint8_t *rad;
    float *rows;
    int16_t *first, *last;
    float *value;  /* one row of source values, w x ch */
    double *sum;   /* running sums along a row ((w + 1) x ch), then down the columns ((BAND + 2 reach + 1) x w x ch) */
    float *colour; /* the band's colours, BAND x w x ch */
} colour_band;

/* A source colour as 8-bit RGB in one word, and none. */
#define NO_SOURCE 0xFFFFFFFFu

static bool codes_alike(uint32_t a, uint32_t b)
{
    if (a == b) return true;
    if (a == NO_SOURCE || b == NO_SOURCE) return false;
    return !rgb8_differ(a >> 16 & 255, a >> 8 & 255, a & 255, b >> 16 & 255, b >> 8 & 255, b & 255);
}

/* Whether two filled pixels' sources belong to one stretch: alike in
 * colour, or in one colour region of the visible part. */
static inline bool sources_join(uint32_t code_a, int32_t region_a, uint32_t code_b, int32_t region_b)
{
    return (region_a && region_a == region_b) || codes_alike(code_a, code_b);
}

/* A pixel at `at` of a stretch [first, last] averages over the same
 * reach on both sides (at most r): an average over one side only would
 * shift a gradient.  out gets the mean of entries [at - reach, at +
 * reach] from running sums, sum + i * step being the sums of the first
 * i entries, ch channels each. */
static void stretch_mean(const double *sum, size_t step, int first, int last, int at, int r, int ch, float *out)
{
    int reach = SZ_MIN(r, SZ_MIN(at - first, last - at)), lo = at - reach, hi = at + reach;
    double share = 1.0 / (hi - lo + 1);
    for (int c = 0; c < ch; c++) out[c] = (float)((sum[(size_t)(hi + 1) * step + c] - sum[(size_t)lo * step + c]) * share);
}

/* The source values of row y: colour (0 where there is none) and opacity
 * (1 where there is none), the sources' codes, and each pixel's radius. */
static void source_row(const colour_band *b, int y, float *v, uint32_t *code, int32_t *region, uint8_t *rad)
{
    const sz_part *p = b->p;
    int w = p->w;
    int32_t run = -1;
    for (int x = 0; x < w; x++) {
        size_t i = (size_t)y * w + x;
        float *o = v + (size_t)b->ch * x;
        code[x] = NO_SOURCE;
        region[x] = 0;
        rad[x] = (uint8_t)b->radius;
        if (!b->shape[i]) continue;
        int32_t j = b->near[i];
        uint16_t c[4] = {0, 0, 0, 65535};
        if (j >= 0) {
            sz_get16_at(p->img, (size_t)j, c);
            code[x] = (uint32_t)(c[0] >> 8) << 16 | (uint32_t)(c[1] >> 8) << 8 | (uint32_t)(c[2] >> 8);
            /* (the source before it is most often in the same run) */
            if (b->regions) region[x] = sz_runs_label_near(b->regions, j % w, j / w - b->regions_top, &run);
            if (b->reach > b->radius) {
                int deep = (int)(0.5f * hypotf((float)(x - j % w), (float)(y - j / w)));
                rad[x] = (uint8_t)SZ_CLAMP(deep, b->radius, b->reach);
            }
        }
        for (int k = 0; k < 3; k++) o[k] = j >= 0 ? sz_srgb16_to_linear(c[k]) : 0.0f;
        if (b->ch == 4) o[3] = c[3] / 65535.0f;
    }
}

/* Row y's averages (into the band's row y - top): each filled pixel's
 * over its stretch along the row, within its radius. */
static void row_average(colour_band *b, int y, int top)
{
    int w = b->p->w, ch = b->ch;
    const uint8_t *shape = b->shape + (size_t)y * w;
    size_t at = (size_t)(y - top) * w;
    const uint32_t *code = b->code + at;
    const int32_t *region = b->region + at;
    const uint8_t *rad = b->rad + at;
    float *out = b->rows + at * ch;
    const float *v = b->value;
    double *sum = b->sum;
    source_row(b, y, b->value, b->code + at, b->region + at, b->rad + at);
    for (int x = 0; x < w;) {
        if (!shape[x]) {
            x++;
            continue;
        }
        int first = x, last = x;
        while (last + 1 < w && shape[last + 1] && sources_join(code[last], region[last], code[last + 1], region[last + 1]))
            last++;
        /* sum[k] holds the stretch's first k pixels */
        for (int c = 0; c < ch; c++) sum[c] = 0;
        for (int xx = first; xx <= last; xx++)
            for (int c = 0; c < ch; c++)
                sum[(size_t)(xx - first + 1) * ch + c] = sum[(size_t)(xx - first) * ch + c] + v[(size_t)xx * ch + c];
        for (int xx = first; xx <= last; xx++)
            stretch_mean(sum, (size_t)ch, 0, last - first, xx - first, rad[xx], ch, out + (size_t)xx * ch);
        x = last + 1;
    }
}

/* The colour of rows [y0, y1): each filled pixel's average of the row
 * averages over its stretch down its column, within its radius;
 * b->colour's row y - y0 is row y, w x ch.  False when the rows have no
 * filled pixel (nothing was made). */
static bool band_colour(colour_band *b, int y0, int y1)
{
    int w = b->p->w, h = b->p->h, ch = b->ch;
    bool any = false;
    for (int y = y0; y < y1 && !any; y++) any = sz_skip_unset(b->shape + (size_t)y * w, 0, w) < w;
    if (!any) return false;
    int top = SZ_MAX(0, y0 - b->reach), bottom = SZ_MIN(h, y1 + b->reach), rows = bottom - top;
    /* only the columns [x0, x1] of the filled pixels need sums */
    int x0 = w, x1 = -1;
    for (int y = top; y < bottom; y++) {
        const uint8_t *shape = b->shape + (size_t)y * w;
        int first = sz_skip_unset(shape, 0, w);
        if (first == w) continue;
        int last = w - 1;
        while (!shape[last]) last--;
        x0 = SZ_MIN(x0, first), x1 = SZ_MAX(x1, last);
        row_average(b, y, top);
    }
    /* the stretches down the columns, and running sums down them (a row
     * with no filled pixel was not averaged: it has none to add, and
     * ends every stretch) */
    double *sum = b->sum;
    for (size_t i = (size_t)x0 * ch; i < (size_t)(x1 + 1) * ch; i++) sum[i] = 0;
    for (int k = 0; k < rows; k++) {
        const uint8_t *shape = b->shape + (size_t)(top + k) * w;
        const uint32_t *code = b->code + (size_t)k * w;
        const int32_t *region = b->region + (size_t)k * w;
        for (int x = x0; x <= x1; x++) {
            size_t i = (size_t)k * w + x;
            bool joins = k > 0 && shape[x] && b->shape[(size_t)(top + k - 1) * w + x] &&
                         sources_join(code[x - (ptrdiff_t)w], region[x - (ptrdiff_t)w], code[x], region[x]);
            b->first[i] = (int16_t)(joins ? b->first[i - w] : k);
            for (int c = 0; c < ch; c++) {
                size_t s = ((size_t)k * w + x) * ch + c;
                sum[s + (size_t)w * ch] = sum[s] + (shape[x] ? b->rows[s] : 0.0f);
            }
        }
    }
    for (int k = rows - 1; k >= 0; k--) {
        const uint8_t *shape = b->shape + (size_t)(top + k) * w;
        for (int x = x0; x <= x1; x++) {
            size_t i = (size_t)k * w + x;
            bool joins = k + 1 < rows && shape[x] && b->first[i + w] == b->first[i]; /* row k + 1 joined k's */
            b->last[i] = (int16_t)(joins ? b->last[i + w] : k);
        }
    }
    for (int y = y0; y < y1; y++) {
        int k = y - top;
        const uint8_t *shape = b->shape + (size_t)y * w;
        float *o = b->colour + (size_t)(y - y0) * w * ch;
        for (int x = x0; x <= x1; x++) {
            if (!shape[x]) continue;
            size_t i = (size_t)k * w + x;
            stretch_mean(sum + (size_t)x * ch, (size_t)w * ch, b->first[i], b->last[i], k, b->rad[i], ch,
                         o + (size_t)x * ch);
        }
    }
    return true;
}

/* Points b's scratch into the block at `mine`; with mine NULL, only
 * measures it.  Returns its size. */
static size_t carve_band(colour_band *b, char *mine)
{
    size_t w = (size_t)b->p->w, ch = (size_t)b->ch, context = (size_t)(BAND + 2 * b->reach) * w, at = 0;
#define TAKE(ptr, bytes)                                                                                              \
    do {                                                                                                             \
        if (mine) (ptr) = (void *)(mine + at);                                                                       \
        at += ((bytes) + 63) & ~(size_t)63;                                                                          \
    } while (0)
    TAKE(b->code, context * sizeof *b->code);
    TAKE(b->region, context * sizeof *b->region);
    TAKE(b->rad, context * sizeof *b->rad);
    TAKE(b->rows, context * ch * sizeof *b->rows);
    TAKE(b->first, context * sizeof *b->first);
    TAKE(b->last, context * sizeof *b->last);
    TAKE(b->value, w * ch * sizeof *b->value);
    TAKE(b->sum, (context + w + 1) * ch * sizeof *b->sum);
    TAKE(b->colour, (size_t)BAND * w * ch * sizeof *b->colour);
#undef TAKE
    return at;
}

sz_status sz_fill_paint(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, const uint8_t *shape, bool merge,
                        sz_image *layer, long *changed)
{
    sz_linear_init();
    int32_t *near = NULL;
    bool translucent = false;
    sz_runs regions = {0};
    int regions_top = 0;
    sz_status st = colour_sources(ctx, p, shape, fp->narrow_near, &near, &translucent, &regions, &regions_top);
    int w = p->w, h = p->h, radius = fp->colour_radius, ch = translucent ? 4 : 3;
    /* (radius 0 asks for the nearest colour, deep in too) */
    int reach = radius > 0 ? SZ_MAX(radius, DEEP_RADIUS) : radius;
    int bands = st ? 0 : (h + BAND - 1) / BAND;
    long filled = 0;
    /* Each thread's scratch, carved from one block: a few tens of MiB for
     * a 4096 px wide part, where the library's large blocks get huge
     * pages (fresh 4 KiB pages for each thread's pieces cost 6,000 page
     * faults at 4096x4096). */
    colour_band shared = {.p = p, .shape = shape, .near = near, .radius = radius, .reach = reach, .ch = ch,
                          .regions = regions.x0 ? &regions : NULL, .regions_top = regions_top};
    size_t per_thread = carve_band(&shared, NULL);
    int threads = sz_threads(ctx);
    char *scratch = st ? NULL : sz_malloc_array(ctx, (size_t)threads, per_thread);
    if (!st && !scratch) st = SZ_ERR_NOMEM;
    if (st) bands = 0;
#pragma omp parallel num_threads(threads) reduction(+ : filled)
    {
        colour_band b = shared;
        if (scratch) carve_band(&b, scratch + (size_t)sz_thread_index() * per_thread);
        /* dynamic: the filled rows may all lie in one part of the image */
#pragma omp for schedule(dynamic, 1)
        for (int band = 0; band < bands; band++) {
            int y0 = band * BAND, y1 = SZ_MIN(h, y0 + BAND);
            if (!band_colour(&b, y0, y1)) continue;
            for (int y = y0; y < y1; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    if (!shape[i]) continue;
                    const float *c = b.colour + ((size_t)(y - y0) * w + x) * ch;
                    float fa = sz_shape_cover(shape[i]) * (ch == 4 ? c[3] : 1.0f);
                    uint16_t old[4];
                    sz_get16(p->img, x, y, old);
                    bool may =
                        merge || !fp->seal_edge ? sz_part_writable(p, i, old[3]) : sz_part_fillable_under(p, i, old[3]);
                    if (!may) continue;
                    float out[4];
                    if (merge) {
                        /* the part's own pixel stays on top of the fill */
                        float a = old[3] / 65535.0f, oa = a + fa * (1 - a);
                        for (int k = 0; k < 3; k++)
                            out[k] = sz_linear_to_srgb((sz_srgb16_to_linear(old[k]) * a + c[k] * fa * (1 - a)) / oa);
                        out[3] = oa;
                        sz_putf(p->img, x, y, out);
                    } else {
                        for (int k = 0; k < 3; k++) out[k] = sz_linear_to_srgb(c[k]);
                        out[3] = fa;
                        sz_putf(layer, x, y, out);
                    }
                    filled++;
                }
        }
    }
    free(scratch);
    sz_runs_free(&regions);
    /* what the part's mirror image revealed belongs to the fill too (in
     * the part itself, with merge, it is there already, over the fill) */
    if (!st && fp->symmetry) filled += sz_mirror_lay_over(p, fp->symmetry, merge ? NULL : layer);
    *changed = filled;
    free(near);
    return st;
}

sz_status sz_fill_part(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_fill_params *fp, bool merge,
                       const uint8_t *shape, int pairs, sz_overlay *debug, long *changed)
{
    *changed = 0;
    sz_image *layer = merge ? NULL : sz_image_new(ctx, p->w, p->h, p->img->depth);
    sz_status st = merge || layer ? SZ_OK : SZ_ERR_NOMEM;
    if (!st) st = sz_fill_paint(ctx, p, fp, shape, merge, layer, changed);
    if (!st && *changed) st = merge ? sz_part_store(ctx, p) : sz_part_new_layer(ctx, doc, p, layer, "(fill)", false);
    if (!st)
        sz_log(ctx, SZ_LOG_INFO, "fill-behind: \"%s\": %d hidden px, outline closed by %d curve%s, %ld px filled",
               p->layer->name, p->nhidden, pairs, pairs == 1 ? "" : "s", *changed);
    if (!st && debug && debug->img) {
        static const uint8_t green[3] = {30, 170, 60}, cyan[3] = {0, 170, 220};
        sz_overlay_hidden(debug, p);
        sz_overlay_added(debug, p, shape, green);
        sz_overlay_mirror(debug, p, fp->symmetry, cyan);
    }
    sz_image_free(layer);
    return st;
}

/* ------------------------------------------------------------------ */
/* The operations: fill-behind, and complete (extend-lines, then fill)  */
/* ------------------------------------------------------------------ */

static sz_status run_parts(sz_ctx *ctx, sz_doc *doc, const sz_args *args, bool lines, bool fill)
{
    sz_line_params lp;
    sz_fill_params fp;
    if (lines) sz_line_params_from_args(args, &lp);
    sz_fill_params_from_args(args, &fp);
    sz_status st = sz_mirror_args(ctx, args, &fp.mirror, &fp.mirror_axis);
    if (st) return st;
    lp.mirror = fp.mirror; /* for a layer of line art, whose strokes alone continue */
    lp.mirror_axis = fp.mirror_axis;
    bool merge = sz_arg_bool(args, "merge");
    sz_image *mask = NULL;
    sz_nn *model = NULL;
    st = sz_mask_and_model_from_args(ctx, doc, args, &mask, &model);
    if (st) return st;
    fp.model = model;
    sz_hidden_source src = {.mask = mask,
                            .occluders = sz_arg_str(args, "occluders"),
                            .margin = (int)sz_arg_int(args, "margin"),
                            .reach = (int)ceilf(fp.reach)};
    const char *debug_path = sz_arg_str(args, "debug");
    sz_overlay debug = {0};
    if (debug_path) st = sz_overlay_begin(ctx, doc, &debug);
    sz_layer **layers = NULL;
    int n = 0;
    if (!st) st = sz_select_layers(ctx, doc, args, &layers, &n);
    const char *name = lines && fill ? "complete" : "fill-behind";
    int worked = 0, fully_hidden = 0;
    size_t op_work = sz_ctx_work(ctx); /* each part sets its own while it is worked on */
    for (int i = 0; i < n && !st; i++) {
        sz_layer *l = layers[i];
        if (sz_layer_is_generated(l)) continue;
        sz_part p;
        st = sz_part_load(ctx, doc, l, &src, &p);
        bool line_art = false;
        if (!st && p.img && p.nhidden && !fp.fill_line_art) st = sz_part_is_line_art(ctx, &p, &line_art);
        if (!st && line_art) {
            /* a line layer over a colour layer, an ink drawing: nothing
             * to paint behind it, but its strokes continue */
            long changed = 0;
            sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is line art: nothing is filled behind it%s", name, l->name,
                   lines ? ", its strokes are continued" : "");
            if (lines) st = sz_extend_part_lines(ctx, doc, &p, &lp, false, debug_path ? &debug : NULL, &changed);
            worked++;
        } else if (!st && p.img && p.nhidden) {
            long changed = 0;
            uint8_t *shape = NULL;
            uint8_t *walls = NULL;
            int pairs = 0;
            /* the shape first: continued strokes stay within it, and the
             * fill paints it */
            st = sz_part_shape(ctx, &p, &fp, &shape, &pairs, lines ? &walls : NULL);
            /* then whether its other half shows what is hidden (over the
             * part's final work rectangle) */
            sz_mirror symmetry = {0};
            if (!st && fp.mirror) st = sz_mirror_find(ctx, &p, fp.mirror_axis, true, &symmetry);
            if (!st && symmetry.found) {
                /* what the mirror shows counts as seen from here on: strokes
                 * continue from its strokes, and the fill goes around it */
                st = sz_mirror_reveal(ctx, &p, &symmetry, shape);
                sz_mirror_trim(ctx, &p, &symmetry, shape);
                fp.symmetry = &symmetry;
                if (symmetry.given)
                    sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is mirrored about x = %.1f as asked: %ld hidden px taken "
                           "from its mirror image", name, l->name, p.x0 + symmetry.axis2 / 2.0, symmetry.nrevealed);
                else
                    sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is drawn symmetric%s about x = %.1f (%.0f%% alike, %.0f%% by "
                           "the hidden region, %.0f%% judged): %ld hidden px taken from its mirror image", name, l->name,
                           symmetry.silhouette_only ? " in outline" : "", p.x0 + symmetry.axis2 / 2.0,
                           100.0 * symmetry.agree, 100.0 * symmetry.rim, 100.0 * symmetry.support, symmetry.nrevealed);
            }
            bool stored = false;
            if (!st && lines) {
                lp.inside = lp.outline_shape = shape;
                lp.outline_walls = walls;
                st = sz_extend_part_lines(ctx, doc, &p, &lp, false, debug_path ? &debug : NULL, &changed);
                stored = changed > 0;
            }
            /* the fill takes its colours from what the artist drew, and
             * paints under what the mirror revealed */
            if (symmetry.nrevealed) sz_mirror_hide_again(&p, &symmetry);
            if (!st && fill) st = sz_fill_part(ctx, doc, &p, &fp, merge, shape, pairs, debug_path ? &debug : NULL, &changed);
            /* on its own layer, the part gets its own pixels back */
            if (symmetry.nrevealed && !merge) sz_mirror_give_back(&p, &symmetry);
            if (!st && !merge && stored && symmetry.nrevealed) st = sz_part_store(ctx, &p);
            sz_mirror_free(&symmetry);
            free(shape), free(walls);
            lp.inside = lp.outline_shape = NULL; /* they belonged to this layer */
            lp.outline_walls = NULL;
            fp.symmetry = NULL;
            worked++;
        } else if (!st && p.img && !p.nhidden && lines) {
            long changed = 0; /* nothing hidden: complete still closes gaps */
            st = sz_extend_part_lines(ctx, doc, &p, &lp, false, debug_path ? &debug : NULL, &changed);
        }
        if (!st && p.img && sz_part_fully_hidden(&p)) fully_hidden++;
        sz_part_free(&p);
        sz_ctx_set_work(ctx, op_work);
        if (st) sz_error_prefix(ctx, "layer \"%s\"", l->name);
        else st = sz_progress(ctx, name, (i + 1.0) / n);
    }
    if (!st && !worked && n) sz_log(ctx, SZ_LOG_INFO, "%s: no selected layer has a hidden region", name);
    if (!st && fully_hidden)
        sz_log(ctx, SZ_LOG_WARNING, "%s: %d layer(s) are hidden entirely: there is nothing visible to continue", name,
               fully_hidden);
    if (!st && debug_path) st = sz_overlay_finish(ctx, &debug, debug_path);
    else if (debug.img) sz_image_free(debug.img);
    free(layers);
    sz_image_free(mask);
    sz_nn_free(model);
    return st;
}

static sz_status run_fill(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    return run_parts(ctx, doc, args, false, true);
}

static sz_status run_complete(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    return run_parts(ctx, doc, args, !sz_arg_bool(args, "no-lines"), true);
}

static const sz_param fill_params[] = {
    {"mask", SZ_PARAM_PATH, "Image of the hidden region (white or opaque = hidden), for a single image; "
                            "default: the visible layers above each layer", NULL, 0, -1, NULL},
    {"occluders", SZ_PARAM_STRING, "Only these layers above count as occluders (same syntax as --layers)", NULL,
     0, -1, NULL},
    SZ_FILL_PARAMS,
    SZ_MODEL_PARAMS,
    {"debug", SZ_PARAM_PATH, "Write a picture of the hidden regions and the completed shapes", NULL, 0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_fill_behind = {
    .name = "fill-behind",
    .summary = "paint the hidden part of each layer (shape continued, colours continued)",
    .help = "Where other layers cover a layer (or --mask says), continues the layer's\n"
            "shape as its silhouette suggests: outline curves that run under the\n"
            "occluder are joined smoothly (straight ones meet at a corner) and the part\n"
            "fills what they enclose, never spilling into background it never\n"
            "occupied; a band whose straight, parallel sides run under it (a leg, a\n"
            "pole) goes on as far as they do; elsewhere it shares the hidden region\n"
            "with the background and stays within --reach of what is visible.  Colours\n"
            "continue from the nearest visible colour, averaged in linear light over\n"
            "--colour-smoothness px among like colours (deeper in, over half the\n"
            "distance from the visible part, so shading keeps its bands): flat colours\n"
            "stay exact up to where they meet, a narrow region (an eye's white) goes on\n"
            "only a little way, and each stroke the occluder cuts goes on a pixel or\n"
            "so (extend-lines continues it further).  The fill goes on a new layer\n"
            "\"<name> (fill)\" directly under the part (--merge paints into the part);\n"
            "no visible pixel changes (--seal-edge also fills under the part's pixels\n"
            "the occluder's soft edge cut, so no seam shows when it moves).  --margin\n"
            "grows the hidden region for rigs that move parts.\n"
            "A layer that is mostly thin dark strokes (line art over a colour layer,\n"
            "an ink drawing) gets nothing painted behind it (--fill-line-art: it\n"
            "does); a thin strand of light paint is filled.  A part drawn symmetric\n"
            "about a vertical axis (a face, a figure from the front) takes each hidden\n"
            "pixel whose mirror image shows from that image, exactly; one whose\n"
            "outline alone is symmetric (lit from one side) takes from it only what\n"
            "the continued shape left empty (--no-mirror: neither; -v names the\n"
            "layers, --debug shows the axis).  --mirror-axis X mirrors the selected\n"
            "layers about the axis the artist gives, where the search declined (a\n"
            "face lit from one side, or whose hair is not symmetric).",
    .params = fill_params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run_fill,
};

static const sz_param complete_params[] = {
    SZ_LINE_PARAMS,
    SZ_FILL_PARAMS,
    SZ_MODEL_PARAMS,
    {"no-lines", SZ_PARAM_BOOL, "Do not continue the line art (fill only)", NULL, 0, -1, NULL},
    {"debug", SZ_PARAM_PATH, "Write a picture of the hidden regions, stroke ends, new strokes and shapes", NULL,
     0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_complete = {
    .name = "complete",
    .summary = "extend-lines then fill-behind: the one-command completion of every layer",
    .help = "For each selected layer: continues its strokes under the layers above it\n"
            "(or under --mask) into the layer itself, as extend-lines does, then paints\n"
            "the hidden part as fill-behind does, on a new layer under it (or into it\n"
            "with --merge).  The shape is decided first: new strokes stay within it,\n"
            "and a part whose visible edge has an outline gets it along the whole\n"
            "completed edge.  A layer of line art gets its strokes continued and\n"
            "nothing behind it.  Every visible pixel stays as it was.  Options are those\n"
            "of extend-lines and fill-behind.",
    .params = complete_params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run_complete,
};
