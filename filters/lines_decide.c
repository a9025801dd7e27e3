/*
 * lines_decide.c — the decisions of the line-art engine (see lines.h):
 * which stroke ends belong together and where the others go, and the
 * strokes that say so, drawn onto the engine's ink canvas.
 *
 * Ends running into the hidden region pair with each other when a smooth
 * curve (cubic Hermite, keeping both tangents) joins them through the
 * hidden region; facing cut ends within the gap distance are bridged; a
 * cut end stopping short of another stroke joins it; an unpaired end under
 * an occluder continues along its curvature and tapers.  Pairing is greedy
 * by a cost of bending, misalignment, width and colour mismatch (and, with
 * a learned map of ink, how unlikely ink is along the curve); an end the
 * cover cut slantwise may be read along its stroke's middle.  With a
 * completed shape, the part's outline follows its edge first.
 */
#include "lines.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Curves                                                              */
/* ------------------------------------------------------------------ */

/* Cubic Hermite from a (tangent ta) to b (tangent tb). */
static vec2 hermite(vec2 a, vec2 ta, vec2 b, vec2 tb, float t)
{
    float t2 = t * t, t3 = t2 * t;
    float h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + t, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
    return v2(h00 * a.x + h10 * ta.x + h01 * b.x + h11 * tb.x, h00 * a.y + h10 * ta.y + h01 * b.y + h11 * tb.y);
}

typedef struct curve {
    vec2 pt[1024];
    int n;
} curve;

/* Where the rays of a and b meet ahead of both (the apex of a corner, a V
 * or an elbow whose tip was lost); false when they do not. */
static bool apex_of(const sz_line_end *a, const sz_line_end *b, vec2 *apex, float *sa, float *sb)
{
    float den = v2_cross(a->dir, b->dir);
    if (fabsf(den) < 0.05f) return false; /* parallel */
    vec2 w = v2_sub(b->p, a->p);
    float s = v2_cross(w, b->dir) / den, t = v2_cross(w, a->dir) / den;
    if (s <= 0.5f || t <= 0.5f) return false;
    *apex = v2_add(a->p, v2_scale(a->dir, s));
    *sa = s, *sb = t;
    return true;
}

static float angle_between(vec2 a, vec2 b)
{
    return acosf(SZ_CLAMP(v2_dot(v2_norm(a), v2_norm(b)), -1.0f, 1.0f));
}

/* Whether a and b point at each other (within `tol` radians each, and
 * not both that far off unless `hidden` and they turn toward each other:
 * the two halves of a circle's outline cut along its diameter meet in a
 * U under the occluder). */
static bool facing(const sz_line_end *a, const sz_line_end *b, float tol, bool hidden)
{
    vec2 v = v2_sub(b->p, a->p);
    float aa = angle_between(a->dir, v), ab = angle_between(b->dir, v2_scale(v, -1));
    if (aa > tol || ab > tol) return false;
    bool u_turn = v2_cross(a->dir, v) * v2_cross(b->dir, v2_scale(v, -1)) < 0;
    return aa + ab <= (hidden && u_turn ? 2.0f : 1.6f) * tol;
}

/* The ends as a gap between them is judged and drawn: with their fitted
 * tangents, or, when those do not face each other but the strokes'
 * headings farther back do, with those headings.  An erased dab cuts a
 * stroke obliquely, and thinning bends the last pixels of the skeleton
 * toward the sharper corner of the cut, so the tip can point well off
 * the way the stroke runs. */
static void gap_ends(const sz_line_end *a, const sz_line_end *b, float tol, sz_line_end *ga, sz_line_end *gb)
{
    *ga = *a, *gb = *b;
    if (facing(a, b, tol, false)) return;
    ga->dir = a->axis, gb->dir = b->axis;
    if (!facing(ga, gb, tol, false)) ga->dir = a->dir, gb->dir = b->dir;
}

static void add_segment(curve *c, vec2 a, vec2 b)
{
    float len = v2_len(v2_sub(b, a));
    int n = SZ_MAX(1, (int)ceilf(len));
    for (int i = c->n ? 1 : 0; i <= n && c->n < 1024; i++) c->pt[c->n++] = v2_add(a, v2_scale(v2_sub(b, a), (float)i / n));
}

/* The path joining a to b: a smooth curve keeping both tangents (cubic
 * Hermite) when they face each other, else two straight runs meeting
 * where their rays do (a corner whose tip was lost). */
static void connect(const sz_line_end *a, const sz_line_end *b, float tol, bool hidden, curve *c)
{
    vec2 apex;
    float sa, sb;
    c->n = 0;
    if (!facing(a, b, tol, hidden) && apex_of(a, b, &apex, &sa, &sb)) {
        add_segment(c, a->p, apex);
        add_segment(c, apex, b->p);
        return;
    }
    /* Tangent lengths that make the cubic follow a circular arc when the
     * ends turn toward each other (d / cos^2(angle/2) for the angle between
     * an end's direction and the chord): a plain d flattens round shapes. */
    vec2 chord = v2_sub(b->p, a->p);
    float d = v2_len(chord);
    float ca = cosf(0.5f * angle_between(a->dir, chord)), cb = cosf(0.5f * angle_between(b->dir, v2_scale(chord, -1)));
    vec2 ta = v2_scale(a->dir, d / SZ_MAX(ca * ca, 0.5f)), tb = v2_scale(b->dir, -d / SZ_MAX(cb * cb, 0.5f));
    int n = SZ_CLAMP((int)(d * 1.3f) + 2, 2, 1024);
    for (int i = 0; i < n; i++) c->pt[i] = hermite(a->p, ta, b->p, tb, (float)i / (float)(n - 1));
    c->n = n;
}

