/*
 * extend-lines — continues broken strokes under occluders and bridges small
 * gaps in line art (the engine is lines.c; this file is the operation).
 */
#include "debug_overlay.h"
#include "extend_lines.h"
#include "fill.h"
#include "mirror.h"
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>

/* The widest ink (px) that is a stroke, unless --max-width says
 * otherwise.  In a painted part that complete fills behind, dark paint
 * wider than STROKE_IN_PAINT is a region of colour the fill carries on
 * (a lock of dark hair, a black sleeve, a shadow), not a stroke to run
 * on and pair: as strokes they were drawn as dark bands across the fill
 * (DESIGN.md, "How wide a stroke is in paint").  In line art, all of it
 * ink, and where nothing is filled (extend-lines), wider strokes are
 * still strokes. */
enum { STROKE_MAX = 14, STROKE_IN_PAINT = 8 };

const char *const sz_ink_modes[] = {"auto", "alpha", "dark", NULL};
const char *const sz_gap_modes[] = {"auto", "always", "never", NULL};
const char *const sz_line_targets[] = {"same", "new", NULL};

void sz_line_params_from_args(const sz_args *args, sz_line_params *lp)
{
    const char *ink = sz_arg_str(args, "ink");
    lp->ink = !strcmp(ink, "alpha") ? SZ_INK_ALPHA : !strcmp(ink, "dark") ? SZ_INK_DARK : SZ_INK_AUTO;
    lp->ink_threshold = (float)sz_arg_float(args, "ink-threshold");
    lp->max_gap = (float)sz_arg_float(args, "max-gap");
    lp->max_extension = (float)sz_arg_float(args, "max-extension");
    float max_width = (float)sz_arg_float(args, "max-width");
    lp->max_width = max_width > 0 ? max_width : STROKE_MAX;
    lp->max_width_in_paint = max_width > 0 ? max_width : STROKE_IN_PAINT;
    lp->tolerance = (float)sz_arg_float(args, "tolerance");
    lp->smoothness = (float)sz_arg_float(args, "smoothness");
    lp->fill_holes = !sz_arg_bool(args, "keep-holes");
    const char *gaps = sz_arg_str(args, "repair-gaps");
    lp->repair_gaps = !strcmp(gaps, "always") ? SZ_GAPS_ALWAYS : !strcmp(gaps, "never") ? SZ_GAPS_NEVER : SZ_GAPS_AUTO;
    lp->strip_width = (float)sz_arg_float(args, "strip-width");
    lp->outline_as_drawn = sz_arg_bool(args, "no-outline");
    lp->ink_prob = NULL;
    lp->inside = lp->outline_shape = NULL;
    lp->outline_walls = NULL;
    lp->shape_guide = lp->solids = lp->slant_solids = false;
    lp->shape_model = NULL;
    lp->mirror = false;
    lp->mirror_axis = -1;
}

bool sz_lines_to_new_layer(const sz_args *args)
{
    return !strcmp(sz_arg_str(args, "to-layer"), "new");
}

