/*
 * part.h — one layer prepared for completion: its pixels over a work
 * rectangle, the region other parts hide, and the rules for writing new
 * pixels back without touching a visible one.
 */
#ifndef SOZAI_PART_H
#define SOZAI_PART_H

#include "op.h"
#include "bits.h"

typedef struct sz_hidden_source sz_hidden_source;

/** What a part worked on beside others (layer_jobs.c) writes into the
 *  document, held until its turn: its own new pixels, and the new layers
 *  made for it, in the order they were made. */
typedef struct sz_part_stage {
    sz_image *image; /* the layer's new pixels (sz_part_store), or NULL */
    int x, y;
    struct {
        sz_image *image;
        int x, y;
        char suffix[16];
        bool above;
    } added[2]; /* (sz_part_new_layer: a fill, lines) */
    int nadded;
} sz_part_stage;

typedef struct sz_part {
    sz_layer *layer;
    sz_doc *doc;                   /* where the layer lives, and */
    sz_part_stage *stage;          /* where what is written back waits (never in place), or NULL: into doc */
    const sz_hidden_source *src;   /* where its hidden region came from: to load it again, wider */
    int margin;        /* how far the neighbourhood reaches beyond the part's pixels */
    int grow[4];       /* how much further the work rectangle reaches on its left, right, top and
                          bottom (sz_part_widen), px */
    int widened;       /* how many times the part was loaded again, wider */
    int x0, y0, w, h;  /* work rectangle, canvas coordinates */
    sz_image *img;     /* the layer's pixels over the work rectangle: a copy, or the layer's own
                          image when the two rectangles are one (`borrowed`: changes go straight
                          into the layer) */
    bool borrowed;
    uint8_t *hidden;   /* w*h: 1 where another part covers this one */
    uint8_t *touched;  /* w*h: nonzero where another part covers this one at all, if only by
                          its anti-aliased edge (the part is cut there: a fill goes under it);
                          how much, in 255ths (at least 1) */
    sz_word *faint;    /* packed bits (bits.h: rows of sz_row_words(w) words): the layer's own
                          pixel shows there, partly, under another part's cover (hidden or
                          touched, alpha > 0).  Its colour is what the artist drew: a fill
                          under it takes that colour, so the pixel looks as drawn and no seam
                          shows when the cover moves.  Cleared where new strokes go over it. */
    sz_word *faint_colour; /* the same, where the colour is to trust (part.c, TRUSTED): a very
                              faint pixel's colour may be only what premultiplied resampling left
                              of it; such a pixel still says the part is there.  Shares faint's
                              block. */
    int nhidden;
    long nvisible;          /* pixels of the layer that show (alpha > 0, not hidden), as loaded */
    long painted_past;      /* pixels under the cover past the edge of a layer painted whole there, left
                               as background (part_painted_under.c; --painted-under) */
    int vx0, vy0, vx1, vy1; /* bounds of the visible pixels, work coordinates */
    int nx0, ny0, nx1, ny1; /* the part's neighbourhood: its pixels' bounds grown by the work margin, clipped to
                               the canvas, work coordinates (the work rectangle may be larger: the layer's own) */
    unsigned canvas_sides;  /* sides of the work rectangle on the canvas's edge and the neighbourhood's: 1 left,
                               2 right, 4 top, 8 bottom */
    uint16_t solid;    /* alpha from which a pixel is the part's body rather than its soft rim:
                          32768 for paint, less for a faint part (a blush) */
} sz_part;

/** Row y of p->faint, or NULL when the part has none. */
static inline sz_word *sz_part_faint_row(const sz_part *p, int y)
{
    return p->faint ? p->faint + (size_t)y * sz_row_words(p->w) : NULL;
}

/** Row y of p->faint_colour, or NULL when the part has none. */
static inline sz_word *sz_part_faint_colour_row(const sz_part *p, int y)
{
    return p->faint_colour ? p->faint_colour + (size_t)y * sz_row_words(p->w) : NULL;
}

/** Whether the part's own pixel (x, y) shows through the cover (p->faint). */
static inline bool sz_part_seen(const sz_part *p, int x, int y)
{
    const sz_word *row = sz_part_faint_row(p, y);
    return row && sz_bit(row, x);
}

/** Whether it shows there in a colour to trust (p->faint_colour). */
static inline bool sz_part_seen_colour(const sz_part *p, int x, int y)
{
    const sz_word *row = sz_part_faint_colour_row(p, y);
    return row && sz_bit(row, x);
}

/** Where the hidden region comes from. */
struct sz_hidden_source {
    const sz_image *mask;     /* explicit mask over the canvas, or NULL */
    const char *occluders;    /* layer selection narrowing the occluders, or NULL */
    int margin;               /* grow the hidden region by this many px */
    int reach;                /* how far beyond its visible pixels the part may grow; 0 = automatic */
    int painted_under;        /* a layer whose drawing goes this many px or more under its cover was
                                 painted whole there: past its drawn edge is background (so are some
                                 shallower edges: part_painted_under.c); 0: every empty pixel under a
                                 cover is hidden */
};