/* Bending of a sampled curve, scale-free: sum of squared turning angles
 * per unit length, times the curve's length.  Both sums only grow along
 * the curve, so once the bending so far passes `enough` the rest cannot
 * bring it back: the sum stops there, and what it returns is only that
 * it is more than `enough`. */
static float bending(const curve *c, float enough)
{
    float e = 0, len = 0;
    for (int i = 1; i + 1 < c->n; i++) {
        vec2 u = v2_sub(c->pt[i], c->pt[i - 1]), v = v2_sub(c->pt[i + 1], c->pt[i]);
        float lu = v2_len(u), lv = v2_len(v);
        if (lu < 1e-6f || lv < 1e-6f) continue;
        float ang = atan2f(v2_cross(u, v), v2_dot(u, v));
        e += ang * ang / ((lu + lv) / 2);
        len += lu;
        if (e * SZ_MAX(len, 1.0f) > enough) break;
    }
    return e * SZ_MAX(len, 1.0f);
}

/* Whether the part shows paint at hidden pixel (x, y) through the cover
 * (part.h, p->faint): there the artist's own colour says no stroke runs.
 * (Below 2% opacity the ink test cannot tell ink from paint.) */
static bool seen_paint(const sz_part *p, const sz_lines *ln, int x, int y)
{
    size_t j = (size_t)y * p->w + x;
    return !ln->line_art && !ln->solid[j] && sz_alpha16(p->img, x, y) > 1310 && sz_part_seen(p, x, y);
}

/* What a curve crosses: hidden pixels, existing ink, pixels where the part
 * is visible without ink, or shows paint through the cover (it must not
 * cross those), empty pixels. */
typedef struct crossing {
    int hidden, ink, visible, empty, outside;
    float prob;   /* mean learned ink probability along it (1 without a model) */
} crossing;

/* Counts past which the caller rejects the curve whatever the rest of it
 * crosses: cross() stops there, with the counts so far. */
typedef struct crossing_limits {
    int hidden, ink, visible, empty, outside;
} crossing_limits;

static crossing cross(const sz_part *p, const sz_lines *ln, const sz_line_params *lp, const curve *c, float skip,
                      const crossing_limits *lim)
{
    crossing r = {0};
    double prob = 0;
    int counted = 0;
    float along = 0;
    for (int i = 0; i < c->n; i++) {
        if (r.hidden > lim->hidden || r.ink > lim->ink || r.visible > lim->visible || r.empty > lim->empty ||
            r.outside > lim->outside)
            break;
        if (i) along += v2_len(v2_sub(c->pt[i], c->pt[i - 1]));
        int x = (int)lroundf(c->pt[i].x), y = (int)lroundf(c->pt[i].y);
        if (x < 0 || y < 0 || x >= p->w || y >= p->h) {
            r.outside++;
            continue;
        }
        size_t j = (size_t)y * p->w + x;
        if (lp->ink_prob) prob += lp->ink_prob[j], counted++;
        /* near the start the curve is still inside its own stroke */
        if (along < skip) continue;
        if (p->hidden[j] && seen_paint(p, ln, x, y)) r.visible++;
        else if (p->hidden[j]) r.hidden++;
        else if (ln->solid[j] && sz_lines_in_slit(ln, x, y)) r.hidden++; /* crossed as the cover is */
        else if (ln->solid[j]) r.ink++;
        else if (sz_alpha16(p->img, x, y) > 16384) r.visible++;
        else r.empty++;
    }
    r.prob = counted ? (float)(prob / counted) : 1.0f;
    return r;
}

/* ------------------------------------------------------------------ */
/* Decisions                                                           */
/* ------------------------------------------------------------------ */

static float colour_distance(const sz_line_end *a, const sz_line_end *b)
{
    float d = 0;
    for (int k = 0; k < 3; k++) d += (a->rgb[k] - b->rgb[k]) * (a->rgb[k] - b->rgb[k]);
    return sqrtf(d);
}

/* Bending counts this many times more in a pair under the occluder than
 * across a gap.  A gap's curve is a few pixels long; under an occluder the
 * curve is a guess over tens or hundreds, and one that must swing through
 * an S or a U to meet its partner is seldom the line the artist drew
 * (pooled over the benchmark, pairs found real ink for only .47 of their
 * pixels).  `extend-lines --mask`'s lf1 at 1, 3, 5, 8 times: .437, .444,
 * .446, .445 on the benchmark's cases; .390, .394, .397, .398 on 150
 * cases made the same way with another seed (11 and 19 cases changed,
 * most for the better).  `complete`'s lf1 .519 -> .528 there, and the
 * line-gap cases do not change. */
#define HIDDEN_BENDING 5.0f

