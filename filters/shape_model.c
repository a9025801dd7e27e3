/*
 * shape_model.c — the learned model's say on the shape (the seam shape.c
 * leaves for it).  The network sees the part on a coarse grid, so that
 * its receptive field spans the whole part whatever its size in px; its
 * answer is brought back to the work grid bilinearly, and shape.c keeps
 * the geometric edge wherever the model is not sure it is wrong.
 */
#include "fill.h"
#include "nn.h"

#include <stdlib.h>
#include <string.h>

int sz_shape_model_cell(const sz_nn *nn, const sz_part *p)
{
    int side = SZ_MAX(p->vx1 - p->vx0, p->vy1 - p->vy0);
    return SZ_MAX(1, (side + nn->cells - 1) / nn->cells);
}

sz_grid_window sz_shape_model_window(const sz_nn *nn, const sz_part *p)
{
    int cell = sz_shape_model_cell(nn, p), margin = nn->cells;
    sz_grid_window win = {.cell = cell};
    if (p->vx1 <= p->vx0 || p->vy1 <= p->vy0) return win; /* nothing shows: the model has nothing to see */
    int gw = (p->w + cell - 1) / cell, gh = (p->h + cell - 1) / cell;
    win.x0 = SZ_MAX(0, p->vx0 / cell - margin), win.y0 = SZ_MAX(0, p->vy0 / cell - margin);
    win.w = SZ_MIN(gw, (p->vx1 - 1) / cell + 1 + margin) - win.x0;
    win.h = SZ_MIN(gh, (p->vy1 - 1) / cell + 1 + margin) - win.y0;
    return win;
}

void sz_shape_model_inputs(sz_ctx *ctx, const sz_part *p, const uint8_t *inside, const sz_grid_window *win,
                           float *in)
{
    double share8[256]; /* an 8-bit opacity's share of 1, as sz_alpha16() / 65535.0 gives it */
    for (int a = 0; a < 256; a++) share8[a] = (a * 257u) / 65535.0;
    int cell = win->cell, gw = win->w, gh = win->h;
    size_t plane = (size_t)gw * (size_t)gh;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            /* The opacity is summed as it always was, share by share in
             * this order (the shipped weights were trained on these very
             * floats, and `make weights` must make them again bit for
             * bit), but an 8-bit layer's shares come from a table, not a
             * division per pixel; the counts are whole numbers. */
            double part = 0;
            uint64_t hidden = 0, shape = 0;
            int cx = win->x0 + gx, cy = win->y0 + gy;
            int x0 = cx * cell, x1 = SZ_MIN(p->w, (cx + 1) * cell), n = 0;
            for (int y = cy * cell; y < SZ_MIN(p->h, (cy + 1) * cell); y++) {
                const uint8_t *hid = p->hidden + (size_t)y * p->w, *in_row = inside + (size_t)y * p->w;
                if (p->img->depth == 8) {
                    const uint8_t *px = sz_row8(p->img, y);
                    /* (adding 0 to a sum of shares, never negative, leaves it as it is) */
                    for (int x = x0; x < x1; x++)
                        if (px[4 * x + 3]) part += share8[px[4 * x + 3]];
                } else {
                    for (int x = x0; x < x1; x++) part += sz_alpha16(p->img, x, y) / 65535.0;
                }
                for (int x = x0; x < x1; x++) hidden += hid[x], shape += in_row[x];
                n += x1 - x0;
            }
            size_t g = (size_t)gy * gw + gx;
            in[g] = (float)(part / n);
            in[plane + g] = (float)((double)hidden / n), in[2 * plane + g] = (float)((double)shape / n);
        }
}

/* Whether work pixel coordinate v (x or y) lies in one of the window's
 * cells along that axis, from its first cell `first`, `n` of them. */
static bool in_window(int v, int cell, int first, int n)
{
    return v / cell >= first && v / cell < first + n;
}

/* Where work coordinate v falls between the window's cell centres along
 * one axis: the two cells and the share of the second. */
static void grid_span(int v, int cell, int first, int n, int *c0, int *c1, float *t)
{
    float f = SZ_CLAMP(((float)v + 0.5f) / (float)cell - 0.5f - (float)first, 0.0f, (float)(n - 1));
    *c0 = SZ_MIN((int)f, n - 1);
    *c1 = SZ_MIN(*c0 + 1, n - 1);
    *t = f - (float)*c0;
}

bool sz_shape_prob_row_may_exceed(const sz_shape_prob *g, int y, float bar)
{
    const sz_grid_window *w = &g->win;
    if (!in_window(y, w->cell, w->y0, w->h)) return false;
    int y0, y1;
    float ty;
    grid_span(y, w->cell, w->y0, w->h, &y0, &y1, &ty);
    const float *a = g->grid + (size_t)y0 * w->w, *b = g->grid + (size_t)y1 * w->w;
    for (int x = 0; x < w->w; x++)
        if (a[x] > bar - 1e-4f || b[x] > bar - 1e-4f) return true;
    return false;
}

