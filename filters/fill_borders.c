/*
 * fill_borders.c — borders between colour regions that run into the
 * hidden region at a slant go on at that slant.
 *
 * The fill takes each pixel's colour from its nearest visible source
 * (fill_sources.c).  Nearest means square to the cut: a border that meets
 * the cut at a slant (painted stripes, the line where a sleeve's two
 * colours meet) turns square to it in the fill, and stripes that cross a
 * cover at 45 degrees come out as a zigzag down its middle.  An artist
 * carries such a border straight on.
 *
 * So where the borders of colour regions around a pixel's nearest source
 * run one way (their structure tensor is coherent), the pixel takes its
 * colour from where a line that way through it comes out of the cover,
 * instead: the nearer of its two ends.  The borders are looked at within
 * about the pixel's depth of its source (a deep pixel sits beside a
 * border that meets the cut far along it), on a grid of CELL px cells
 * summed so that any window costs four reads.  Where they curve (read
 * again further back along them), the line bends as they do.  On the
 * shared benchmark's cases this lowered de by .19, and by .15 to .21 on
 * three other sets (DESIGN.md, "Borders that meet the cut at a slant").
 */
#include "fill.h"
#include "geom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cell (px) of the grid the borders' tensors are summed over. */
enum { CELL = 4 };

/* The window (px each way of the nearest source) in which the borders
 * are read: the pixel's depth, within these bounds. */
enum { WINDOW_MIN = 8, WINDOW_MAX = 64 };

/* Pixels deeper than this (px from their source) keep their nearest
 * source: what the window about the source shows says less of them (de
 * was level or lower on four sets), and the lines' length, which is the
 * step's cost, stays bounded (`make bench`'s 4096 px part painted in
 * stripes all over, 40% of it hidden: 9.5 s unbounded, 0.9 s so). */
enum { DEPTH_MAX = 2 * WINDOW_MAX };

/* How one-way the borders in the window must run: (l1 - l2) / (l1 + l2)
 * of the tensor's eigenvalues. */
#define COHERENT 0.9

/* A line through a filled pixel is followed at most this many times the
 * pixel's depth (plus LINE_SLACK px): up to about 60 degrees off square. */
#define LINE_REACH 2.0f
enum { LINE_SLACK = 6 };

/* A border that curves goes on curving: its way is read again TURN_BACK
 * window half-sides back along it, in the visible part, and the turn
 * between the two, per px, bends the line (at most TURN_MAX rad a px,
 * and a quarter turn along the whole line). */
enum { TURN_BACK = 2 };
#define TURN_MAX 0.05f

/* Visible pixels that are not sources (a stroke's ink) a line may cross
 * on its way out of the cover. */
enum { INK_CROSS = 2 * SZ_STROKE_OPEN + 2 };

/* The summed-area table's entry: the tensor's three sums and how many
 * border pixels gave them. */
typedef struct tensor_sum {
    int64_t xx, xy, yy, n; /* at most (16 * 255)^2 * 3 a pixel: no overflow below 2^37 pixels */
} tensor_sum;

typedef struct border_grid {
    tensor_sum *sat; /* (gw + 1) * (gh + 1), row 0 and column 0 zero */
    int gw, gh;
} border_grid;

static void rgb8(const sz_image *img, int x, int y, int out[3])
{
    if (img->depth == 8) {
        const uint8_t *px = sz_row8(img, y) + 4 * (size_t)x;
        out[0] = px[0], out[1] = px[1], out[2] = px[2];
    } else {
        uint16_t c[4];
        sz_get16(img, x, y, c);
        out[0] = c[0] >> 8, out[1] = c[1] >> 8, out[2] = c[2] >> 8;
    }
}

/* The colour gradient at (x, y) by Scharr's kernel, whose direction is
 * true to a degree or so at any slant (central differences are 4 to 8
 * off on anti-aliased stripes): only where all eight neighbours are
 * sources, else false. */
