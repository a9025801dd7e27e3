/*
 * compose.c — compositing a layer tree into one image: normal blending
 * (exact wherever only one layer contributes), the separable and
 * non-separable blend modes, opacity, fill opacity, user masks, clipping
 * groups, isolated and pass-through groups.
 *
 * Work happens on a straight-alpha 16-bit canvas; 8-bit samples widen
 * exactly (v * 257) and narrow back exactly, so a pixel covered by a single
 * layer comes out bit-identical at either depth.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

/* A band of the document: every column, rows y0 .. y0 + h - 1.  Working in
 * bands keeps memory to a few rows however large the canvas. */
typedef struct canvas {
    int w, h, y0;
    uint16_t *px; /* RGBA, straight alpha */
} canvas;

static bool canvas_init(sz_ctx *ctx, canvas *c, int w, int h, int y0)
{
    c->w = w;
    c->h = h;
    c->y0 = y0;
    c->px = sz_calloc(ctx, (size_t)w * (size_t)h, 8);
    return c->px != NULL;
}

/* ------------------------------------------------------------------ */
/* Blend functions (W3C Compositing and Blending Level 1)              */
/* ------------------------------------------------------------------ */

static float lum(const float c[3]) { return 0.3f * c[0] + 0.59f * c[1] + 0.11f * c[2]; }

static void clip_color(float c[3])
{
    float l = lum(c);
    float n = fminf(c[0], fminf(c[1], c[2]));
    float x = fmaxf(c[0], fmaxf(c[1], c[2]));
    for (int i = 0; i < 3; i++) {
        if (n < 0 && l - n > 1e-6f) c[i] = l + (c[i] - l) * l / (l - n);
        if (x > 1 && x - l > 1e-6f) c[i] = l + (c[i] - l) * (1 - l) / (x - l);
    }
}

static void set_lum(const float c[3], float l, float out[3])
{
    float d = l - lum(c);
    for (int i = 0; i < 3; i++) out[i] = c[i] + d;
    clip_color(out);
}

static float sat(const float c[3])
{
    return fmaxf(c[0], fmaxf(c[1], c[2])) - fminf(c[0], fminf(c[1], c[2]));
}

static void set_sat(const float c[3], float s, float out[3])
{
    int mx = 0, mn = 0;
    for (int i = 1; i < 3; i++) {
        if (c[i] > c[mx]) mx = i;
        if (c[i] < c[mn]) mn = i;
    }
    if (mx == mn) {
        out[0] = out[1] = out[2] = 0;
        return;
    }
    int md = 3 - mx - mn;
    float range = c[mx] - c[mn];
    out[md] = (c[md] - c[mn]) * s / range;
    out[mx] = s;
    out[mn] = 0;
}

static float blend_channel(sz_blend m, float d, float s)
{
    switch (m) {
    case SZ_BLEND_MULTIPLY: return d * s;
    case SZ_BLEND_SCREEN: return d + s - d * s;
    case SZ_BLEND_OVERLAY: return d <= 0.5f ? 2 * s * d : 1 - 2 * (1 - s) * (1 - d);
    case SZ_BLEND_HARD_LIGHT: return s <= 0.5f ? 2 * s * d : 1 - 2 * (1 - s) * (1 - d);
    case SZ_BLEND_DARKEN: return fminf(d, s);
    case SZ_BLEND_LIGHTEN: return fmaxf(d, s);
    case SZ_BLEND_COLOR_DODGE:
        if (d <= 0) return 0;
        return s >= 1 ? 1 : fminf(1, d / (1 - s));
    case SZ_BLEND_COLOR_BURN:
        if (d >= 1) return 1;
        return s <= 0 ? 0 : 1 - fminf(1, (1 - d) / s);
    case SZ_BLEND_LINEAR_BURN: return fmaxf(0, d + s - 1);
    case SZ_BLEND_LINEAR_DODGE: return fminf(1, d + s);
    case SZ_BLEND_SOFT_LIGHT: {
        if (s <= 0.5f) return d - (1 - 2 * s) * d * (1 - d);
        float dd = d <= 0.25f ? ((16 * d - 12) * d + 4) * d : sqrtf(d);
        return d + (2 * s - 1) * (dd - d);
    }
    case SZ_BLEND_VIVID_LIGHT:
        if (s <= 0.5f) {
            float s2 = 2 * s;
            return s2 <= 0 ? (d >= 1 ? 1 : 0) : 1 - fminf(1, (1 - d) / s2);
        } else {
            float s2 = 2 * s - 1;
            return s2 >= 1 ? (d <= 0 ? 0 : 1) : fminf(1, d / (1 - s2));
        }
    case SZ_BLEND_LINEAR_LIGHT: return SZ_CLAMP(d + 2 * s - 1, 0.0f, 1.0f);
    case SZ_BLEND_PIN_LIGHT: return s <= 0.5f ? fminf(d, 2 * s) : fmaxf(d, 2 * s - 1);
    case SZ_BLEND_HARD_MIX: return d + s >= 1 ? 1 : 0;
    case SZ_BLEND_DIFFERENCE: return fabsf(d - s);
    case SZ_BLEND_EXCLUSION: return d + s - 2 * d * s;
    case SZ_BLEND_SUBTRACT: return fmaxf(0, d - s);
    case SZ_BLEND_DIVIDE: return s <= 0 ? (d > 0 ? 1 : 0) : fminf(1, d / s);
    default: return s;
    }
}