float sz_shape_prob_at(const sz_shape_prob *g, int x, int y)
{
    const sz_grid_window *w = &g->win;
    if (!in_window(x, w->cell, w->x0, w->w) || !in_window(y, w->cell, w->y0, w->h)) return 0;
    int x0, x1, y0, y1;
    float tx, ty;
    grid_span(x, w->cell, w->x0, w->w, &x0, &x1, &tx);
    grid_span(y, w->cell, w->y0, w->h, &y0, &y1, &ty);
    const float *v = g->grid;
    size_t gw = (size_t)w->w;
    float top = v[y0 * gw + x0] * (1 - tx) + v[y0 * gw + x1] * tx;
    float bottom = v[y1 * gw + x0] * (1 - tx) + v[y1 * gw + x1] * tx;
    return top * (1 - ty) + bottom * ty;
}

/* The cells of the window that sz_shape_prob_at() may read at the work
 * pixels `asked` marks: a pixel's value is interpolated from its own cell
 * and the next one towards it on either axis, so every cell holding an
 * asked pixel, and those around it.  (A cell more than needed is summed
 * for nothing, never wrongly.)  `any` holds the window's cells. */
static void cells_asked(sz_ctx *ctx, const sz_part *p, const uint8_t *asked, const sz_grid_window *win, uint8_t *any,
                        uint8_t *want)
{
    int cell = win->cell, gw = win->w, gh = win->h;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int gy = 0; gy < gh; gy++) {
        int y0 = (win->y0 + gy) * cell, y1 = SZ_MIN(p->h, y0 + cell);
        for (int gx = 0; gx < gw; gx++) {
            int x0 = (win->x0 + gx) * cell, x1 = SZ_MIN(p->w, x0 + cell);
            bool hit = false;
            for (int y = y0; y < y1 && !hit; y++) hit = sz_skip_unset(asked + (size_t)y * p->w, x0, x1) < x1;
            any[(size_t)gy * gw + gx] = hit;
        }
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            bool near = false;
            for (int y = SZ_MAX(0, gy - 1); y <= SZ_MIN(gh - 1, gy + 1) && !near; y++)
                for (int x = SZ_MAX(0, gx - 1); x <= SZ_MIN(gw - 1, gx + 1) && !near; x++) near = any[(size_t)y * gw + x];
            want[(size_t)gy * gw + gx] = near;
        }
}

sz_status sz_shape_model_prob(sz_ctx *ctx, const sz_nn *nn, const sz_part *p, const uint8_t *inside,
                              const uint8_t *asked, sz_shape_prob *out)
{
    *out = (sz_shape_prob){.win = sz_shape_model_window(nn, p)};
    size_t plane = (size_t)out->win.w * (size_t)out->win.h;
    if (!plane) return SZ_OK;
    float *in = sz_malloc_array(ctx, plane, SZ_NN_INPUTS * sizeof *in);
    float *logit = sz_malloc_array(ctx, plane, SZ_NN_OUTPUTS * sizeof *logit);
    uint8_t *want = asked ? sz_malloc(ctx, 2 * plane) : NULL;
    sz_status st = in && logit && (!asked || want) ? SZ_OK : SZ_ERR_NOMEM;
    if (!st && asked) cells_asked(ctx, p, asked, &out->win, want + plane, want);
    if (!st) sz_shape_model_inputs(ctx, p, inside, &out->win, in);
    if (!st) st = sz_nn_forward(ctx, nn, in, out->win.w, out->win.h, want, logit);
    free(want);
    if (!st) {
        for (size_t g = 0; g < plane; g++) logit[g] = 1 / (1 + expf(-logit[g]));
        out->grid = logit, logit = NULL;
    }
    free(in), free(logit);
    return st;
}

void sz_shape_prob_free(sz_shape_prob *g)
{
    free(g->grid);
    g->grid = NULL;
}

sz_status sz_model_from_args(sz_ctx *ctx, const sz_args *args, sz_nn **out)
{
    *out = NULL;
    const char *path = sz_arg_str(args, "model");
    if (sz_arg_bool(args, "no-model")) {
        if (path) return sz_fail(ctx, SZ_ERR_ARG, "--model and --no-model contradict each other");
        return SZ_OK;
    }
    return path ? sz_nn_load(ctx, path, out) : sz_nn_builtin(ctx, out);
}

sz_status sz_mask_and_model_from_args(sz_ctx *ctx, const sz_doc *doc, const sz_args *args, sz_image **mask,
                                      sz_nn **model)
{
    *model = NULL;
    sz_status st = sz_load_mask(ctx, doc, sz_arg_str(args, "mask"), mask);
    if (!st) st = sz_model_from_args(ctx, args, model);
    if (st) {
        sz_image_free(*mask);
        *mask = NULL;
    }
    return st;
}
