/*
 * ink_close.c — gaps in line art that are not between two stroke ends:
 * small holes inside filled ink, and bites out of thick ink (an erased dab
 * in a dark area).  Both are painted, as new ink, with the colour of the
 * ink around them.
 */
#include "bits.h"
#include "lines.h"
#include "color.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Windows smaller than this are not worth a parallel region. */
#define PARALLEL_MIN (1 << 16)

/* Paper: no ink and not hidden; nothing outside the grid. */
static bool paper_at(const sz_part *p, const sz_lines *ln, int x, int y)
{
    if (x < 0 || y < 0 || x >= p->w || y >= p->h) return false;
    size_t i = (size_t)y * p->w + x;
    return !ln->solid[i] && !p->hidden[i];
}

/* The offsets of squared length 5 at most: the 5x3 and 3x5 rectangles. */
static const int8_t THICK_DX[21] = {-1, 0, 1, -2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -2, -1, 0, 1, 2, -1, 0, 1};
static const int8_t THICK_DY[21] = {-2, -2, -2, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2};

/* Thick pixels are grouped by the tiles of this many px they fall in. */
enum { TILE = 16 };

/* The tiles holding thick pixels, labelled by cluster (0: none), and the
 * bounds of the thick pixels in each (x0, y0, x1, y1). */
typedef struct bites_tiles {
    int size, tw, th;
    int32_t *label;
    int32_t *bounds;
} bites_tiles;

static int32_t tile_label(const bites_tiles *t, int x, int y)
{
    return t->label[(size_t)(y / t->size) * t->tw + (size_t)(x / t->size)];
}

/* Labels the tiles holding thick pixels so that any two thick pixels at
 * most `near` px apart share a label (tiles within `reach` tiles of each
 * other join); returns the number of clusters, or -1 when memory is
 * short. */
static int label_tiles(sz_ctx *ctx, const uint8_t *thick, int w, int h, int near, bites_tiles *t)
{
    int s = t->size;
    t->tw = (w + s - 1) / s, t->th = (h + s - 1) / s;
    size_t nt = (size_t)t->tw * (size_t)t->th;
    /* pixels in tiles k apart are at least (k - 1) s + 1 px apart, so
     * tiles up to `apart` apart must join; a square reach of `reach`
     * joins tiles up to 2 reach + 1 apart */
    int apart = (near - 1) / s + 1, reach = apart / 2;
    uint8_t *has = sz_calloc(ctx, nt, 1), *grown = sz_malloc(ctx, nt);
    t->label = sz_calloc(ctx, nt, sizeof *t->label);
    t->bounds = sz_malloc_array(ctx, nt, 4 * sizeof *t->bounds);
    if (!has || !grown || !t->label || !t->bounds) {
        free(has), free(grown), free(t->label), free(t->bounds);
        t->label = t->bounds = NULL;
        return -1;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int ty = 0; ty < t->th; ty++) {
        int32_t *b = t->bounds + (size_t)ty * t->tw * 4;
        for (int tx = 0; tx < t->tw; tx++)
            b[4 * tx] = b[4 * tx + 1] = INT32_MAX, b[4 * tx + 2] = b[4 * tx + 3] = -1;
        for (int y = ty * s; y < SZ_MIN(h, (ty + 1) * s); y++)
            for (int x = 0; x < w; x++)
                if (thick[(size_t)y * w + x]) {
                    int32_t *bt = b + 4 * (x / s);
                    has[(size_t)ty * t->tw + (size_t)(x / s)] = 1;
                    bt[0] = SZ_MIN(bt[0], x), bt[1] = SZ_MIN(bt[1], y);
                    bt[2] = SZ_MAX(bt[2], x), bt[3] = SZ_MAX(bt[3], y);
                }
    }
    sz_runs runs = {0};
    int count = sz_square_reach(ctx, has, 1, t->tw, t->th, reach, grown) ? -1 : sz_label_runs(ctx, grown, t->tw, t->th, true, &runs);
    for (int ty = 0; ty < t->th && count > 0; ty++)
        for (int32_t j = runs.row_start[ty]; j < runs.row_start[ty + 1]; j++)
            for (int tx = runs.x0[j]; tx <= runs.x1[j]; tx++)
                if (has[(size_t)ty * t->tw + tx]) t->label[(size_t)ty * t->tw + tx] = runs.label[j];
    sz_runs_free(&runs);
    free(has), free(grown);
    return count;
}