static void blend_color(sz_blend m, const float d[3], const float s[3], float out[3])
{
    float t[3];
    switch (m) {
    case SZ_BLEND_HUE: set_sat(s, sat(d), t); set_lum(t, lum(d), out); return;
    case SZ_BLEND_SATURATION: set_sat(d, sat(s), t); set_lum(t, lum(d), out); return;
    case SZ_BLEND_COLOR: set_lum(s, lum(d), out); return;
    case SZ_BLEND_LUMINOSITY: set_lum(d, lum(s), out); return;
    case SZ_BLEND_DARKER_COLOR:
        for (int i = 0; i < 3; i++) out[i] = lum(s) < lum(d) ? s[i] : d[i];
        return;
    case SZ_BLEND_LIGHTER_COLOR:
        for (int i = 0; i < 3; i++) out[i] = lum(s) > lum(d) ? s[i] : d[i];
        return;
    default:
        for (int i = 0; i < 3; i++) out[i] = blend_channel(m, d[i], s[i]);
    }
}

static inline uint16_t to16(float v)
{
    return (uint16_t)(SZ_CLAMP(v, 0.0f, 1.0f) * 65535.0f + 0.5f);
}

/* Composites one source pixel (straight alpha, 16-bit) with extra coverage
 * `k` in [0,1] onto `d`.  With `atop`, the destination's alpha is kept
 * (clipped layers). */
static inline void composite_px(uint16_t *d, const uint16_t s[4], float k, sz_blend mode, bool atop)
{
    unsigned sa16 = s[3];
    bool normal = mode == SZ_BLEND_NORMAL || mode == SZ_BLEND_DISSOLVE ||
                  mode == SZ_BLEND_PASS_THROUGH;
    if (normal && !atop && d[3] == 0) {
        /* Nothing below: the layer decides the pixel exactly, including the
         * colour of its transparent pixels (which bleed puts there). */
        d[0] = s[0], d[1] = s[1], d[2] = s[2];
        d[3] = k >= 1 ? (uint16_t)sa16 : to16(sa16 / 65535.0f * k);
        return;
    }
    if (sa16 == 0 || k <= 0) return;
    if (normal && k >= 1 && !atop && sa16 == 65535) { /* exact: an opaque layer covers it */
        d[0] = s[0], d[1] = s[1], d[2] = s[2], d[3] = (uint16_t)sa16;
        return;
    }
    float sa = sa16 / 65535.0f * k, da = d[3] / 65535.0f;
    if (atop && da <= 0) return;
    float sc[3] = {s[0] / 65535.0f, s[1] / 65535.0f, s[2] / 65535.0f};
    float dc[3] = {d[0] / 65535.0f, d[1] / 65535.0f, d[2] / 65535.0f};
    float bc[3];
    if (normal) {
        bc[0] = sc[0], bc[1] = sc[1], bc[2] = sc[2];
    } else {
        blend_color(mode, dc, sc, bc);
    }
    /* premultiplied result: sa*(1-da)*s + sa*da*B + (1-sa)*da*d */
    float ao = atop ? da : sa + da * (1 - sa);
    if (ao <= 0) {
        d[0] = d[1] = d[2] = d[3] = 0;
        return;
    }
    for (int i = 0; i < 3; i++) {
        float c = atop ? sa * da * bc[i] + (1 - sa) * da * dc[i]
                       : sa * (1 - da) * sc[i] + sa * da * bc[i] + (1 - sa) * da * dc[i];
        d[i] = to16(c / ao);
    }
    d[3] = to16(ao);
}

