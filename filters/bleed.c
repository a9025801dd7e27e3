/*
 * bleed — spreads each layer's edge colours into the fully transparent
 * pixels around it, ring by ring, leaving alpha untouched.  A renderer that
 * filters or mipmaps a rig texture then blends the part's own colours at
 * its edge instead of black or white.
 */
#include "op.h"
#include "color.h"

#include <stdlib.h>

typedef struct bleed_px {
    int x, y;
} bleed_px;

/* One layer: grow its image by `radius` (within the canvas), then colour
 * the transparent pixels ring by ring from the previous rings, averaging
 * neighbours in linear light weighted by their alpha. */
static sz_status bleed_layer(sz_ctx *ctx, sz_doc *doc, sz_layer *l, int radius)
{
    sz_image *im = l->image;
    if (!im || !im->w || !im->h) return SZ_OK;
    /* Grow toward the canvas, never shrinking what the layer already has. */
    int gx0 = SZ_MIN(l->x, SZ_MAX(0, l->x - radius));
    int gy0 = SZ_MIN(l->y, SZ_MAX(0, l->y - radius));
    int gx1 = SZ_MAX(l->x + im->w, SZ_MIN(doc->w, l->x + im->w + radius));
    int gy1 = SZ_MAX(l->y + im->h, SZ_MIN(doc->h, l->y + im->h + radius));
    if (gx0 != l->x || gy0 != l->y || gx1 != l->x + im->w || gy1 != l->y + im->h) {
        sz_image *grown = sz_image_crop(ctx, im, gx0 - l->x, gy0 - l->y, gx1 - l->x, gy1 - l->y);
        if (!grown) return ctx->status;
        sz_layer_set_image(l, grown);
        l->x = gx0;
        l->y = gy0;
        im = grown;
    }
    int w = im->w, h = im->h;
    size_t n = (size_t)w * (size_t)h;
    /* done[i]: 0 = still empty, 1 = has colour (source or an earlier ring) */
    uint8_t *done = sz_calloc(ctx, n, 1);
    float *lin = sz_malloc_array(ctx, n, 4 * sizeof(float)); /* linear RGB + weight */
    bleed_px *ring = sz_malloc_array(ctx, n, sizeof *ring);
    if (!done || !lin || !ring) {
        free(done), free(lin), free(ring);
        return SZ_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint16_t p[4];
            sz_get16(im, x, y, p);
            float *o = lin + 4 * i;
            if (p[3]) {
                done[i] = 1;
                for (int c = 0; c < 3; c++) o[c] = sz_srgb16_to_linear(p[c]);
                o[3] = p[3] / 65535.0f;
            } else {
                o[0] = o[1] = o[2] = o[3] = 0;
            }
        }
    for (int r = 0; r < radius; r++) {
        /* The ring: empty pixels touching a coloured one. */
        size_t count = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (done[(size_t)y * w + x]) continue;
                bool touch = false;
                for (int dy = -1; dy <= 1 && !touch; dy++)
                    for (int dx = -1; dx <= 1 && !touch; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < w && yy < h && done[(size_t)yy * w + xx] == 1)
                            touch = true;
                    }
                if (touch) ring[count++] = (bleed_px){x, y};
            }
        if (!count) break;
        /* Colours come only from earlier rings (done == 1), so the order in
         * which ring pixels are computed cannot matter. */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (size_t k = 0; k < count; k++) {
            int x = ring[k].x, y = ring[k].y;
            float acc[3] = {0, 0, 0}, wsum = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    size_t j = (size_t)yy * w + xx;
                    if (done[j] != 1) continue;
                    float wt = lin[4 * j + 3] * (dx && dy ? 0.7071f : 1.0f);
                    for (int c = 0; c < 3; c++) acc[c] += lin[4 * j + c] * wt;
                    wsum += wt;
                }
            float *o = lin + 4 * ((size_t)y * w + x);
            for (int c = 0; c < 3; c++) o[c] = wsum > 0 ? acc[c] / wsum : 0;
            /* A ring pixel passes its colour on with half the weight of an
             * opaque source, so the nearest edge dominates further out. */
            o[3] = wsum > 0 ? 0.5f : 0;
        }
        for (size_t k = 0; k < count; k++) {
            size_t i = (size_t)ring[k].y * w + ring[k].x;
            done[i] = 1;
            float v[4];
            const float *o = lin + 4 * i;
            for (int c = 0; c < 3; c++) v[c] = sz_linear_to_srgb(o[c]);
            v[3] = 0; /* alpha stays transparent */
            sz_putf(im, ring[k].x, ring[k].y, v);
        }
    }
    free(done), free(lin), free(ring);
    return SZ_OK;
}

static sz_status run(sz_ctx *ctx, sz_doc *doc, const sz_args *args)
{
    sz_layer **layers;
    int n;
    sz_status st = sz_select_layers(ctx, doc, args, &layers, &n);
    if (st) return st;
    sz_linear_init();
    int radius = (int)sz_arg_int(args, "radius");
    for (int i = 0; i < n && !st; i++) {
        st = bleed_layer(ctx, doc, layers[i], radius);
        if (st) sz_error_prefix(ctx, "layer \"%s\"", layers[i]->name);
        else st = sz_progress(ctx, "bleed", (i + 1.0) / n);
    }
    free(layers);
    return st;
}

static const sz_param params[] = {
    {"radius", SZ_PARAM_INT, "How far (px) edge colours spread into transparent pixels", "4", 1, 512, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

const sz_op sz_op_bleed = {
    .name = "bleed",
    .summary = "spread edge colours into transparent pixels around each layer (alpha unchanged)",
    .help = "Rig textures are filtered and mipmapped by the renderer; where a part's\n"
            "transparent pixels hold black (or white) the edge shows a dark (or light)\n"
            "fringe.  bleed gives those pixels the colour of the nearest edge, ring by\n"
            "ring up to --radius px (averaged in linear light), and leaves alpha and\n"
            "every visible pixel exactly as they were.  A layer grows by the radius\n"
            "where the canvas leaves room.",
    .params = params,
    .flags = SZ_OP_NEEDS_OUTPUT | SZ_OP_SELECTS_LAYERS,
    .run = run,
};
