/*
 * bits.c — dilation of packed masks by a disc or a square.  A disc is,
 * row by row, a span of offsets, so each output row is the OR over dy of
 * input row y + dy dilated along itself by the span at dy; the spans are
 * grown one offset at a time by shifted ORs of whole words.  A square is
 * separable, and each direction is dilated by doubling.
 */
#include "bits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Word j of a row moved by k px: bit x holds the row's pixel x + k (k may
 * be negative); pixels beyond the row are zero. */
static inline sz_word moved(const sz_word *row, int words, int j, int k)
{
    int q = (k < 0 ? -k : k) >> 6, b = (k < 0 ? -k : k) & 63;
    sz_word v = 0;
    if (k >= 0) {
        int a = j + q;
        if (a < words) v = row[a] >> b;
        if (b && a + 1 < words) v |= row[a + 1] << (64 - b);
    } else {
        int a = j - q;
        if (a >= 0) v = row[a] << b;
        if (b && a >= 1) v |= row[a - 1] >> (64 - b);
    }
    return v;
}

/* Rows are dilated in bands of this many, each band's input rows (with
 * the disc's reach above and below) along themselves once per span. */
enum { BAND = 128 };

/* The dilation by the shape whose row dy (|dy| <= reach) spans the
 * offsets |dx| <= span[|dy|]; span shrinks as |dy| grows. */
static sz_status dilate_spans(sz_ctx *ctx, const sz_word *in, int w, int h, int reach, const int *span,
                              sz_word *out)
{
    if (w <= 0 || h <= 0) return SZ_OK;
    int words = sz_row_words(w);
    /* the distinct spans (levels), ascending, and each row's level */
    int *level = sz_malloc_array(ctx, 2 * ((size_t)reach + 1), sizeof *level);
    if (!level) return SZ_ERR_NOMEM;
    int *spans = level + reach + 1; /* (only once there is a block: an offset from NULL is undefined) */
    int levels = 0;
    for (int dy = reach; dy >= 0; dy--) {
        if (!levels || spans[levels - 1] != span[dy]) spans[levels++] = span[dy];
        level[dy] = levels - 1;
    }
    int threads = sz_threads(ctx), rows = BAND + 2 * reach;
    size_t per_thread = (size_t)levels * (size_t)rows * (size_t)words;
    sz_word *scratch = sz_malloc_array(ctx, (size_t)threads * per_thread, sizeof *scratch);
    if (!scratch) {
        free(level);
        return SZ_ERR_NOMEM;
    }
    sz_word tail = sz_row_tail(w);
    int bands = (h + BAND - 1) / BAND;
#pragma omp parallel num_threads(threads)
    {
        sz_word *grown = scratch + (size_t)sz_thread_index() * per_thread; /* [level][row][word] */
#define GROWN(l, r) (grown + ((size_t)(l) * rows + (size_t)(r)) * words)
#pragma omp for schedule(static)
        for (int band = 0; band < bands; band++) {
            int y0 = band * BAND, y1 = SZ_MIN(h, y0 + BAND), top = y0 - reach;
            for (int yy = SZ_MAX(0, top); yy < SZ_MIN(h, y1 + reach); yy++) {
                const sz_word *row = in + (size_t)yy * words;
                int s = 0;
                for (int l = 0; l < levels; l++) {
                    sz_word *g = GROWN(l, yy - top);
                    if (l == 0) memcpy(g, row, (size_t)words * sizeof *g);
                    else memcpy(g, GROWN(l - 1, yy - top), (size_t)words * sizeof *g);
                    for (; s < spans[l]; s++)
                        for (int j = 0; j < words; j++) g[j] |= moved(row, words, j, s + 1) | moved(row, words, j, -s - 1);
                }
            }
            for (int y = y0; y < y1; y++) {
                sz_word *o = out + (size_t)y * words;
                memset(o, 0, (size_t)words * sizeof *o);
                for (int dy = -reach; dy <= reach; dy++) {
                    if (y + dy < 0 || y + dy >= h) continue;
                    const sz_word *g = GROWN(level[dy < 0 ? -dy : dy], y + dy - top);
                    for (int j = 0; j < words; j++) o[j] |= g[j];
                }
                o[words - 1] &= tail;
            }
        }
#undef GROWN
    }
    free(level), free(scratch);
    return SZ_OK;
}

