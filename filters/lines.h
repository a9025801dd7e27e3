/*
 * lines.h — the line-art engine behind extend-lines (and complete): find
 * the ink, the ends of its strokes, decide which ends belong together and
 * where the others go, and draw the new strokes.
 *
 * The decisions (which ends pair, how far an unpaired stroke runs) are
 * made in one place, sz_lines_decide(), from geometry; `ink_prob` is the
 * seam for a learned map of where ink runs, which the shipped model does
 * not give yet.
 */
#ifndef SOZAI_LINES_H
#define SOZAI_LINES_H

#include "geom.h"
#include "ink_canvas.h"
#include "part.h"

typedef enum sz_ink_mode { SZ_INK_AUTO = 0, SZ_INK_ALPHA, SZ_INK_DARK } sz_ink_mode;

/* Where gaps in the visible ink are repaired (bridged, joined to a stroke,
 * small holes and bites closed).  A layer that others cover is a part cut
 * out of a finished picture: its visible drawing is the artist's as it
 * shows, and only what the cover hid is sozai's to draw.  A layer nothing
 * covers is line art being cleaned up, where a gap is a flaw. */
typedef enum sz_gap_mode { SZ_GAPS_AUTO = 0, SZ_GAPS_ALWAYS, SZ_GAPS_NEVER } sz_gap_mode;

typedef struct sz_line_params {
    sz_ink_mode ink;
    float ink_threshold;   /* dark ink: luma below this share of the part's median */
    float max_gap;         /* px: ends this close (tip to tip) may be bridged */
    float max_extension;   /* px: the longest stroke drawn under an occluder */
    float max_width;       /* px: ink wider than this is a region, not a stroke */
    float max_width_in_paint; /* the same in a painted part whose hidden part the fill paints (complete) */
    float tolerance;       /* degrees: how far an end may point away from its partner */
    float smoothness;      /* 0..1: weight of bending in the pairing cost */
    bool fill_holes;       /* close small holes inside filled ink */
    sz_gap_mode repair_gaps; /* where gaps, holes and bites in the visible ink are repaired */
    float strip_width;     /* px: ink seen on both sides of a hidden strip this narrow runs across it */
    const float *ink_prob; /* learned map of where ink runs (work grid), or NULL */
    const uint8_t *inside; /* the completed shape (work grid, codes, != 0 inside): new ink under the occluder
                            * stays within a pixel of it; NULL: anywhere */
    const uint8_t *outline_shape; /* a completed shape (as `inside`) whose edge the part's outline follows
                                 * under the occluder, or NULL */
    const uint8_t *outline_walls; /* where outline_shape's edge closes the outline for sure (curves
                                   * joining its silhouette), or NULL: only there is it followed */
    bool outline_as_drawn; /* a painted part's outline is not continued under the occluder: its ends stay
                            * as drawn, and no outline is drawn along the completed edge (--no-outline) */
    bool shape_guide;      /* without either, complete a painted part's shape to guide its outline */
    bool solids;           /* with that shape, continue the part's solid blacks over it too */
    bool slant_solids;     /* their borders go on at the slant at which they meet the cut, as the fill's do
                            * (fill_borders.c) */
    const struct sz_nn *shape_model; /* the learned model that shape consults, or NULL */
    bool mirror;           /* without outline_shape, a part drawn symmetric takes the hidden half of its strokes
                            * from its visible half (mirror.h) */
    double mirror_axis;    /* the canvas axis the artist gave (--mirror-axis), or -1: search for one */
} sz_line_params;

typedef enum sz_end_fate {
    SZ_END_NONE = 0,   /* left as it is (a natural end) */
    SZ_END_BRIDGED,    /* joined to another end across a gap */
    SZ_END_JOINED,     /* joined to the side of another stroke */
    SZ_END_PAIRED,     /* joined to another end under an occluder */
    SZ_END_EXTENDED,   /* continued under an occluder on its own */
    SZ_END_KEPT        /* an end of the part's outline, left as drawn (--no-outline) */
} sz_end_fate;

typedef struct sz_line_end {
    vec2 p;            /* skeleton end (work coordinates, pixel centres) */
    vec2 dir;          /* unit, pointing out of the stroke */
    vec2 axis;         /* unit, the stroke's heading farther back (a chord over twice its width) */
    float width;       /* stroke width near the end */
    float curvature;   /* signed, 1/px, positive turning left toward the end */
    float taper;       /* width at the tip / width further back (1: cut, < 1: tapered) */
    float rgb[3];      /* linear light */
    float alpha;
    bool at_hidden;    /* the stroke runs into the hidden region here */
    bool slant;        /* the cover cut it slantwise and bent its tip: `mid` is the end along its middle */
    struct {
        vec2 p, dir;
        float curvature;
    } mid;
    bool speck;        /* on a small piece of ink (texture, dots): never joined */
    int comp;          /* its piece of ink */
    int partner;       /* other end (paired/bridged), -1 */
    vec2 target;       /* where a join or extension ends */
    sz_end_fate fate;
} sz_line_end;

typedef struct sz_lines {
    int w, h;
    const sz_part *part; /* whose ink this is: read again where needed (sz_lines_ink()), so its
                          * pixels must not change until sz_lines_apply() */
    float dark;        /* painted part: luma around which paint turns to ink */
    uint8_t *solid;    /* ink coverage >= 0.3 */
    sz_runs comp;      /* connected pieces of solid ink, as runs (sz_lines_piece() finds a pixel's) */
    int32_t *comp_size;/* pixels per piece */
    uint8_t *slit;     /* per piece: 1 where all of it shows only through a slit in the cover (lines.c) */
    sz_line_end *ends;
    int nends;
    ink_canvas drawn;  /* the new strokes */
    const uint8_t *inside; /* lp->inside, for drawing */
    bool line_art;     /* the layer is all ink (no paint to complete) */
    bool alpha_ink;    /* --ink alpha: ink is the alpha alone, whatever the colour (coloured lines) */
    int bridges, joins, pairs, extensions, holes;
    long strip_px;     /* drawn across narrow strips of the hidden region */
} sz_lines;