float sz_lines_pair_cost(const sz_part *p, const sz_lines *ln, const sz_line_params *lp, const sz_line_end *a,
                         const sz_line_end *b, bool hidden_pair, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    *why = NULL;
#define REJECT(reason) return (*why = (reason), -1.0f)
    vec2 v = v2_sub(b->p, a->p);
    float d = v2_len(v);
    if (d < 1) REJECT("same place");
    float tol = lp->tolerance * (float)M_PI / 180 * (hidden_pair ? 1.5f : 1.0f);
    if (a->speck || b->speck) tol *= 0.5f; /* a small piece must line up well */
    sz_line_end ga, gb;
    if (!hidden_pair) gap_ends(a, b, tol, &ga, &gb), a = &ga, b = &gb;
    float aa = angle_between(a->dir, v), ab = angle_between(b->dir, v2_scale(v, -1));
    float corner = 0; /* > 0: joined through the apex of a lost corner, its run length */
    if (!facing(a, b, tol, hidden_pair)) {
        vec2 apex;
        /* across a gap, the tips are at most max-gap apart (checked below);
         * the runs to the apex are longer, by 1 / (2 sin(half the corner's
         * angle)): half again as long admits corners down to about 40
         * degrees.  Under the occluder, an apex more than a quarter of
         * --max-extension from either end drew a long, thin wedge out
         * across the hidden region (DESIGN.md, "Where new strokes may
         * go"); such ends run on alone, along their own curvature. */
        float sa, sb, lim = hidden_pair ? lp->max_extension / 4 : 1.5f * lp->max_gap;
        if (a->speck || b->speck || !apex_of(a, b, &apex, &sa, &sb)) REJECT("not facing");
        if (sa > lim || sb > lim) REJECT("corner too far");
        corner = sa + sb;
        aa = ab = 0;
    }
    float wr = SZ_MIN(a->width, b->width) / SZ_MAX(a->width, b->width);
    if (wr < (hidden_pair ? 0.35f : 0.45f)) REJECT("widths differ");
    float cd = colour_distance(a, b);
    if (cd > 0.35f) REJECT("colours differ");
    if (hidden_pair) {
        if (d > lp->max_extension * 2) REJECT("too far");
    } else {
        float gap = d - (a->width + b->width) / 2;
        if (gap > lp->max_gap) REJECT("gap too wide");
    }
    curve c;
    connect(a, b, tol, hidden_pair, &c);
    float skip = SZ_MAX(a->width, b->width) / 2 + 1;
    /* the tests below count at most c.n points, so a count past these
     * fails them already */
    crossing_limits lim = hidden_pair ? (crossing_limits){.hidden = INT_MAX, .ink = INT_MAX, .visible = c.n / 10 + 1,
                                                          .empty = c.n / 5 + 1, .outside = 0}
                                      : (crossing_limits){.hidden = 0, .ink = c.n / 2 + 1, .visible = c.n / 10 + 1,
                                                          .empty = INT_MAX, .outside = 0};
    crossing x = cross(p, ln, lp, &c, skip, &lim);
    int n = x.hidden + x.ink + x.visible + x.empty + x.outside;
    if (x.outside || x.visible > n / 10 + 1) REJECT("crosses what the part shows");
    if (hidden_pair) {
        if (x.hidden < n / 2 || x.empty > n / 5 + 1) REJECT("leaves the hidden region");
    } else {
        /* a gap is paper between the tips; a curve through ink is no gap */
        if (x.ink > n / 2 + 1 || x.hidden) REJECT("runs through ink");
    }
    /* The bending that alone would put the pair over the bar (with a
     * margin for rounding): past it, the cost is only known to be over. */
    float weight = lp->smoothness * (hidden_pair ? HIDDEN_BENDING : 1.0f);
    float rest = (aa + ab) / (float)M_PI + (1 - wr) + cd * 2;
    float enough = weight > 0 ? SZ_MAX(0.0f, (SZ_PAIR_COST_MAX - rest) * 10 / weight * 1.01f + 1e-3f) : INFINITY;
    float cost = corner > 0 ? 0.4f + corner / (hidden_pair ? lp->max_extension : lp->max_gap + 1) * 0.6f
                            : weight * bending(&c, enough) / 10 + (aa + ab) / (float)M_PI;
    cost += (1 - wr) + cd * 2;
    if (!hidden_pair && corner <= 0) cost += d / (lp->max_gap + 1) * 0.5f;
    if (lp->ink_prob) cost += 2 * (1 - x.prob);
    return cost;
#undef REJECT
}

/* End e read along its stroke's middle past a slantwise cut (lines.c,
 * e->mid), or as it is when the cut was square. */
static sz_line_end along_middle(const sz_line_end *e)
{
    sz_line_end m = *e;
    if (e->slant) m.p = e->mid.p, m.dir = e->mid.dir, m.curvature = e->mid.curvature;
    return m;
}

/* The curve a chosen pair draws (as sz_lines_pair_cost judged it). */
static void pair_curve(const sz_line_params *lp, const sz_line_end *a, const sz_line_end *b, curve *c)
{
    float tol = lp->tolerance * (float)M_PI / 180 * (a->at_hidden ? 1.5f : 1.0f);
    if (a->speck || b->speck) tol *= 0.5f;
    sz_line_end ga, gb;
    if (!a->at_hidden) gap_ends(a, b, tol, &ga, &gb), a = &ga, b = &gb;
    connect(a, b, tol, a->at_hidden, c);
}

/* The stroke along curve c of pair a-b, its width and colour blending
 * from a's to b's. */
static void stroke_between(sz_lines *ln, const sz_line_end *a, const sz_line_end *b, const curve *c)
{
    stroke_pt *pts = malloc((size_t)c->n * sizeof *pts);
    if (!pts) return;
    for (int i = 0; i < c->n; i++) {
        float t = (float)i / (float)(c->n - 1);
        pts[i].p = v2_add(c->pt[i], v2(0.5f, 0.5f));
        pts[i].width = a->width + (b->width - a->width) * t;
        for (int k = 0; k < 3; k++) pts[i].rgb[k] = a->rgb[k] + (b->rgb[k] - a->rgb[k]) * t;
        pts[i].alpha = a->alpha + (b->alpha - a->alpha) * t;
    }
    sz_draw_stroke(&ln->drawn, pts, c->n);
    free(pts);
}

#define MAX_RUN_TURN ((float)M_PI / 2)

/* Marches from end e along its curvature; stops leaving the grid, at ink
 * that is not its own stroke (`hit`), after leaving the hidden region
 * (or meeting paint seen through the cover) when `in_hidden`, or at
 * max_len.  Returns the points walked. */
