/*
 * ink_strips.c — ink carried straight across a narrow strip of the hidden
 * region.
 *
 * A strand of hair, a thin line of another part, or a ribbon lies across
 * the part: the occluder is a strip a few pixels wide.  Under it, whatever
 * ink shows on both sides runs on straight: the outline it crosses, and
 * the solid blacks inked with the lines (a black boot under a strand, the
 * ベタ of a cel drawing), which no stroke end leads into.  Each hidden
 * pixel of such a strip looks for the nearest visible pixel and, straight
 * through itself, for the first visible pixel on the far side; when both
 * are ink of about one colour, it takes the near one's.  Where the strip
 * runs along an edge of ink instead of across it, one side is paper, and
 * nothing is drawn: an outline is not widened into the strip.
 */
#include "lines.h"
#include "bits.h"
#include "color.h"

#include <math.h>
#include <stdlib.h>

/* A side is ink when this much of the visible pixel is (sz_lines_ink). */
#define SIDE_INK 0.5f
/* The two sides are the same ink when no channel differs more (of 65535):
 * a black outline beside dark blue paint is not one stroke. */
#define SIDE_MATCH (48 * 257)

static bool same_ink(const sz_image *img, long a, long b)
{
    uint16_t ca[4], cb[4];
    sz_get16_at(img, (size_t)a, ca);
    sz_get16_at(img, (size_t)b, cb);
    for (int k = 0; k < 3; k++)
        if (abs((int)ca[k] - (int)cb[k]) > SIDE_MATCH) return false;
    return true;
}

/* The visible pixel nearest to (x, y) within `reach` (squared), or -1. */
static long nearest_visible(const sz_part *p, int x, int y, int reach2)
{
    const sz_near_offset *o = sz_near_offsets();
    for (int k = 1; k < SZ_NEAR_N && o[k].d2 <= reach2; k++) {
        int xx = x + o[k].dx, yy = y + o[k].dy;
        if (xx < 0 || yy < 0 || xx >= p->w || yy >= p->h) continue;
        size_t j = (size_t)yy * p->w + xx;
        if (!p->hidden[j]) return (long)j;
    }
    return -1;
}

/* From (x, y) on along `dir`, the first visible pixel within `len`, or -1. */
static long far_side(const sz_part *p, int x, int y, vec2 dir, float len)
{
    for (float s = 0.5f; s <= len; s += 0.5f) {
        int xx = (int)lroundf((float)x + dir.x * s), yy = (int)lroundf((float)y + dir.y * s);
        if (xx < 0 || yy < 0 || xx >= p->w || yy >= p->h) return -1;
        size_t j = (size_t)yy * p->w + xx;
        if (!p->hidden[j]) return (long)j;
    }
    return -1;
}

sz_status sz_lines_cross_strips(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    int half = (int)(lp->strip_width / 2);
    if (half < 1 || !p->nhidden) return SZ_OK;
    half = SZ_MIN(half, SZ_NEAR_R - 1);
    int w = p->w, h = p->h, words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    /* the strips: hidden pixels no (2 half + 1)-square of the hidden
     * region covers */
    sz_word *bits = sz_malloc_array(ctx, nw ? 3 * nw : 1, sizeof *bits);
    long *per_row = sz_calloc(ctx, (size_t)h + 1, sizeof *per_row);
    if (!bits || !per_row) {
        free(bits), free(per_row);
        return SZ_ERR_NOMEM;
    }
    sz_word *strip = bits, *tmp = bits + nw, *broad = bits + 2 * nw;
    sz_bits_pack(ctx, p->hidden, w, h, strip);
    sz_status st = sz_bits_open_square(ctx, strip, w, h, half, tmp, broad);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < (st ? 0 : h); y++)
        for (int j = 0; j < words; j++) {
            size_t k = (size_t)y * words + j;
            strip[k] &= ~broad[k];
            per_row[y + 1] += __builtin_popcountll(strip[k]);
        }
    for (int y = 0; y < h; y++) per_row[y + 1] += per_row[y];
    /* the strip's pixels, in raster order, and each one's source: the
     * near side, when both sides are the same ink (or -1) */
    long count = st ? 0 : per_row[h];
    int32_t *at = count ? sz_malloc_array(ctx, 2 * (size_t)count, sizeof *at) : NULL;
    if (count && !at) st = SZ_ERR_NOMEM;
    int32_t *from = at ? at + count : NULL;
    int reach2 = (half + 1) * (half + 1);
    float across = 2.0f * (float)half + 2.0f;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < (at ? h : 0); y++) {
        long k = per_row[y];
        const sz_word *row = strip + (size_t)y * words;
        for (int x = 0; x < w; x++) {
            if (!sz_bit(row, x)) continue;
            at[k] = (int32_t)((size_t)y * w + x);
            from[k] = -1;
            long q = nearest_visible(p, x, y, reach2), r = -1;
            if (q >= 0 && sz_lines_ink(ln, (int)(q % w), (int)(q / w)) >= SIDE_INK) {
                vec2 dir = v2_norm(v2((float)x - (float)(q % w), (float)y - (float)(q / w)));
                r = far_side(p, x, y, dir, across);
            }
            if (r >= 0 && sz_lines_ink(ln, (int)(r % w), (int)(r / w)) >= SIDE_INK && same_ink(p->img, q, r))
                from[k] = (int32_t)q;
            k++;
        }
    }
    /* drawn on one thread: the canvas grows its tiles */
    for (long k = 0; k < (at ? count : 0); k++) {
        if (from[k] < 0) continue;
        uint16_t c[4];
        sz_get16_at(p->img, (size_t)from[k], c);
        float rgb[3] = {sz_srgb16_to_linear(c[0]), sz_srgb16_to_linear(c[1]), sz_srgb16_to_linear(c[2])};
        int x = at[k] % w, y = at[k] / w;
        if (sz_ink_cover(&ln->drawn, x, y) < 1.0f) sz_ink_set(&ln->drawn, x, y, 1.0f, rgb), ln->strip_px++;
    }
    free(bits), free(per_row), free(at);
    return st;
}