/* ------------------------------------------------------------------ */

float sz_user_mask_at(const sz_mask *m, int cx, int cy)
{
    int mx = cx - m->x, my = cy - m->y;
    unsigned v;
    if (mx < 0 || my < 0 || mx >= m->w || my >= m->h) {
        v = m->default_color;
        return v / 255.0f;
    }
    size_t i = (size_t)my * (size_t)m->w + (size_t)mx;
    if (m->depth == 16) {
        uint16_t v16;
        memcpy(&v16, m->data + 2 * i, 2);
        return v16 / 65535.0f;
    }
    return m->data[i] / 255.0f;
}

bool sz_user_mask_active(const sz_mask *m)
{
    return m && !(m->flags & 2);
}

/* Draws a pixel layer at (ox, oy), or an already composited band of the
 * same geometry (`src_canvas`), onto `dst`.  Rows run in parallel; each row
 * is independent, so the result does not depend on the thread count. */
static void draw_image(sz_ctx *ctx, canvas *dst, const sz_image *img, const canvas *src_canvas,
                       int ox, int oy, float opacity, sz_blend mode, const sz_mask *mask, bool atop)
{
    int sw = img ? img->w : src_canvas->w, sh = img ? img->h : src_canvas->h;
    if (!img) oy = src_canvas->y0;
    int x0 = SZ_MAX(ox, 0), y0 = SZ_MAX(oy, dst->y0);
    int x1 = SZ_MIN(ox + sw, dst->w), y1 = SZ_MIN(oy + sh, dst->y0 + dst->h);
    if (x1 <= x0 || y1 <= y0 || opacity <= 0) return;
    bool use_mask = sz_user_mask_active(mask);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = y0; y < y1; y++) {
        uint16_t *drow = dst->px + ((size_t)(y - dst->y0) * (size_t)dst->w) * 4;
        for (int x = x0; x < x1; x++) {
            uint16_t s[4];
            if (img)
                sz_get16(img, x - ox, y - oy, s);
            else
                memcpy(s, src_canvas->px + ((size_t)(y - oy) * (size_t)src_canvas->w + (size_t)(x - ox)) * 4, 8);
            float k = opacity;
            if (use_mask) k *= sz_user_mask_at(mask, x, y);
            composite_px(drow + 4 * (size_t)x, s, k, mode, atop);
        }
    }
}

static sz_status draw_children(sz_ctx *ctx, canvas *dst, const sz_layer *group);

/* Composites a layer or group onto `dst`, or for a group with pass-through
 * blending its children directly. */
static sz_status draw_node(sz_ctx *ctx, canvas *dst, const sz_layer *l, bool atop)
{
    float opacity = l->opacity / 255.0f * (l->fill_opacity / 255.0f);
    if (l->kind == SZ_LAYER_PIXEL) {
        if (l->image) draw_image(ctx, dst, l->image, NULL, l->x, l->y, opacity, l->blend, l->mask, atop);
        return SZ_OK;
    }
    if (l->blend == SZ_BLEND_PASS_THROUGH && l->opacity == 255 && !sz_user_mask_active(l->mask) && !atop)
        return draw_children(ctx, dst, l);
    canvas iso;
    if (!canvas_init(ctx, &iso, dst->w, dst->h, dst->y0)) return SZ_ERR_NOMEM;
    sz_status st = draw_children(ctx, &iso, l);
    if (!st) {
        sz_blend mode = l->blend == SZ_BLEND_PASS_THROUGH ? SZ_BLEND_NORMAL : l->blend;
        draw_image(ctx, dst, NULL, &iso, 0, 0, l->opacity / 255.0f, mode, l->mask, atop);
    }
    free(iso.px);
    return st;
}