/* --painted-under, as an entry of an operation's sz_param table. */
#define SZ_PAINTED_UNDER_PARAM                                                                                      \
    {"painted-under", SZ_PARAM_INT, "A layer whose drawing goes this many px or more under its cover was painted " \
                                    "whole there: nothing is added past the edge it is drawn to (0: every empty " \
                                    "pixel under a cover is hidden; --mask: always)", "16", 0, SZ_EDT_BOUND_MAX,  \
     NULL}

/** Loads the mask image named by an operation's --mask argument (NULL when
 *  unset); the caller frees it. */
SZ_INTERNAL sz_status sz_load_mask(sz_ctx *ctx, const sz_doc *doc, const char *path, sz_image **out);

/** Prepares `layer` of `doc` (`src` must outlive the part).  An empty
 *  layer gives a part with no pixels (img NULL), which callers skip. */
SZ_INTERNAL sz_status sz_part_load(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, const sz_hidden_source *src,
                                   sz_part *out);
/** The same, for a part worked on while other parts are (layer_jobs.c):
 *  the layer's pixels are always copied, since other parts may read them
 *  meanwhile, and what sz_part_store() and sz_part_new_layer() write
 *  waits in `stage` for sz_part_stage_commit(). */
SZ_INTERNAL sz_status sz_part_load_staged(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, const sz_hidden_source *src,
                                          sz_part_stage *stage, sz_part *out);
/** Writes what waits in `stage` into `layer` of `doc` and beside it, as
 *  sz_part_store() and sz_part_new_layer() would have, and empties it. */
SZ_INTERNAL sz_status sz_part_stage_commit(sz_ctx *ctx, sz_layer *layer, sz_part_stage *stage);
SZ_INTERNAL void sz_part_stage_free(sz_part_stage *stage);
/** The work rectangle sz_part_load() would give `layer` (canvas
 *  coordinates: x0, y0, x1, y1); false for an empty layer. */
SZ_INTERNAL bool sz_part_work_rect(const sz_doc *doc, const sz_layer *layer, const sz_hidden_source *src, int rect[4]);
SZ_INTERNAL void sz_part_free(sz_part *p);

/** The sides (1 left, 2 right, 4 top, 8 bottom) of the work rectangle
 *  that lie inside the canvas and that `shape` (w*h, nonzero where the
 *  part continues) runs into: there the rectangle cut the shape short. */
SZ_INTERNAL unsigned sz_part_cut_sides(const sz_part *p, const uint8_t *shape);

/** Loads the part again (nothing written to it is kept) with the work
 *  rectangle further out on `sides`: by a quarter of the neighbourhood's
 *  margin (at least 32 px) the first time, twice as far as before after
 *  that, so that a shape just past the side costs little and one running
 *  far is reached in a few loads.  On failure the part is freed. */
SZ_INTERNAL sz_status sz_part_widen(sz_ctx *ctx, sz_part *p, unsigned sides);

/** An operation's work on each of its layers (sz_run_layers). */
typedef struct sz_layer_work {
    /* Works on `layer`, the i-th of those given; loads it with
     * sz_part_load_staged(..., stage, ...) (stage NULL: as sz_part_load). */
    sz_status (*run)(sz_ctx *ctx, sz_doc *doc, sz_layer *layer, int i, sz_part_stage *stage, void *user);
    void *user;
    const sz_hidden_source *src; /* where the layers' hidden regions come from */
    const char *name;            /* the operation, for progress */
    bool side_by_side;           /* false: one after another whatever their size */
} sz_layer_work;

/** Runs `work` on layers[0..n) (bottom to top), and the document comes
 *  out as if each had run in turn: a layer's work reads only the layer
 *  and those above it, which the layers before it leave as they were.
 *  So runs of small layers (under SZ_ONE_THREAD_PIXELS of work), with
 *  middling ones none of which outweighs the rest of its run, go side by
 *  side, each on one thread, what they write held until its turn and
 *  their messages given in turn; the others run one after another on
 *  every thread (layer_jobs.c).  Errors are prefixed with the layer's
 *  name; progress is reported after each layer. */
SZ_INTERNAL sz_status sz_run_layers(sz_ctx *ctx, sz_doc *doc, sz_layer **layers, int n, const sz_layer_work *work);

/** The opacity (0..1) the part's pixel i of alpha `alpha16` had before the
 *  cut: where another part covers it by c (p->touched), cutting the part
 *  out left alpha16 * (1 - c).  (A layer the artist painted whole, never
 *  cut, reads more opaque than it is there; it is still the part.) */
static inline float sz_part_opacity_as_drawn(const sz_part *p, size_t i, unsigned alpha16)
{
    float a = alpha16 / 65535.0f, cover = p->touched[i] / 255.0f;
    return cover > 0 && cover < 1 ? SZ_MIN(1.0f, a / (1 - cover)) : a;
}

