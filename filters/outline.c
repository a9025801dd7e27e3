/*
 * outline.c — an outline continues along the completed silhouette.
 *
 * When `complete` has decided the part's shape under the occluder, a
 * stroke that ran along the part's visible edge (its outline) should run
 * on along the completed edge, at the same distance from it, rather than
 * along its own curvature or to whichever end a smooth curve reaches.  The
 * follower walks the level line of the distance to the outside of the
 * completed shape at which the stroke's outer edge is the shape's edge,
 * until it comes out of the hidden region (normally onto the outline on
 * the other side).
 *
 * Where no end leads, the outline is still known from the visible edge:
 * how much of it carries ink, how wide and in what colour.  A part with
 * an outline gets the same band along the whole completed edge.
 */
#include "lines.h"
#include "color.h"
#include "bits.h"

#include <stdlib.h>
#include <string.h>

/* The outline is drawn along the completed edge no wider than this. */
#define OUTLINE_BAND 16
/* The visible rim this close to the hidden region (four bands) holds the
 * outline that runs on under it. */
#define NEAR_OCCLUDER (4 * OUTLINE_BAND)

/* Distance to the outside at a real position, bilinear. */
static float dist_at(const sz_outline_dist *dist, int w, int h, vec2 q)
{
    float fx = SZ_CLAMP(q.x, 0.0f, (float)(w - 1)), fy = SZ_CLAMP(q.y, 0.0f, (float)(h - 1));
    int x0 = SZ_MIN((int)fx, w - 2 < 0 ? 0 : w - 2), y0 = SZ_MIN((int)fy, h - 2 < 0 ? 0 : h - 2);
    int x1 = SZ_MIN(x0 + 1, w - 1), y1 = SZ_MIN(y0 + 1, h - 1);
    float tx = fx - (float)x0, ty = fy - (float)y0;
    float a = sz_outline_dist_at(dist, (size_t)y0 * w + x0), b = sz_outline_dist_at(dist, (size_t)y0 * w + x1);
    float c = sz_outline_dist_at(dist, (size_t)y1 * w + x0), d = sz_outline_dist_at(dist, (size_t)y1 * w + x1);
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
}

/* The gradient of the distance (pointing into the shape). */
static vec2 dist_grad(const sz_outline_dist *dist, int w, int h, vec2 q)
{
    float gx = dist_at(dist, w, h, v2_add(q, v2(1, 0))) - dist_at(dist, w, h, v2_sub(q, v2(1, 0)));
    float gy = dist_at(dist, w, h, v2_add(q, v2(0, 1))) - dist_at(dist, w, h, v2_sub(q, v2(0, 1)));
    return v2(gx / 2, gy / 2);
}

sz_status sz_outline_distance(sz_ctx *ctx, const sz_part *p, const uint8_t *inside, float max_width,
                              sz_outline_dist *out)
{
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    /* Outlines are followed, and drawn, no deeper inside than a band or
     * the widest stroke: farther than that, distances need not be exact. */
    int depth = (int)SZ_MIN((float)SZ_EDT_BOUND_MAX, SZ_MAX((float)OUTLINE_BAND, max_width / 2 + 6) + 2);
    uint8_t *outside = sz_malloc(ctx, n);
    *out = (sz_outline_dist){.d2 = sz_malloc_array(ctx, n, sizeof *out->d2), .cap = (float)depth + 1};
    if (!outside || !out->d2) {
        free(outside), free(out->d2);
        out->d2 = NULL;
        return SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            outside[i] = !(inside[i] || sz_alpha16(p->img, x, y) >= 32768); /* (any coverage on the shape is over 1/2) */
        }
    sz_status st = sz_edt_bounded(ctx, outside, w, h, depth, out->d2);
    free(outside);
    return st;
}