sz_status sz_extend_part_lines(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_line_params *lp, bool new_layer,
                               sz_overlay *debug, long *changed)
{
    sz_lines ln;
    sz_status st = sz_lines_analyse(ctx, p, lp, &ln);
    /* A painted part's outline follows the edge its shape would take
     * under the occluder (the shape fill-behind would paint), and new
     * strokes stay within that shape, as they do in `complete`: ink
     * beyond the part's own silhouette is ink on the background. */
    uint8_t *shape = NULL, *walls = NULL, *solids = NULL;
    sz_line_params guided = *lp;
    sz_fill_params fp = {.smoothness = 1, .model = lp->shape_model, .slant_borders = lp->slant_solids};
    if (!st && !lp->outline_shape && lp->shape_guide && p->nhidden && !ln.line_art) {
        int pairs;
        int widened = p->widened;
        st = sz_part_shape(ctx, p, &fp, &shape, &pairs, &walls);
        guided.inside = guided.outline_shape = shape;
        guided.outline_walls = walls;
        /* a part loaded wider is analysed again, over its new rectangle */
        if (!st && p->widened != widened) sz_lines_free(&ln), st = sz_lines_analyse(ctx, p, lp, &ln);
    }
    /* A part drawn symmetric shows the hidden half of its strokes in its
     * visible half: that ink counts as seen, and the rest continues from
     * it (in `complete`, which passes its shape, the fill's mirror did
     * this already) */
    sz_mirror symmetry = {0};
    if (!st && lp->mirror && !lp->outline_shape && p->nhidden) {
        st = sz_mirror_find(ctx, p, lp->mirror_axis, &symmetry);
        if (!st && symmetry.found) st = sz_mirror_reveal_ink(ctx, p, &symmetry, &ln);
        if (!st && symmetry.nrevealed) {
            sz_log(ctx, SZ_LOG_INFO, "extend-lines: \"%s\" is drawn symmetric about x = %.1f: %ld hidden px of ink "
                   "taken from its mirror image", p->layer->name, p->x0 + symmetry.axis2 / 2.0, symmetry.nrevealed);
            sz_lines_free(&ln);
            st = sz_lines_analyse(ctx, p, lp, &ln);
        }
    }
    if (!st) st = sz_lines_decide(ctx, p, &guided, &ln);
    /* With the shape it completed itself, the solid blacks continue too
     * (in `complete` the fill paints them with the rest) */
    long solid_px = 0;
    sz_image *img = NULL;
    *changed = 0;
    if (!st) {
        img = new_layer ? sz_image_new(ctx, p->w, p->h, p->img->depth) : p->img;
        if (!img) st = ctx->status;
    }
    if (!st && shape && lp->solids && debug && debug->img) {
        solids = sz_calloc(ctx, (size_t)p->w * p->h, 1);
        if (!solids) st = SZ_ERR_NOMEM;
    }
    if (!st && shape && lp->solids) st = sz_lines_continue_solids(ctx, p, &ln, &fp, shape, img, solids, &solid_px);
    if (!st) *changed = solid_px + sz_lines_apply(ctx, p, &ln, img);
    /* the mirrored ink goes where the new strokes go; the part gets its
     * own pixels back when that is a layer of their own, or on failure */
    if (!st) *changed += sz_mirror_lay_over(p, &symmetry, new_layer ? img : NULL);
    if (!st && debug && debug->img) {
        static const uint8_t cyan[3] = {0, 170, 220};
        sz_overlay_mirror(debug, p, &symmetry, cyan);
    }
    if (symmetry.nrevealed) {
        sz_mirror_hide_again(p, &symmetry);
        if (new_layer || st) sz_mirror_give_back(p, &symmetry);
    }
    sz_mirror_free(&symmetry);
    if (!st && new_layer) st = sz_part_new_layer(ctx, doc, p, img, "(lines)", true);
    else if (!st && *changed) st = sz_part_store(ctx, p);
    if (new_layer) sz_image_free(img);
    if (!st)
        sz_log(ctx, SZ_LOG_INFO,
               "extend-lines: \"%s\": %d ends: %d bridged, %d joined, %d paired, %d extended; %d holes closed; "
               "%ld px across narrow strips; %ld px of solid black continued; %ld px",
               p->layer->name, ln.nends, ln.bridges, ln.joins, ln.pairs, ln.extensions, ln.holes, ln.strip_px,
               solid_px, *changed);
    if (!st && debug && debug->img) {
        static const uint8_t blue[3] = {40, 60, 255}, violet[3] = {150, 60, 200};
        sz_overlay_hidden(debug, p);
        if (solids) sz_overlay_added(debug, p, solids, violet);
        sz_overlay_strokes(debug, p, &ln.drawn, blue);
        sz_overlay_ends(debug, p, &ln);
    }
    sz_lines_free(&ln);
    free(shape), free(walls), free(solids);
    return st;
}

/* What every layer of one run shares, and what each tells back. */
typedef struct lines_run {
    sz_line_params lp;
    const sz_hidden_source *src;
    bool new_layer;
    sz_overlay *debug; /* or NULL */
    uint8_t *worked;   /* by the layer's index */
} lines_run;

static sz_status extend_layer(sz_ctx *ctx, sz_doc *doc, sz_layer *l, int i, sz_part_stage *stage, void *user)
{
    lines_run *run = user;
    if (sz_layer_is_generated(l)) return SZ_OK; /* (a fill or strokes made earlier is no part) */
    if (sz_part_is_live(ctx, "extend-lines", l)) return SZ_OK;
    bool new_layer = run->new_layer || sz_layer_pixels_locked(l); /* (nothing painted into a locked layer) */
    /* run again over its own output, extend-lines adds nothing twice:
     * the strokes made before may have been edited */
    if (new_layer &&
        sz_part_made_before(ctx, "extend-lines", l, "(lines)",
                            "left as it is (delete that layer to draw its strokes again)"))
        return SZ_OK;
    sz_part p;
    sz_status st = sz_part_load_staged(ctx, doc, l, run->src, stage, &p);
    if (!st && p.img) {
        long changed; /* (each part logs its own) */
        sz_part_report_painted_under(ctx, "extend-lines", &p);
        st = sz_extend_part_lines(ctx, doc, &p, &run->lp, new_layer, run->debug, &changed);
        run->worked[i] = 1;
    }
    sz_part_free(&p);
    return st;
}

