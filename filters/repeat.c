/*
 * repeat.c — finding the step by which a part repeats a pattern (a braid,
 * a frieze of chevrons, a row of studs), so that each hidden pixel can
 * take what the pattern shows a step or a few steps away (mirror.c paints
 * it).
 *
 * The fill continues each colour from the nearest visible one, so a
 * pattern of small motifs comes out under the cover as smears of its
 * colours; an artist draws the motifs on.  The pattern says where they go
 * only if it truly repeats, so the step is kept on two kinds of evidence:
 *
 * - the motifs' edges land on edges of like colour when moved by the
 *   step.  Only edges are counted (borders between colours inside the
 *   part): a flat area agrees with itself under any move and says
 *   nothing;
 * - the step stands out: moved by half of it, or by one and a half, the
 *   edges agree much less.  A long straight border agrees with itself
 *   under every move along it, a true period only under its multiples.
 *
 * The search runs on a grid of cells, about GRID_CELLS across the visible
 * part, over every move up to a third of it (a pattern seen fewer than
 * three times is no evidence of one), and the step found is then set to
 * the pixel at full resolution.  On the measuring sets it fires on a
 * braided band (de 32 -> 3 on some of its cases) and on nothing else;
 * DESIGN.md, "A part that repeats a pattern".
 */
#include "mirror.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cells across the visible part's longer side. */
enum { GRID_CELLS = 160 };
/* The longest move looked at, in cells: a third of the grid's longer
 * side, which is at most GRID_CELLS (agreement_map counts each row of
 * moves in arrays this bound sizes). */
enum { MAX_MOVE = GRID_CELLS / 3 };
/* Pixels read per cell side (the cell is the part's body if they all
 * are). */
enum { CELL_SAMPLES = 4 };
/* Edges counted at most (picked from all of them), at the grid and at
 * full resolution. */
enum { MAX_GRID_EDGES = 512, MAX_PIXEL_EDGES = 8192 };
/* At most this many edge pixels are read in all while the step is set to
 * the pixel: the moves tried grow as the square of the cell size, and
 * the edges each move reads shrink to match (a braid's step stands out by
 * far more than the few hundred it leaves tell apart). */
#define REFINE_READS 5000000L
/* Fewer edge cells than this: no pattern to speak of. */
enum { MIN_EDGES = 50 };
/* The shortest step looked at (cells): a move of a cell or two makes any
 * edge agree with its neighbour. */
enum { MIN_STEP = 3 };
/* What the step must show to be kept: the share of edges it moves onto
 * an edge of like colour, among those it moves onto the part; how much
 * less half a step and one and a half must agree; and the share of the
 * edges it moves onto the part (a pattern along a band is judged from
 * those the band holds a step away). */
#define MIN_AGREE 0.6f
#define MIN_PEAK 0.4f
#define MIN_SUPPORT 0.35f
/* Moves that agree within this of the best are as good as it. */
#define AS_GOOD 0.05f

/* A cell of the grid: whether it is all visible body (and so judged), the
 * 8-bit colour of its middle pixel, and whether it is an edge. */
typedef struct cell {
    uint8_t body, edge;
    uint8_t rgb[3];
} cell;

/* Whether two colours are alike, as to the mirror. */
static bool alike(const uint8_t *a, const uint8_t *b)
{
    int dr = a[0] - b[0], dg = a[1] - b[1], db = a[2] - b[2];
    return dr * dr + dg * dg + db * db <= SZ_MIRROR_LIKE_COLOUR;
}

/* Whether work pixel i is visible body, and its colour. */
static bool body_pixel(const sz_part *p, size_t i, uint8_t rgb[3])
{
    if (p->touched[i]) return false;
    uint16_t px[4];
    sz_get16_at(p->img, i, px);
    rgb[0] = (uint8_t)(px[0] >> 8), rgb[1] = (uint8_t)(px[1] >> 8), rgb[2] = (uint8_t)(px[2] >> 8);
    return px[3] >= 32768;
}