bool sz_outline_end(const sz_part *p, const sz_lines *ln, const sz_outline_dist *dist, const sz_line_end *e)
{
    int w = p->w, h = p->h;
    float d0 = dist_at(dist, w, h, e->p);
    if (d0 > e->width / 2 + 5) return false; /* not along the edge */
    /* Whether it runs along the edge is read a little behind its tip: the
     * tip sits where the visible edge meets the completed one, and the
     * completed edge may leave at an angle there (a jaw turning into the
     * chin): read at the tip, an outline would seem to run across it. */
    vec2 g = dist_grad(dist, w, h, v2_sub(e->p, v2_scale(e->dir, e->width / 2 + 2)));
    if (v2_len(g) < 0.5f) return false;
    if (fabsf(v2_dot(v2_norm(g), e->dir)) > 0.7f) return false; /* running across the edge, not along it */
    /* The sides of the stroke, by its own normal (the shape's may bend at
     * the end's corner).  On the visible stretch behind the end, the
     * part's own paint (not ink) lies on the inner side and nothing on the
     * outer side: an outline, not a line drawn on its own (a line-art
     * layer's strokes are their own silhouette). */
    vec2 in = v2(-e->dir.y, e->dir.x);
    if (v2_dot(in, g) < 0) in = v2_scale(in, -1);
    float off = e->width / 2 + 2.5f;
    int painted = 0;
    for (float back = 3; back <= 9; back += 3) {
        vec2 c = v2_sub(e->p, v2_scale(e->dir, back));
        vec2 qi = v2_add(c, v2_scale(in, off)), qo = v2_sub(c, v2_scale(in, off + 1));
        int xi = (int)lroundf(qi.x), yi = (int)lroundf(qi.y), xo = (int)lroundf(qo.x), yo = (int)lroundf(qo.y);
        if (xi < 0 || yi < 0 || xi >= w || yi >= h || xo < 0 || yo < 0 || xo >= w || yo >= h) return false;
        size_t ji = (size_t)yi * w + xi, jo = (size_t)yo * w + xo;
        /* either side may be hidden (another part can cover the outline's
         * surroundings), but what shows must fit */
        if (!p->hidden[jo] && sz_alpha16(p->img, xo, yo) >= 49152) return false;
        if (p->hidden[ji]) continue;
        if (ln->solid[ji] || sz_alpha16(p->img, xi, yi) < 32768) return false;
        painted++;
    }
    return painted > 0;
}

int sz_outline_follow(const sz_part *p, const sz_outline_dist *dist, const sz_line_end *e, float max_len, vec2 *pts,
                      int cap, bool *came_out)
{
    int w = p->w, h = p->h, n = 0;
    /* the stroke's outer edge on the completed edge; under the occluder
     * it eases there from the depth the end sits at, half a pixel per step
     * (outside, it keeps that depth, along the ink it continues) */
    float level = e->width / 2 + 0.5f, start = dist_at(dist, w, h, e->p);
    vec2 q = e->p, d = e->dir;
    *came_out = false;
    for (float s = 0; s <= max_len && n < cap; s += 1.0f) {
        pts[n++] = q;
        vec2 g = dist_grad(dist, w, h, q);
        if (v2_len(g) >= 0.3f) {
            /* along the level line, the way the stroke was going */
            vec2 t = v2_norm(v2(-g.y, g.x));
            if (v2_dot(t, d) < 0) t = v2_scale(t, -1);
            d = v2_norm(v2_add(d, t)); /* half a turn per pixel: no kinks at the medial axis */
        }
        q = v2_add(q, d);
        vec2 g2 = dist_grad(dist, w, h, q);
        if (v2_len(g2) >= 0.3f) {
            int qx = (int)lroundf(q.x), qy = (int)lroundf(q.y);
            bool under = qx >= 0 && qy >= 0 && qx < w && qy < h && p->hidden[(size_t)qy * w + qx];
            float off = SZ_CLAMP((under ? level : start) - dist_at(dist, w, h, q), -0.5f, 0.5f);
            q = v2_add(q, v2_scale(v2_norm(g2), off));
        }
        int x = (int)lroundf(q.x), y = (int)lroundf(q.y);
        if (x < 0 || y < 0 || x >= w || y >= h) break;
        if (!p->hidden[(size_t)y * w + x] && s > e->width) {
            pts[n++] = q;
            *came_out = true;
            break;
        }
    }
    return n;
}

/* The pixels of the band an outline would cover under the occluder:
 * hidden, in the completed shape, less than width + 1/2 from its edge; in
 * raster order (*count of them), or NULL when out of memory. */