/* The planes of one window, reused from cluster to cluster: packed
 * masks (rows of `words`) and the notches as bytes. */
typedef struct bites_window {
    sz_word *opened, *outside, *grown;
    uint8_t *notch;
} bites_window;

/* The nearest pixel of the opened ink to window pixel (x, y) within the
 * square of `reach` (a notch lies in the dilation): its squared distance
 * (INT32_MAX: none) and its pixel in *px.  Of equally near ones the most
 * opaque (the notch is inside the ink, not at its soft edge), then the
 * first in scan order.  Nearest first, by the table of offsets, when the
 * square fits it. */
static int nearest_ink(const sz_part *p, const sz_word *opened, int words, int x0, int y0, int ww, int wh, int x,
                       int y, int reach, const sz_near_offset *near, uint16_t px[4])
{
    int best = INT32_MAX;
    memset(px, 0, 4 * sizeof *px);
    if (reach <= SZ_NEAR_R) {
        for (int o = 0; o < SZ_NEAR_N && near[o].d2 <= best; o++) {
            int dx = near[o].dx, dy = near[o].dy, xx = x + dx, yy = y + dy;
            if (dx < -reach || dx > reach || dy < -reach || dy > reach) continue;
            if (xx < 0 || yy < 0 || xx >= ww || yy >= wh || !sz_bit(opened + (size_t)yy * words, xx)) continue;
            uint16_t q[4];
            sz_get16(p->img, xx + x0, yy + y0, q);
            if (near[o].d2 < best || q[3] > px[3]) best = near[o].d2, memcpy(px, q, 4 * sizeof *px);
        }
        return best;
    }
    for (int yy = SZ_MAX(0, y - reach); yy <= SZ_MIN(wh - 1, y + reach); yy++)
        for (int xx = SZ_MAX(0, x - reach); xx <= SZ_MIN(ww - 1, x + reach); xx++) {
            int dd = (xx - x) * (xx - x) + (yy - y) * (yy - y);
            if (!sz_bit(opened + (size_t)yy * words, xx) || dd > best) continue;
            uint16_t q[4];
            sz_get16(p->img, xx + x0, yy + y0, q);
            if (dd < best || q[3] > px[3]) best = dd, memcpy(px, q, 4 * sizeof *px);
        }
    return best;
}

/* The squared distance from window pixel (x, y) to the nearest set pixel
 * of `m` within the square of `reach`, or (reach + 1)^2 when there is none
 * that near. */
static int nearest_set_d2(const sz_word *m, int words, int ww, int wh, int x, int y, int reach)
{
    int best = (reach + 1) * (reach + 1);
    for (int yy = SZ_MAX(0, y - reach); yy <= SZ_MIN(wh - 1, y + reach); yy++)
        for (int xx = SZ_MAX(0, x - reach); xx <= SZ_MIN(ww - 1, x + reach); xx++) {
            int dd = (xx - x) * (xx - x) + (yy - y) * (yy - y);
            if (dd < best && sz_bit(m + (size_t)yy * words, xx)) best = dd;
        }
    return best;
}

/* One cluster's closing, in the window [x0, x0+ww) x [y0, y0+wh) around
 * it: the cluster's thick pixels grown back to the ink's edges (an
 * opening), then by r; the paper farther than r from anything outside
 * that dilation is a notch, painted with the colour of the nearest ink.
 * The masks are packed 64 pixels to a word and dilated by discs. */
