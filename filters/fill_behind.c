/*
 * fill-behind and complete — the operations: each selected layer is
 * prepared as a part (part.c), its strokes continued (extend-lines, for
 * complete), its shape completed under the occluder (shape.c) and the
 * fill painted (fill_sources.c, fill_paint.c).
 */
#include "fill.h"
#include "extend_lines.h"
#include "nn.h"
#include "mirror.h"

#include <stdlib.h>

void sz_fill_params_from_args(const sz_args *args, sz_fill_params *fp)
{
    fp->reach = (float)sz_arg_float(args, "reach");
    fp->smoothness = (float)sz_arg_float(args, "shape-smoothness");
    fp->colour_radius = (int)sz_arg_int(args, "colour-smoothness");
    fp->seal_edge = sz_arg_bool(args, "seal-edge");
    fp->fill_line_art = sz_arg_bool(args, "fill-line-art");
    fp->narrow_near = true;
    fp->slant_borders = !sz_arg_bool(args, "square-borders");
    fp->model = NULL;
    fp->mirror = true, fp->mirror_axis = -1; /* sz_mirror_args reads them */
    fp->repeat = !sz_arg_bool(args, "no-repeat");
    fp->symmetry = NULL;
}

sz_status sz_mirror_args(sz_ctx *ctx, const sz_args *args, bool *mirror, double *axis)
{
    *mirror = !sz_arg_bool(args, "no-mirror");
    *axis = sz_arg_given(args, "mirror-axis") ? sz_arg_float(args, "mirror-axis") : -1;
    if (!*mirror && *axis >= 0)
        return sz_fail(ctx, SZ_ERR_ARG, "--mirror-axis and --no-mirror contradict each other: give one");
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* The operations: fill-behind, and complete (extend-lines, then fill)  */
/* ------------------------------------------------------------------ */

/* What every layer of one run of fill-behind or complete shares, and
 * what each layer's work tells it back (by the layer's index). */
typedef struct parts_run {
    bool lines, fill, merge;
    bool lines_apart; /* new strokes on a layer of their own (--to-layer new) */
    sz_line_params lp;
    sz_fill_params fp;
    const sz_hidden_source *src;
    sz_overlay *debug; /* or NULL */
    const char *name;
    uint8_t *worked, *fully_hidden;
} parts_run;

/* Whether the part shows its hidden pixels elsewhere (mirror.h): drawn
 * symmetric in its colours; else repeating a pattern; else, the weakest
 * evidence, symmetric in outline.  A pattern does not say where a band
 * ends and a symmetric outline does, so that widens a repeat's shape. */
static sz_status find_symmetry(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, uint8_t *shape,
                               sz_mirror *symmetry)
{
    sz_status st = fp->mirror ? sz_mirror_find(ctx, p, fp->mirror_axis, symmetry) : SZ_OK;
    if (!st && !symmetry->found && fp->repeat) st = sz_repeat_find(ctx, p, symmetry);
    if (st || !fp->mirror) return st;
    if (!symmetry->found) return sz_mirror_find_outline(ctx, p, symmetry);
    if (sz_mirror_is_repeat(symmetry)) {
        sz_mirror outline;
        st = sz_mirror_find_outline(ctx, p, &outline);
        if (!st) sz_mirror_widen_shape(ctx, p, &outline, shape);
        sz_mirror_free(&outline);
    }
    return st;
}

/* -v: what the part was found to show, and how much it gave. */
static void report_symmetry(sz_ctx *ctx, const char *name, const sz_layer *l, const sz_part *p,
                            const sz_mirror *symmetry)
{
    if (sz_mirror_is_repeat(symmetry))
        sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" repeats a pattern every %d px across and %d down (%.0f%% of its "
               "edges alike a step along, %.0f%% more than half a step or one and a half): %ld hidden px "
               "taken from its repeats", name, l->name, symmetry->step_x, symmetry->step_y,
               100.0 * symmetry->agree, 100.0 * symmetry->peak, symmetry->nrevealed);
    else if (symmetry->given)
        sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is mirrored about x = %.1f as asked: %ld hidden px taken "
               "from its mirror image", name, l->name, p->x0 + symmetry->axis2 / 2.0, symmetry->nrevealed);
    else
        sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is drawn symmetric%s about x = %.1f (%.0f%% alike, %.0f%% by "
               "the hidden region, %.0f%% judged): %ld hidden px taken from its mirror image", name, l->name,
               symmetry->silhouette_only ? " in outline" : "", p->x0 + symmetry->axis2 / 2.0,
               100.0 * symmetry->agree, 100.0 * symmetry->rim, 100.0 * symmetry->support, symmetry->nrevealed);
}