/** The piece of solid ink at work pixel (x, y) (0: none). */
static inline int32_t sz_lines_piece(const sz_lines *ln, int x, int y)
{
    return sz_runs_label_at(&ln->comp, x, y);
}

/** Whether the solid ink at work pixel (x, y) shows only through a slit in the
 *  cover: it says nothing of where its stroke runs, and new strokes cross
 *  it as they cross the cover. */
static inline bool sz_lines_in_slit(const sz_lines *ln, int x, int y)
{
    return ln->slit && ln->slit[sz_lines_piece(ln, x, y)] != 0;
}

/** The ink coverage (0..1) of work pixel (x, y). */
SZ_INTERNAL float sz_lines_ink(const sz_lines *ln, int x, int y);
/** The ink coverage of a pixel of colour px, hidden or not. */
SZ_INTERNAL float sz_lines_ink_of(const sz_lines *ln, const uint16_t px[4], bool hidden);
/** Finds ink and stroke ends of a part. */
SZ_INTERNAL sz_status sz_lines_analyse(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *out);
/** Carries ink seen on both sides of a narrow strip of the hidden region
 *  (narrower than lp->strip_width) straight across it (ink_strips.c). */
SZ_INTERNAL sz_status sz_lines_cross_strips(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln);
/** Decides every end's fate and draws the strokes into out->drawn. */
SZ_INTERNAL sz_status sz_lines_decide(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *out);
/** Two ends may be joined at a cost up to this. */
#define SZ_PAIR_COST_MAX 2.5f
/** The cost of joining two ends (lower is better; up to SZ_PAIR_COST_MAX
 *  they may be joined: a cost above it is only known to be above), or < 0
 *  with the reason in *why (may be NULL) when they cannot. */
SZ_INTERNAL float sz_lines_pair_cost(const sz_part *p, const sz_lines *ln, const sz_line_params *lp,
                                     const sz_line_end *a, const sz_line_end *b, bool hidden_pair, const char **why);
/** Composites the drawn strokes into `img` (work grid) where the part may
 *  take new content and has no ink; returns the pixels changed. */
SZ_INTERNAL long sz_lines_apply(sz_ctx *ctx, const sz_part *p, const sz_lines *ln, sz_image *img);
SZ_INTERNAL void sz_lines_free(sz_lines *ln);

/* ink_close.c: gaps that are not between stroke ends */

/** Small holes inside filled ink (at most a max-gap disc, ringed by ink)
 *  take the colour of the ink around them, in out->drawn. */
SZ_INTERNAL sz_status sz_lines_close_holes(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln);
/** Notches in thick ink, narrower and shorter than the gap distance, are
 *  closed with the colour of the nearest ink, in out->drawn. */
SZ_INTERNAL sz_status sz_lines_close_bites(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln);

/* outline.c: strokes along the completed silhouette */

/** The distance (px) from each pixel to the outside of the part completed
 *  by `inside` (its visible pixels and inside >= 0.5), exact as deep as
 *  outlines of strokes up to max_width px are followed and drawn; deeper,
 *  `cap`.  Kept squared, in 16 bits: the root is taken where it is read. */
typedef struct sz_outline_dist {
    uint16_t *d2;
    float cap;
} sz_outline_dist;

static inline float sz_outline_dist_of(const sz_outline_dist *od, unsigned d2)
{
    return SZ_MIN(sqrtf((float)d2), od->cap);
}

static inline float sz_outline_dist_at(const sz_outline_dist *od, size_t i)
{
    return sz_outline_dist_of(od, od->d2[i]);
}

/** The least squared distance whose distance is at least t (65536 when
 *  none is): a pass over the plane asks `d2 < sz_outline_d2_below(t)`
 *  where it would ask `distance < t`, the same answer without a root per
 *  pixel (the distance grows with d2). */
static inline unsigned sz_outline_d2_below(const sz_outline_dist *od, float t)
{
    unsigned d2 = 0;
    while (d2 <= 65535 && sz_outline_dist_of(od, d2) < t) d2++;
    return d2;
}

SZ_INTERNAL sz_status sz_outline_distance(sz_ctx *ctx, const sz_part *p, const uint8_t *inside, float max_width,
                                          sz_outline_dist *out);
/** Whether end e is of an outline: a stroke running along the part's
 *  edge, its paint on the inner side and nothing on the outer. */
SZ_INTERNAL bool sz_outline_end(const sz_part *p, const sz_lines *ln, const sz_outline_dist *dist,
                                const sz_line_end *e);
/** Walks from e along the completed edge (the stroke's outer edge on it), at most
 *  max_len px, into pts; *came_out tells whether it left the hidden
 *  region (the last point is the first one outside). */
/** Measures the outline along the part's visible edge (how much of the
 *  edge carries ink, how wide, what colour) and, when the part has one,
 *  draws the same band along the completed shape's edge under the
 *  occluder into ln->drawn, where the nearest visible edge has it. */
SZ_INTERNAL sz_status sz_outline_stroke_edge(sz_ctx *ctx, const sz_part *p, sz_lines *ln, const uint8_t *shape,
                                             const sz_outline_dist *dist);
SZ_INTERNAL int sz_outline_follow(const sz_part *p, const sz_outline_dist *dist, const sz_line_end *e, float max_len,
                                  vec2 *pts, int cap, bool *came_out);

#endif
