/*
 * part_painted_under.c — what a layer has drawn under its cover
 * (sz_part_judge_painted_under): its drawing there is no hole, and past
 * its own drawn edge there the artist left background, not a hole either.
 */
#include "part.h"
#include "geom.h"
#include "color.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What the layer has under the cover is the artist's drawing, not a hole:
 * a face painted whole under the hair, a page under a page.  A pixel the
 * cover cut keeps at most what the cover leaves of its opacity, 1 - c (a
 * cut part is the picture's pixel times 1 - c); one more opaque than that
 * by more than CUT_SLACK, and at least half opaque, was not cut, and is no
 * more hidden or touched than any pixel the layer shows.  (A fainter one
 * may be the cut's soft rim under a mask drawn harder than the cut, as a
 * binary --mask is: it stays hidden, and the fill goes under it.)
 * Before, a part painted whole under its cover was filled behind its own
 * pixels (1,774,230 px over the benchmark's 100 parts stacked whole), and
 * a fax page whole under the next one was worked on all over, in 26 s. */
enum { CUT_SLACK = 4 * 257, /* the roundings of the cut and of touched */
       DRAWN_LEAST = 32768 };  /* half opaque: the body's edge (body_alpha) */

static long uncover_what_is_drawn(sz_ctx *ctx, sz_part *p, uint8_t *drawn_under)
{
    long n = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : n)
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            size_t i = (size_t)y * p->w + x;
            drawn_under[i] = 0;
            if (!p->touched[i]) continue;
            unsigned left = (255u - p->touched[i]) * 257u; /* the most a cut pixel keeps */
            unsigned a = sz_alpha16(p->img, x, y);
            if (a > left + CUT_SLACK && a >= DRAWN_LEAST) p->hidden[i] = 0, p->touched[i] = 0, drawn_under[i] = 1, n++;
        }
    return n;
}

/* A part painted whole under its cover ends there at its own drawn edge,
 * and what lies past that edge under the cover is background the artist
 * left empty, not a hole: before, the benchmark's 100 parts stacked whole
 * got 647,699 px of fill bulging past their drawn edges.  Each connected
 * region of hidden pixels is judged as one, by what it borders:
 *  - the layer's drawn pixels under the cover (drawn edge);
 *  - or pixels the layer shows outside the cover (cut edge).
 * With a cut edge at most a quarter as long as its drawn edge (a drawn
 * edge meets the cover's edge in a few pixels where it crosses it), the
 * region is seen background when its drawn edge shows the drawing goes
 * on under the cover as the artist painted it, not as a cut left it:
 *  - it lies deep_px (--painted-under) or more from where the cover ends
 *    along at least DEEP_LEAST px;
 *  - or it crosses a cover too narrow for that: it rises to the middle
 *    of the cover (the deepest the region lies, within RIDGE_SHARE), at
 *    least half of deep_px deep, and falls again, its depth changing
 *    along it by at least RIDGE_SLOPE a px on average (a strand of hair
 *    across the edge of a face painted whole).  A band painted the same
 *    depth under both sides of a narrow cover runs along it, at a slope
 *    near 0, and the gap between its sides is filled;
 *  - or, at least CROSSING_DEEP px deep, it meets the cover's edge at a
 *    steep angle along its length (a mean sine of CROSSING_SINE): a
 *    silhouette going in under a strand too narrow for the rules above.
 *    A band's edge runs along the cover's edge, even where its width
 *    wanders (the slope above, taken pixel by pixel, cannot tell them
 *    apart: a band's edge steps, and scores 0.6 or more);
 *  - or, along at least EDGE_LEAST px, it carries the part's outline
 *    over at least OUTLINED_SHARE of its length: a part's own edge
 *    running along the cover a few px under it, neither deep nor steep
 *    (a limb outlined along an oval cover).  A band's edge ends in the
 *    colour it fills with; where it cuts across dark features, it does
 *    so in short stretches, and a short drawn edge is too little to go
 *    on (the benchmark's parts with 6 px bands of 塗り足し lost part of a
 *    head's hair past an edge of 12 px);
 *  - or, along at least EDGE_LEAST px, it lies past the middle of the
 *    cover: no pixel of the region is deeper under the cover than it.
 *    The region is then a strip between the drawn edge and the cover's
 *    far side, beyond which nothing of the part shows (there is no cut
 *    edge): had the part gone on past its drawn edge, it would have
 *    ended within the strip.  Past a band of 塗り足し the hidden part
 *    goes on deeper than the band, to the cover's middle at least (a
 *    gap between bands under both sides of a narrow cover is deeper
 *    than either), or shows beyond the cover.
 * A band of 塗り足し a few px wide stops short of all five and is completed
 * beyond, as a cut part is; a cut part, whose pixels under the cover are
 * only its soft rim, has no drawn edge at all.
 * Covers only: an explicit --mask says itself what is hidden, and one
 * painted with a broad brush lies deep over the part's pixels around the
 * hole it is for. */