/* One layer: its strokes continued and its hidden region filled. */
static sz_status complete_layer(sz_ctx *ctx, sz_doc *doc, sz_layer *l, int i, sz_part_stage *stage, void *user)
{
    parts_run *run = user;
    /* a layer the artist locked gets nothing painted into it: its
     * strokes, and its fill with --merge, go on layers of their own */
    bool locked = sz_layer_pixels_locked(l);
    bool lines = run->lines, merge = run->merge && !locked, lines_apart = run->lines_apart || locked;
    const char *name = run->name;
    sz_line_params lp = run->lp;
    sz_fill_params fp = run->fp; /* (its symmetry is this layer's) */
    if (sz_layer_is_generated(l) || sz_part_is_live(ctx, name, l)) return SZ_OK;
    /* Run again over its own output, an operation adds nothing twice (the
     * fill or strokes made before may have been edited since): a part
     * with its fill is left as it is, and one with its strokes on their
     * own layer gets none drawn again. */
    if (run->fill && sz_part_made_before(ctx, name, l, "(fill)",
                                         lines ? "left as it is (delete that layer to complete it again)"
                                               : "left as it is (delete that layer to fill it again)"))
        return SZ_OK;
    if (lines && lines_apart &&
        sz_part_made_before(ctx, name, l, "(lines)", "its strokes are left as they are"))
        lines = false;
    sz_part p;
    sz_status st = sz_part_load_staged(ctx, doc, l, run->src, stage, &p);
    if (!st && p.img) sz_part_report_painted_under(ctx, name, &p);
    bool line_art = false;
    if (!st && p.img && p.nhidden && !fp.fill_line_art) st = sz_part_is_line_art(ctx, &p, &line_art);
    if (!st && line_art) {
        /* a line layer over a colour layer, an ink drawing: nothing
         * to paint behind it, but its strokes continue */
        long changed = 0;
        sz_log(ctx, SZ_LOG_INFO, "%s: \"%s\" is line art: nothing is filled behind it%s", name, l->name,
               lines ? ", its strokes are continued" : "");
        if (lines) st = sz_extend_part_lines(ctx, doc, &p, &lp, lines_apart, run->debug, &changed);
        run->worked[i] = 1;
    } else if (!st && p.img && p.nhidden) {
        long changed = 0;
        uint8_t *shape = NULL;
        uint8_t *walls = NULL;
        int pairs = 0;
        /* the shape first: continued strokes stay within it, and the
         * fill paints it */
        st = sz_part_shape(ctx, &p, &fp, &shape, &pairs, lines ? &walls : NULL);
        /* then whether its other half, or its pattern a step along,
         * shows what is hidden (over the part's final work rectangle) */
        sz_mirror symmetry = {0};
        if (!st) st = find_symmetry(ctx, &p, &fp, shape, &symmetry);
        if (!st && symmetry.found) {
            /* what the mirror shows counts as seen from here on: strokes
             * continue from its strokes, and the fill goes around it */
            st = sz_mirror_reveal(ctx, &p, &symmetry, shape);
            sz_mirror_trim(ctx, &p, &symmetry, shape);
            fp.symmetry = &symmetry;
            report_symmetry(ctx, name, l, &p, &symmetry);
        }
        bool stored = false;
        if (!st && lines) {
            /* dark paint wider than a stroke in paint is the fill's to carry on */
            sz_line_params in_paint = lp;
            in_paint.max_width = lp.max_width_in_paint;
            in_paint.inside = in_paint.outline_shape = shape;
            in_paint.outline_walls = walls;
            st = sz_extend_part_lines(ctx, doc, &p, &in_paint, lines_apart, run->debug, &changed);
            stored = changed > 0 && !lines_apart;
        }
        /* the fill takes its colours from what the artist drew, and
         * paints under what the mirror revealed */
        if (symmetry.nrevealed) sz_mirror_hide_again(&p, &symmetry);
        if (sz_mirror_is_repeat(&symmetry)) sz_mirror_spare_the_fill(&p, &symmetry, shape);
        if (!st && run->fill) st = sz_fill_part(ctx, doc, &p, &fp, merge, shape, pairs, run->debug, &changed);
        /* on its own layer, the part gets its own pixels back */
        if (symmetry.nrevealed && !merge) sz_mirror_give_back(&p, &symmetry);
        if (!st && !merge && stored && symmetry.nrevealed) st = sz_part_store(ctx, &p);
        sz_mirror_free(&symmetry);
        free(shape), free(walls);
        run->worked[i] = 1;
    } else if (!st && p.img && !p.nhidden && lines) {
        long changed = 0; /* nothing hidden: complete still closes gaps */
        st = sz_extend_part_lines(ctx, doc, &p, &lp, lines_apart, run->debug, &changed);
    }
    if (!st && p.img && sz_part_fully_hidden(&p)) run->fully_hidden[i] = 1;
    sz_part_free(&p);
    return st;
}

