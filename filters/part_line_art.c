/*
 * part_line_art.c — whether a part is line art (sz_part_is_line_art): dark,
 * and mostly strokes at the width of its pen.
 */
#include "part.h"
#include "bits.h"
#include "color.h"

#include <math.h>
#include <stdlib.h>

/* Line art drawn large has a broad pen: the same drawing at three times
 * the size has strokes three times as broad, and a fixed 7 px opening
 * took a 10 px pen for paint (and `complete` filled black wedges behind
 * the lines).  The pen is measured: the median, over the ridges of the
 * part's solid visible pixels (each at least as far from paper as its
 * four neighbours), of the stroke width there.  The opening, 2 half + 1
 * px, grows to twice that, but half stays within a hundredth of the
 * part's longer visible side (a dark scarf 40 px wide on a 400 px part
 * is paint, not a pen): a part under 400 px keeps the 7 px opening, and
 * is not measured. */
enum {
    STROKE_HALF = 3, /* the half-opening of the usual test: 7 px */
    PEN_SIDE = 100   /* the half-opening is at most the side over this */
};

static sz_status pen_half_opening(sz_ctx *ctx, const sz_part *p, int *half)
{
    int side = SZ_MAX(p->vx1 - p->vx0, p->vy1 - p->vy0), most = side / PEN_SIDE;
    *half = STROKE_HALF;
    if (most <= STROKE_HALF) return SZ_OK;
    int w = p->w, h = p->h, r = SZ_MIN(SZ_EDT_BOUND_MAX, most + 2);
    size_t n = (size_t)w * (size_t)h;
    uint8_t *paper = sz_malloc(ctx, n);
    uint16_t *d2 = sz_malloc_array(ctx, n, sizeof *d2);
    if (!paper || !d2) {
        free(paper), free(d2);
        return SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            paper[i] = p->hidden[i] || sz_alpha16(p->img, x, y) < p->solid;
        }
    sz_status st = sz_edt_bounded(ctx, paper, w, h, r, d2);
    /* ridge widths in whole px, 2 * distance - 1 (a 1 px line is 1 from paper) */
    enum { BINS = 256 }; /* (widths up to 2 * SZ_EDT_BOUND_MAX - 1) */
    long hist[BINS] = {0}, total = 0;
    unsigned cap = (unsigned)(r * r);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:BINS], total)
    for (int y = 1; y < (st ? 1 : h - 1); y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            unsigned v = d2[i];
            if (paper[i] || v > cap || v < d2[i - 1] || v < d2[i + 1] || v < d2[i - w] || v < d2[i + w]) continue;
            int width = SZ_MIN(BINS - 1, (int)lroundf(2 * sqrtf((float)v) - 1));
            hist[width]++, total++;
        }
    free(paper), free(d2);
    if (!st && total) *half = SZ_CLAMP((int)lroundf(sz_hist_percentile(hist, total, 50)), STROKE_HALF, most);
    return st;
}

/* Whether more than PERCENT of the part's solid visible pixels (its body,
 * p->solid) lie in strokes an opening of 2 half + 1 px removes. */
static sz_status mostly_strokes(sz_ctx *ctx, const sz_part *p, int half, bool *strokes)
{
    enum { PERCENT = 60 };
    int w = p->w, h = p->h, words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    /* on masks packed 64 pixels to a word: the opening is an erosion (not
     * within `half` of an unset pixel of the grid), then its dilation */
    sz_word *solid = sz_calloc(ctx, nw ? nw : 1, sizeof *solid), *a = sz_malloc_array(ctx, nw ? nw : 1, sizeof *a);
    sz_word *b = sz_malloc_array(ctx, nw ? nw : 1, sizeof *b);
    sz_status st = solid && a && b ? SZ_OK : SZ_ERR_NOMEM;
    int rows = st ? 0 : h;
    /* (rows as threads come free: the visible rows gather) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < rows; y++) {
        sz_word *row = solid + (size_t)y * words;
        for (int x = 0; x < w; x++)
            if (!p->hidden[(size_t)y * w + x] && sz_alpha16(p->img, x, y) >= p->solid) sz_bit_set(row, x);
    }
    if (!st) st = sz_bits_open_square(ctx, solid, w, h, half, a, b);
    long count = st ? 0 : (long)nw;
    long nsolid = 0, thin = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : nsolid, thin)
    for (long k = 0; k < (st ? 0 : count); k++)
        nsolid += __builtin_popcountll(solid[k]), thin += __builtin_popcountll(solid[k] & ~b[k]);
    *strokes = !st && nsolid > 0 && thin * 100 > nsolid * PERCENT;
    free(solid), free(a), free(b);
    return st;
}

sz_status sz_part_is_line_art(sz_ctx *ctx, const sz_part *p, bool *line_art)
{
    /* Line art is dark (a thin strand of light hair is paint, to be
     * filled) and mostly strokes: solid visible pixels that a 7x7
     * opening removes lie in strokes narrower than 7 px.  A painted part
     * has a few (its outline, at most a fifth of its pixels even when
     * small); a layer of line art is mostly strokes, even drawn at a
     * scale where its pen is 5 or 6 px broad (a 5x5 test called those
     * painted and filled dark blobs behind them).  An ink drawing on
     * opaque paper lies between: the paper between dense hatching is thin
     * too, about half of it, and that paper is worth filling.  A large
     * drawing whose pen is broader than that is asked again with an
     * opening as broad as its pen (pen_half_opening). */
    *line_art = false;
    if (sz_part_median_luma(ctx, p, p->solid) >= SZ_LINE_ART_DARK) return SZ_OK;
    sz_status st = mostly_strokes(ctx, p, STROKE_HALF, line_art);
    int half = STROKE_HALF;
    if (!st && !*line_art) st = pen_half_opening(ctx, p, &half);
    if (!st && half > STROKE_HALF) st = mostly_strokes(ctx, p, half, line_art);
    return st;
}