enum { DEEP_LEAST = 8, CROSSING_DEEP = 3, OUTLINE_RIM = 2, OUTLINE_MOST = 12, EDGE_LEAST = 16 };
#define RIDGE_SHARE 0.85f
#define RIDGE_SLOPE 0.5f
#define CROSSING_SINE 0.7f
#define OUTLINED_SHARE 0.5f
#define OUTLINE_DARK 0.6f /* of the median luma: extend-lines' --ink-threshold */

static const int dx4[4] = {-1, 1, 0, 0}, dy4[4] = {0, 0, -1, 1};

/* Whether drawn pixel (x, y) borders a hidden one. */
static bool on_drawn_edge(const sz_part *p, const uint8_t *drawn_under, int x, int y)
{
    if (!drawn_under[(size_t)y * p->w + x]) return false;
    for (int k = 0; k < 4; k++) {
        int nx = x + dx4[k], ny = y + dy4[k];
        if (nx >= 0 && ny >= 0 && nx < p->w && ny < p->h && p->hidden[(size_t)ny * p->w + nx]) return true;
    }
    return false;
}

/* How fast the depth under the cover changes along the drawn edge at
 * (x, y): the most, per px, towards any of its neighbours on the edge. */
static float edge_slope(const sz_part *p, const uint8_t *drawn_under, const uint16_t *depth2, int x, int y)
{
    float d = sqrtf(depth2[(size_t)y * p->w + x]), most = 0;
    for (int ny = SZ_MAX(y - 1, 0); ny <= SZ_MIN(y + 1, p->h - 1); ny++)
        for (int nx = SZ_MAX(x - 1, 0); nx <= SZ_MIN(x + 1, p->w - 1); nx++) {
            if ((nx == x && ny == y) || !on_drawn_edge(p, drawn_under, nx, ny)) continue;
            float step = nx != x && ny != y ? 1.41421356f : 1.0f;
            most = fmaxf(most, fabsf(sqrtf(depth2[(size_t)ny * p->w + nx]) - d) / step);
        }
    return most;
}

/* The derivative of the layer's opacity over 5 x 5 px at (x, y): it
 * points into the drawing, across its edge.  An edge has no direction at
 * 1 px, where it steps. */
static void opacity_gradient(const sz_part *p, int x, int y, float *gx, float *gy)
{
    float ax = 0, ay = 0;
    for (int j = -2; j <= 2; j++)
        for (int i = -2; i <= 2; i++) {
            int u = SZ_MIN(SZ_MAX(x + i, 0), p->w - 1), v = SZ_MIN(SZ_MAX(y + j, 0), p->h - 1);
            float a = (float)sz_alpha16(p->img, u, v);
            ax += (float)i * a, ay += (float)j * a;
        }
    *gx = ax, *gy = ay;
}

/* The sine of the angle at which the drawn edge at (x, y) meets the
 * cover's edge: near 0 where it runs along it, as a band's edge does, 1
 * where it runs straight in, as a silhouette crossing the cover does.
 * Both directions are derivatives over 5 x 5 px: (ax, ay) the layer's
 * opacity's there (opacity_gradient), and the depth's under the cover. */