/** Whether work pixel i may receive new content: fully transparent, or
 *  hidden (covered by another part, so not visible in the picture). */
static inline bool sz_part_writable(const sz_part *p, size_t i, unsigned alpha16)
{
    return alpha16 == 0 || p->hidden[i];
}

/** Whether a layer under the part may receive new content at work pixel i:
 *  where it may be written, and also under the soft edge the occluder cut,
 *  so no seam shows there when the rig moves the occluder. */
static inline bool sz_part_fillable_under(const sz_part *p, size_t i, unsigned alpha16)
{
    return sz_part_writable(p, i, alpha16) || p->touched[i];
}

/** Puts the part's (changed) pixels back as the layer's image, cropped to
 *  what holds content. */
SZ_INTERNAL sz_status sz_part_store(sz_ctx *ctx, sz_part *p);

/** A new layer holding `img` (work rectangle of `p`, cropped to its
 *  content), named "<part> <suffix>", directly above or below the part. */
SZ_INTERNAL sz_status sz_part_new_layer(sz_ctx *ctx, sz_doc *doc, const sz_part *p, sz_image *img,
                                        const char *suffix, bool above);

/** Whether `l` was made by sozai (named "<part> (fill)" or "(lines)"). */
SZ_INTERNAL bool sz_layer_is_generated(const sz_layer *l);

/** Whether `l`'s pixels are drawn by the paint program from a description
 *  (a type layer, a smart object, a fill or shape layer): what sozai would
 *  paint into them is lost, or clashes, when the program draws them again,
 *  so they are no parts (they still hide what lies below).  Says so, as
 *  operation `op`, when they are. */
SZ_INTERNAL bool sz_part_is_live(sz_ctx *ctx, const char *op, const sz_layer *l);

/** Whether the artist locked `l`'s pixels or transparency (PSD 'lspf'):
 *  nothing is painted into it then; its strokes go on a layer of their
 *  own, and its fill too with --merge. */
SZ_INTERNAL bool sz_layer_pixels_locked(const sz_layer *l);

/** Whether every pixel the part had when loaded is hidden (nothing to
 *  continue from). */
SZ_INTERNAL bool sz_part_fully_hidden(const sz_part *p);
/** -v: that the part was found painted whole under its cover somewhere,
 *  and how many pixels past its drawn edge there are left empty. */
SZ_INTERNAL void sz_part_report_painted_under(sz_ctx *ctx, const char *op, const sz_part *p);

/** What the layer has drawn under its cover is no hole: those pixels of
 *  `p` are neither hidden nor touched.  And where such drawing ends at
 *  the layer's own drawn edge, the hidden region past it is background
 *  the artist left empty, and is taken out of the hidden region too
 *  (p->painted_past counts it), unless `deep_px` (--painted-under) is 0
 *  or less (part_painted_under.c). */
SZ_INTERNAL sz_status sz_part_judge_painted_under(sz_ctx *ctx, sz_part *p, int deep_px);

/** The median Rec. 601 luma (0..1) of the part's visible pixels at least
 *  `least` opaque (of 65535). */
SZ_INTERNAL float sz_part_median_luma(sz_ctx *ctx, const sz_part *p, unsigned least);

/** Luma or value (0..1) below which the median of a part's pixels is dark. */
#define SZ_LINE_ART_DARK 0.3f
/** Whether the part is line art: most of what it shows is strokes (a line
 *  layer over a colour layer, an ink drawing), and dark (by luma: black,
 *  grey-black or blue lines; a thin strand of light hair is paint).  There
 *  is nothing to fill behind it; its strokes are what continues. */
SZ_INTERNAL sz_status sz_part_is_line_art(sz_ctx *ctx, const sz_part *p, bool *line_art);

/** Whether an earlier run made the layer "<part> <suffix>" ("(fill)",
 *  "(lines)") beside `part`, in its group; if so, a warning from `op`
 *  says so, ending with `then` (what is left as it is). */
SZ_INTERNAL bool sz_part_made_before(sz_ctx *ctx, const char *op, const sz_layer *part, const char *suffix,
                                     const char *then);

/* A completed shape (sz_shape_complete): per work pixel, 0 where the
 * part does not continue, else a code of its coverage, so that the plane
 * takes a byte a pixel rather than a float.  The coverage of a pixel on
 * the shape is 1/2 plus half the share of its 3x3 neighbourhood inside;
 * the code keeps that share, `in` of `all`, as all * 16 + in. */
static inline uint8_t sz_shape_code(int in, int all)
{
    return (uint8_t)(all * 16 + in);
}

/** The coverage, 0..1, of a shape code. */
static inline float sz_shape_cover(uint8_t code)
{
    return code ? 0.5f + 0.5f * (float)(code & 15) / (code >> 4) : 0.0f;
}

#endif
