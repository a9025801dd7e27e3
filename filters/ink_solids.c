/*
 * ink_solids.c — solid blacks continued under the occluder.
 *
 * Line art is more than its strokes: the solid blacks inked with them
 * (black hair, a boot, the ベタ of a cel drawing) are ink too.  Where the
 * occluder cuts one, no stroke end leads into it (its edges are the part's
 * silhouette and the boundaries of other colours), so extend-lines would
 * leave a hole in the ink that the rig shows.  They continue as
 * fill-behind would continue the part: over the completed shape (shape.c)
 * with the colours continued from the visible pixels (fill_paint.c).  Of
 * that fill only the broad ink is kept: pixels darker than the ink level
 * (the rule that finds ink, lines.c) that survive an opening by the square
 * the fill's own sources judge strokes by.  So no stroke thickens, and
 * no paint of any other colour lands on the layer.
 */
#include "fill.h"
#include "bits.h"

#include <stdlib.h>

/* A pixel is ink from this coverage (sz_lines_ink_of) on: the level at
 * which the engine calls a pixel solid ink (lines.c).  (0.5 measured the
 * same on both case sets.) */
#define INK 0.3f

sz_status sz_lines_continue_solids(sz_ctx *ctx, const sz_part *p, const sz_lines *ln, const sz_fill_params *fp,
                                   const uint8_t *shape, sz_image *dst, uint8_t *mark, long *changed)
{
    *changed = 0;
    if (ln->line_art) return SZ_OK; /* a layer of line art is all ink: nothing is paint */
    int w = p->w, h = p->h, words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    sz_image *fill = sz_image_new(ctx, w, h, p->img->depth);
    sz_word *bits = sz_malloc_array(ctx, nw ? 3 * nw : 1, sizeof *bits);
    if (!fill || !bits) {
        sz_image_free(fill), free(bits);
        return SZ_ERR_NOMEM;
    }
    long filled = 0;
    sz_status st = sz_fill_paint(ctx, p, fp, shape, false, fill, &filled);
    sz_word *dark = bits, *tmp = bits + nw, *broad = bits + 2 * nw;
    /* the ink of the part as it would be filled: the fill where it paints,
     * the layer's own pixels elsewhere (so that the opening sees a solid
     * black whole, its seen and its continued pixels together) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < (st || !filled ? 0 : h); y++) {
        sz_word *row = dark + (size_t)y * words;
        for (int k = 0; k < words; k++) row[k] = 0;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint16_t px[4];
            sz_get16(shape[i] ? fill : p->img, x, y, px);
            if (sz_lines_ink_of(ln, px, p->hidden[i]) >= INK) sz_bit_set(row, x);
        }
    }
    if (!st && filled) st = sz_bits_open_square(ctx, dark, w, h, SZ_STROKE_OPEN, tmp, broad);
    long painted = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : painted)
    for (int y = 0; y < (st || !filled ? 0 : h); y++) {
        const sz_word *row = broad + (size_t)y * words;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!shape[i] || !sz_bit(row, x)) continue;
            uint16_t px[4];
            sz_get16(fill, x, y, px);
            if (!px[3]) continue;
            sz_put16(dst, x, y, px);
            if (mark) mark[i] = shape[i];
            painted++;
        }
    }
    *changed = painted;
    sz_image_free(fill), free(bits);
    return st;
}
