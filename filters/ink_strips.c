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
 * are ink of about one colour, it takes the near one's.  Where the strip runs along an
 * edge of ink instead of across it, one side is paper, and nothing is
 * drawn: an outline is not widened into the strip.
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
    size_t n = (size_t)w * (size_t)h, nw = (size_t)words * (size_t)h;
    /* the strips: hidden pixels no (2 half + 1)-square of the hidden
     * region covers */
    sz_word *bits = sz_calloc(ctx, nw ? 3 * nw : 1, sizeof *bits);
    int32_t *from = sz_malloc_array(ctx, n, sizeof *from);
    if (!bits || !from) {
        free(bits), free(from);
        return SZ_ERR_NOMEM;
    }
    sz_word *hidden = bits, *tmp = bits + nw, *broad = bits + 2 * nw;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (p->hidden[(size_t)y * w + x]) sz_bit_set(hidden + (size_t)y * words, x);
    sz_status st = sz_bits_open_square(ctx, hidden, w, h, half, tmp, broad);
    /* each strip pixel's source: the near side, when both sides are ink */
    int reach2 = (half + 1) * (half + 1);
    float across = 2.0f * (float)half + 2.0f;
    long found = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(+ : found)
    for (int y = 0; y < (st ? 0 : h); y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            from[i] = -1;
            if (!p->hidden[i] || sz_bit(broad + (size_t)y * words, x)) continue;
            long q = nearest_visible(p, x, y, reach2);
            if (q < 0 || sz_lines_ink(ln, (int)(q % w), (int)(q / w)) < SIDE_INK) continue;
            vec2 dir = v2_norm(v2((float)x - (float)(q % w), (float)y - (float)(q / w)));
            long r = far_side(p, x, y, dir, across);
            if (r < 0 || sz_lines_ink(ln, (int)(r % w), (int)(r / w)) < SIDE_INK || !same_ink(p->img, q, r)) continue;
            from[i] = (int32_t)q;
            found++;
        }
    /* drawn in raster order, on one thread: the canvas grows its tiles */
    for (size_t i = 0; i < (st ? 0 : n) && found; i++) {
        if (from[i] < 0) continue;
        uint16_t c[4];
        sz_get16_at(p->img, (size_t)from[i], c);
        float rgb[3] = {sz_srgb16_to_linear(c[0]), sz_srgb16_to_linear(c[1]), sz_srgb16_to_linear(c[2])};
        int x = (int)(i % w), y = (int)(i / w);
        if (sz_ink_cover(&ln->drawn, x, y) < 1.0f) sz_ink_set(&ln->drawn, x, y, 1.0f, rgb);
    }
    ln->strip_px += found;
    free(bits), free(from);
    return st;
}