static sz_status run_parts(sz_ctx *ctx, sz_doc *doc, const sz_args *args, bool lines, bool fill)
{
    parts_run run = {.lines = lines, .fill = fill, .merge = sz_arg_bool(args, "merge")};
    if (lines) sz_line_params_from_args(args, &run.lp), run.lines_apart = sz_lines_to_new_layer(args);
    sz_fill_params_from_args(args, &run.fp);
    sz_status st = sz_mirror_args(ctx, args, &run.fp.mirror, &run.fp.mirror_axis);
    if (st) return st;
    run.lp.mirror = run.fp.mirror; /* for a layer of line art, whose strokes alone continue */
    run.lp.mirror_axis = run.fp.mirror_axis;
    sz_image *mask = NULL;
    sz_nn *model = NULL;
    st = sz_mask_and_model_from_args(ctx, doc, args, &mask, &model);
    if (st) return st;
    run.fp.model = model;
    sz_hidden_source src = {.mask = mask,
                            .occluders = sz_arg_str(args, "occluders"),
                            .margin = (int)sz_arg_int(args, "margin"),
                            .painted_under = (int)sz_arg_int(args, "painted-under"),
                            .reach = (int)ceilf(run.fp.reach)};
    run.src = &src;
    const char *debug_path = sz_arg_str(args, "debug");
    sz_overlay debug = {0};
    if (debug_path) st = sz_overlay_begin(ctx, doc, &debug);
    run.debug = debug_path ? &debug : NULL;
    run.name = lines && fill ? "complete" : "fill-behind";
    sz_layer **layers = NULL;
    int n = 0;
    if (!st) st = sz_select_layers(ctx, doc, args, &layers, &n);
    run.worked = st ? NULL : sz_calloc(ctx, (size_t)n + 1, 2);
    if (!st && !run.worked) st = SZ_ERR_NOMEM;
    run.fully_hidden = run.worked ? run.worked + n + 1 : NULL;
    /* side by side unless they share the debug picture, or --occluders
     * names layers by index (which the layers added below would shift) */
    sz_layer_work work = {.run = complete_layer, .user = &run, .src = &src, .name = run.name,
                          .side_by_side = !debug_path && !src.occluders};
    if (!st) st = sz_run_layers(ctx, doc, layers, n, &work);
    int worked = 0, fully_hidden = 0;
    for (int i = 0; !st && i < n; i++) worked += run.worked[i], fully_hidden += run.fully_hidden[i];
    if (!st && !worked && n) sz_log(ctx, SZ_LOG_INFO, "%s: no selected layer has a hidden region", run.name);
    if (!st && fully_hidden)
        sz_log(ctx, SZ_LOG_WARNING, "%s: %d layer(s) are hidden entirely: there is nothing visible to continue",
               run.name, fully_hidden);
    if (!st && debug_path) st = sz_overlay_finish(ctx, &debug, debug_path);
    else if (debug.img) sz_image_free(debug.img);
    free(run.worked);
    free(layers);
    sz_image_free(mask);
    sz_nn_free(model);
    return st;
}

static sz_status run_fill(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    return run_parts(ctx, doc, args, false, true);
}

static sz_status run_complete(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    return run_parts(ctx, doc, args, !sz_arg_bool(args, "no-lines"), true);
}

