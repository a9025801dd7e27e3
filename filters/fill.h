/*
 * fill.h — fill-behind: the shape a part continues with under its
 * occluders (shape.c), where the colour painted there comes from
 * (fill_sources.c) and how it is painted (fill_paint.c); the operations
 * are in fill_behind.c.
 *
 * The shape decision is made in one place, sz_shape_complete(), from the
 * part's silhouette and, unless --no-model, the learned model's say on
 * where the part continues (shape_model.c, nn.h).
 */
#ifndef SOZAI_FILL_H
#define SOZAI_FILL_H

#include "debug_overlay.h"

typedef struct sz_fill_params {
    float reach;            /* px the shape may extend beyond the visible part; 0 = automatic */
    float smoothness;       /* weight of bending when pairing silhouette ends */
    int colour_radius;      /* px of linear-light smoothing of the continued colour */
    bool seal_edge;         /* also fill under the soft edge the occluder cut (on a layer of its own) */
    bool fill_line_art;     /* fill behind a layer of line art too (by default only its strokes continue) */
    bool narrow_near;       /* a narrow colour region lends its colour only near the cut (fill_sources.c);
                             * off where solid blacks are continued, which are narrow and must go on */
    const struct sz_nn *model; /* the learned model's say on the shape (nn.h), or NULL: geometry alone */
    bool slant_borders;     /* borders of colour regions go on at the slant they meet the cut (fill_borders.c) */
    bool mirror;            /* paint hidden pixels from the part's mirror image where it is drawn symmetric */
    double mirror_axis;     /* the canvas axis the artist gave (--mirror-axis), or -1: search for one */
    bool repeat;            /* paint hidden pixels from the pattern the part repeats, where it repeats one */
    const struct sz_mirror *symmetry; /* the pixels the part's mirror image revealed (mirror.h) while it is
                                       * worked on, or NULL */
} sz_fill_params;

/* The fill parameters, as entries of an operation's sz_param table. */
#define SZ_FILL_PARAMS                                                                                              \
    {"margin", SZ_PARAM_INT, "Grow the hidden region by this many px (rigs move parts beyond their drawn place)",  \
     "0", 0, 1000, NULL},                                                                                          \
    {"reach", SZ_PARAM_FLOAT, "How far (px) the shape may grow beyond the visible part; 0: automatic "          \
                              "(0.55 times the square root of its area)", "0", 0, 100000, NULL},                \
    {"shape-smoothness", SZ_PARAM_FLOAT, "Weight of bending when the outline is continued (0: shortest)", "1", \
     0, 10, NULL},                                                                                                 \
    {"colour-smoothness", SZ_PARAM_INT, "Radius (px) over which continued colour is averaged in linear light, "  \
                                        "among like colours, near the cut; deeper in it grows to half the "      \
                                        "distance from the visible part, up to 32 (0: the nearest visible "     \
                                        "colour throughout)", "2", 0, 50, NULL},                                    \
    {"merge", SZ_PARAM_BOOL, "Paint the fill into the part itself instead of a new layer under it", NULL, 0, -1, \
     NULL},                                                                                                        \
    {"seal-edge", SZ_PARAM_BOOL, "Fill also under the part's pixels the occluder's soft edge cut, so no seam "    \
                                 "shows when it moves (the picture then changes along that edge)", NULL, 0, -1,   \
     NULL},                                                                                                        \
    {"square-borders", SZ_PARAM_BOOL, "Continue the borders between colour regions square to the cut, as the "  \
                                      "nearest visible colour does, instead of at the slant at which they meet it", \
     NULL, 0, -1, NULL},                                                                                           \
    {"no-mirror", SZ_PARAM_BOOL, "Do not paint hidden pixels from the part's mirror image, even where the part " \
                                 "is drawn symmetric about a vertical axis", NULL, 0, -1, NULL},                 \
    SZ_MIRROR_AXIS_PARAM,                                                                                          \
    SZ_PAINTED_UNDER_PARAM,                                                                                        \
    {"no-repeat", SZ_PARAM_BOOL, "Do not paint hidden pixels from the pattern the part repeats (a braid, a "     \
                                 "frieze), even where it repeats one", NULL, 0, -1, NULL},                      \
    {"fill-line-art", SZ_PARAM_BOOL, "Fill behind a layer of line art too (by default a layer that is mostly "  \
                                     "strokes gets only its strokes continued)", NULL, 0, -1, NULL}

/* The axis an artist gives for a part known to be symmetric, as an entry
 * of an sz_param table (fill-behind, complete and extend-lines). */
#define SZ_MIRROR_AXIS_PARAM                                                                                        \
    {"mirror-axis", SZ_PARAM_FLOAT, "Mirror the selected parts about this vertical line instead of searching "    \
                                    "for one: canvas x of the pixel on the axis, N.5 between two (as -v reports "  \
                                    "it); for a part known to be symmetric whose other half shows", NULL, 0,      \
     300000, NULL}

