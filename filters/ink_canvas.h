/*
 * ink_canvas.h — where the new strokes of extend-lines are drawn before
 * they are composited into a layer: coverage and colour per pixel, kept in
 * tiles that exist only where something was drawn.
 *
 * New ink is a thin scatter over a large layer; a full plane of four
 * floats per pixel would cost a 4096x4096 layer 256 MiB and the time to
 * clear it, and compositing would have to visit every pixel.
 */
#ifndef SOZAI_INK_CANVAS_H
#define SOZAI_INK_CANVAS_H

#include "geom.h"

/** Tiles are INK_TILE x INK_TILE pixels: 32 x 32, 16 KiB.  Every tile is
 *  zeroed when it is made, and gaps closed all over a 4096x4096 layer
 *  make thousands of them; at 64 x 64 that took 0.16-0.18 s of the gap
 *  closing, at 32 x 32 0.11-0.14 s. */
#define INK_TILE_SHIFT 5
#define INK_TILE (1 << INK_TILE_SHIFT)

/* A pixel's coverage (0..1) and its linear RGB lie together. */
enum { INK_COVER, INK_RGB };
typedef struct ink_tile {
    float px[INK_TILE * INK_TILE][4]; /* [INK_COVER], then [INK_RGB + 0..2] */
} ink_tile;

/** Coverage and colour accumulated from strokes over a w x h grid. */
typedef struct ink_canvas {
    int w, h;
    int tiles_x, tiles_y;
    ink_tile **tiles;    /* tiles_x * tiles_y, row by row; NULL: nothing drawn there */
    bool out_of_memory;  /* a tile could not be allocated: what it would hold is lost */
    const uint8_t *clip; /* when set, strokes cover only pixels where it is nonzero */
} ink_canvas;

/** One point of a stroke: centre, full width, colour (linear RGB) and
 *  opacity of the ink. */
typedef struct stroke_pt {
    vec2 p;
    float width;
    float rgb[3];
    float alpha;
} stroke_pt;

SZ_INTERNAL sz_status sz_ink_canvas_init(sz_ctx *ctx, ink_canvas *c, int w, int h);
SZ_INTERNAL void sz_ink_canvas_free(ink_canvas *c);
/** SZ_OK, or SZ_ERR_NOMEM (reported) when a tile could not be had. */
SZ_INTERNAL sz_status sz_ink_canvas_status(sz_ctx *ctx, const ink_canvas *c);

/** The tile holding (x, y) (inside the grid), or NULL when nothing was
 *  drawn there; the pixel's index within it is sz_ink_index(x, y). */
static inline const ink_tile *sz_ink_tile_at(const ink_canvas *c, int x, int y)
{
    return __atomic_load_n(&c->tiles[(size_t)(y >> INK_TILE_SHIFT) * c->tiles_x + (x >> INK_TILE_SHIFT)],
                           __ATOMIC_ACQUIRE);
}

static inline int sz_ink_index(int x, int y)
{
    return (y & (INK_TILE - 1)) * INK_TILE + (x & (INK_TILE - 1));
}

/** Coverage at (x, y): 0 where nothing was drawn. */
static inline float sz_ink_cover(const ink_canvas *c, int x, int y)
{
    const ink_tile *t = sz_ink_tile_at(c, x, y);
    return t ? t->px[sz_ink_index(x, y)][INK_COVER] : 0.0f;
}

/** Sets (x, y) to coverage `cover` in colour `rgb`.  Threads may set
 *  pixels at the same time if no two set the same one. */
SZ_INTERNAL void sz_ink_set(ink_canvas *c, int x, int y, float cover, const float rgb[3]);

/** Draws a polyline stroke with round joins and caps, anti-aliased, width
 *  and colour interpolated along it: each pixel keeps the largest coverage
 *  any stroke gives it, with that stroke's colour. */
SZ_INTERNAL void sz_draw_stroke(ink_canvas *c, const stroke_pt *pts, int n);

#endif