static bool gradient(const sz_part *p, const uint8_t *src, int x, int y, int gx[3], int gy[3])
{
    int w = p->w, h = p->h;
    if (x < 1 || y < 1 || x + 1 >= w || y + 1 >= h) return false;
    int c[3][3][3];
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            if (!src[(size_t)(y + dy) * w + (x + dx)]) return false;
            rgb8(p->img, x + dx, y + dy, c[dy + 1][dx + 1]);
        }
    for (int k = 0; k < 3; k++) {
        gx[k] = 3 * (c[0][2][k] - c[0][0][k]) + 10 * (c[1][2][k] - c[1][0][k]) + 3 * (c[2][2][k] - c[2][0][k]);
        gy[k] = 3 * (c[2][0][k] - c[0][0][k]) + 10 * (c[2][1][k] - c[0][1][k]) + 3 * (c[2][2][k] - c[0][2][k]);
    }
    return true;
}

/* Sums the structure tensor of the colour at every border pixel (a
 * source with a 4-neighbour source of another colour,
 * sz_fill_colour_border) into the grid's cells, then makes the sums
 * cumulative.  Only columns
 * [span[2 cy], span[2 cy + 1]) of the rows of cell row cy are read: no
 * window asked of the grid reaches beyond them.  *borders receives how
 * many border pixels there are. */
static sz_status border_grid_make(sz_ctx *ctx, const sz_part *p, const uint8_t *src, const int *span, border_grid *g,
                                  long *borders)
{
    int w = p->w, h = p->h;
    size_t stride = (size_t)g->gw + 1;
    g->sat = sz_calloc(ctx, stride * ((size_t)g->gh + 1), sizeof *g->sat);
    if (!g->sat) return SZ_ERR_NOMEM;
    long count = 0;
    /* each band of CELL rows fills its own row of cells */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 4) reduction(+ : count)
    for (int cy = 0; cy < g->gh; cy++) {
        tensor_sum *cells = g->sat + (size_t)(cy + 1) * stride + 1;
        for (int y = cy * CELL; y < SZ_MIN(h, (cy + 1) * CELL); y++)
            for (int x = span[2 * cy]; x < span[2 * cy + 1]; x++) {
                int gx[3], gy[3];
                if (!src[(size_t)y * w + x] || !sz_fill_colour_border(p, src, x, y) || !gradient(p, src, x, y, gx, gy))
                    continue;
                tensor_sum *t = cells + x / CELL;
                for (int k = 0; k < 3; k++)
                    t->xx += gx[k] * gx[k], t->xy += gx[k] * gy[k], t->yy += gy[k] * gy[k];
                t->n++, count++;
            }
    }
    *borders = count;
    /* cumulative along rows, then down columns */
    for (int cy = 1; cy <= g->gh; cy++) {
        tensor_sum *row = g->sat + (size_t)cy * stride, *up = row - stride;
        tensor_sum acc = {0, 0, 0, 0};
        for (int cx = 1; cx <= g->gw; cx++) {
            acc.xx += row[cx].xx, acc.xy += row[cx].xy, acc.yy += row[cx].yy, acc.n += row[cx].n;
            row[cx].xx = acc.xx + up[cx].xx, row[cx].xy = acc.xy + up[cx].xy;
            row[cx].yy = acc.yy + up[cx].yy, row[cx].n = acc.n + up[cx].n;
        }
    }
    return SZ_OK;
}

/* The columns each cell row of the grid is read over (span, as
 * border_grid_make takes it): within NEEDED px of a filled pixel, since
 * a filled pixel's source lies beside the cover (or across a stroke from
 * it), and the window about the source reaches WINDOW_MAX px, the one
 * read back along its borders TURN_BACK + 1 times that. */
