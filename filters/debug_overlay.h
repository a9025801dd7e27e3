/*
 * debug_overlay.h — the picture --debug writes: the document faded, the
 * hidden regions tinted, what an operation added, and marks where it
 * decided something, so a user can see why.
 */
#ifndef SOZAI_DEBUG_OVERLAY_H
#define SOZAI_DEBUG_OVERLAY_H

#include "lines.h"

struct sz_mirror;

typedef struct sz_overlay {
    sz_image *img;   /* canvas-sized, 8-bit, opaque */
} sz_overlay;

/** Starts an overlay from the document's composite over white, faded. */
SZ_INTERNAL sz_status sz_overlay_begin(sz_ctx *ctx, const sz_doc *doc, sz_overlay *o);
/** Tints the part's hidden region. */
SZ_INTERNAL void sz_overlay_hidden(sz_overlay *o, const sz_part *p);
/** Paints added content (work grid of `p`) in a flat colour, by coverage. */
SZ_INTERNAL void sz_overlay_added(sz_overlay *o, const sz_part *p, const uint8_t *shape, const uint8_t rgb[3]);
/** The same for the strokes drawn on `c`. */
SZ_INTERNAL void sz_overlay_strokes(sz_overlay *o, const sz_part *p, const ink_canvas *c, const uint8_t rgb[3]);
/** Paints the pixels the part's mirror image revealed, and its axis as a
 *  dashed line over the part's rows. */
SZ_INTERNAL void sz_overlay_mirror(sz_overlay *o, const sz_part *p, const struct sz_mirror *m, const uint8_t rgb[3]);
/** Marks the stroke ends and links the decided ones. */
SZ_INTERNAL void sz_overlay_ends(sz_overlay *o, const sz_part *p, const sz_lines *ln);
/** Writes the overlay (PNG or any format by name) and frees it. */
SZ_INTERNAL sz_status sz_overlay_finish(sz_ctx *ctx, sz_overlay *o, const char *path);

#endif