/* Which learned model the shape consults, as entries of an sz_param table. */
#define SZ_MODEL_PARAMS                                                                                             \
    {"model", SZ_PARAM_PATH, "Weights of the learned shape model (a .sznn file from sozai-train); default: the " \
                             "built-in model", NULL, 0, -1, NULL},                                              \
    {"no-model", SZ_PARAM_BOOL, "Geometry alone: do not consult the learned model", NULL, 0, -1, NULL}

/** The model the SZ_MODEL_PARAMS arguments ask for: the built-in one, one
 *  read from --model, or NULL with --no-model.  Free it with sz_nn_free(). */
SZ_INTERNAL sz_status sz_model_from_args(sz_ctx *ctx, const sz_args *args, struct sz_nn **out);

/** What both completion operations read first: the --mask image (NULL
 *  without one) and the model.  On failure neither is left to free. */
SZ_INTERNAL sz_status sz_mask_and_model_from_args(sz_ctx *ctx, const sz_doc *doc, const sz_args *args,
                                                  sz_image **mask, struct sz_nn **model);

/** Reads the SZ_FILL_PARAMS arguments, but for the mirror's. */
SZ_INTERNAL void sz_fill_params_from_args(const sz_args *args, sz_fill_params *fp);

/** Reads --no-mirror and --mirror-axis (SZ_MIRROR_AXIS_PARAM): whether to
 *  mirror, and the axis the artist gave (-1: search for one).  Asking
 *  for both is refused. */
SZ_INTERNAL sz_status sz_mirror_args(sz_ctx *ctx, const sz_args *args, bool *mirror, double *axis);

/** The completed shape inside the part's unknown region (hidden and not
 *  already painted): shape[i] != 0 where the part continues, a code of its
 *  coverage (sz_shape_cover: 0..1, with an anti-aliased edge).  *pairs
 *  receives how many silhouette ends were paired (for the log); `walls`, when not NULL, receives 1 on the curves
 *  that close the outline (where the shape's edge is not a guess). */
SZ_INTERNAL sz_status sz_shape_complete(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, uint8_t *shape,
                                        int *pairs, uint8_t *walls);

/** sz_shape_complete() over a part that may be loaded again, wider: a
 *  document's layer is worked on near its pixels, and where its shape
 *  runs into a side of that rectangle inside the canvas the part is
 *  loaded with that side further out (sz_part_widen) until it does not,
 *  so that it completes as a layer as large as the canvas would.  *shape
 *  and *walls (when `walls` is not NULL) are allocated over the part's
 *  final work rectangle; on failure nothing is left to free and the part
 *  may have been freed. */
SZ_INTERNAL sz_status sz_part_shape(sz_ctx *ctx, sz_part *p, const sz_fill_params *fp, uint8_t **shape, int *pairs,
                                    uint8_t **walls);

/* The learned model's seam (shape_model.c).  The model sees the work
 * rectangle as a grid of square cells, `cell` px wide, that make the
 * visible part span the model's number of cells; it runs on a window of
 * that grid. */
typedef struct sz_grid_window {
    int cell;   /* px */
    int x0, y0; /* the window's first cell */
    int w, h;   /* cells */
} sz_grid_window;
/** The cell size that makes the visible part span the model's cells. */
SZ_INTERNAL int sz_shape_model_cell(const struct sz_nn *nn, const sz_part *p);
/** The window the model runs on: the visible part's cells and the
 *  model's number of cells more (about a visible part's length) on every
 *  side, within the work rectangle.  Beyond it the model is silent: a tiny
 *  visible part on a large canvas would otherwise be seen through a grid
 *  as large as the canvas in px (a 60 px part on a 2048x2048 canvas made
 *  the model 1024x1024 cells, four times as long as the rest of
 *  `complete`), and the grids of the parts it was taught on seldom reach
 *  farther from what shows (3 in 100, by a few cells). */
SZ_INTERNAL sz_grid_window sz_shape_model_window(const struct sz_nn *nn, const sz_part *p);
/** The model's input planes over window `win` (each `win->w` x `win->h`):
 *  visible part, hidden region, and `inside`, the geometric shape (1 where
 *  the part is or continues). */
SZ_INTERNAL void sz_shape_model_inputs(sz_ctx *ctx, const sz_part *p, const uint8_t *inside, const sz_grid_window *win,
                                       float *in);
/** The model's answer: the probability that the part is there, on the
 *  cells of its window.  With `asked` (work size, nonzero at the pixels
 *  sz_shape_prob_at() will be asked about; NULL: any) the network runs
 *  only where those answers depend on: they come out the same to the
 *  bit, and a cell none of them reads says 0. */