enum { NEEDED = (TURN_BACK + 1) * WINDOW_MAX + INK_CROSS + CELL };
static sz_status grid_spans(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *want,
                            const border_grid *g, int **out)
{
    int w = p->w, h = p->h;
    int *filled = sz_malloc_array(ctx, 2 * (size_t)h, sizeof *filled); /* each row's first and last filled x */
    int *span = sz_malloc_array(ctx, 2 * (size_t)g->gh, sizeof *span);
    if (!filled || !span) {
        free(filled), free(span);
        return SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++) {
        const uint8_t *row = shape + (size_t)y * w;
        int x0 = want[y] ? sz_skip_unset(row, 0, w) : w, x1 = x0;
        for (int x = x0; x < w; x++)
            if (row[x]) x1 = x + 1;
        filled[2 * y] = x0, filled[2 * y + 1] = x1;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int cy = 0; cy < g->gh; cy++) {
        int lo = w, hi = 0;
        for (int y = SZ_MAX(0, cy * CELL - NEEDED); y < SZ_MIN(h, (cy + 1) * CELL + NEEDED); y++)
            if (filled[2 * y] < filled[2 * y + 1]) lo = SZ_MIN(lo, filled[2 * y]), hi = SZ_MAX(hi, filled[2 * y + 1]);
        span[2 * cy] = lo < hi ? SZ_MAX(0, lo - NEEDED) : 0;
        span[2 * cy + 1] = lo < hi ? SZ_MIN(w, hi + NEEDED) : 0;
    }
    free(filled);
    *out = span;
    return SZ_OK;
}

/* Whether the borders within r px of (x, y) run one way; if so, that way
 * as a unit vector. */
static bool border_direction(const border_grid *g, int x, int y, int r, float *vx, float *vy)
{
    int cx0 = SZ_MAX(0, (x - r) / CELL), cy0 = SZ_MAX(0, (y - r) / CELL);
    int cx1 = SZ_MIN(g->gw, (x + r) / CELL + 1), cy1 = SZ_MIN(g->gh, (y + r) / CELL + 1);
    size_t stride = (size_t)g->gw + 1;
    const tensor_sum *a = g->sat + (size_t)cy0 * stride + cx0, *b = g->sat + (size_t)cy0 * stride + cx1,
                     *c = g->sat + (size_t)cy1 * stride + cx0, *d = g->sat + (size_t)cy1 * stride + cx1;
    int64_t n = d->n - b->n - c->n + a->n;
    if (n < r) return false; /* no border of some length crosses the window */
    double xx = (double)(d->xx - b->xx - c->xx + a->xx), xy = (double)(d->xy - b->xy - c->xy + a->xy),
           yy = (double)(d->yy - b->yy - c->yy + a->yy);
    double trace = xx + yy, spread = sqrt((xx - yy) * (xx - yy) + 4 * xy * xy);
    if (!(trace > 0) || spread < COHERENT * trace) return false;
    double across = 0.5 * atan2(2 * xy, xx - yy); /* the colour changes most this way */
    *vx = (float)-sin(across), *vy = (float)cos(across);
    return true;
}

/* How fast (rad per px) the borders about source (jx, jy), read in a
 * window of half-side r, turn going from it the way (vx, vy) along them:
 * the angle from that way to theirs TURN_BACK half-sides further on,
 * over that distance.  0 where they do not run one way there. */
static float border_turn(const border_grid *g, int w, int h, int jx, int jy, int r, float vx, float vy)
{
    int back = TURN_BACK * r;
    int bx = jx + (int)lroundf(vx * (float)back), by = jy + (int)lroundf(vy * (float)back);
    float ux, uy;
    if (bx < 0 || by < 0 || bx >= w || by >= h || !border_direction(g, bx, by, r, &ux, &uy)) return 0;
    if (ux * vx + uy * vy < 0) ux = -ux, uy = -uy;
    return atan2f(vx * uy - vy * ux, vx * ux + vy * uy) / (float)back;
}

/* (vx, vy) turned by the angle whose cosine and sine are c and s. */
static void turn_by(float *vx, float *vy, float c, float s)
{
    float x = *vx;
    *vx = x * c - *vy * s, *vy = x * s + *vy * c;
}