/* Whether the edge at index i is among the one in `every` that are read:
 * by a hash of i, not by counting them off, which keeps to one side of
 * every border of a regular pattern (edges come in pairs across each) and
 * so measured a step a stripe off as agreeing best. */
static bool picked(size_t i, long every)
{
    return every <= 1 || ((uint32_t)i * 2654435761u >> 7) % (uint32_t)every == 0;
}

/* Whether pixel (x, y) is an edge: visible body beside visible body of
 * another colour (on either side: a step a pixel off lands a border's
 * pixels on the same colours when only one side of it counts). */
static bool edge_pixel(const sz_part *p, int x, int y)
{
    uint8_t a[3], b[3];
    size_t i = (size_t)y * p->w + x;
    if (!body_pixel(p, i, a)) return false;
    return (x + 1 < p->w && body_pixel(p, i + 1, b) && !alike(a, b)) ||
           (x > 0 && body_pixel(p, i - 1, b) && !alike(a, b)) ||
           (y + 1 < p->h && body_pixel(p, i + (size_t)p->w, b) && !alike(a, b)) ||
           (y > 0 && body_pixel(p, i - (size_t)p->w, b) && !alike(a, b));
}

/* The grid over the visible part's bounds, `size` px a cell: each cell
 * read at up to CELL_SAMPLES x CELL_SAMPLES pixels. */
static void make_grid(sz_ctx *ctx, const sz_part *p, int size, int gw, int gh, cell *g)
{
    int stride = SZ_MAX(1, size / CELL_SAMPLES);
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (int cy = 0; cy < gh; cy++)
        for (int cx = 0; cx < gw; cx++) {
            cell *c = &g[(size_t)cy * gw + cx];
            int n = 0;
            bool body = true;
            for (int y = p->vy0 + cy * size; body && y < SZ_MIN(p->vy1, p->vy0 + (cy + 1) * size); y += stride)
                for (int x = p->vx0 + cx * size; body && x < SZ_MIN(p->vx1, p->vx0 + (cx + 1) * size);
                     x += stride) {
                    uint8_t rgb[3];
                    body = body_pixel(p, (size_t)y * p->w + x, rgb);
                    n++;
                }
            /* the colour of the cell's middle pixel, not the mean: a
             * mean over a border depends on where the border crosses the
             * cell, which is not the same a step along unless the step is
             * a whole number of cells */
            int mx = SZ_MIN(p->vx1 - 1, p->vx0 + cx * size + size / 2);
            int my = SZ_MIN(p->vy1 - 1, p->vy0 + cy * size + size / 2);
            c->body = body && n && body_pixel(p, (size_t)my * p->w + mx, c->rgb);
            c->edge = 0;
        }
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (int cy = 0; cy < gh; cy++)
        for (int cx = 0; cx < gw; cx++) {
            cell *c = &g[(size_t)cy * gw + cx];
            if (!c->body) continue;
            static const int step[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
            for (int k = 0; k < 4 && !c->edge; k++) {
                int nx = cx + step[k][0], ny = cy + step[k][1];
                if (nx < 0 || ny < 0 || nx >= gw || ny >= gh) continue;
                const cell *o = &g[(size_t)ny * gw + nx];
                c->edge = o->body && !alike(c->rgb, o->rgb);
            }
        }
}

/* The agreement of every move (dx, dy) with 0 <= dy <= r, |dx| <= r,
 * one way of each pair (dy > 0, or dy = 0 and dx > 0), no shorter than
 * MIN_STEP: of the edges (cell indices) moved by it, how many land on the
 * part's body, and of those how many on an edge of like colour; in
 * map[dy][dx + r], -1 where too few land on the body to judge or the
 * move is not looked at.  For each dy, every edge sweeps its row of
 * moves at once: the cells it lands on lie side by side in one grid row,
 * so the counts of a whole row of moves grow in one pass over memory
 * (a move at a time read the grid at random, and was most of the time a
 * small part took to complete). */
static void agreement_map(sz_ctx *ctx, const cell *g, int gw, int gh, const int32_t *edges, int n, int r,
                          float *map)
{
    enum { MAX_SIDE = 2 * MAX_MOVE + 1 };
    int side = 2 * r + 1;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 1)
    for (int dy = 0; dy <= r; dy++) {
        int on_body[MAX_SIDE] = {0}, agree[MAX_SIDE] = {0};
        for (int k = 0; k < n; k++) {
            int ex = edges[k] % gw, y = edges[k] / gw + dy;
            if (y >= gh) continue;
            const cell *a = &g[edges[k]], *row = g + (size_t)y * gw + ex;
            for (int dx = SZ_MAX(-r, -ex); dx <= SZ_MIN(r, gw - 1 - ex); dx++) {
                on_body[dx + r] += row[dx].body;
                agree[dx + r] += row[dx].edge && alike(a->rgb, row[dx].rgb);
            }
        }
        for (int dx = -r; dx <= r; dx++) {
            bool looked_at = (dy > 0 || dx > 0) && dx * dx + dy * dy >= MIN_STEP * MIN_STEP;
            int o = on_body[dx + r];
            bool judged = looked_at && o >= MIN_SUPPORT * n && o;
            map[(size_t)dy * side + dx + r] = judged ? (float)agree[dx + r] / (float)o : -1;
        }
    }
}