static sz_status close_cluster(sz_ctx *ctx, const sz_part *p, sz_lines *ln, const uint8_t *thick,
                               const bites_tiles *t, int32_t c, float r, int x0, int y0, int ww, int wh,
                               bites_window *win)
{
    int w = p->w, reach = (int)ceilf(r) + 1; /* beyond r + 1/2: the notch's edge is fully opaque */
    int r2 = (int)floorf(r * r); /* a whole squared distance is beyond r exactly when beyond this */
    int words = sz_row_words(ww);
    size_t nw = (size_t)words * (size_t)wh;
    sz_word *opened = win->opened, *outside = win->outside, *grown = win->grown;
    uint8_t *m = win->notch;
    bool parallel = (size_t)ww * (size_t)wh > PARALLEL_MIN;
#define AT(wx, wy) ((size_t)((wy) + y0) * w + (size_t)((wx) + x0))
    /* the cluster's thick pixels */
    memset(outside, 0, nw * sizeof *outside);
#pragma omp parallel for if (parallel) num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < wh; y++) {
        const uint8_t *row = thick + AT(0, y);
        for (int x = sz_skip_unset(row, 0, ww); x < ww; x = sz_skip_unset(row, x + 1, ww))
            if (tile_label(t, x + x0, y + y0) == c) sz_bit_set(outside + (size_t)y * words, x);
    }
    /* the opening: thick ink grown back by 3 px, within the ink */
    sz_status st = sz_bits_dilate_disc(ctx, outside, ww, wh, 9, grown);
    if (!st) memset(opened, 0, nw * sizeof *opened);
    int rows = st ? 0 : wh;
#pragma omp parallel for if (parallel) num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < rows; y++) {
        const uint8_t *row = ln->solid + AT(0, y);
        const sz_word *g = grown + (size_t)y * words;
        for (int x = sz_skip_unset(row, 0, ww); x < ww; x = sz_skip_unset(row, x + 1, ww))
            if (sz_bit(g, x)) sz_bit_set(opened + (size_t)y * words, x);
    }
    /* outside its dilation by r, then the closing: what lies farther
     * than r from that */
    if (!st) st = sz_bits_dilate_disc(ctx, opened, ww, wh, r2, grown);
    if (!st) sz_bits_complement(ctx, grown, ww, wh, outside);
    if (!st) st = sz_bits_dilate_disc(ctx, outside, ww, wh, r2, grown);
    if (!st) sz_bits_complement(ctx, grown, ww, wh, grown); /* the closing */
    /* the paper in the closing that the layer leaves free */
    rows = st ? 0 : wh;
#pragma omp parallel for if (parallel) num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < rows; y++) {
        uint8_t *mrow = m + (size_t)y * ww;
        memset(mrow, 0, (size_t)ww);
        const sz_word *g = grown + (size_t)y * words;
        for (int j = 0; j < words; j++)
            for (sz_word in = g[j]; in; in &= in - 1) {
                int x = 64 * j + __builtin_ctzll(in);
                size_t i = AT(x, y);
                mrow[x] = !ln->solid[i] && !p->hidden[i] && sz_ink_cover(&ln->drawn, x + x0, y + y0) <= 0 &&
                          sz_alpha16(p->img, x + x0, y + y0) == 0;
            }
    }
    /* A notch is at most a gap across (an erased dab is round); paper the
     * closing would fill for longer than that is a slot or a corner the
     * artist drew, and stays. */
    sz_runs notch = {0};
    int notches = st ? 0 : sz_label_runs(ctx, m, ww, wh, true, &notch);
    int32_t *box = notches > 0 ? sz_malloc_array(ctx, (size_t)notches + 1, 4 * sizeof *box) : NULL;
    if (notches < 0 || (notches > 0 && !box)) st = SZ_ERR_NOMEM;
    if (box) sz_runs_boxes(&notch, box, NULL);
    /* the notch pixels, in scan order */
    long npx = 0;
    for (int y = 0; y < wh && !st && notches > 0; y++)
        for (int32_t j = notch.row_start[y]; j < notch.row_start[y + 1]; j++) {
            const int32_t *b = box + 4 * notch.label[j];
            if (b[2] - b[0] <= 2 * r && b[3] - b[1] <= 2 * r) npx += notch.x1[j] - notch.x0[j] + 1;
        }
    int32_t *at = npx ? sz_malloc_array(ctx, (size_t)npx, sizeof *at) : NULL;
    float *paint = npx ? sz_malloc_array(ctx, (size_t)npx, 4 * sizeof *paint) : NULL;
    if (npx && (!at || !paint)) st = SZ_ERR_NOMEM;
    npx = 0;
    for (int y = 0; y < wh && !st && notches > 0; y++)
        for (int32_t j = notch.row_start[y]; j < notch.row_start[y + 1]; j++) {
            const int32_t *b = box + 4 * notch.label[j];
            if (b[2] - b[0] > 2 * r || b[3] - b[1] > 2 * r) continue;
            for (int x = notch.x0[j]; x <= notch.x1[j]; x++) at[npx++] = y * ww + x;
        }
    /* each one's colour (in parallel: they only read), then painted in
     * order; the nearest ink is searched nearest first when the square
     * of `reach` fits the table of offsets, else over all of that square */
    const sz_near_offset *near = sz_near_offsets();