typedef struct sz_shape_prob {
    float *grid;
    sz_grid_window win;
} sz_shape_prob;
SZ_INTERNAL sz_status sz_shape_model_prob(sz_ctx *ctx, const struct sz_nn *nn, const sz_part *p,
                                          const uint8_t *inside, const uint8_t *asked, sz_shape_prob *out);
/** The probability at work pixel (x, y), bilinear from the grid (only the
 *  pixels in question are asked: no plane of them is made); 0 outside
 *  the window's cells. */
SZ_INTERNAL float sz_shape_prob_at(const sz_shape_prob *g, int x, int y);
/** Whether some pixel of work row y may be given a probability above
 *  `bar`: false when none of the grid values it is interpolated from is
 *  (a bilinear value lies within its corners, give or take a rounding). */
SZ_INTERNAL bool sz_shape_prob_row_may_exceed(const sz_shape_prob *g, int y, float bar);
SZ_INTERNAL void sz_shape_prob_free(sz_shape_prob *g);

/** Fills one prepared part with its completed `shape` (sz_part_shape;
 *  `pairs`, the curves that closed its outline, is for the log): onto a
 *  new layer under it, or into it with `merge`.  *changed receives the
 *  pixels painted. */
SZ_INTERNAL sz_status sz_fill_part(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_fill_params *fp, bool merge,
                                   const uint8_t *shape, int pairs, sz_overlay *debug, long *changed);

/** Dark ink narrower than 2 * SZ_STROKE_OPEN + 1 px is a stroke, not a
 *  dark area: the half-width of the opening by which the fill's colour
 *  sources leave strokes out, and extend-lines' solid blacks keep only
 *  what is broader. */
#define SZ_STROKE_OPEN 2

/* Whether two 8-bit colours differ: by more than 16 a channel (as a sum
 * of squares), which a gradient's steps do not.  The one rule for borders
 * of colour regions, for a broad source worth taking, and for which
 * pixels the fill's colour is averaged over. */
static inline bool sz_rgb8_differ(int r0, int g0, int b0, int r1, int g1, int b1)
{
    int dr = r0 - r1, dg = g0 - g1, db = b0 - b1;
    return dr * dr + dg * dg + db * db > 3 * 16 * 16;
}

/** Whether the colour source at (x, y) (src: w*h, nonzero at the fill's
 *  colour sources) has a 4-neighbour source of another colour
 *  (sz_rgb8_differ): a border of its colour region (fill_sources.c). */
SZ_INTERNAL bool sz_fill_colour_border(const sz_part *p, const uint8_t *src, int x, int y);

/** Where the colour of every filled pixel comes from (fill_sources.c):
 *  the nearest solid visible pixel that is not line art (flat colours
 *  stay exact, outlines do not smear into the fill) but for a stroke's
 *  first px under the occluder, with fp->slant_borders where the line
 *  along the borders of colour regions there comes out of the cover, and
 *  with fp->narrow_near, not that of a narrow region far from it.
 *  *near_out (the caller frees it) holds that pixel's index, or -1;
 *  *translucent tells whether the part's colour sources are mostly less
 *  than opaque; with fp->narrow_near, *regions
 *  (freed by the caller with sz_runs_free) are the sources' colour
 *  regions, from row *regions_top (none when it stays zeroed). */
SZ_INTERNAL sz_status sz_fill_sources(sz_ctx *ctx, const sz_part *p, const uint8_t *shape,
                                      const sz_fill_params *fp, int32_t **near_out, bool *translucent,
                                      sz_runs *regions, int *regions_top);

/** Where the borders of colour regions around a filled pixel's source
 *  run one way, the source becomes where the line that way through the
 *  pixel (bending as they curve) comes out of the cover (fill_borders.c):
 *  rewrites `near` (of sz_fill_sources) on the rows where want[y] is
 *  nonzero. */
SZ_INTERNAL sz_status sz_fill_follow_borders(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src,
                                             const uint8_t *want, int32_t *near);

/** Paints the fill of `shape` with the colours continued from the part:
 *  into the part's own image under its pixels with `merge`, else into
 *  `layer` (the part's size, transparent).  *changed receives the pixels
 *  painted. */
SZ_INTERNAL sz_status sz_fill_paint(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, const uint8_t *shape,
                                    bool merge, sz_image *layer, long *changed);

/** extend-lines' solid blacks (ink_solids.c): of the fill of `shape`, the
 *  broad ink (darker than the ink level of `ln`, wider than a stroke) is
 *  copied into `dst` (the part's image, or a new layer's), and its pixels
 *  marked with their shape code in `mark` when not NULL.  *changed
 *  receives the pixels painted.  A layer of line art gets none. */
SZ_INTERNAL sz_status sz_lines_continue_solids(sz_ctx *ctx, const sz_part *p, const sz_lines *ln,
                                               const sz_fill_params *fp, const uint8_t *shape, sz_image *dst,
                                               uint8_t *mark, long *changed);

#endif