static int march(const sz_part *p, const sz_lines *ln, const sz_line_params *lp, const sz_line_end *e, float max_len,
                 bool in_hidden, vec2 *pts, int cap, bool *hit, bool *left)
{
    vec2 q = e->p, d = e->dir;
    float k = e->curvature, turned = 0;
    int n = 0;
    *hit = *left = false;
    /* under the cover, the run leaves it only once it was in it: the
     * skeleton's tip may lie a few pixels back in the stroke's own ink */
    bool outside_own = false, entered = !in_hidden;
    for (float s = 0; s <= max_len && n < cap; s += 1.0f) {
        pts[n++] = q;
        q = v2_add(q, d);
        /* A run turns at most a quarter turn: the curvature of a stroke's
         * last pixels (up to a turn in twice its width: a rounded corner's,
         * a cap's) would curl it on into a hook, a loop back onto its own
         * stroke, or a half circle across the hidden region. */
        turned += fabsf(k);
        if (turned > MAX_RUN_TURN) break;
        d = v2_rot(d, k);
        k *= 0.985f; /* curvature relaxes: strokes straighten as they run on */
        int x = (int)lroundf(q.x), y = (int)lroundf(q.y);
        if (x < 0 || y < 0 || x >= p->w || y >= p->h) break;
        size_t j = (size_t)y * p->w + x;
        bool ink = ln->solid[j];
        if (ink && in_hidden && sz_lines_in_slit(ln, x, y)) continue; /* crossed as the cover is */
        /* a stroke bridged across the gap is a stroke to join too: the
         * third end of a junction the gap took; under the cover, a run
         * meets a stroke drawn there as strokes meet in a T */
        bool bridged = !ink && sz_ink_cover(&ln->drawn, x, y) >= 0.5f;
        if (!ink && !bridged && s > e->width / 2) outside_own = true;
        if ((ink || bridged) && outside_own) {
            if (ink && ln->comp_size[sz_lines_piece(ln, x, y)] < SZ_MAX(40.0f, 12 * e->width)) break; /* a speck is no stroke */
            pts[n++] = q;
            *hit = true;
            break;
        }
        if (lp->ink_prob && in_hidden && p->hidden[j] && lp->ink_prob[j] < 0.2f && s > e->width) break;
        if (lp->inside && in_hidden && p->hidden[j] && !lp->inside[j] && s > e->width) break;
        entered |= p->hidden[j] != 0;
        /* (paint seen through the cover is the part showing too) */
        if (in_hidden && (!p->hidden[j] || seen_paint(p, ln, x, y)) && s > e->width && (entered || !ink)) {
            *left = true;
            break;
        }
    }
    return n;
}

/* A stroke along pts from end e; its width and colour blend into those of
 * end `to` when it arrives at one, else it tapers after `taper_from`
 * (share of its length). */
static void stroke_along(sz_lines *ln, const sz_line_end *e, const sz_line_end *to, const vec2 *pts, int n,
                         float taper_from)
{
    stroke_pt *sp = malloc((size_t)(n ? n : 1) * sizeof *sp);
    if (!sp) return;
    for (int i = 0; i < n; i++) {
        float t = (float)i / (float)SZ_MAX(n - 1, 1);
        float wscale = t <= taper_from ? 1.0f : SZ_MAX(0.15f, 1 - (t - taper_from) / (1 - taper_from));
        sp[i].p = v2_add(pts[i], v2(0.5f, 0.5f));
        sp[i].width = e->width * wscale;
        memcpy(sp[i].rgb, e->rgb, sizeof sp[i].rgb);
        sp[i].alpha = e->alpha;
        if (to) {
            sp[i].width = e->width + (to->width - e->width) * t;
            for (int k = 0; k < 3; k++) sp[i].rgb[k] = e->rgb[k] + (to->rgb[k] - e->rgb[k]) * t;
            sp[i].alpha = e->alpha + (to->alpha - e->alpha) * t;
        }
    }
    sz_draw_stroke(&ln->drawn, sp, n);
    free(sp);
}

/* Whether solid ink lies within r px of q. */
static bool ink_near(const sz_lines *ln, vec2 q, int r)
{
    return sz_mask_near(ln->solid, ln->w, ln->h, (int)lroundf(q.x), (int)lroundf(q.y), r);
}

/* Whether the hidden region lies beside the last stroke-width of end e,
 * just outside the stroke on either side: there the stroke narrows
 * because the occluder's edge cuts it at a slant, not because the artist
 * tapered it. */
static bool slant_cut(const sz_part *p, const sz_line_end *e)
{
    vec2 side = v2(-e->dir.y, e->dir.x);
    float off = e->width / 2 + 1.5f;
    for (float back = 1; back <= e->width + 1; back += 1)
        for (int k = -1; k <= 1; k += 2) {
            vec2 q = v2_add(v2_sub(e->p, v2_scale(e->dir, back)), v2_scale(side, (float)k * off));
            int x = (int)lroundf(q.x), y = (int)lroundf(q.y);
            if (x >= 0 && y >= 0 && x < p->w && y < p->h && p->hidden[(size_t)y * p->w + x]) return true;
        }
    return false;
}

/* Whether most of a path under the occluder runs beside the curves that
 * close the shape's outline. */
static bool along_walls(const sz_part *p, const uint8_t *walls, const vec2 *pts, int m, float width)
{
    int r = (int)ceilf(width) + 2, under = 0, beside = 0;
    for (int k = 0; k < m; k++) {
        int x = (int)lroundf(pts[k].x), y = (int)lroundf(pts[k].y);
        if (!sz_mask_at(p->hidden, p->w, p->h, x, y)) continue;
        under++;
        beside += sz_mask_near(walls, p->w, p->h, x, y, r);
    }
    return beside >= 0.7f * under;
}

