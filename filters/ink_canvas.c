/*
 * ink_canvas.c — the tiled canvas new strokes are drawn on (see
 * ink_canvas.h).
 */
#include "ink_canvas.h"

#include <stdlib.h>

sz_status sz_ink_canvas_init(sz_ctx *ctx, ink_canvas *c, int w, int h)
{
    c->w = w, c->h = h;
    c->tiles_x = (w + INK_TILE - 1) >> INK_TILE_SHIFT, c->tiles_y = (h + INK_TILE - 1) >> INK_TILE_SHIFT;
    c->out_of_memory = false;
    c->clip = NULL;
    c->tiles = sz_calloc(ctx, (size_t)c->tiles_x * (size_t)c->tiles_y, sizeof *c->tiles);
    return c->tiles ? SZ_OK : SZ_ERR_NOMEM;
}

void sz_ink_canvas_free(ink_canvas *c)
{
    if (c->tiles)
        for (size_t k = 0; k < (size_t)c->tiles_x * (size_t)c->tiles_y; k++) free(c->tiles[k]);
    free(c->tiles);
    c->tiles = NULL;
}

sz_status sz_ink_canvas_status(sz_ctx *ctx, const ink_canvas *c)
{
    return c->out_of_memory ? sz_fail(ctx, SZ_ERR_NOMEM, "out of memory drawing new strokes") : SZ_OK;
}

/* The tile holding (x, y), made (empty) if there is none; NULL when out of
 * memory.  Two threads may want the same new tile: one makes it. */
static ink_tile *tile_for(ink_canvas *c, int x, int y)
{
    ink_tile **slot = &c->tiles[(size_t)(y >> INK_TILE_SHIFT) * c->tiles_x + (x >> INK_TILE_SHIFT)];
    ink_tile *t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (t) return t;
#pragma omp critical(sz_ink_tile)
    {
        t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (!t) {
            t = calloc(1, sizeof *t);
            if (t) __atomic_store_n(slot, t, __ATOMIC_RELEASE);
            else c->out_of_memory = true;
        }
    }
    return t;
}

void sz_ink_set(ink_canvas *c, int x, int y, float cover, const float rgb[3])
{
    ink_tile *t = tile_for(c, x, y);
    if (!t) return;
    int k = sz_ink_index(x, y);
    t->px[k][INK_COVER] = cover;
    for (int j = 0; j < 3; j++) t->px[k][INK_RGB + j] = rgb[j];
}

/* One segment as a capsule whose radius and colour vary along it. */
static void draw_segment(ink_canvas *c, const stroke_pt *a, const stroke_pt *b)
{
    float ra = a->width / 2, rb = b->width / 2, rmax = SZ_MAX(ra, rb);
    int x0 = (int)floorf(SZ_MIN(a->p.x, b->p.x) - rmax - 1), x1 = (int)ceilf(SZ_MAX(a->p.x, b->p.x) + rmax + 1);
    int y0 = (int)floorf(SZ_MIN(a->p.y, b->p.y) - rmax - 1), y1 = (int)ceilf(SZ_MAX(a->p.y, b->p.y) + rmax + 1);
    x0 = SZ_MAX(x0, 0), y0 = SZ_MAX(y0, 0), x1 = SZ_MIN(x1, c->w - 1), y1 = SZ_MIN(y1, c->h - 1);
    vec2 ab = v2_sub(b->p, a->p);
    float len2 = v2_dot(ab, ab);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            vec2 p = v2(x + 0.5f, y + 0.5f);
            float t = len2 > 1e-9f ? SZ_CLAMP(v2_dot(v2_sub(p, a->p), ab) / len2, 0.0f, 1.0f) : 0;
            float d = v2_len(v2_sub(p, v2_add(a->p, v2_scale(ab, t))));
            float r = ra + (rb - ra) * t;
            float cov = SZ_CLAMP(r - d + 0.5f, 0.0f, 1.0f) * (a->alpha + (b->alpha - a->alpha) * t);
            if (cov <= 0 || (c->clip && !c->clip[(size_t)y * c->w + x])) continue;
            if (cov > sz_ink_cover(c, x, y)) {
                float rgb[3];
                for (int k = 0; k < 3; k++) rgb[k] = a->rgb[k] + (b->rgb[k] - a->rgb[k]) * t;
                sz_ink_set(c, x, y, cov, rgb);
            }
        }
}

void sz_draw_stroke(ink_canvas *c, const stroke_pt *pts, int n)
{
    if (n == 1) draw_segment(c, &pts[0], &pts[0]);
    for (int i = 0; i + 1 < n; i++) draw_segment(c, &pts[i], &pts[i + 1]);
}