void sz_bits_pack(sz_ctx *ctx, const uint8_t *m, int w, int h, sz_word *out)
{
    if (w <= 0) return;
    int words = sz_row_words(w);
    /* (rows as threads come free: only rows with set pixels cost much) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < h; y++) {
        const uint8_t *row = m + (size_t)y * w;
        sz_word *o = out + (size_t)y * words;
        int first = sz_skip_unset(row, 0, w); /* the words before it are empty */
        memset(o, 0, (size_t)(first / 64) * sizeof *o);
        for (int k = first / 64; k < words; k++) { /* a word at a time, without a branch per pixel */
            sz_word word = 0;
            for (int b = 0, x = k * 64; b < 64 && x < w; b++, x++) word |= (sz_word)(row[x] != 0) << b;
            o[k] = word;
        }
    }
}

void sz_bits_complement(sz_ctx *ctx, const sz_word *in, int w, int h, sz_word *out)
{
    if (w <= 0) return;
    int words = sz_row_words(w);
    sz_word tail = sz_row_tail(w);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const sz_word *i = in + (size_t)y * words;
        sz_word *o = out + (size_t)y * words;
        for (int j = 0; j + 1 < words; j++) o[j] = ~i[j];
        o[words - 1] = ~i[words - 1] & tail;
    }
}

sz_status sz_bits_dilate_disc(sz_ctx *ctx, const sz_word *in, int w, int h, int r2, sz_word *out)
{
    int reach = 0;
    while ((reach + 1) * (reach + 1) <= r2) reach++;
    int *span = sz_malloc_array(ctx, (size_t)reach + 1, sizeof *span);
    if (!span) return SZ_ERR_NOMEM;
    for (int dy = 0; dy <= reach; dy++) {
        int s = 0;
        while ((s + 1) * (s + 1) + dy * dy <= r2) s++;
        span[dy] = s;
    }
    sz_status st = dilate_spans(ctx, in, w, h, reach, span, out);
    free(span);
    return st;
}

/* The next doubling step for a span [-s, s] on its way to [-r, r]: a span
 * ORed with itself moved by +-step covers [-s - step, s + step] without a
 * hole while step <= s + 1, so log2(r) steps reach any r. */
static inline int doubling_step(int s, int r)
{
    return SZ_MIN(s + 1, r - s);
}

/* A square is a span along rows times a span along columns, so its
 * dilation is two one-dimensional ones, each done by doubling: log2(r)
 * passes instead of the 2r + 1 rows and shifts of the span method (the
 * rim around the hidden region, r = 64, was a tenth of `complete`). */
sz_status sz_bits_dilate_square(sz_ctx *ctx, const sz_word *in, int w, int h, int r, sz_word *out)
{
    if (w <= 0 || h <= 0) return SZ_OK;
    int words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    sz_word *tmp = sz_malloc_array(ctx, nw, sizeof *tmp);
    if (!tmp) return SZ_ERR_NOMEM;
    sz_word tail = sz_row_tail(w);
    /* along rows: the row and its partner in tmp take turns */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        sz_word *a = out + (size_t)y * words, *b = tmp + (size_t)y * words;
        memcpy(a, in + (size_t)y * words, (size_t)words * sizeof *a);
        for (int s = 0, step; s < r; s += step) {
            step = doubling_step(s, r);
            for (int j = 0; j < words; j++) b[j] = a[j] | moved(a, words, j, step) | moved(a, words, j, -step);
            sz_word *t = a;
            a = b, b = t;
        }
        /* a pixel moved past the width and back lands within the span,
         * so the tail is cleared once, at the end */
        a[words - 1] &= tail;
        if (a != out + (size_t)y * words) memcpy(out + (size_t)y * words, a, (size_t)words * sizeof *a);
    }
    /* along columns: whole planes take turns */
    sz_word *a = out, *b = tmp;
    for (int s = 0, step; s < r; s += step) {
        step = doubling_step(s, r);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = 0; y < h; y++) {
            const sz_word *up = y >= step ? a + (size_t)(y - step) * words : NULL;
            const sz_word *down = y + step < h ? a + (size_t)(y + step) * words : NULL;
            const sz_word *row = a + (size_t)y * words;
            sz_word *o = b + (size_t)y * words;
            for (int j = 0; j < words; j++) o[j] = row[j] | (up ? up[j] : 0) | (down ? down[j] : 0);
        }
        sz_word *t = a;
        a = b, b = t;
    }
    if (a != out) memcpy(out, a, nw * sizeof *out);
    free(tmp);
    return SZ_OK;
}

sz_status sz_bits_open_square(sz_ctx *ctx, const sz_word *in, int w, int h, int r, sz_word *tmp, sz_word *out)
{
    /* the erosion: not within r of a pixel of the grid outside the mask */
    sz_bits_complement(ctx, in, w, h, out);
    sz_status st = sz_bits_dilate_square(ctx, out, w, h, r, tmp);
    if (st) return st;
    sz_bits_complement(ctx, tmp, w, h, tmp);
    return sz_bits_dilate_square(ctx, tmp, w, h, r, out);
}