#pragma omp parallel for if (npx > 256) num_threads(sz_threads(ctx)) schedule(dynamic, 64)
    for (long k = 0; k < (st ? 0 : npx); k++) {
        int x = at[k] % ww, y = at[k] / ww;
        uint16_t px[4];
        int best = nearest_ink(p, opened, words, x0, y0, ww, wh, x, y, reach, near, px);
        float depth = sqrtf((float)nearest_set_d2(outside, words, ww, wh, x, y, reach)); /* into the closing */
        float *o = paint + 4 * k;
        o[3] = best == INT32_MAX ? -1 : SZ_CLAMP(depth - r + 0.5f, 0.0f, 1.0f) * px[3] / 65535.0f;
        for (int k3 = 0; k3 < 3; k3++) o[k3] = sz_srgb16_to_linear(px[k3]);
    }
    for (long k = 0; k < (st ? 0 : npx); k++)
        if (paint[4 * k + 3] >= 0) sz_ink_set(&ln->drawn, at[k] % ww + x0, at[k] / ww + y0, paint[4 * k + 3], paint + 4 * k);
    free(at), free(paint);
#undef AT
    sz_runs_free(&notch);
    free(box);
    return st;
}

/* Bites out of filled ink: where a thick area of ink (wider than 5 px)
 * has a notch narrower than the gap distance, a closing of that area with
 * a disc of the gap's radius fills the notch, if it is no longer than that
 * distance either (a longer slot is drawn).  Thin lines take no part
 * (their gaps are bridged by their ends), and only paper is painted.
 * Thick pixels far enough apart that their closings cannot meet are
 * closed in separate windows, so scattered thick spots (where strokes
 * cross) cost their surroundings, not the whole layer. */
