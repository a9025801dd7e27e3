/*
 * gen.c — procedural training parts (see gen.h).  Shapes are inside
 * tests in the shape's own frame, anti-aliased by 3x3 supersampling.
 */
#include "gen.h"
#include "internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

gen_rng gen_rng_make(uint64_t seed, uint64_t stream)
{
    gen_rng r = {seed * 0x2545F4914F6CDD1Dull ^ (stream + 0x632BE59BD9B4E019ull)};
    splitmix(&r.s);
    return r;
}

double gen_uniform(gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(splitmix(&r->s) >> 11) * (1.0 / 9007199254740992.0);
}

enum { BLOB, PLATE, STRAND, KINDS };
enum { HARMONICS = 6, CORNERS_MAX = 7, STRAND_SAMPLES = 48 };

typedef struct shape {
    int kind;
    double hollow;  /* > 0: only a band this share of its size wide along the edge (line art) */
    double cx, cy, size, angle, aspect, cos_a, sin_a;
    double amp[HARMONICS], phase[HARMONICS];            /* blob */
    int corners;                                        /* plate */
    double nx[CORNERS_MAX], ny[CORNERS_MAX], off[CORNERS_MAX];
    double sx[STRAND_SAMPLES], sy[STRAND_SAMPLES], sw[STRAND_SAMPLES]; /* strand */
} shape;

static void shape_draw(gen_rng *r, shape *s, double size)
{
    memset(s, 0, sizeof *s);
    s->kind = (int)gen_uniform(r, 0, KINDS);
    s->size = size, s->angle = gen_uniform(r, 0, 2 * M_PI), s->aspect = gen_uniform(r, 0.55, 1.0);
    s->cos_a = cos(s->angle), s->sin_a = sin(s->angle);
    s->hollow = 0;
    if (s->kind == BLOB) {
        for (int k = 0; k < HARMONICS; k++)
            s->amp[k] = gen_uniform(r, 0, 0.22 / (k + 1)), s->phase[k] = gen_uniform(r, 0, 2 * M_PI);
    } else if (s->kind == PLATE) {
        /* a convex polygon: half-planes around the centre */
        s->corners = (int)gen_uniform(r, 3, CORNERS_MAX + 1);
        double a0 = gen_uniform(r, 0, 2 * M_PI);
        for (int k = 0; k < s->corners; k++) {
            double a = a0 + 2 * M_PI * (k + gen_uniform(r, -0.25, 0.25)) / s->corners;
            s->nx[k] = cos(a), s->ny[k] = sin(a), s->off[k] = gen_uniform(r, 0.8, 1.0);
        }
    } else {
        /* a hair-like strand: a tapered quadratic curve */
        double bend = gen_uniform(r, -0.8, 0.8), width = gen_uniform(r, 0.12, 0.35);
        double taper = gen_uniform(r, 0, 1);
        for (int i = 0; i < STRAND_SAMPLES; i++) {
            double t = (double)i / (STRAND_SAMPLES - 1), u = 2 * t - 1;
            s->sx[i] = u, s->sy[i] = bend * (1 - u * u);
            s->sw[i] = width * (1 - taper * t * t) * sqrt(fmax(0.05, 1 - pow(fabs(u), 8)));
        }
    }
}

static int shape_inside_scaled(const shape *s, double x, double y, double scale)
{
    double dx = x - s->cx, dy = y - s->cy, c = s->cos_a, sn = s->sin_a, size = s->size * scale;
    double u = (dx * c + dy * sn) / size, v = (-dx * sn + dy * c) / (size * s->aspect);
    if (s->kind == BLOB) {
        double t = atan2(v, u), rad = 1;
        for (int k = 0; k < HARMONICS; k++) rad += s->amp[k] * cos((k + 2) * t + s->phase[k]);
        return u * u + v * v < rad * rad;
    }
    if (s->kind == PLATE) {
        for (int k = 0; k < s->corners; k++)
            if (u * s->nx[k] + v * s->ny[k] > s->off[k]) return 0;
        return 1;
    }
    v = (-dx * sn + dy * c) / size; /* a strand keeps its own width */
    if (fabs(u) > 1.5 || fabs(v) > 1.5) return 0;
    for (int i = 0; i < STRAND_SAMPLES; i++) {
        double ex = u - s->sx[i], ey = v - s->sy[i];
        if (ex * ex + ey * ey < s->sw[i] * s->sw[i]) return 1;
    }
    return 0;
}

