/*
 * thin.c — Zhang-Suen thinning of a binary mask, 64 pixels at a time.
 *
 * Each sub-iteration decides every pixel from the state before it, so it
 * is a pure function of the mask: computed on words of 64 pixels with
 * bitwise logic, it gives exactly the pixel-by-pixel result, on any number
 * of threads.  Only words near a pixel deleted in the last two
 * sub-iterations are looked at again; any other pixel's neighbourhood is
 * as it was when the same kind of sub-iteration kept it.
 */
#include "bits.h"

#include <stdlib.h>
#include <string.h>

/* A word's pixels x + 1 (east, from the word to its right) and x - 1
 * (west, from the word to its left). */
static inline sz_word east(sz_word c, sz_word right)
{
    return c >> 1 | right << 63;
}

static inline sz_word west(sz_word left, sz_word c)
{
    return c << 1 | left >> 63;
}

/* At least two of the eight words set, bit by bit. */
static inline sz_word two_or_more(const sz_word v[8])
{
    sz_word one = 0, two = 0;
    for (int k = 0; k < 8; k++) two |= one & v[k], one |= v[k];
    return two;
}

/* The pixels of word j of a row (with the rows above and below) that the
 * sub-iteration `pass` deletes.  With the neighbours P2..P9 clockwise
 * from north: 2 to 6 of them set, exactly one unset-to-set step around
 * the ring, and for pass 0 not (P2 P4 P6) nor (P4 P6 P8), for pass 1 not
 * (P2 P4 P8) nor (P2 P6 P8). */
static sz_word deletable(const sz_word *up, const sz_word *row, const sz_word *down, int j, int ww, int pass)
{
    sz_word c = row[j];
    sz_word ul = j ? up[j - 1] : 0, cl = j ? row[j - 1] : 0, dl = j ? down[j - 1] : 0;
    sz_word ur = j + 1 < ww ? up[j + 1] : 0, cr = j + 1 < ww ? row[j + 1] : 0, dr = j + 1 < ww ? down[j + 1] : 0;
    sz_word p[8] = {
        up[j],             /* P2 north */
        east(up[j], ur),   /* P3 north-east */
        east(c, cr),       /* P4 east */
        east(down[j], dr), /* P5 south-east */
        down[j],           /* P6 south */
        west(dl, down[j]), /* P7 south-west */
        west(cl, c),       /* P8 west */
        west(ul, up[j]),   /* P9 north-west */
    };
    sz_word steps[8], unset[8], any_step = 0;
    for (int k = 0; k < 8; k++) steps[k] = ~p[k] & p[(k + 1) & 7], unset[k] = ~p[k], any_step |= steps[k];
    sz_word keep = pass == 0 ? (p[0] & p[2] & p[4]) | (p[2] & p[4] & p[6]) : (p[0] & p[2] & p[6]) | (p[0] & p[4] & p[6]);
    return c & any_step & ~two_or_more(steps) & two_or_more(p) & two_or_more(unset) & ~keep;
}

sz_status sz_thin(sz_ctx *ctx, uint8_t *m, int w, int h)
{
    if (w <= 0 || h <= 0) return SZ_OK;
    int ww = sz_row_words(w);
    size_t nw = (size_t)ww * (size_t)h;
    /* the packed mask with a row of nothing above and below */
    sz_word *plane = sz_calloc(ctx, nw + 2 * (size_t)ww, sizeof *plane);
    sz_word *del = sz_malloc_array(ctx, nw, sizeof *del);
    /* per word: bit 0, a pixel was deleted in the last sub-iteration; bit
     * 1, in the one before; per row, the same for any of its words */
    uint8_t *changed = sz_malloc(ctx, nw), *row_changed = sz_malloc(ctx, (size_t)h);
    if (!plane || !del || !changed || !row_changed) {
        free(plane), free(del), free(changed), free(row_changed);
        return SZ_ERR_NOMEM;
    }
    sz_word *bits = plane + ww;
    int threads = sz_threads(ctx);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *src = m + (size_t)y * w;
        sz_word *row = bits + (size_t)y * ww;
        for (int x = sz_skip_unset(src, 0, w); x < w; x = sz_skip_unset(src, x + 1, w))
            sz_bit_set(row, x);
        memset(changed + (size_t)y * ww, 3, (size_t)ww);
        row_changed[y] = 3;
    }
    /* Two sub-iterations in a row that delete nothing: every pixel has
     * been judged by both kinds on the final mask. */
    for (int pass = 0, idle = 0; idle < 2; pass ^= 1) {
        long deleted = 0;
#pragma omp parallel num_threads(threads)
        {
#pragma omp for schedule(static) reduction(+ : deleted)
            for (int y = 0; y < h; y++) {
                sz_word *d = del + (size_t)y * ww;
                bool near = row_changed[y] || (y > 0 && row_changed[y - 1]) || (y + 1 < h && row_changed[y + 1]);
                if (!near) {
                    memset(d, 0, (size_t)ww * sizeof *d);
                    continue;
                }
                const sz_word *row = bits + (size_t)y * ww;
                const uint8_t *ch = changed + (size_t)y * ww;
                for (int j = 0; j < ww; j++) {
                    d[j] = 0;
                    if (!row[j]) continue;
                    int j0 = SZ_MAX(j - 1, 0), j1 = SZ_MIN(j + 1, ww - 1);
                    bool look = false;
                    for (int dy = -1; dy <= 1 && !look; dy++) {
                        if (y + dy < 0 || y + dy >= h) continue;
                        for (int jj = j0; jj <= j1; jj++) look |= ch[dy * ww + jj] != 0;
                    }
                    if (!look) continue;
                    d[j] = deletable(row - ww, row, row + ww, j, ww, pass);
                    deleted += d[j] != 0;
                }
            }
            /* then delete, and age what changed */
#pragma omp for schedule(static)
            for (int y = 0; y < h; y++) {
                sz_word *row = bits + (size_t)y * ww;
                const sz_word *d = del + (size_t)y * ww;
                uint8_t *ch = changed + (size_t)y * ww, any = 0;
                for (int j = 0; j < ww; j++) {
                    row[j] &= ~d[j];
                    ch[j] = (uint8_t)((ch[j] << 1 & 2) | (d[j] != 0));
                    any |= ch[j];
                }
                row_changed[y] = any;
            }
        }
        idle = deleted ? 0 : idle + 1;
    }
    /* the deleted pixels leave the mask; the others keep their value */
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int y = 0; y < h; y++) {
        uint8_t *dst = m + (size_t)y * w;
        const sz_word *row = bits + (size_t)y * ww;
        for (int x = sz_skip_unset(dst, 0, w); x < w; x = sz_skip_unset(dst, x + 1, w))
            if (!sz_bit(row, x)) dst[x] = 0;
    }
    free(plane), free(del), free(changed), free(row_changed);
    return SZ_OK;
}
