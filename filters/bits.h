/*
 * bits.h — binary masks packed 64 pixels to a word, for morphology that
 * works on a whole word at a time.  Bit x & 63 of word x / 64 of a row is
 * pixel x; the bits past the row's width are zero.
 */
#ifndef SOZAI_BITS_H
#define SOZAI_BITS_H

#include "geom.h"

typedef uint64_t sz_word;

/** Words per row of w pixels. */
static inline int sz_row_words(int w)
{
    return (w + 63) / 64;
}

static inline bool sz_bit(const sz_word *row, int x)
{
    return row[x >> 6] >> (x & 63) & 1;
}

static inline void sz_bit_set(sz_word *row, int x)
{
    row[x >> 6] |= (sz_word)1 << (x & 63);
}

/** The last word of a row with its bits past the width cleared. */
static inline sz_word sz_row_tail(int w)
{
    return w & 63 ? ((sz_word)1 << (w & 63)) - 1 : ~(sz_word)0;
}

/** Packs a byte mask (set where not 0) of w x h pixels into `out`. */
SZ_INTERNAL void sz_bits_pack(sz_ctx *ctx, const uint8_t *m, int w, int h, sz_word *out);
/** The complement of a packed w x h mask within the grid, into `out`
 *  (which may be `in`): the bits past the width stay zero. */
SZ_INTERNAL void sz_bits_complement(sz_ctx *ctx, const sz_word *in, int w, int h, sz_word *out);
/** The dilation of a packed w x h mask by the disc of squared radius r2
 *  (offsets with dx^2 + dy^2 <= r2), into `out`; nothing lies beyond the
 *  grid.  The same as thresholding a distance transform at r2. */
SZ_INTERNAL sz_status sz_bits_dilate_disc(sz_ctx *ctx, const sz_word *in, int w, int h, int r2, sz_word *out);
/** The same by the square of offsets |dx|, |dy| <= r. */
SZ_INTERNAL sz_status sz_bits_dilate_square(sz_ctx *ctx, const sz_word *in, int w, int h, int r, sz_word *out);
/** The opening of a packed mask by the (2r+1)-square: the pixels of the
 *  squares that fit inside it (beyond the grid counts as inside), so that
 *  strokes narrower than the square vanish.  `tmp` is a scratch mask of
 *  the same size; none of the three may alias. */
SZ_INTERNAL sz_status sz_bits_open_square(sz_ctx *ctx, const sz_word *in, int w, int h, int r, sz_word *tmp,
                                          sz_word *out);

#endif