/* With a completed shape, an end of the part's outline follows its
 * completed edge (outline.c); when that brings it out of the hidden region
 * onto another end of the outline, the two are partners joined along the
 * edge.  Other ends are left to the usual rules. */
static sz_status follow_outlines(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln, vec2 *pts,
                                 int cap)
{
    sz_outline_dist dist;
    sz_status st = sz_outline_distance(ctx, p, lp->outline_shape, lp->max_width, &dist);
    for (int i = 0; i < ln->nends && !st; i++) {
        sz_line_end *a = &ln->ends[i];
        if (!a->at_hidden || a->partner >= 0 || a->fate != SZ_END_NONE || !sz_outline_end(p, ln, &dist, a)) continue;
        bool came_out;
        int m = sz_outline_follow(p, &dist, a, SZ_MIN(2 * lp->max_extension, (float)cap - 2), pts, cap, &came_out);
        if (m < 2) continue;
        vec2 last = pts[m - 1];
        if (!came_out || !ink_near(ln, last, (int)ceilf(a->width) + 2)) continue; /* the usual rules decide */
        /* across a narrow occluder a smooth curve between the ends is as
         * good and smoother */
        if (m < 8 * a->width + 16) continue;
        /* where the shape's edge is a guess (no curve closes the outline
         * there), so is an outline along it: leave the end to the usual rules */
        if (lp->outline_walls && !along_walls(p, lp->outline_walls, pts, m, a->width)) continue;
        vec2 arriving = v2_norm(v2_sub(last, pts[SZ_MAX(0, m - 6)]));
        sz_line_end *to = NULL;
        float best = 1e30f;
        for (int j = 0; j < ln->nends; j++) {
            sz_line_end *b = &ln->ends[j];
            if (j == i || !b->at_hidden || b->partner >= 0 || b->fate != SZ_END_NONE) continue;
            vec2 d = v2_sub(b->p, last);
            float d2 = v2_dot(d, d), lim = 2 * b->width + 6; /* the two may sit at different depths */
            /* b's stroke must run back the way the path came */
            if (d2 <= lim * lim && d2 < best && v2_dot(arriving, b->dir) < -0.3f) best = d2, to = b;
        }
        if (!to) continue; /* it came out where no outline waits */
        /* the two ends may sit at different depths inside the edge: ease
         * the path onto b */
        vec2 miss = v2_sub(to->p, last);
        for (int k = 0; k < m; k++) pts[k] = v2_add(pts[k], v2_scale(miss, (float)k / (float)(m - 1)));
        last = to->p;
        a->target = last;
        a->partner = (int)(to - ln->ends), to->partner = i;
        a->fate = to->fate = SZ_END_PAIRED;
        to->target = a->p;
        ln->pairs++;
        ln->drawn.clip = p->hidden; /* the outline it continues is there already */
        stroke_along(ln, a, to, pts, m, 1.0f);
        ln->drawn.clip = NULL;
    }
    /* and the rest of the completed edge gets the outline the visible
     * edge has */
    if (!st && !ln->line_art) st = sz_outline_stroke_edge(ctx, p, ln, lp->outline_shape, &dist);
    free(dist.d2);
    return st;
}

/* --no-outline: the ends of the part's outline at the cover stay as
 * drawn, out of every rule below, and nothing is drawn along the
 * completed edge.  An end of a painted part's stroke whose tip lies on
 * the part's edge is the outline's: the edge of the completed shape, or
 * without one of what the part shows and what is hidden (the cover's own
 * edge is then no edge).  Its heading is not asked, as sz_outline_end()
 * asks it: a tip thinned askew at the cut is still the outline's, and
 * left to the rules below it would run on into the part.  (In a layer of
 * line art every stroke is its own silhouette, and none is kept.) */
static sz_status keep_outline_ends(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    if (ln->line_art) return SZ_OK;
    const uint8_t *inside = lp->outline_shape;
    uint8_t *own = NULL;
    if (!inside) {
        own = sz_malloc(ctx, (size_t)p->w * p->h);
        if (!own) return SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
        for (int y = 0; y < p->h; y++)
            for (int x = 0; x < p->w; x++) {
                size_t i = (size_t)y * p->w + x;
                own[i] = p->hidden[i] || sz_alpha16(p->img, x, y) > 0;
            }
        inside = own;
    }
    sz_outline_dist dist;
    sz_status st = sz_outline_distance(ctx, p, inside, lp->max_width, &dist);
    for (int i = 0; i < ln->nends && !st; i++) {
        sz_line_end *a = &ln->ends[i];
        int x = SZ_CLAMP((int)lroundf(a->p.x), 0, p->w - 1), y = SZ_CLAMP((int)lroundf(a->p.y), 0, p->h - 1);
        bool on_edge = sz_outline_dist_at(&dist, (size_t)y * p->w + x) <= a->width / 2 + 5;
        if (a->at_hidden && a->fate == SZ_END_NONE && on_edge) a->fate = SZ_END_KEPT;
    }
    free(dist.d2), free(own);
    return st;
}

/* A stroke run on from an unpaired end under the occluder. */
typedef struct extension {
    int end;     /* its end */
    vec2 *pts;   /* its path, m points */
    int m, cut;  /* cut: the points drawn */
    float taper; /* share of the path drawn before it tapers */
} extension;

/* The bounding box of n points: x0, y0, x1, y1. */
static void box_of(const vec2 *pt, int n, float box[4])
{
    box[0] = box[2] = n ? pt[0].x : 0, box[1] = box[3] = n ? pt[0].y : 0;
    for (int i = 1; i < n; i++) {
        box[0] = SZ_MIN(box[0], pt[i].x), box[1] = SZ_MIN(box[1], pt[i].y);
        box[2] = SZ_MAX(box[2], pt[i].x), box[3] = SZ_MAX(box[3], pt[i].y);
    }
}

