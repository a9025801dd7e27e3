/*
 * mirror.h — a part drawn symmetric about a vertical axis (a face, a figure
 * seen from the front, a vase) shows under its occluder what its other
 * half shows (mirror.c); a part that repeats a pattern (a braid, a
 * frieze) shows it a step along (repeat.c), the other symmetry a drawing
 * has.  Both are painted the same way.
 */
#ifndef SOZAI_MIRROR_H
#define SOZAI_MIRROR_H

#include "part.h"

struct sz_lines;

/* Two 8-bit colours are alike, to the mirror and the repeat, when their
 * R, G, B differ by at most this in all (sum of squares: 22 a channel). */
#define SZ_MIRROR_LIKE_COLOUR (3 * 22 * 22)

typedef struct sz_mirror {
    bool found;   /* the part is symmetric enough to be mirrored, or repeats */
    int axis2;    /* twice the axis's x, work coordinates: pixel x mirrors to axis2 - x */
    int step_x, step_y; /* a repeat's step (px): pixel (x, y) shows again at (x + k step_x, y + k step_y);
                         * 0, 0 for a mirror */
    float peak;   /* a repeat's agreement above that of half a step and one and a half */
    uint8_t *ahead, *behind; /* a repeat's: per work pixel, the steps to its nearest visible repeat each way
                              * (0: none), made when it is revealed */
    float agree;  /* of the visible pixel pairs the axis makes, where either is the part's: the share
                     where both are, in like colour */
    float rim;    /* the same share next to the hidden region, where the mirror is to be trusted */
    float support; /* those pairs against the part's visible pixels: how much of it the axis could judge */
    bool silhouette_only; /* found by the silhouette alone: its colours are not symmetric */
    bool given;           /* the artist gave the axis (--mirror-axis): nothing was searched or tested */
    int32_t *revealed;    /* the hidden pixels (work indices) painted from their mirror image, */
    uint16_t (*was)[4];   /* and what the part held there before, */
    uint8_t *was_touched; /* and how much the cover covered them (p->touched) */
    long nrevealed;
} sz_mirror;

/** Whether m is a repeat (repeat.c) rather than a mirror. */
static inline bool sz_mirror_is_repeat(const sz_mirror *m)
{
    return m->step_x || m->step_y;
}

/** The part's mirror.  With `given_axis` >= 0, the canvas axis the artist
 *  gave (the pixel at canvas x = given_axis mirrors onto itself; N.5
 *  lies between two): found, without search or tests (m->given).
 *  Otherwise looks for the vertical axis about which the part's visible
 *  pixels are most alike, and keeps it (m->found) when the part as a
 *  whole and the visible rim of its hidden region both agree with their
 *  mirror image.  Linear in pixels (a coarse-to-fine search). */
SZ_INTERNAL sz_status sz_mirror_find(sz_ctx *ctx, const sz_part *p, double given_axis, sz_mirror *m);

/** The same comparing only where the part is, for a part whose colours
 *  are not symmetric (m->silhouette_only): the weaker evidence, looked at
 *  last. */
SZ_INTERNAL sz_status sz_mirror_find_outline(sz_ctx *ctx, const sz_part *p, sz_mirror *m);

/** Paints each hidden pixel whose mirror image holds some of the part
 *  with that pixel, into the part's own image, and counts it seen from
 *  then on: strokes continue from the mirrored ones, and the shape's fill
 *  goes around them.  From a silhouette alone, only where `shape` has
 *  nothing and the mirror is the part's body. */
SZ_INTERNAL sz_status sz_mirror_reveal(sz_ctx *ctx, sz_part *p, sz_mirror *m, const uint8_t *shape);

/** Takes out of the completed shape the hidden pixels (not revealed)
 *  whose mirror image is a visible pixel the part does not cover: where
 *  the visible half shows background, the hidden half has it too.  Called
 *  after sz_mirror_reveal. */
SZ_INTERNAL void sz_mirror_trim(sz_ctx *ctx, const sz_part *p, const sz_mirror *m, uint8_t *shape);

/** Adds to the completed shape the hidden pixels it leaves out whose
 *  mirror image is the part's body: a silhouette's mirror (found by
 *  sz_mirror_find_outline) lending its outline to a part that repeats a
 *  pattern, whose colours come from the pattern. */
SZ_INTERNAL void sz_mirror_widen_shape(sz_ctx *ctx, const sz_part *p, const sz_mirror *m, uint8_t *shape);

/** The same for extend-lines: each hidden pixel whose mirror image is ink
 *  (sz_lines_ink over `ln`, made before); nothing from a silhouette
 *  alone. */
SZ_INTERNAL sz_status sz_mirror_reveal_ink(sz_ctx *ctx, sz_part *p, sz_mirror *m, const struct sz_lines *ln);

/** Makes the revealed pixels hidden again (their mirrored content stays
 *  in the part's image until sz_mirror_give_back). */
SZ_INTERNAL void sz_mirror_hide_again(sz_part *p, const sz_mirror *m);

/** Lays the revealed pixels over what `layer` (the part's size) holds
 *  there, when it is not NULL; returns how many pixels that adds to the
 *  layer (those it held nothing at), or, without a layer, how many were
 *  revealed into the part itself. */
SZ_INTERNAL long sz_mirror_lay_over(const sz_part *p, const sz_mirror *m, sz_image *layer);

/** Takes out of the completed shape the pixels revealed wholly opaque,
 *  which the fill would paint under for nothing (a part painted in a
 *  pattern all over has most of its hidden region revealed).  For a
 *  repeat; a mirror's outputs are kept as they were (the fill's average
 *  runs along stretches of filled pixels, which this would break). */
SZ_INTERNAL void sz_mirror_spare_the_fill(const sz_part *p, const sz_mirror *m, uint8_t *shape);

/** Gives the part back what it held where pixels were revealed. */
SZ_INTERNAL void sz_mirror_give_back(sz_part *p, const sz_mirror *m);

SZ_INTERNAL void sz_mirror_free(sz_mirror *m);

/** Looks for the step by which the part's visible pixels repeat a
 *  pattern, and keeps it (m->found, m->step_x, m->step_y) when the
 *  pattern's edges agree with themselves a step along and the step stands
 *  out from half a step and one and a half (repeat.c).  The step found
 *  is then painted as a mirror is, by sz_mirror_reveal (each hidden pixel
 *  of the completed shape from the nearest visible repeat of it that
 *  holds the part's body), sz_mirror_lay_over and the rest; sz_mirror_trim
 *  does nothing. */
SZ_INTERNAL sz_status sz_repeat_find(sz_ctx *ctx, const sz_part *p, sz_mirror *m);

#endif