sz_status sz_lines_close_bites(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    /* Thick: ink with no paper (no ink, not hidden) within 2.5 px.  Line
     * art rarely has any, so this cheap test usually ends the work. */
    uint8_t *thick = sz_calloc(ctx, n, 1);
    if (!thick) return SZ_ERR_NOMEM;
    long nthick = 0;
    /* (rows as threads come free: the ink may gather) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(+ : nthick)
    for (int y = 0; y < h; y++) {
        const uint8_t *solid = ln->solid + (size_t)y * w;
        for (int x = sz_skip_unset(solid, 0, w); x < w; x = sz_skip_unset(solid, x + 1, w)) {
            bool t = true;
            if (x >= 2 && y >= 2 && x + 2 < w && y + 2 < h) { /* inside: no bounds to check */
                size_t i = (size_t)y * w + x;
                for (int k = 0; t && k < 21; k++) {
                    ptrdiff_t o = (ptrdiff_t)THICK_DY[k] * w + THICK_DX[k];
                    t = ln->solid[i + o] || p->hidden[i + o];
                }
            } else
                for (int k = 0; t && k < 21; k++) t = !paper_at(p, ln, x + THICK_DX[k], y + THICK_DY[k]);
            thick[(size_t)y * w + x] = t;
            nthick += t;
        }
    }
    if (!nthick) {
        free(thick);
        return SZ_OK;
    }
    /* The opening grows thick ink back by 3 px, the closing reaches r
     * beyond that and looks r further: a window needs that margin.  Two
     * groups of thick pixels whose opened ink lies more than 4r apart
     * close alike alone or together, so groups nearer than 4r + 6 px must
     * share a window: tiles whose pixels may lie that near share one (at
     * the default gap, tiles up to 3 apart). */
    float r = lp->max_gap / 2;
    int margin = (int)ceilf(3 + 2 * r) + 2, near = (int)ceilf(4 * r) + 6;
    bites_tiles t = {.size = TILE};
    int clusters = label_tiles(ctx, thick, w, h, near, &t);
    sz_status st = clusters < 0 ? SZ_ERR_NOMEM : SZ_OK;
    /* each cluster's window: its thick pixels' bounds and the margin */
    int32_t *box = st ? NULL : sz_malloc_array(ctx, (size_t)clusters + 1, 4 * sizeof *box);
    if (!st && !box) st = SZ_ERR_NOMEM;
    for (int c = 0; c <= clusters && !st; c++) box[4 * c] = box[4 * c + 1] = INT32_MAX, box[4 * c + 2] = box[4 * c + 3] = -1;
    for (size_t k = 0; !st && k < (size_t)t.tw * (size_t)t.th; k++) {
        int32_t c = t.label[k], *b = box + 4 * c;
        const int32_t *bt = t.bounds + 4 * k;
        if (!c) continue;
        b[0] = SZ_MIN(b[0], bt[0]), b[1] = SZ_MIN(b[1], bt[1]);
        b[2] = SZ_MAX(b[2], bt[2]), b[3] = SZ_MAX(b[3], bt[3]);
    }
    size_t largest = 0, largest_words = 0;
    for (int c = 1; c <= clusters && !st; c++) {
        int32_t *b = box + 4 * c;
        b[0] = SZ_MAX(0, b[0] - margin), b[1] = SZ_MAX(0, b[1] - margin);
        b[2] = SZ_MIN(w - 1, b[2] + margin), b[3] = SZ_MIN(h - 1, b[3] + margin);
        largest = SZ_MAX(largest, (size_t)(b[2] - b[0] + 1) * (size_t)(b[3] - b[1] + 1));
        largest_words = SZ_MAX(largest_words, (size_t)sz_row_words(b[2] - b[0] + 1) * (size_t)(b[3] - b[1] + 1));
    }
    /* one workspace, as large as the largest window, serves them all */
    bites_window win = {0};
    if (!st && clusters) {
        win.opened = sz_malloc_array(ctx, largest_words, sizeof *win.opened);
        win.outside = sz_malloc_array(ctx, largest_words, sizeof *win.outside);
        win.grown = sz_malloc_array(ctx, largest_words, sizeof *win.grown);
        win.notch = sz_malloc(ctx, largest);
        if (!win.opened || !win.outside || !win.grown || !win.notch) st = SZ_ERR_NOMEM;
    }
    for (int c = 1; c <= clusters && !st; c++) {
        const int32_t *b = box + 4 * c;
        st = close_cluster(ctx, p, ln, thick, &t, c, r, b[0], b[1], b[2] - b[0] + 1, b[3] - b[1] + 1, &win);
    }
    free(win.opened), free(win.outside), free(win.grown), free(win.notch);
    free(thick), free(box), free(t.label), free(t.bounds);
    return st;
}

/* Small holes inside filled ink (a gap is not always across a stroke: it
 * can be a hole in a dark area) take the colour of the ink around them.
 * A hole qualifies when it is at most a max-gap disc in area and a ring of
 * 3 px around it is all ink, which thin lines around a small cell are not. */