static bool boxes_apart(const float a[4], const float b[4])
{
    return a[0] > b[2] || b[0] > a[2] || a[1] > b[3] || b[1] > a[3];
}

/* Whether segments ab and cd cross. */
static bool segments_cross(vec2 a, vec2 b, vec2 c, vec2 d)
{
    vec2 r = v2_sub(b, a), q = v2_sub(d, c);
    float den = v2_cross(r, q);
    if (fabsf(den) < 1e-6f) return false;
    vec2 ac = v2_sub(c, a);
    float s = v2_cross(ac, q) / den, u = v2_cross(ac, r) / den;
    return s >= 0 && s <= 1 && u >= 0 && u <= 1;
}

/* A chosen pair's curve, coarsely: at most SKETCH_POINTS points, without
 * the first and last few pixels (where it is still inside its ends'
 * strokes, which may touch another pair's), and its bounding box. */
enum { SKETCH_POINTS = 65 };
typedef struct sketch {
    vec2 pt[SKETCH_POINTS];
    int n;
    float box[4];
    bool straight; /* both ends head along the chord: a straight stroke's two pieces */
} sketch;

static void sketch_of(const curve *c, float skip, sketch *s)
{
    int first = 0, last = c->n - 1;
    for (float along = 0; first < last && along < skip; first++) along += v2_len(v2_sub(c->pt[first + 1], c->pt[first]));
    for (float along = 0; last > first && along < skip; last--) along += v2_len(v2_sub(c->pt[last], c->pt[last - 1]));
    int step = (last - first) / (SKETCH_POINTS - 1) + 1;
    s->n = 0;
    for (int i = first; i <= last; i += step) s->pt[s->n++] = c->pt[i];
    if (s->n && (last - first) % step) s->pt[s->n++] = c->pt[last];
    box_of(s->pt, s->n, s->box);
}

/* Two straight strokes whose pieces show on both sides of the cover cross
 * under it as drawn (an X of straps, a sword across an arm): ends heading
 * within this of their chord. */
#define STRAIGHT_ON (12 * (float)M_PI / 180)

static bool sketches_cross(const sketch *a, const sketch *b)
{
    if (boxes_apart(a->box, b->box)) return false;
    for (int i = 0; i + 1 < a->n; i++)
        for (int j = 0; j + 1 < b->n; j++)
            if (segments_cross(a->pt[i], a->pt[i + 1], b->pt[j], b->pt[j + 1])) return true;
    return false;
}

/* Runs that cross stop where they meet, as strokes meeting in a corner do,
 * instead of drawing an X under the occluder.  Each run is cut at its first
 * crossing with the whole path of any other, so the order of the ends does
 * not matter.  The first few pixels of a run are its own stroke's end and
 * do not count. */
static sz_status meet_extensions(sz_ctx *ctx, extension *ext, int n)
{
    enum { SKIP = 3 };
    float *box = sz_malloc_array(ctx, (size_t)(n ? n : 1), 4 * sizeof *box);
    if (!box) return SZ_ERR_NOMEM;
    for (int k = 0; k < n; k++) box_of(ext[k].pts, ext[k].m, box + 4 * k);
    for (int k = 0; k < n; k++) {
        int cut = ext[k].m;
        for (int j = 0; j < n; j++) {
            if (j == k || boxes_apart(box + 4 * k, box + 4 * j)) continue;
            for (int i = SKIP; i + 1 < cut; i++)
                for (int l = SKIP; l + 1 < ext[j].m; l++)
                    if (segments_cross(ext[k].pts[i], ext[k].pts[i + 1], ext[j].pts[l], ext[j].pts[l + 1])) {
                        cut = i + 2; /* up to the crossing, inclusive */
                        break;
                    }
        }
        ext[k].cut = cut;
    }
    free(box);
    return SZ_OK;
}

/* Whether the part's visible ink may be repaired (sz_gap_mode). */
static bool repairs_gaps(const sz_part *p, const sz_line_params *lp)
{
    return lp->repair_gaps == SZ_GAPS_ALWAYS || (lp->repair_gaps == SZ_GAPS_AUTO && !p->nhidden);
}

/* Ends in the order pairing visits them: by group, then along x.  Group
 * 0 holds the ends that may be bridged across a gap (none when gaps are
 * not repaired); an end at the hidden region is in the group of the piece
 * of the hidden region it runs into (1..).  Two ends pair only within a
 * group and within the group's reach along x, so pricing is not quadratic
 * in all the ends of a canvas full of covers: a curve from one cover to
 * another would show between them, where the artist drew no stroke. */
typedef struct pair_key {
    int group, end;
    float x;
} pair_key;

typedef struct pair_order {
    pair_key *v;
    int n;
    float gap_reach; /* the farthest two ends of group 0 may be apart */
} pair_order;

static int cmp_key(const void *x, const void *y)
{
    const pair_key *a = x, *b = y;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    return a->end - b->end;
}

/* The piece of the hidden region end e runs into: the first hidden pixel
 * (with a pixel of tolerance) straight ahead of it, within the distance
 * describe_end() looked (lines.c); 0 if none. */
static int32_t hidden_piece(const sz_part *p, const sz_runs *pieces, const sz_line_end *e)
{
    float reach = 4 * e->width + 10;
    for (float s = -e->width / 2; s <= reach; s += 0.5f) {
        vec2 q = v2_add(e->p, v2_scale(e->dir, s));
        int x = (int)lroundf(q.x), y = (int)lroundf(q.y);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int32_t l = sz_runs_label_at(pieces, x + dx, y + dy);
                if (l > 0) return l;
            }
    }
    return 0;
}

