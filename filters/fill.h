/*
 * fill.h — fill-behind: the shape a part continues with under its
 * occluders (shape.c) and the colour painted there (fill_behind.c).
 *
 * The shape decision is made in one place, sz_shape_complete(), from the
 * part's silhouette and, when a learned model supplies one, a map of where
 * the part is likely to continue (the seam for the model).
 */
#ifndef SOZAI_FILL_H
#define SOZAI_FILL_H

#include "debug_overlay.h"

typedef struct sz_fill_params {
    float reach;            /* px the shape may extend beyond the visible part; 0 = automatic */
    float smoothness;       /* weight of bending when pairing silhouette ends */
    int colour_radius;      /* px of linear-light smoothing of the continued colour */
    bool seal_edge;         /* also fill under the soft edge the occluder cut (on a layer of its own) */
    const float *shape_prob;/* learned map of where the part continues (work grid), or NULL */
} sz_fill_params;

/* The fill parameters, as entries of an operation's sz_param table. */
#define SZ_FILL_PARAMS                                                                                              \
    {"margin", SZ_PARAM_INT, "Grow the hidden region by this many px (rigs move parts beyond their drawn place)",  \
     "0", 0, 1000, NULL},                                                                                          \
    {"reach", SZ_PARAM_FLOAT, "How far (px) the shape may grow beyond the visible part; 0: automatic "          \
                              "(three quarters of the square root of its area)", "0", 0, 100000, NULL},         \
    {"shape-smoothness", SZ_PARAM_FLOAT, "Weight of bending when the outline is continued (0: shortest)", "1", \
     0, 10, NULL},                                                                                                 \
    {"colour-smoothness", SZ_PARAM_INT, "Radius (px) over which continued colour is averaged in linear light "  \
                                        "(0: nearest visible colour, exact for flat colours)", "2", 0, 50, NULL}, \
    {"merge", SZ_PARAM_BOOL, "Paint the fill into the part itself instead of a new layer under it", NULL, 0, -1, \
     NULL},                                                                                                        \
    {"seal-edge", SZ_PARAM_BOOL, "Fill also under the part's pixels the occluder's soft edge cut, so no seam "    \
                                 "shows when it moves (the picture then changes along that edge)", NULL, 0, -1,   \
     NULL}

/** Reads the SZ_FILL_PARAMS arguments. */
SZ_INTERNAL void sz_fill_params_from_args(const sz_args *args, sz_fill_params *fp);

/** The completed shape inside the part's unknown region (hidden and not
 *  already painted): alpha[i] > 0 where the part continues (0..1, with an
 *  anti-aliased edge).  *pairs receives how many silhouette ends were
 *  paired (for the log); `walls`, when not NULL, receives 1 on the curves
 *  that close the outline (where the shape's edge is not a guess). */
SZ_INTERNAL sz_status sz_shape_complete(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, float *alpha,
                                        int *pairs, uint8_t *walls);

/** Fills one prepared part: onto a new layer under it, or into it with
 *  `merge`.  *changed receives the pixels painted. */
/** `alpha` is the shape from sz_shape_complete() when the caller has it
 *  already, else NULL. */
SZ_INTERNAL sz_status sz_fill_part(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_fill_params *fp, bool merge,
                                   const float *alpha, sz_overlay *debug, long *changed);

#endif