static const sz_param fill_params[] = {
    {"mask", SZ_PARAM_PATH, "Image of the hidden region (white or opaque = hidden), for a single image; "
                            "default: the visible layers above each layer", NULL, 0, -1, NULL},
    {"occluders", SZ_PARAM_STRING, "Only these layers above count as occluders (same syntax as --layers)", NULL,
     0, -1, NULL},
    SZ_FILL_PARAMS,
    SZ_MODEL_PARAMS,
    {"debug", SZ_PARAM_OUTPUT_PATH, "Write a picture of the hidden regions and the completed shapes", NULL, 0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_fill_behind = {
    .name = "fill-behind",
    .summary = "paint the hidden part of each layer (shape continued, colours continued)",
    .help = "Where other layers cover a layer (or --mask says), continues the layer's\n"
            "shape as its silhouette suggests: outline curves that run under the\n"
            "occluder are joined smoothly (straight ones meet at a corner) and the part\n"
            "fills what they enclose, never spilling into background it never\n"
            "occupied; a band whose straight, parallel sides run under it (a leg, a\n"
            "pole) goes on as far as they do; elsewhere it shares the hidden region\n"
            "with the background and stays within --reach of what is visible.  Colours\n"
            "continue from the nearest visible colour (the part's pixels seen faintly\n"
            "through the occluder, at its soft edge or under a translucent one, count:\n"
            "the fill under each takes its very colour), averaged in linear light over\n"
            "--colour-smoothness px among like colours (deeper in, over half the\n"
            "distance from the visible part, so shading keeps its bands): flat colours\n"
            "stay exact up to where they meet, a narrow region (an eye's white) goes on\n"
            "only a little way, a band along the part's edge (a tyre round a rim, a\n"
            "thick border) goes on round at its depth, and each stroke\n"
            "the occluder cuts goes on a pixel or so (extend-lines continues it\n"
            "further).  The fill goes on a new layer\n"
            "\"<name> (fill)\" directly under the part (--merge paints into the part);\n"
            "no visible pixel changes (--seal-edge also fills under the part's pixels\n"
            "the occluder's soft edge cut, so no seam shows when it moves).  --margin\n"
            "grows the hidden region for rigs that move parts.\n"
            "A layer that is mostly thin dark strokes (line art over a colour layer,\n"
            "an ink drawing) gets nothing painted behind it (--fill-line-art: it\n"
            "does); a thin strand of light paint is filled.  A part drawn symmetric\n"
            "about a vertical axis (a face, a figure from the front) takes each hidden\n"
            "pixel whose mirror image shows from that image, exactly; one whose\n"
            "outline alone is symmetric (lit from one side) takes from it only what\n"
            "the continued shape left empty (--no-mirror: neither; -v names the\n"
            "layers, --debug shows the axis).  --mirror-axis X mirrors the selected\n"
            "layers about the axis the artist gives, where the search declined (a\n"
            "face lit from one side, or whose hair is not symmetric).  A part that\n"
            "repeats a pattern (a braid, a frieze) takes each hidden pixel from the\n"
            "pattern a step along (--no-repeat: it does not; -v reports the step).\n"
            "A layer covers what the picture shows over it: a layer clipped to another\n"
            "only within that one, layer masks counted, and one that multiplies, screens\n"
            "or otherwise mixes with what is below not at all.  What a layer has drawn\n"
            "under its cover stays as drawn, and past the edge of a layer painted whole\n"
            "there (16 px or more under it, --painted-under) nothing is added.  The\n"
            "fill takes the part's layer mask.  A part that already has its fill from\n"
            "an earlier run is left as it is (delete that layer to fill it again).",
    .params = fill_params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run_fill,
};

static const sz_param complete_params[] = {
    SZ_LINE_PARAMS,
    SZ_FILL_PARAMS,
    SZ_MODEL_PARAMS,
    {"no-lines", SZ_PARAM_BOOL, "Do not continue the line art (fill only)", NULL, 0, -1, NULL},
    SZ_TO_LAYER_PARAM,
    {"debug", SZ_PARAM_OUTPUT_PATH, "Write a picture of the hidden regions, stroke ends, new strokes and shapes", NULL,
     0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_complete = {
    .name = "complete",
    .summary = "extend-lines then fill-behind: the one-command completion of every layer",
    .help = "For each selected layer: continues its strokes under the layers above it\n"
            "(or under --mask) into the layer itself, as extend-lines does (--to-layer\n"
            "new: onto a new layer \"<name> (lines)\" above it), then paints the hidden\n"
            "part as fill-behind does, on a new layer under it (or into it with\n"
            "--merge).  The shape is decided first: new strokes stay within it,\n"
            "and a part whose visible edge has an outline gets it along the whole\n"
            "completed edge (--no-outline: the outline stays as drawn, and the other\n"
            "strokes go on).  A layer of line art gets its strokes continued and\n"
            "nothing behind it.  Every visible pixel stays as it was.  Options are those\n"
            "of extend-lines and fill-behind; run again, it leaves a part that has its\n"
            "fill as it is.",
    .params = complete_params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run_complete,
};