static sz_status order_for_pairing(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, const sz_line_end *e,
                                   int n, bool repair, pair_order *o)
{
    memset(o, 0, sizeof *o);
    bool any_hidden = false;
    for (int i = 0; i < n && !any_hidden; i++) any_hidden = e[i].at_hidden;
    sz_runs pieces = {0};
    if (any_hidden && sz_label_runs(ctx, p->hidden, p->w, p->h, true, &pieces) < 0) return SZ_ERR_NOMEM;
    o->v = sz_malloc_array(ctx, (size_t)(n ? n : 1), sizeof *o->v);
    if (!o->v) {
        sz_runs_free(&pieces);
        return SZ_ERR_NOMEM;
    }
    float widest = 0;
    for (int i = 0; i < n; i++) {
        int group;
        if (e[i].fate != SZ_END_NONE) continue; /* decided already (follow_outlines, keep_outline_ends) */
        if (e[i].at_hidden) {
            group = hidden_piece(p, &pieces, &e[i]);
            if (group <= 0) continue;
        } else {
            if (!repair) continue;
            group = 0;
            widest = SZ_MAX(widest, e[i].width);
        }
        o->v[o->n++] = (pair_key){group, i, e[i].p.x};
    }
    sz_runs_free(&pieces);
    o->gap_reach = lp->max_gap + widest + 1;
    qsort(o->v, (size_t)o->n, sizeof *o->v, cmp_key);
    return SZ_OK;
}