sz_status sz_lines_close_holes(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    uint8_t *paper = sz_malloc(ctx, n);
    if (!paper) return SZ_ERR_NOMEM;
    long count_px = (long)n;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (long i = 0; i < count_px; i++) paper[i] = !ln->solid[i] && !p->hidden[i];
    /* components as runs: only the few small ones are ever looked at */
    sz_runs runs;
    int count = sz_label_runs(ctx, paper, w, h, false, &runs);
    free(paper);
    if (count < 0) return SZ_ERR_NOMEM;
    int32_t *area = sz_malloc_array(ctx, (size_t)count + 1, sizeof *area);
    int32_t *bbox = sz_malloc_array(ctx, (size_t)count + 1, 4 * sizeof *bbox);
    float max_area = (float)M_PI * (lp->max_gap / 2) * (lp->max_gap / 2);
    uint8_t *hole = NULL; /* the window of the hole at hand, grown as needed */
    size_t hole_cap = 0;
    if (!area || !bbox) {
        sz_runs_free(&runs), free(area), free(bbox);
        return SZ_ERR_NOMEM;
    }
    sz_runs_boxes(&runs, bbox, area);
    for (int k = 1; k <= count; k++) {
        if (area[k] > max_area) continue;
        int x0 = bbox[4 * k] - 3, y0 = bbox[4 * k + 1] - 3, x1 = bbox[4 * k + 2] + 3, y1 = bbox[4 * k + 3] + 3;
        if (x0 < 0 || y0 < 0 || x1 >= w || y1 >= h) continue; /* touches the edge: not enclosed */
        /* the hole in a window with a margin of 3 around it */
        int ww = x1 - x0 + 1, wh = y1 - y0 + 1;
        if ((size_t)ww * (size_t)wh > hole_cap) {
            free(hole);
            hole_cap = (size_t)ww * (size_t)wh;
            if (!(hole = sz_malloc(ctx, hole_cap))) {
                sz_runs_free(&runs), free(area), free(bbox);
                return SZ_ERR_NOMEM;
            }
        }
        memset(hole, 0, (size_t)ww * (size_t)wh);
        sz_runs_paint(&runs, k, x0, y0, ww, wh, hole);
#define IN_HOLE(x, y) hole[(size_t)((y) - y0) * ww + ((x) - x0)]
        bool ok = true;
        double rgb[3] = {0, 0, 0}, alpha = 0;
        int ring = 0;
        for (int y = y0; y <= y1 && ok; y++)
            for (int x = x0; x <= x1 && ok; x++) {
                size_t i = (size_t)y * w + x;
                if (IN_HOLE(x, y)) continue;
                /* within 3 px of the hole? */
                bool near = false;
                for (int dy = -3; dy <= 3 && !near; dy++)
                    for (int dx = -3; dx <= 3 && !near; dx++) {
                        int xx = x + dx, yy = y + dy;
                        near = xx >= x0 && yy >= y0 && xx <= x1 && yy <= y1 && IN_HOLE(xx, yy) && dx * dx + dy * dy <= 9;
                    }
                if (!near) continue;
                if (!ln->solid[i]) ok = false;
                uint16_t c[4];
                sz_get16(p->img, x, y, c);
                for (int j = 0; j < 3; j++) rgb[j] += sz_srgb16_to_linear(c[j]);
                alpha += c[3] / 65535.0;
                ring++;
            }
        if (!ok || !ring) continue;
        float colour[3];
        for (int j = 0; j < 3; j++) colour[j] = (float)(rgb[j] / ring);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
                if (IN_HOLE(x, y)) sz_ink_set(&ln->drawn, x, y, (float)(alpha / ring), colour);
#undef IN_HOLE
        ln->holes++;
    }
    sz_runs_free(&runs), free(area), free(bbox), free(hole);
    return SZ_OK;
}