/* The map's agreement of move (dx, dy), either way round; 0 where not
 * judged (a move too short, too long, or with too little support says
 * nothing against a peak). */
static float map_at(const float *map, int r, int dx, int dy)
{
    if (dy < 0 || (dy == 0 && dx < 0)) dx = -dx, dy = -dy;
    if (dy > r || dx < -r || dx > r) return 0;
    return SZ_MAX(0.0f, map[(size_t)dy * (2 * r + 1) + dx + r]);
}

/* The step at full resolution: of the moves within `slack` px of
 * (sx, sy), the one under which most sampled edge pixels land on edge
 * pixels of the part in like colour (the nearest on a tie). */
static sz_status set_to_the_pixel(sz_ctx *ctx, const sz_part *p, int slack, int *sx, int *sy)
{
    if (slack == 0) return SZ_OK;
    /* the edge pixels */
    long total = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) reduction(+ : total)
    for (int y = p->vy0; y < p->vy1; y++)
        for (int x = p->vx0; x < p->vx1; x++) total += edge_pixel(p, x, y);
    if (!total) return SZ_OK;
    int side = 2 * slack + 1;
    int most = (int)SZ_MAX(64, SZ_MIN(MAX_PIXEL_EDGES, REFINE_READS / ((long)side * side)));
    long every = (total + most - 1) / most;
    int32_t *edges = sz_malloc_array(ctx, (size_t)most, sizeof *edges);
    uint8_t (*colour)[3] = sz_malloc_array(ctx, (size_t)most, sizeof *colour); /* each edge's, read once */
    long *score = sz_malloc_array(ctx, (size_t)side * side, sizeof *score);
    if (!edges || !colour || !score) {
        free(edges), free(colour), free(score);
        return SZ_ERR_NOMEM;
    }
    int n = 0;
    for (int y = p->vy0; y < p->vy1 && n < most; y++)
        for (int x = p->vx0; x < p->vx1 && n < most; x++) {
            size_t i = (size_t)y * p->w + x;
            if (!picked(i, every) || !edge_pixel(p, x, y)) continue; /* (the cheaper test first) */
            body_pixel(p, i, colour[n]);
            edges[n++] = (int32_t)i;
        }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 1)
    for (int k = 0; k < side * side; k++) {
        int dx = *sx + k % side - slack, dy = *sy + k / side - slack;
        long agree = 0;
        for (int e = 0; e < n; e++) {
            int x = edges[e] % p->w + dx, y = edges[e] / p->w + dy;
            uint8_t b[3];
            if (x < 0 || y < 0 || x >= p->w || y >= p->h) continue;
            agree += body_pixel(p, (size_t)y * p->w + x, b) && alike(colour[e], b) && edge_pixel(p, x, y);
        }
        score[k] = agree;
    }
    int best = -1, best_d = 0;
    for (int k = 0; k < side * side; k++) {
        int ox = k % side - slack, oy = k / side - slack, d = ox * ox + oy * oy;
        if (best < 0 || score[k] > score[best] || (score[k] == score[best] && d < best_d)) best = k, best_d = d;
    }
    *sx += best % side - slack, *sy += best / side - slack;
    free(edges), free(colour), free(score);
    return SZ_OK;
}