static float edge_crossing(const sz_part *p, const uint16_t *depth2, unsigned beyond, int x, int y, float ax, float ay)
{
    float dx = 0, dy = 0;
    for (int j = -2; j <= 2; j++)
        for (int i = -2; i <= 2; i++) {
            int u = SZ_MIN(SZ_MAX(x + i, 0), p->w - 1), v = SZ_MIN(SZ_MAX(y + j, 0), p->h - 1);
            float d = sqrtf((float)SZ_MIN(depth2[(size_t)v * p->w + u], beyond));
            dx += (float)i * d, dy += (float)j * d;
        }
    float na = sqrtf(ax * ax + ay * ay), nd = sqrtf(dx * dx + dy * dy);
    return na > 0 && nd > 0 ? fabsf(ax * dy - ay * dx) / (na * nd) : 0;
}

/* Whether the drawn edge at (x, y), whose opacity rises towards (gx, gy)
 * (opacity_gradient), carries an outline: ink (luma under `dark`) within
 * OUTLINE_RIM px of it, and lighter paint behind the ink within
 * OUTLINE_MOST px, into the drawing.  A part drawn with line art
 * carries its outline down to its own edge; a band of 塗り足し ends in the
 * colour it fills with, and a dark part's edge has no lighter paint
 * behind it. */
static bool outlined_edge(const sz_part *p, int x, int y, float gx, float gy, unsigned dark)
{
    float len = sqrtf(gx * gx + gy * gy);
    if (len == 0) return false;
    gx /= len, gy /= len;
    bool ink = false;
    for (int t = 0; t <= OUTLINE_MOST; t++) {
        int u = (int)lrintf((float)x + (float)t * gx), v = (int)lrintf((float)y + (float)t * gy);
        if (u < 0 || v < 0 || u >= p->w || v >= p->h || sz_alpha16(p->img, u, v) < DRAWN_LEAST) return false;
        uint16_t c[4];
        sz_get16(p->img, u, v, c);
        if (sz_luma8(c) < dark) ink = true;
        else if (ink) return true;
        else if (t >= OUTLINE_RIM) return false;
    }
    return false;
}

/* What a region of hidden pixels borders (see above). */
typedef struct {
    long drawn, deep, cut; /* pixels of the region by a drawn edge, a deep one, a cut edge only */
    unsigned deepest_drawn2, deepest2; /* squared depths: of its drawn edge, of itself */
    float slope, crossing; /* summed over its pixels by a drawn edge */
    long outlined;         /* its pixels by a drawn edge that carries an outline */
    bool background;       /* the verdict, once all is counted */
} region_borders;

static bool seen_background(const region_borders *b, int deep_px, unsigned beyond)
{
    if (!b->drawn || 4 * b->cut > b->drawn) return false;
    if (b->deep >= DEEP_LEAST) return true;
    float deepest_drawn = sqrtf((float)b->deepest_drawn2), deepest = sqrtf((float)b->deepest2);
    if (deepest_drawn >= CROSSING_DEEP && b->crossing >= CROSSING_SINE * (float)b->drawn) return true;
    if (b->drawn >= EDGE_LEAST && (float)b->outlined >= OUTLINED_SHARE * (float)b->drawn) return true;
    /* (depths are told apart only below the bound) */
    if (b->drawn >= EDGE_LEAST && b->deepest2 <= b->deepest_drawn2 && b->deepest_drawn2 < beyond) return true;
    return 2 * deepest_drawn >= (float)deep_px && deepest_drawn >= RIDGE_SHARE * deepest &&
           b->slope >= RIDGE_SLOPE * (float)b->drawn;
}