/* Follows the line from filled pixel (x, y) by (vx, vy) per step out of
 * the cover, its way turning by `turn` rad a step, at most `reach`
 * steps: the source it comes out on (and after how many steps, *len), or
 * -1 when it leaves the part first. */
static int32_t line_out(const sz_part *p, const uint8_t *shape, const uint8_t *src, int x, int y, float vx, float vy,
                        float turn, int reach, int *len)
{
    int w = p->w, h = p->h, ink = 0;
    float fx = (float)x + 0.5f, fy = (float)y + 0.5f; /* from the pixel's centre */
    float c = cosf(turn), s = sinf(turn);
    for (int t = 1; t <= reach; t++) {
        fx += vx, fy += vy;
        turn_by(&vx, &vy, c, s);
        if (fx < 0 || fy < 0) return -1;
        int px = (int)fx, py = (int)fy; /* (the pixel the point lies in) */
        if (px >= w || py >= h) return -1;
        size_t i = (size_t)py * w + px;
        if (p->hidden[i]) {
            if (!shape[i]) return -1; /* out of the completed shape */
            continue;
        }
        if (src[i]) {
            *len = t;
            return (int32_t)i;
        }
        if (!sz_alpha16(p->img, px, py) || ++ink > INK_CROSS) return -1; /* off the part, or not a stroke */
    }
    return -1;
}

/* (fill.h) Runs after the narrow regions' rule (fill_sources.c). */
sz_status sz_fill_follow_borders(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const uint8_t *src,
                                 const uint8_t *want, int32_t *near)
{
    int w = p->w, h = p->h;
    border_grid g = {.gw = (w + CELL - 1) / CELL, .gh = (h + CELL - 1) / CELL};
    int *span = NULL;
    long borders = 0;
    sz_status st = grid_spans(ctx, p, shape, want, &g, &span);
    if (!st) st = border_grid_make(ctx, p, src, span, &g, &borders);
    free(span);
    if (st || !borders) {
        free(g.sat);
        return st;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < h; y++) {
        if (!want[y]) continue;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            int32_t j = shape[i] ? near[i] : -1;
            if (j < 0 || !src[j]) continue; /* (a stroke's ink going on at the cut) */
            int jx = j % w, jy = j / w;
            float depth = sz_pixel_distance(x - jx, y - jy);
            if (depth > DEPTH_MAX) continue;
            int r = SZ_CLAMP((int)depth, WINDOW_MIN, WINDOW_MAX);
            float vx, vy;
            if (!border_direction(&g, jx, jy, r, &vx, &vy)) continue;
            /* the way towards the source first: its end is the nearer more
             * often, and bounds the search the other way */
            if (vx * (float)(jx - x) + vy * (float)(jy - y) < 0) vx = -vx, vy = -vy;
            int reach = (int)(LINE_REACH * depth) + LINE_SLACK, ahead = 0, back = 0;
            /* The borders' turn, going back along them from the cover
             * (the way (vx, vy) now points), bends the line; the pixel
             * lies `along` px further into the cover than its source, where
             * the border's way has turned the other way as much. */
            float most = SZ_MIN(TURN_MAX, (float)M_PI_2 / (float)reach);
            float turn = SZ_CLAMP(border_turn(&g, w, h, jx, jy, r, vx, vy), -most, most);
            float along = SZ_MAX(0.0f, vx * (float)(jx - x) + vy * (float)(jy - y));
            turn_by(&vx, &vy, cosf(turn * along), -sinf(turn * along));
            int32_t a = line_out(p, shape, src, x, y, vx, vy, turn, reach, &ahead);
            int32_t b = line_out(p, shape, src, x, y, -vx, -vy, -turn, a >= 0 ? ahead - 1 : reach, &back);
            int32_t k = b >= 0 ? b : a;
            if (k >= 0) near[i] = k;
        }
    }
    free(g.sat);
    return SZ_OK;
}