static sz_status run(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    lines_run run = {.new_layer = sz_lines_to_new_layer(args)};
    sz_line_params *lp = &run.lp;
    sz_line_params_from_args(args, lp);
    lp->shape_guide = !sz_arg_bool(args, "no-shape");
    lp->solids = !sz_arg_bool(args, "no-solids");
    lp->slant_solids = !sz_arg_bool(args, "square-borders");
    sz_status st = sz_mirror_args(ctx, args, &lp->mirror, &lp->mirror_axis);
    if (st) return st;
    sz_image *mask = NULL;
    sz_nn *model = NULL;
    st = sz_mask_and_model_from_args(ctx, doc, args, &mask, &model);
    if (st) return st;
    lp->shape_model = model;
    sz_hidden_source src = {.mask = mask,
                            .occluders = sz_arg_str(args, "occluders"),
                            .painted_under = (int)sz_arg_int(args, "painted-under")};
    run.src = &src;
    const char *debug_path = sz_arg_str(args, "debug");
    sz_overlay debug = {0};
    if (debug_path) st = sz_overlay_begin(ctx, doc, &debug);
    run.debug = debug_path ? &debug : NULL;
    sz_layer **layers = NULL;
    int n = 0;
    if (!st) st = sz_select_layers(ctx, doc, args, &layers, &n);
    run.worked = st ? NULL : sz_calloc(ctx, (size_t)n + 1, 1);
    if (!st && !run.worked) st = SZ_ERR_NOMEM;
    /* (side by side unless they share the debug picture, or --occluders
     * names layers by index, which the layers added would shift) */
    sz_layer_work work = {.run = extend_layer, .user = &run, .src = &src, .name = "extend-lines",
                          .side_by_side = !debug_path && !src.occluders};
    if (!st) st = sz_run_layers(ctx, doc, layers, n, &work);
    int worked = 0;
    for (int i = 0; !st && i < n; i++) worked += run.worked[i];
    if (!st && !worked && n) sz_log(ctx, SZ_LOG_INFO, "extend-lines: the selected layers have no visible pixels");
    if (!st && debug_path) st = sz_overlay_finish(ctx, &debug, debug_path);
    else if (debug.img) sz_image_free(debug.img);
    free(run.worked);
    free(layers);
    sz_image_free(mask);
    sz_nn_free(model);
    return st;
}

static const sz_param params[] = {
    SZ_LINE_PARAMS,
    SZ_MODEL_PARAMS,
    {"no-shape", SZ_PARAM_BOOL, "Do not complete a painted part's shape to guide its outline under the occluder",
     NULL, 0, -1, NULL},
    {"no-mirror", SZ_PARAM_BOOL, "Do not take the hidden half of a symmetric part's strokes from its visible half",
     NULL, 0, -1, NULL},
    SZ_MIRROR_AXIS_PARAM,
    SZ_PAINTED_UNDER_PARAM,
    {"no-solids", SZ_PARAM_BOOL, "Do not continue a painted part's solid blacks (ink broader than a stroke) under "
                                 "the occluder", NULL, 0, -1, NULL},
    {"square-borders", SZ_PARAM_BOOL, "Continue the solid blacks' borders square to the cut instead of at the "
                                      "slant at which they meet it", NULL, 0, -1, NULL},
    SZ_TO_LAYER_PARAM,
    {"debug", SZ_PARAM_OUTPUT_PATH, "Write a picture of the ends found, the pairs chosen and the new strokes", NULL, 0, -1,
     NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_extend_lines = {
    .name = "extend-lines",
    .summary = "continue broken strokes under occluders and bridge small gaps in line art",
    .help = "Finds the ink of each layer (a line-art layer is all ink; in a painted part,\n"
            "strokes clearly darker than the part) and the ends of its strokes.  Ends\n"
            "that run into the hidden region (--mask, or the visible layers above the\n"
            "layer) are joined in pairs by smooth curves keeping both tangents (or at a\n"
            "corner, when its apex lies within a quarter of --max-extension of both;\n"
            "never crossing a join already made), or, when alone, continued along\n"
            "their curvature for at most a quarter turn and tapered (a run stops\n"
            "where it meets another run or a new stroke, in a T; a point the artist\n"
            "tapered that only touches the hidden region is the stroke's own end and\n"
            "stays; no stroke goes where a painted part's paint shows through a\n"
            "translucent occluder).  Facing\n"
            "ends within --max-gap px are bridged (the ends of a sharp corner whose\n"
            "tip was lost, through the corner; an end the artist tapered is left\n"
            "alone), and an end stopping short of a stroke (or of one just bridged: a\n"
            "junction the gap took) joins it, so regions close.\n"
            "New strokes are anti-aliased, their width and colour blend from end to\n"
            "end (a thin line's width and opacity are read from the ink across it, so\n"
            "a bridge is as dark as the line), and they are drawn only where the layer\n"
            "had no ink and shows nothing (or is hidden): every visible pixel stays as\n"
            "it was.\n"
            "In a painted part, the outline follows the edge the part's completed shape\n"
            "takes under the occluder, and new strokes stay within that shape (--no-shape:\n"
            "neither; --no-outline: the outline stays as drawn, its ends where the cover\n"
            "cut them, and only the other strokes go on).  Its solid blacks (ink broader than a stroke: black hair, a boot,\n"
            "the ベタ of a cel drawing) continue there as fill-behind would continue them\n"
            "(--no-solids: they do not).  Under a hidden strip up to --strip-width px\n"
            "wide (a strand of hair), ink seen on both sides, solid blacks too, runs\n"
            "straight across.  A part drawn symmetric about a vertical axis takes the\n"
            "hidden half of its ink from its visible half (--no-mirror: it does not;\n"
            "--mirror-axis X: about the axis the artist gives).\n"
            "--to-layer new puts them on a layer of their own; --debug shows why.",
    .params = params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run,
};