static sz_status unhide_past_drawn_edges(sz_ctx *ctx, sz_part *p, const uint8_t *drawn_under, int deep_px)
{
    p->painted_past = 0;
    int w = p->w, h = p->h;
    size_t n = (size_t)w * h;
    /* depths are told apart up to the bound: a deep drawn edge is judged
     * by deep_px, and one crossing a cover is compared with the cover */
    int bound = SZ_MIN(2 * deep_px, SZ_EDT_BOUND_MAX);
    unsigned beyond = (unsigned)(bound + 1) * (unsigned)(bound + 1);
    sz_runs runs = {0};
    uint8_t *open = sz_malloc(ctx, n);
    uint16_t *depth2 = sz_malloc_array(ctx, n, sizeof *depth2);
    sz_status st = open && depth2 ? SZ_OK : SZ_ERR_NOMEM;
    unsigned dark = st ? 0 : (unsigned)lrintf(OUTLINE_DARK * 255.0f * sz_part_median_luma(ctx, p, DRAWN_LEAST));
    if (!st) {
        /* where the cover hides less than half: depth under it is measured
         * from there (a faint reach of the cover, a shadow, is no cover) */
        for (size_t i = 0; i < n; i++) open[i] = !p->hidden[i] && !drawn_under[i];
        st = sz_edt_bounded(ctx, open, w, h, bound, depth2);
    }
    int count = st ? 0 : sz_label_runs(ctx, p->hidden, w, h, false, &runs);
    if (count < 0) st = SZ_ERR_NOMEM;
    region_borders *tally = count > 0 ? sz_calloc(ctx, (size_t)count + 1, sizeof *tally) : NULL;
    if (count > 0 && !tally) st = SZ_ERR_NOMEM;
    if (!st && tally) {
        for (int y = 0; y < h; y++)
            for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++)
                for (int x = runs.x0[r]; x <= runs.x1[r]; x++) {
                    region_borders *b = &tally[runs.label[r]];
                    bool by_drawn = false, by_deep = false, by_cut = false;
                    b->deepest2 = SZ_MAX(b->deepest2, SZ_MIN(depth2[(size_t)y * w + x], beyond));
                    for (int k = 0; k < 4; k++) {
                        int nx = x + dx4[k], ny = y + dy4[k];
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                        size_t j = (size_t)ny * w + nx;
                        if (drawn_under[j]) {
                            if (!by_drawn) {
                                float ax, ay; /* (one opacity gradient serves both tests) */
                                opacity_gradient(p, nx, ny, &ax, &ay);
                                b->slope += edge_slope(p, drawn_under, depth2, nx, ny);
                                b->crossing += edge_crossing(p, depth2, beyond, nx, ny, ax, ay);
                                b->outlined += outlined_edge(p, nx, ny, ax, ay, dark);
                            }
                            by_drawn = true, by_deep |= depth2[j] >= deep_px * deep_px;
                            b->deepest_drawn2 = SZ_MAX(b->deepest_drawn2, SZ_MIN(depth2[j], beyond));
                        } else if (!p->hidden[j] && sz_alpha16(p->img, nx, ny) >= DRAWN_LEAST)
                            by_cut = true;
                    }
                    b->drawn += by_drawn, b->deep += by_deep, b->cut += by_cut && !by_drawn;
                }
        for (int l = 0; l <= count; l++) tally[l].background = seen_background(&tally[l], deep_px, beyond);
        for (int y = 0; y < h; y++)
            for (int32_t r = runs.row_start[y]; r < runs.row_start[y + 1]; r++)
                if (tally[runs.label[r]].background) {
                    size_t i = (size_t)y * w + runs.x0[r], len = (size_t)(runs.x1[r] - runs.x0[r] + 1);
                    memset(p->hidden + i, 0, len), memset(p->touched + i, 0, len);
                    p->painted_past += (long)len;
                }
    }
    free(tally), free(depth2), free(open);
    sz_runs_free(&runs);
    return st;
}

sz_status sz_part_judge_painted_under(sz_ctx *ctx, sz_part *p, int deep_px)
{
    uint8_t *drawn_under = sz_malloc(ctx, (size_t)p->w * (size_t)p->h);
    if (!drawn_under) return SZ_ERR_NOMEM;
    sz_status st = SZ_OK;
    if (uncover_what_is_drawn(ctx, p, drawn_under) && deep_px > 0)
        st = unhide_past_drawn_edges(ctx, p, drawn_under, SZ_MIN(deep_px, SZ_EDT_BOUND_MAX));
    free(drawn_under);
    return st;
}