/* Coverage of one or two shapes (joined: a head and its neck, a sleeve
 * and its cuff) over a w x h grid, 3x3 samples a pixel. */
/* A hollow shape is its outline: inside, and not inside the shape shrunk
 * by the band (a strand is never hollow: it is a stroke already). */
static int shape_inside(const shape *s, double x, double y)
{
    if (!shape_inside_scaled(s, x, y, 1)) return 0;
    return s->hollow <= 0 || s->kind == STRAND || !shape_inside_scaled(s, x, y, 1 - s->hollow);
}

static int inside_any(const shape *a, const shape *b, double x, double y)
{
    return shape_inside(a, x, y) || (b && shape_inside(b, x, y));
}

/* Coverage of one or two shapes (joined: a head and its neck, a sleeve
 * and its cuff) over a w x h grid: tested at pixel corners, and 3x3
 * times a pixel where its corners disagree. */
static int render(const shape *a, const shape *b, int w, int h, int ox, int oy, float *cov)
{
    uint8_t *corner = malloc((size_t)(w + 1) * (h + 1));
    if (!corner) return -1;
    for (int y = 0; y <= h; y++)
        for (int x = 0; x <= w; x++) corner[(size_t)y * (w + 1) + x] = (uint8_t)inside_any(a, b, x - ox, y - oy);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *q = corner + (size_t)y * (w + 1) + x;
            int sum = q[0] + q[1] + q[w + 1] + q[w + 2], hits = 0;
            if (sum == 0 || sum == 4) {
                cov[(size_t)y * w + x] = (float)(sum / 4);
                continue;
            }
            for (int sy = 0; sy < 3; sy++)
                for (int sx = 0; sx < 3; sx++)
                    hits += inside_any(a, b, x - ox + (sx + 0.5) / 3, y - oy + (sy + 0.5) / 3);
            cov[(size_t)y * w + x] = (float)(hits * 255 / 9) / 255.0f; /* 8-bit, as layers are */
        }
    free(corner);
    return 0;
}

/* A compound part of about `size` px radius centred in a box of side `box`. */
static void compound_draw(gen_rng *r, shape *a, shape *b, int *has_b, double size, double box, double hollow_share)
{
    shape_draw(r, a, size);
    bool hollow = gen_uniform(r, 0, 1) < hollow_share;
    double band = gen_uniform(r, 2, 7) / size; /* a line 2-7 px wide */
    a->hollow = hollow ? band : 0;
    a->cx = a->cy = box / 2;
    *has_b = gen_uniform(r, 0, 1) < 0.3;
    if (*has_b) {
        shape_draw(r, b, size * gen_uniform(r, 0.4, 0.8));
        b->hollow = hollow ? band * size / b->size : 0;
        double t = gen_uniform(r, 0, 2 * M_PI);
        b->cx = a->cx + cos(t) * size * 0.8, b->cy = a->cy + sin(t) * size * 0.8;
    }
}