static sz_status draw_children(sz_ctx *ctx, canvas *dst, const sz_layer *group)
{
    int n = group->nchildren;
    for (int i = 0; i < n; i++) {
        const sz_layer *base = group->children[i];
        int j = i + 1;
        while (j < n && group->children[j]->clipping) j++;
        if (!base->visible) {
            i = j - 1; /* clipped layers vanish with their hidden base */
            continue;
        }
        sz_status st;
        if (j == i + 1) {
            st = draw_node(ctx, dst, base, false);
        } else {
            /* A clipping group: the base alone on its own canvas, clipped
             * layers atop it (keeping its alpha), then the whole with the
             * base's opacity and blend mode. */
            canvas iso;
            if (!canvas_init(ctx, &iso, dst->w, dst->h, dst->y0)) return SZ_ERR_NOMEM;
            sz_layer tmp = *base;
            tmp.opacity = 255;
            tmp.fill_opacity = 255;
            tmp.blend = base->kind == SZ_LAYER_GROUP ? SZ_BLEND_PASS_THROUGH : SZ_BLEND_NORMAL;
            st = draw_node(ctx, &iso, &tmp, false);
            for (int k = i + 1; k < j && !st; k++)
                if (group->children[k]->visible) st = draw_node(ctx, &iso, group->children[k], true);
            if (!st) {
                sz_blend mode = base->blend == SZ_BLEND_PASS_THROUGH ? SZ_BLEND_NORMAL : base->blend;
                draw_image(ctx, dst, NULL, &iso, 0, 0,
                           base->opacity / 255.0f * (base->fill_opacity / 255.0f), mode, NULL, false);
            }
            free(iso.px);
        }
        if (st) return st;
        i = j - 1;
    }
    return SZ_OK;
}

sz_status sz_doc_composite_rows(sz_ctx *ctx, const sz_doc *doc, int y0, int rows, uint16_t *out)
{
    canvas c = {.w = doc->w, .h = rows, .y0 = y0, .px = out};
    memset(out, 0, (size_t)doc->w * (size_t)rows * 8);
    return draw_children(ctx, &c, doc->root);
}

int sz_composite_band_rows(const sz_doc *doc)
{
    /* about 8 MiB of 16-bit RGBA per band */
    int rows = (int)((8u << 20) / ((size_t)doc->w * 8 + 1));
    return SZ_CLAMP(rows, 16, 1024);
}

sz_image *sz_doc_composite(sz_ctx *ctx, const sz_doc *doc)
{
    sz_image *out = sz_image_new(ctx, doc->w, doc->h, doc->depth == 16 ? 16 : 8);
    int band = sz_composite_band_rows(doc);
    uint16_t *buf = out ? sz_malloc_array(ctx, (size_t)doc->w * (size_t)band, 8) : NULL;
    if (!buf) {
        sz_image_free(out);
        return NULL;
    }
    for (int y0 = 0; y0 < doc->h; y0 += band) {
        int rows = SZ_MIN(band, doc->h - y0);
        if (sz_doc_composite_rows(ctx, doc, y0, rows, buf)) {
            sz_image_free(out);
            out = NULL;
            break;
        }
        size_t n = (size_t)doc->w * 4;
        for (int r = 0; r < rows; r++) {
            const uint16_t *s = buf + (size_t)r * n;
            if (out->depth == 16) {
                memcpy(sz_row16(out, y0 + r), s, n * 2);
            } else {
                uint8_t *d = sz_row8(out, y0 + r);
                for (size_t i = 0; i < n; i++) d[i] = sz_16to8(s[i]);
            }
        }
    }
    free(buf);
    return out;
}

sz_layer *sz_doc_plain_layer(const sz_doc *doc)
{
    const sz_layer *root = doc->root;
    if (root->nchildren != 1) return NULL;
    sz_layer *l = root->children[0];
    const sz_image *im = l->image;
    if (l->kind == SZ_LAYER_PIXEL && l->visible && im && l->x == 0 && l->y == 0 && im->w == doc->w &&
        im->h == doc->h && l->opacity == 255 && l->fill_opacity == 255 && !sz_user_mask_active(l->mask) &&
        (l->blend == SZ_BLEND_NORMAL || l->blend == SZ_BLEND_DISSOLVE))
        return l;
    return NULL;
}

sz_image *sz_doc_flat_image(sz_ctx *ctx, const sz_doc *doc, int depth, const char *format,
                            bool *owned)
{
    const sz_layer *root = doc->root;
    const sz_layer *plain = sz_doc_plain_layer(doc);
    *owned = false;
    if (plain && plain->image->depth == depth) return plain->image;
    int layers = 0;
    for (int i = 0; i < root->nchildren; i++) layers += root->children[i]->visible;
    if (layers > 1 || sz_doc_layer_count(doc) > 1)
        sz_warn(ctx, "%s holds one image: writing the composite of %d layers", format,
                sz_doc_layer_count(doc));
    sz_image *img = sz_doc_composite(ctx, doc);
    if (img && img->depth != depth && sz_image_set_depth(ctx, img, depth)) {
        sz_image_free(img);
        return NULL;
    }
    *owned = img != NULL;
    return img;
}
