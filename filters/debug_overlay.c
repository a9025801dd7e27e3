/* debug_overlay.c — see debug_overlay.h. */
#include "debug_overlay.h"
#include "mirror.h"

#include <stdlib.h>

sz_status sz_overlay_begin(sz_ctx *ctx, const sz_doc *doc, sz_overlay *o)
{
    o->img = sz_doc_composite(ctx, doc);
    if (!o->img) return ctx->status;
    sz_status st = sz_image_set_depth(ctx, o->img, 8);
    if (st) return st;
    for (int y = 0; y < o->img->h; y++)
        for (int x = 0; x < o->img->w; x++) {
            uint8_t *q = sz_row8(o->img, y) + 4 * (size_t)x;
            float a = q[3] / 255.0f;
            for (int c = 0; c < 3; c++) q[c] = (uint8_t)(255 - (255 - q[c] * a - 255 * (1 - a)) * 0.45f);
            q[3] = 255;
        }
    return SZ_OK;
}

static void blend(sz_overlay *o, int x, int y, const uint8_t rgb[3], float k)
{
    if (x < 0 || y < 0 || x >= o->img->w || y >= o->img->h || k <= 0) return;
    uint8_t *q = sz_row8(o->img, y) + 4 * (size_t)x;
    for (int c = 0; c < 3; c++) q[c] = (uint8_t)(q[c] + (rgb[c] - q[c]) * SZ_MIN(k, 1.0f) + 0.5f);
}

void sz_overlay_hidden(sz_overlay *o, const sz_part *p)
{
    static const uint8_t tint[3] = {255, 80, 80};
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++)
            if (p->hidden[(size_t)y * p->w + x]) blend(o, x + p->x0, y + p->y0, tint, 0.25f);
}

void sz_overlay_added(sz_overlay *o, const sz_part *p, const uint8_t *shape, const uint8_t rgb[3])
{
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) blend(o, x + p->x0, y + p->y0, rgb, sz_shape_cover(shape[(size_t)y * p->w + x]));
}

void sz_overlay_mirror(sz_overlay *o, const sz_part *p, const sz_mirror *m, const uint8_t rgb[3])
{
    if (!m || !m->found) return;
    for (long k = 0; k < m->nrevealed; k++) {
        int32_t i = m->revealed[k];
        blend(o, i % p->w + p->x0, i / p->w + p->y0, rgb, 0.7f);
    }
    if (sz_mirror_is_repeat(m)) return; /* a repeat has no axis */
    /* the axis lies on a pixel's centre or between two: mark the pixel
     * left of it */
    int x = (m->axis2 - (m->axis2 & 1)) / 2 + p->x0;
    for (int y = p->vy0; y < p->vy1; y++)
        if ((y - p->vy0) % 8 < 5) blend(o, x, y + p->y0, rgb, 1.0f);
}

void sz_overlay_strokes(sz_overlay *o, const sz_part *p, const ink_canvas *c, const uint8_t rgb[3])
{
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) blend(o, x + p->x0, y + p->y0, rgb, sz_ink_cover(c, x, y));
}

static void disc(sz_overlay *o, vec2 c, float r, const uint8_t rgb[3])
{
    for (int dy = -(int)r - 1; dy <= (int)r + 1; dy++)
        for (int dx = -(int)r - 1; dx <= (int)r + 1; dx++) {
            float d = sqrtf((float)(dx * dx + dy * dy));
            float k = SZ_CLAMP(r + 0.5f - d, 0.0f, 1.0f) - SZ_CLAMP(r - 1.5f - d, 0.0f, 1.0f); /* a ring */
            blend(o, (int)lroundf(c.x) + dx, (int)lroundf(c.y) + dy, rgb, k);
        }
}

static void segment(sz_overlay *o, vec2 a, vec2 b, const uint8_t rgb[3])
{
    float len = v2_len(v2_sub(b, a));
    for (float s = 0; s <= len; s += 0.5f) {
        vec2 q = v2_add(a, v2_scale(v2_sub(b, a), len > 0 ? s / len : 0));
        blend(o, (int)lroundf(q.x), (int)lroundf(q.y), rgb, 0.9f);
    }
}

void sz_overlay_ends(sz_overlay *o, const sz_part *p, const sz_lines *ln)
{
    static const uint8_t colours[][3] = {
        [SZ_END_NONE] = {200, 0, 0},        /* left alone: red */
        [SZ_END_BRIDGED] = {0, 160, 0},     /* bridged: green */
        [SZ_END_JOINED] = {0, 160, 160},    /* joined to a stroke: teal */
        [SZ_END_PAIRED] = {0, 90, 255},     /* paired under an occluder: blue */
        [SZ_END_EXTENDED] = {230, 140, 0},  /* continued alone: orange */
        [SZ_END_KEPT] = {200, 0, 0},        /* an outline's, left as drawn: red */
    };
    vec2 off = v2((float)p->x0, (float)p->y0);
    for (int i = 0; i < ln->nends; i++) {
        const sz_line_end *e = &ln->ends[i];
        vec2 c = v2_add(e->p, off);
        disc(o, c, SZ_MAX(3.0f, e->width / 2 + 2), colours[e->fate]);
        segment(o, c, v2_add(c, v2_scale(e->dir, 6 + e->width)), colours[e->fate]);
        if (e->fate != SZ_END_NONE && e->fate != SZ_END_KEPT && (e->partner < 0 || e->partner > i))
            segment(o, c, v2_add(e->target, off), colours[e->fate]);
    }
}

sz_status sz_overlay_finish(sz_ctx *ctx, sz_overlay *o, const char *path)
{
    sz_status st = sz_image_write_file(ctx, o->img, path, NULL);
    sz_image_free(o->img);
    o->img = NULL;
    return st;
}