sz_status sz_lines_decide(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    int n = ln->nends;
    bool repair = repairs_gaps(p, lp);
    sz_line_end *e = ln->ends;
    enum { PATH_CAP = 4096 };
    vec2 *pts = sz_malloc_array(ctx, PATH_CAP, sizeof *pts);
    if (!pts) return SZ_ERR_NOMEM;
    sz_status st = lp->outline_as_drawn ? keep_outline_ends(ctx, p, lp, ln)
                   : lp->outline_shape  ? follow_outlines(ctx, p, lp, ln, pts, PATH_CAP)
                                        : SZ_OK;
    if (st) {
        free(pts);
        return st;
    }
    /* Pair candidates: two ends at one piece of the hidden region, or two
     * across a gap.  Priced on all threads, each into its own list (the
     * sort below is a total order, so the lists' order does not matter):
     * a canvas of dense hatching under many covers has tens of thousands
     * of ends there, and the prices that sample a curve are most of
     * extend-lines' time. */
    pair_order ord;
    st = order_for_pairing(ctx, p, lp, e, n, repair, &ord);
    if (st) {
        free(pts);
        return st;
    }
    int threads = sz_threads(ctx);
    sz_pair_list *found = sz_calloc(ctx, (size_t)threads, sizeof *found);
    if (!found) {
        free(ord.v), free(pts);
        return SZ_ERR_NOMEM;
    }
    bool nomem = false;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8) reduction(|| : nomem)
    for (int q = 0; q < ord.n; q++) {
        sz_pair_list *mine = &found[sz_thread_index()];
        const pair_key *kq = &ord.v[q];
        bool hidden_pair = kq->group != 0;
        float reach = hidden_pair ? lp->max_extension * 2 : ord.gap_reach;
        for (int r = q + 1; r < ord.n && ord.v[r].group == kq->group && ord.v[r].x - kq->x <= reach && !nomem; r++) {
            int i = SZ_MIN(kq->end, ord.v[r].end), j = SZ_MAX(kq->end, ord.v[r].end);
            if (e[i].speck && e[j].speck) continue; /* a speck may only end a broken stroke */
            if (!hidden_pair && (e[i].taper < 0.5f || e[j].taper < 0.5f)) continue; /* natural ends */
            float dx = e[j].p.x - e[i].p.x, dy = e[j].p.y - e[i].p.y;
            float lim = hidden_pair ? lp->max_extension * 2 : lp->max_gap + (e[i].width + e[j].width) / 2 + 1;
            if (dx * dx + dy * dy > lim * lim) continue;
            float cost = sz_lines_pair_cost(p, ln, lp, &e[i], &e[j], hidden_pair, NULL);
            /* an end the cover cut slantwise is also judged along its
             * stroke's middle, where the pair was possible either way */
            bool alt = false;
            if (hidden_pair && (e[i].slant || e[j].slant)) {
                sz_line_end a = along_middle(&e[i]), b = along_middle(&e[j]);
                float mid_cost = sz_lines_pair_cost(p, ln, lp, &a, &b, true, NULL);
                if (cost >= 0 && mid_cost >= 0 && mid_cost < cost) cost = mid_cost, alt = true;
            }
            if (cost < 0 || cost > SZ_PAIR_COST_MAX) continue;
            /* (no context inside the team: the error is reported below) */
            if (!sz_pair_push(NULL, mine, i, j, cost)) nomem = true;
            else mine->v[mine->n - 1].alt = alt;
        }
    }
    free(ord.v);
    /* the lists joined into one */
    sz_pair_list c = {0};
    for (int t = 0; t < threads; t++) c.cap += found[t].n;
    c.v = nomem ? NULL : sz_malloc_array(ctx, c.cap ? c.cap : 1, sizeof *c.v);
    if (!c.v) nomem = true;
    for (int t = 0; t < threads; t++) {
        if (c.v && found[t].n) memcpy(c.v + c.n, found[t].v, found[t].n * sizeof *c.v), c.n += found[t].n;
        free(found[t].v);
    }
    free(found);
    if (nomem) {
        free(c.v), free(pts);
        return sz_fail(ctx, SZ_ERR_NOMEM, "out of memory (pairs of stroke ends)");
    }
    sz_pair_sort(&c);
    /* Pairs under the occluder are taken cheapest first, and one whose
     * curve would cross a curve already taken is not: two strokes the
     * artist never drew do not cross in an X under the cover (a U-turn
     * across another's S was the usual wrong guess among stacked stones
     * or crossing limbs); its ends find other partners or run on. */
    size_t under = 0;
    for (int i = 0; i < n; i++) under += e[i].at_hidden;
    sketch *taken = sz_malloc_array(ctx, under / 2 + 1, sizeof *taken);
    int ntaken = 0;
    if (!taken) {
        free(c.v), free(pts);
        return SZ_ERR_NOMEM;
    }
    for (size_t k = 0; k < c.n; k++) {
        sz_line_end *a = &e[c.v[k].a], *b = &e[c.v[k].b];
        if (a->partner >= 0 || b->partner >= 0) continue;
        sz_line_end ma = c.v[k].alt ? along_middle(a) : *a, mb = c.v[k].alt ? along_middle(b) : *b;
        curve cv;
        pair_curve(lp, &ma, &mb, &cv);
        if (a->at_hidden) {
            sketch *s = &taken[ntaken];
            sketch_of(&cv, SZ_MAX(a->width, b->width) / 2 + 2, s);
            vec2 chord = v2_norm(v2_sub(mb.p, ma.p));
            s->straight = v2_dot(ma.dir, chord) > cosf(STRAIGHT_ON) && -v2_dot(mb.dir, chord) > cosf(STRAIGHT_ON);
            bool crosses = false;
            for (int t = 0; t < ntaken && !crosses; t++)
                crosses = !(s->straight && taken[t].straight) && sketches_cross(s, &taken[t]);
            if (crosses) continue;
            ntaken++;
        }
        *a = ma, *b = mb;
        a->partner = c.v[k].b, b->partner = c.v[k].a;
        sz_end_fate f = a->at_hidden ? SZ_END_PAIRED : SZ_END_BRIDGED;
        a->fate = b->fate = f;
        a->target = b->p, b->target = a->p;
        stroke_between(ln, a, b, &cv);
        if (f == SZ_END_PAIRED) ln->pairs++;
        else ln->bridges++;
    }
    free(c.v), free(taken);

    /* Ends left over: a cut end stopping short of another stroke (or of
     * one just bridged) joins it;
     * one under an occluder runs on along its curvature and tapers. */
    extension *ext = sz_malloc_array(ctx, (size_t)(n ? n : 1), sizeof *ext);
    int next = 0;
    if (!ext) {
        free(pts);
        return SZ_ERR_NOMEM;
    }
    for (int i = 0; i < n && !st; i++) {
        sz_line_end *a = &e[i];
        if (a->partner >= 0 || a->fate == SZ_END_KEPT) continue;
        bool hit, left;
        if (!a->at_hidden) {
            if (a->taper < 0.5f || a->speck || !repair) continue;
            int m = march(p, ln, lp, a, lp->max_gap + a->width / 2 + 1, false, pts, PATH_CAP, &hit, &left);
            if (!hit) continue;
            /* only across paper, never across what the part shows */
            curve cv = {.n = SZ_MIN(m, 1024)};
            memcpy(cv.pt, pts, (size_t)cv.n * sizeof *pts);
            crossing_limits paper_only = {
                .hidden = 0, .ink = INT_MAX, .visible = 0, .empty = INT_MAX, .outside = INT_MAX};
            crossing x = cross(p, ln, lp, &cv, a->width / 2 + 1, &paper_only);
            if (x.visible || x.hidden) continue;
            a->fate = SZ_END_JOINED;
            a->target = pts[m - 1];
            stroke_along(ln, a, NULL, pts, m, 1.0f);
            ln->joins++;
        } else {
            /* a tip the artist tapered that touches the occluder is the
             * stroke's own end (a lock of hair's point), not one the
             * occluder cut: run on, it drew a wedge across the face.  (An
             * occluder's slanted edge cuts a stroke to a point too, but
             * then the occluder lies beside the point.) */
            if (a->taper < 0.5f && !slant_cut(p, a)) continue;
            float max_len = SZ_MIN(lp->max_extension, 4096.0f);
            int m = march(p, ln, lp, a, max_len, true, pts, PATH_CAP, &hit, &left);
            if (m < 2) continue;
            float taper = 0.6f;
            if (left || !hit) {
                /* A stroke that would come out on the far side would show
                 * there; it ends inside, so draw half-way and taper. */
                m = SZ_MAX(2, left ? m / 2 : m);
            } else {
                taper = 1.0f;
            }
            extension *x = &ext[next];
            x->end = i, x->m = m, x->taper = taper;
            x->pts = sz_malloc_array(ctx, (size_t)m, sizeof *x->pts);
            if (!x->pts) st = SZ_ERR_NOMEM;
            else memcpy(x->pts, pts, (size_t)m * sizeof *pts), next++;
        }
    }
    if (!st) st = meet_extensions(ctx, ext, next);
    for (int k = 0; k < next; k++) {
        sz_line_end *a = &e[ext[k].end];
        if (!st) {
            a->fate = SZ_END_EXTENDED;
            a->target = ext[k].pts[ext[k].cut - 1];
            stroke_along(ln, a, NULL, ext[k].pts, ext[k].cut, ext[k].cut < ext[k].m ? 1.0f : ext[k].taper);
            ln->extensions++;
        }
        free(ext[k].pts);
    }
    free(ext);
    if (st) {
        free(pts);
        return st;
    }
    free(pts);
    st = sz_lines_cross_strips(ctx, p, lp, ln);
    if (!st && lp->fill_holes && repair) st = sz_lines_close_holes(ctx, p, lp, ln);
    if (!st && lp->fill_holes && repair) st = sz_lines_close_bites(ctx, p, lp, ln);
    return st ? st : sz_ink_canvas_status(ctx, &ln->drawn);
}