static int32_t *band_pixels(sz_ctx *ctx, const sz_part *p, const uint8_t *shape, const sz_outline_dist *dist, float width,
                            long *count)
{
    int w = p->w, h = p->h;
    long *per_row = sz_calloc(ctx, (size_t)h + 1, sizeof *per_row);
    if (!per_row) return NULL;
    unsigned below = sz_outline_d2_below(dist, width + 0.5f);
#define IN_BAND(i) (p->hidden[i] && shape[i] && dist->d2[i] > 0 && dist->d2[i] < below)
    /* (rows as threads come free: the hidden ones gather) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < h; y++)
        for (size_t i = (size_t)y * w; i < (size_t)(y + 1) * w; i++) per_row[y + 1] += IN_BAND(i);
    for (int y = 0; y < h; y++) per_row[y + 1] += per_row[y];
    *count = per_row[h];
    int32_t *band = sz_malloc_array(ctx, (size_t)(*count ? *count : 1), sizeof *band);
    if (band) {
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
        for (int y = 0; y < h; y++) {
            long k = per_row[y];
            for (size_t i = (size_t)y * w; i < (size_t)(y + 1) * w; i++)
                if (IN_BAND(i)) band[k++] = (int32_t)i;
        }
    }
#undef IN_BAND
    free(per_row);
    return band;
}

sz_status sz_outline_stroke_edge(sz_ctx *ctx, const sz_part *p, sz_lines *ln, const uint8_t *shape,
                                 const sz_outline_dist *dist)
{
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    /* The visible edge: the ring of the part's own pixels beside empty
     * ones.  Its outline covers most of it with ink.  How deep the ink
     * goes, layer by layer of distance from the edge, gives the outline's
     * width: the layers most of the inked ring has ink in.  (Dark paint
     * that reaches the edge, hair say, has ink in every layer but over a
     * short stretch of the ring: an average over all the ink near the
     * edge took it for a broader outline, and tinted its colour.) */
    enum { BAND = OUTLINE_BAND, RING_BARE = 1, RING_INKED = 2 };
    /* The outline that runs on is the one beside the occluder: where
     * enough of the rim near the hidden region is inked, its width and
     * colour are measured there, not over the whole part (a face's thin
     * jaw line beside the cover, not the hair at its crown). */
    int words = sz_row_words(w);
    size_t nw = (size_t)words * (size_t)h;
    sz_word *hidden_bits = sz_malloc_array(ctx, nw ? nw : 1, sizeof *hidden_bits);
    sz_word *by_occluder = sz_malloc_array(ctx, nw ? nw : 1, sizeof *by_occluder);
    uint8_t *edge = sz_malloc(ctx, n); /* the ring: RING_BARE or RING_INKED, for where the outline shows */
    sz_status st = hidden_bits && by_occluder && edge ? SZ_OK : SZ_ERR_NOMEM;
    if (!st) sz_bits_pack(ctx, p->hidden, w, h, hidden_bits);
    if (!st) st = sz_bits_dilate_square(ctx, hidden_bits, w, h, NEAR_OCCLUDER, by_occluder);
    free(hidden_bits);
    if (st) {
        free(by_occluder), free(edge);
        return st;
    }
    /* [0]: the whole rim, [1]: the rim near the occluder */
    long ring[2] = {0, 0}, ring_inked[2] = {0, 0}, layer[2][BAND + 1] = {{0}};
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : ring[:2], ring_inked[:2], layer[:2][:BAND + 1])
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            edge[i] = 0;
            unsigned d2 = dist->d2[i]; /* (squared, against squared bounds: the cap, beyond BAND, never decides) */
            if (p->hidden[i] || d2 == 0 || d2 > BAND * BAND) continue;
            int by = sz_bit(by_occluder + (size_t)y * words, x);
            if (d2 <= 1) {
                edge[i] = RING_BARE;
                ring[0]++, ring[1] += by;
                ring_inked[0] += ln->solid[i], ring_inked[1] += by && ln->solid[i];
            }
            if (ln->solid[i]) {
                int deep = (int)ceilf(sz_outline_dist_of(dist, d2));
                layer[0][deep]++, layer[1][deep] += by;
            }
        }
    if (ring[0] < 32 || ring_inked[0] < 0.6 * ring[0]) { /* no outline to continue */
        free(by_occluder), free(edge);
        return SZ_OK;
    }
    int local = ring_inked[1] >= 32;
    /* the layers inked along at least half the inked ring, and the share
     * of the first one that is not (the outline's soft inner edge) */
    float width = 0;
    int depth = 1;
    for (; depth <= BAND; depth++) {
        float share = SZ_MIN(1.0f, (float)layer[local][depth] / (float)ring_inked[local]);
        width += share;
        if (share < 0.5f) break;
    }
    width = SZ_CLAMP(width, 1.0f, (float)BAND);
    depth = SZ_MIN(depth, BAND);
    /* its colour: the median, channel by channel, of the ink in those
     * layers (the outline's own, not an average with the paint) */
    long hist[3][256] = {{0}}, counted = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : hist[:3][:256], counted)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            unsigned d2 = dist->d2[i];
            if (p->hidden[i] || !ln->solid[i] || d2 == 0 || d2 > (unsigned)(depth * depth)) continue;
            if (local && !sz_bit(by_occluder + (size_t)y * words, x)) continue;
            uint16_t c[4];
            sz_get16(p->img, x, y, c);
            for (int k = 0; k < 3; k++) hist[k][c[k] >> 8]++;
            counted++;
        }
    free(by_occluder);
    float colour[3];
    for (int k = 0; k < 3; k++) colour[k] = sz_srgb16_to_linear((uint16_t)(sz_hist_percentile(hist[k], counted, 50) * 257));
    long inked = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static) reduction(+ : inked)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (edge[i] && sz_mask_near(ln->solid, w, h, x, y, (int)ceilf(width) + 1)) edge[i] = RING_INKED, inked++;
        }
    /* Under the occluder, the completed shape's edge gets the same band
     * where the visible edge nearest to it has the outline (an edge the
     * artist left bare, the cut bottom of a strand, stays bare as it runs
     * on): coverage falls off over the pixel where the band ends.  Only
     * the pixels of the band ask which ring pixel is nearest: a search
     * among the ring's pixels, not a transform of the whole plane. */
    /* (Where the whole ring bears the outline, as it mostly does, no pixel
     * needs to ask.) */
    bool ask = inked < ring[0];
    int32_t *sites = ask ? sz_malloc_array(ctx, (size_t)ring[0], sizeof *sites) : NULL;
    sz_sites tree = {0};
    st = sites || !ask ? SZ_OK : SZ_ERR_NOMEM;
    size_t nsites = 0;
    if (!st && ask) st = sz_mask_list(ctx, edge, w, h, sites, &nsites);
    if (!st && ask) st = sz_sites_build(ctx, sites, (int)nsites, w, &tree);
    long nband = 0;
    int32_t *band = st ? NULL : band_pixels(ctx, p, shape, dist, width, &nband);
    if (!st && !band) st = SZ_ERR_NOMEM;
    /* band[k] becomes -1 where the nearest ring pixel bears no outline */
#pragma omp parallel num_threads(sz_threads(ctx))
    {
        int32_t near = -1; /* the last answer: band pixels come in order, so it is a close guess */
#pragma omp for schedule(dynamic, 1024)
        for (long k = 0; k < (st || !ask ? 0 : nband); k++) {
            near = sz_sites_nearest(&tree, band[k] % w, band[k] / w, near);
            if (near < 0 || edge[near] != RING_INKED) band[k] = -1;
        }
    }
    for (long k = 0; k < nband && !st; k++) {
        if (band[k] < 0) continue;
        size_t i = (size_t)band[k];
        float cov = SZ_CLAMP(width + 0.5f - sz_outline_dist_at(dist, i), 0.0f, 1.0f);
        int x = (int)(i % w), y = (int)(i / w);
        if (cov <= sz_ink_cover(&ln->drawn, x, y)) continue;
        sz_ink_set(&ln->drawn, x, y, cov, colour);
    }
    sz_sites_free(&tree);
    free(edge), free(sites), free(band);
    return st;
}