sz_status sz_repeat_find(sz_ctx *ctx, const sz_part *p, sz_mirror *m)
{
    memset(m, 0, sizeof *m);
    if (!p->img || !p->nhidden || p->vx1 <= p->vx0 || p->vy1 <= p->vy0) return SZ_OK;
    int longer = SZ_MAX(p->vx1 - p->vx0, p->vy1 - p->vy0);
    int size = (longer + GRID_CELLS - 1) / GRID_CELLS;
    int gw = (p->vx1 - p->vx0 + size - 1) / size, gh = (p->vy1 - p->vy0 + size - 1) / size;
    int r = longer / size / 3; /* <= MAX_MOVE, since longer / size <= GRID_CELLS */
    if (r < MIN_STEP) return SZ_OK;
    cell *g = sz_malloc_array(ctx, (size_t)gw * gh, sizeof *g);
    if (!g) return SZ_ERR_NOMEM;
    make_grid(ctx, p, size, gw, gh, g);
    int total = 0;
    for (size_t i = 0; i < (size_t)gw * gh; i++) total += g[i].edge;
    if (total < MIN_EDGES) {
        free(g);
        return SZ_OK;
    }
    /* the edges read, in grid order: the same whatever the threads */
    int every = (total + MAX_GRID_EDGES - 1) / MAX_GRID_EDGES, n = 0;
    int32_t *edges = sz_malloc_array(ctx, (size_t)MAX_GRID_EDGES, sizeof *edges);
    float *map = sz_malloc_array(ctx, (size_t)(r + 1) * (2 * r + 1), sizeof *map);
    if (!edges || !map) {
        free(g), free(edges), free(map);
        return SZ_ERR_NOMEM;
    }
    for (int i = 0; i < gw * gh && n < MAX_GRID_EDGES; i++)
        if (g[i].edge && picked((size_t)i, every)) edges[n++] = i;
    agreement_map(ctx, g, gw, gh, edges, n, r, map);
    float best = -1;
    for (size_t k = 0; k < (size_t)(r + 1) * (2 * r + 1); k++) best = SZ_MAX(best, map[k]);
    /* the step is the shortest move that agrees about as well as the best
     * and stands out (twice and three times the step agree as well) */
    int bx = 0, by = 0, shortest = INT_MAX;
    float agree = -1, peak = 0;
    for (int dy = 0; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            float a = map[(size_t)dy * (2 * r + 1) + dx + r];
            if (a < MIN_AGREE || a < best - AS_GOOD || dx * dx + dy * dy >= shortest) continue;
            float half = map_at(map, r, (int)lrint(dx / 2.0), (int)lrint(dy / 2.0));
            float more = map_at(map, r, (int)lrint(dx * 1.5), (int)lrint(dy * 1.5));
            if (a - SZ_MAX(half, more) < MIN_PEAK) continue;
            bx = dx, by = dy, shortest = dx * dx + dy * dy;
            agree = a, peak = a - SZ_MAX(half, more);
        }
    free(g), free(edges), free(map);
    if (agree < 0) return SZ_OK;
    int sx = bx * size, sy = by * size;
    /* an edge cell a cell off its repeat still lies beside an edge there */
    sz_status st = set_to_the_pixel(ctx, p, size, &sx, &sy);
    if (st) return st;
    if (sy < 0 || (sy == 0 && sx < 0)) sx = -sx, sy = -sy; /* one way of each pair: down, or right */
    m->found = sx || sy;
    m->step_x = sx, m->step_y = sy;
    m->agree = agree;
    m->peak = peak;
    return SZ_OK;
}