int gen_case_make(gen_rng *r, gen_case *c)
{
    memset(c, 0, sizeof *c);
    for (int attempt = 0; attempt < 100; attempt++) {
        double size = gen_uniform(r, 30, 80);
        int pad = (int)gen_uniform(r, 20, 50), box = (int)(2.6 * size);
        shape pa, pb, oa, ob;
        int pb_on, ob_on;
        compound_draw(r, &pa, &pb, &pb_on, size, box, 0.25); /* a quarter are line art */
        double osize = size * gen_uniform(r, 0.5, 1.2);
        int obox = (int)(2.6 * osize);
        compound_draw(r, &oa, &ob, &ob_on, osize, obox, 0.1);
        c->w = c->h = box + 2 * pad;
        size_t n = (size_t)c->w * c->h, on = (size_t)obox * obox;
        float *part = calloc(n, sizeof *part), *occ_shape = calloc(on, sizeof *occ_shape);
        float *occ = calloc(n, sizeof *occ);
        if (!part || !occ_shape || !occ) {
            free(part), free(occ_shape), free(occ);
            return -1;
        }
        if (render(&pa, pb_on ? &pb : NULL, c->w, c->h, pad, pad, part) ||
            render(&oa, ob_on ? &ob : NULL, obox, obox, 0, 0, occ_shape)) {
            free(part), free(occ_shape), free(occ);
            return -1;
        }
        double parea = 0;
        for (size_t i = 0; i < n; i++) parea += part[i] > 0.5f;
        for (int place = 0; place < 60 && parea > 0; place++) {
            int x = (int)gen_uniform(r, -obox / 2, c->w - obox / 2), y = (int)gen_uniform(r, -obox / 2, c->h - obox / 2);
            memset(occ, 0, n * sizeof *occ);
            double both = 0, outside = 0, all = 0;
            for (int yy = 0; yy < obox; yy++)
                for (int xx = 0; xx < obox; xx++) {
                    int X = x + xx, Y = y + yy;
                    if (X < 0 || Y < 0 || X >= c->w || Y >= c->h) continue;
                    float o = occ_shape[(size_t)yy * obox + xx];
                    size_t i = (size_t)Y * c->w + X;
                    occ[i] = o;
                    if (o <= 0.5f) continue;
                    all++, both += part[i] > 0.5f, outside += part[i] <= 0.5f;
                }
            double f = both / parea;
            if (f >= 0.12 && f <= 0.45 && outside > 0.1 * all) {
                free(occ_shape);
                c->part = part, c->occluder = occ;
                return 0;
            }
        }
        free(part), free(occ_shape), free(occ);
    }
    return -1;
}

void gen_case_free(gen_case *c)
{
    free(c->part), free(c->occluder);
    memset(c, 0, sizeof *c);
}

int gen_case_doc(sz_ctx *ctx, const gen_case *c, sz_doc **doc, sz_image **mask)
{
    *doc = sz_doc_new(ctx, c->w, c->h);
    sz_image *img = *doc ? sz_image_new(ctx, c->w, c->h, 8) : NULL;
    *mask = img ? sz_image_new(ctx, c->w, c->h, 8) : NULL;
    sz_layer *layer = *mask ? sz_layer_new(ctx, sz_doc_root(*doc), SZ_LAYER_PIXEL, "part") : NULL;
    if (!layer) {
        sz_image_free(img), sz_image_free(*mask), sz_doc_free(*doc);
        *doc = NULL, *mask = NULL;
        return -1;
    }
    for (int y = 0; y < c->h; y++) {
        uint8_t *pr = sz_row8(img, y), *mr = sz_row8(*mask, y);
        for (int x = 0; x < c->w; x++) {
            size_t i = (size_t)y * c->w + x;
            int part = (int)lroundf(255 * c->part[i]), occ = (int)lroundf(255 * c->occluder[i]);
            int vis = part * (255 - occ) / 255; /* as a layer is cut */
            pr[4 * x] = pr[4 * x + 1] = pr[4 * x + 2] = vis ? 128 : 0, pr[4 * x + 3] = (uint8_t)vis;
            mr[4 * x] = mr[4 * x + 1] = mr[4 * x + 2] = 0, mr[4 * x + 3] = (uint8_t)occ;
        }
    }
    sz_layer_set_image(layer, img);
    return 0;
}
