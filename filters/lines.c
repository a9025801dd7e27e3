/*
 * lines.c — the line-art engine (see lines.h).
 *
 * 1. Ink: a layer of dark lines on transparency is all ink (coverage =
 *    alpha x darkness, so that paper is none); told it is line art
 *    (--ink alpha), coverage = alpha, lines of any colour; in a painted
 *    part, ink is what is clearly darker
 *    than the part's median luma.  Pixels partly covered by an occluder
 *    count by their colour, since their alpha was cut by the occluder.
 * 2. Ends: the ink is thinned to a skeleton; an end is a skeleton pixel
 *    with one neighbour group.  Tracing back from it gives the stroke's
 *    direction, curvature, width (and how it tapers) and colour.  Spurs
 *    (branches shorter than the stroke is wide) and ends of regions wider
 *    than a stroke are dropped.
 * 3. Decisions (lines_decide.c): which ends pair, which bridge a gap or
 *    join a stroke, and where the unpaired ones under an occluder run.
 * 4. Drawing: the decisions' anti-aliased strokes, whose width and colour
 *    blend from end to end, composited here only where the part may take
 *    new content and has no ink.
 */
#include "lines.h"
#include "color.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TRACE 48

/* ------------------------------------------------------------------ */
/* Ink                                                                 */
/* ------------------------------------------------------------------ */

static float luma(const uint16_t p[4])
{
    return (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 65535.0f;
}

/* Ink coverage: alpha times darkness on a layer of line art (white
 * paper is no ink), alpha alone where the artist said the layer is all
 * ink (coloured lines: a white or a pale line would be none); in a
 * painted part, alpha times how far the luma is below the dark level
 * (ramping over 15% of it).  A pixel the occluder cut counts by its
 * colour, since its alpha was cut, not thin. */
static inline float ink_of(const sz_lines *ln, const uint16_t px[4], bool hidden)
{
    if (!px[3]) return 0; /* what follows would multiply by 0 */
    float a = px[3] / 65535.0f, Y = luma(px), t = ln->dark;
    if (hidden && a > 0.02f) a = 1;
    if (ln->alpha_ink) return a;
    return ln->line_art ? a * (1 - Y) : a * SZ_CLAMP((t - Y) / (0.15f * t) + 0.5f, 0.0f, 1.0f);
}

float sz_lines_ink_of(const sz_lines *ln, const uint16_t px[4], bool hidden)
{
    return ink_of(ln, px, hidden);
}

float sz_lines_ink(const sz_lines *ln, int x, int y)
{
    const sz_part *p = ln->part;
    uint16_t px[4];
    sz_get16(p->img, x, y, px);
    return ink_of(ln, px, p->hidden[(size_t)y * p->w + x]);
}

/* The last pixel a row asked about: paint comes in runs of one colour,
 * so a row's answers are mostly the one just worked out.  The answers
 * are those of the same arithmetic, only not repeated. */
typedef struct pixel_memo {
    uint64_t key;
    bool hidden, valid;
} pixel_memo;

/* Whether px (and `hidden`) is what the memo holds; if not, it holds
 * them from now on, and the caller works out the answer. */
static inline bool memo_hit(pixel_memo *m, const uint16_t px[4], bool hidden)
{
    uint64_t key = px[0] | (uint64_t)px[1] << 16 | (uint64_t)px[2] << 32 | (uint64_t)px[3] << 48;
    if (m->valid && m->key == key && m->hidden == hidden) return true;
    *m = (pixel_memo){.key = key, .hidden = hidden, .valid = true};
    return false;
}

static sz_status find_ink(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    int w = p->w, h = p->h;
    size_t n = (size_t)w * (size_t)h;
    ln->part = p;
    ln->solid = sz_malloc(ctx, n);
    if (!ln->solid) return SZ_ERR_NOMEM;
    /* the median luma of the part's visible, opaque pixels, and their
     * median value (the largest channel: dark only when every channel is) */
    long hist[256] = {0}, vhist[256] = {0}, total = 0;
    /* (rows as threads come free, here and below: the part's may gather
     * in one part of the work rectangle) */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16) reduction(+ : hist[:256], vhist[:256], total)
    for (int y = 0; y < h; y++) {
        pixel_memo memo = {.valid = false};
        int luma_bin = 0, value_bin = 0;
        for (int x = 0; x < w; x++) {
            if (sz_alpha16(p->img, x, y) < 32768 || p->hidden[(size_t)y * w + x]) continue;
            uint16_t px[4];
            sz_get16(p->img, x, y, px);
            if (!memo_hit(&memo, px, false)) {
                luma_bin = SZ_MIN(255, (int)(luma(px) * 255 + 0.5f));
                value_bin = SZ_MAX(px[0], SZ_MAX(px[1], px[2])) >> 8;
            }
            hist[luma_bin]++;
            vhist[value_bin]++;
            total++;
        }
    }
    float median = sz_hist_percentile(hist, total, 50) / 255.0f;
    float value = sz_hist_percentile(vhist, total, 50) / 255.0f;
    /* A layer of line art is dark: black or grey strokes and the solid
     * blacks drawn with them.  A part whose luma is dark but whose colour
     * is not (pure red's luma is 0.299, a navy coat's far less) is line
     * art only when it is mostly thin strokes (blue lines); a red flag or
     * a navy coat is paint, and its silhouette is no stroke. */
    ln->line_art = lp->ink == SZ_INK_ALPHA || (lp->ink == SZ_INK_AUTO && value < SZ_LINE_ART_DARK);
    ln->alpha_ink = lp->ink == SZ_INK_ALPHA;
    if (lp->ink == SZ_INK_AUTO && !ln->line_art && median < SZ_LINE_ART_DARK) {
        sz_status st = sz_part_is_line_art(ctx, p, &ln->line_art);
        if (st) return st;
    }
    ln->dark = lp->ink_threshold * SZ_MAX(median, 0.05f);
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < h; y++) {
        pixel_memo memo = {.valid = false};
        uint8_t inked = 0;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            uint16_t px[4];
            ln->solid[i] = 0;
            if (!sz_alpha16(p->img, x, y)) continue; /* no ink (the common case on line art) */
            sz_get16(p->img, x, y, px);
            if (!memo_hit(&memo, px, p->hidden[i])) inked = ink_of(ln, px, p->hidden[i]) >= 0.3f;
            ln->solid[i] = inked;
        }
    }
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Skeleton and ends                                                   */
/* ------------------------------------------------------------------ */

/* Distance from (x, y) to the nearest pixel without ink, searched up to r. */
static float dist_to_paper(const uint8_t *solid, int w, int h, int x, int y, int r)
{
    if (r <= SZ_NEAR_R) {
        /* nearest first: the first paper pixel is the answer */
        const sz_near_offset *near_offsets = sz_near_offsets();
        for (int k = 0; k < SZ_NEAR_N && near_offsets[k].d2 < r * r; k++) {
            int xx = x + near_offsets[k].dx, yy = y + near_offsets[k].dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h || !solid[(size_t)yy * w + xx])
                return sqrtf((float)near_offsets[k].d2);
        }
        return (float)r;
    }
    int best = r * r; /* squared: the root of the least is the least root */
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            int d2 = dx * dx + dy * dy;
            if (d2 >= best) continue;
            int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h || !solid[(size_t)yy * w + xx]) best = d2;
        }
    return sqrtf((float)best);
}

static float ink_at(const sz_lines *ln, float x, float y)
{
    int x0 = (int)floorf(x), y0 = (int)floorf(y);
    float fx = x - x0, fy = y - y0, v = 0;
    for (int k = 0; k < 4; k++) {
        int xx = x0 + (k & 1), yy = y0 + (k >> 1);
        float wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
        if (xx >= 0 && yy >= 0 && xx < ln->w && yy < ln->h) v += wgt * sz_lines_ink(ln, xx, yy);
    }
    return v;
}

/* Stroke width across (x, y) along `normal`: the ink integrated outward
 * on both sides until it fades, which measures anti-aliased lines right
 * (a 1.5 px grey line is 1.5 px, not "one pixel above threshold").  -1
 * when it does not fade within rmax on either side: a stroke drawn on
 * paint, whose ink runs on into the paint's. */
static float width_across(const sz_lines *ln, int x, int y, vec2 normal, float rmax)
{
    float total = ink_at(ln, (float)x, (float)y) * 0.5f;
    for (int side = -1; side <= 1; side += 2) {
        bool faded = false;
        for (float t = 0.5f; t <= rmax && !faded; t += 0.5f) {
            float v = ink_at(ln, x + normal.x * t * side, y + normal.y * t * side);
            if (v < 0.05f) faded = true;
            else total += v * 0.5f;
        }
        if (!faded) return -1;
    }
    return total;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float median_of(float *v, int n)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    return v[n / 2];
}

/* Strokes up to this wide (px, measured on the thresholded ink) are
 * measured again by the ink across them. */
#define THIN_STROKE 3.0f

/* A thin anti-aliased stroke measured on thresholded ink is a pixel or
 * two wide whatever its true width, so a stroke drawn at that width and
 * at its pixels' mean opacity carries a third less ink than the one it
 * continues: a fainter bridge in the line.  The ink integrated across the
 * stroke (width_across; anti-aliasing keeps that integral) is what the
 * new stroke must carry: first by its opacity, up to that of the
 * stroke's most opaque pixel (a translucent band stays as translucent),
 * then by its width, by at most 1.5 px.  Line art only, and only where
 * the ink fades to nothing beside the stroke: elsewhere ink is a ramp of
 * darkness, not coverage. */
static void match_stroke_ink(const sz_lines *ln, sz_line_end *e, const int *px, const int *py, int n, int from,
                             float opaquest)
{
    float across[MAX_TRACE];
    int m = 0;
    for (int i = SZ_MAX(2, from); i + 2 < n; i++) {
        vec2 d = v2_norm(v2_sub(v2((float)px[i + 2], (float)py[i + 2]), v2((float)px[i - 2], (float)py[i - 2])));
        float ink = width_across(ln, px[i], py[i], v2(-d.y, d.x), e->width / 2 + 2);
        if (ink >= 0) across[m++] = ink;
    }
    if (m < 3 || 2 * m < n - SZ_MAX(2, from) - 2) return; /* mostly on paint */
    float ink = median_of(across, m);
    float luma = 0.2126f * e->rgb[0] + 0.7152f * e->rgb[1] + 0.0722f * e->rgb[2];
    float darkness = ln->alpha_ink ? 1.0f : SZ_MAX(0.3f, 1 - sz_linear_to_srgb(luma));
    if (ink <= e->width * e->alpha * darkness) return;
    float alpha = SZ_MIN(ink / (e->width * darkness), SZ_MAX(e->alpha, opaquest));
    e->width = SZ_CLAMP(ink / (alpha * darkness), e->width, e->width + 1.5f);
    e->alpha = alpha;
}

/* A stroke's end often reaches a fork within a few pixels: thinning grows
 * spurs from the bumps at a cut (an eraser's ragged edge, a speck touching
 * the stroke), and the true end is then only one of several short branches.
 * When every branch at the fork but one is that short, and this branch
 * carries on the long one's heading better than any other, the stroke ends
 * here: the trace goes on through the fork into the long branch.  Returns
 * the new length of the trace (n when it does not go on). */
static int through_spurs(const uint8_t *sk, const uint8_t *solid, int w, int h, float max_width, int *px, int *py,
                         int n, bool *junction)
{
    if (!*junction || n < 2) return n;
    int jx = px[n - 1], jy = py[n - 1], qx = px[n - 2], qy = py[n - 2];
    float width = SZ_MAX(1.0f, 2 * dist_to_paper(solid, w, h, jx, jy, (int)ceilf(max_width / 2 + 1)) - 1);
    float spur = SZ_MAX(4.0f, 1.5f * width);
    /* a broad stroke's blunt end forks toward its corners by itself, and
     * neither fork is its heading */
    if (n >= spur || width > 6) return n;
    /* the branches: skeleton neighbours of the fork not touching the pixel
     * the trace came from, each traced away from the fork; a fork a pixel
     * or two across enters one branch from several neighbours, and traces
     * that share a pixel are one branch */
    static const int DX[8] = {0, 1, 1, 1, 0, -1, -1, -1}, DY[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
    int tx[8][MAX_TRACE], ty[8][MAX_TRACE], tn[8], nb = 0;
    bool tj[8];
    for (int k = 0; k < 8; k++) {
        int xx = jx + DX[k], yy = jy + DY[k];
        if (!sz_mask_at(sk, w, h, xx, yy) || (abs(xx - qx) <= 1 && abs(yy - qy) <= 1)) continue;
        tn[nb] = sz_curve_trace_from(sk, w, h, jx, jy, xx, yy, MAX_TRACE - n, true, tx[nb], ty[nb], &tj[nb]);
        int same = -1;
        for (int b = 0; b < nb && same < 0; b++)
            for (int i = 0; i < tn[nb] && same < 0; i++)
                for (int j = 0; j < tn[b] && same < 0; j++)
                    if (tx[nb][i] == tx[b][j] && ty[nb][i] == ty[b][j]) same = b;
        if (same < 0) nb++;
        else if (tn[nb] > tn[same]) { /* the longer trace of the branch */
            memcpy(tx[same], tx[nb], sizeof tx[nb]), memcpy(ty[same], ty[nb], sizeof ty[nb]);
            tn[same] = tn[nb], tj[same] = tj[nb];
        }
    }
    /* every branch but the stroke is a spur: it ends, and soon */
    int longest = -1, longs = 0;
    for (int b = 0; b < nb; b++)
        if (tj[b] || tn[b] >= spur) longs++, longest = b;
    if (longs != 1) return n;
    /* the stroke's heading at the fork, pointing out of it */
    vec2 tip = v2((float)px[0], (float)py[0]), fork = v2((float)jx, (float)jy);
    int k = SZ_MIN(tn[longest] - 1, (int)lroundf(spur));
    vec2 heading = v2_norm(v2_sub(fork, v2((float)tx[longest][k], (float)ty[longest][k])));
    float mine = v2_dot(v2_norm(v2_sub(tip, fork)), heading);
    if (mine < cosf(45 * (float)M_PI / 180)) return n;
    for (int b = 0; b < nb; b++) /* a spur that carries the stroke on better is its end */
        if (b != longest &&
            v2_dot(v2_norm(v2_sub(v2((float)tx[b][tn[b] - 1], (float)ty[b][tn[b] - 1]), fork)), heading) > mine)
            return n;
    memcpy(px + n, tx[longest], (size_t)tn[longest] * sizeof *px);
    memcpy(py + n, ty[longest], (size_t)tn[longest] * sizeof *py);
    *junction = tj[longest];
    return n + tn[longest];
}

/* How many of a trace's first points the cover's cut bends: those within
 * half the stroke's width (and a pixel) of the hidden region.  A cover
 * cutting a stroke slantwise leaves its end a wedge, and thinning runs
 * the skeleton's last stretch into the wedge's sharp corner, a stroke
 * width or more long: fitted there, a level stroke cut at 45 degrees
 * pointed 24 degrees off, toward the next stroke of a hatching.  The
 * width measured in the wedge is too small, so it is measured again
 * past the bent stretch until it holds (*width). */
static int cut_by_cover(const sz_part *p, const sz_lines *ln, const sz_line_params *lp, const int *px, const int *py,
                        int n, float *width)
{
    int k = 0;
    for (int round = 0; round < 4; round++) {
        int r = (int)ceilf(*width / 2 + 1);
        k = 0;
        while (k < n && sz_mask_near(p->hidden, p->w, p->h, px[k], py[k], r)) k++;
        if (k == 0 || k >= n) break;
        float past = 2 * dist_to_paper(ln->solid, p->w, p->h, px[k], py[k], (int)ceilf(lp->max_width / 2 + 1)) - 1;
        if (past <= *width) break;
        *width = past;
    }
    return k;
}

/* Heading (pointing toward the tip) and curvature (signed toward the
 * tip, at most half a turn per width: a fit over a few pixels overshoots)
 * of a trace's fitted curve at arc length s from the tip. */
static vec2 fit_heading(const double fit[2][3], double s)
{
    return v2((float)-(fit[0][1] + 2 * fit[0][2] * s), (float)-(fit[1][1] + 2 * fit[1][2] * s));
}

static float fit_curvature(const double fit[2][3], double s, float width)
{
    double tx = -(fit[0][1] + 2 * fit[0][2] * s), ty = -(fit[1][1] + 2 * fit[1][2] * s);
    double ddx = 2 * fit[0][2], ddy = 2 * fit[1][2];
    double sp = pow(tx * tx + ty * ty, 1.5);
    float k = sp > 1e-6 ? (float)((tx * ddy - ty * ddx) / sp) : 0;
    return SZ_CLAMP(k, -0.5f / SZ_MAX(width, 1.0f), 0.5f / SZ_MAX(width, 1.0f));
}

/* A slantwise cut's tip is the wedge's corner, up to half a width off the
 * stroke's middle, and the tip's fit bends toward it.  Where the stroke
 * runs straight past the cut and its tip lies that far aside from the
 * line fitted there, or heads more than 10 degrees off it, the end gets a
 * second reading (e->mid): that line's heading, from a tip moved onto the
 * middle, level with the corner.  Pairing may judge an end by either
 * reading (lines_decide.c): by the first, every stroke of a hatching cut
 * at 45 degrees pointed at its neighbour's far end. */
static void read_past_cut(const sz_part *p, const sz_lines *ln, const sz_line_params *lp, const int *px,
                          const int *py, int n, float width0, int i0, int K, sz_line_end *e)
{
    float width = width0;
    int skip = cut_by_cover(p, ln, lp, px, py, n, &width);
    e->slant = false;
    memset(&e->mid, 0, sizeof e->mid);
    if (skip <= i0 || skip + 4 > n) return;
    /* fitted over a longer stretch than the tip's and read at its middle,
     * where a quadratic's slope is surest: near the wedge the trace's
     * one-pixel steps still tilt it */
    int k1 = SZ_MIN(n, skip + SZ_MAX(K - i0, (int)lroundf(3 * width + 12)));
    double past[2][3];
    if (k1 - skip < 4 || !sz_curve_fit(px, py, skip, k1, 0, past)) return;
    double s_mid = 0;
    for (int i = 1; i <= (skip + k1 - 1) / 2; i++) s_mid += hypot(px[i] - px[i - 1], py[i] - py[i - 1]);
    vec2 heading = fit_heading(past, s_mid);
    float bend = fit_curvature(past, s_mid, width);
    /* a curving stroke turns between the tip and where it is read, and
     * its tip lies off that heading's line without any wedge: only a
     * stroke straight over the stretch gets the second reading */
    if (fabs(bend * s_mid) > 0.1) return;
    if (v2_len(heading) < 0.3f || v2_dot(v2_norm(heading), e->dir) < 0.5f) return;
    heading = v2_norm(heading);
    vec2 mid = v2((float)px[skip], (float)py[skip]), tip = v2_sub(e->p, mid);
    bool aside = fabsf(v2_cross(tip, heading)) > 0.25f * width + 0.5f;
    if (!aside && v2_dot(heading, e->dir) > cosf(10 * (float)M_PI / 180)) return;
    e->slant = true;
    e->mid.dir = heading;
    e->mid.p = v2_add(mid, v2_scale(heading, v2_dot(tip, heading)));
    e->mid.curvature = bend;
}

/* The widest stroke (px) whose trace goes on round its skeleton's
 * L-shaped corners (geom.h, sz_curve_trace) where it would stop.  A
 * thinner stroke's stop there is a staircase two pixels thick, and the
 * trace a few pixels long read its heading up to 53 degrees off.  On a
 * broader stroke it was more often a blunt end's hook into a corner of
 * the cut, and the end read past it ran a wedge into the paint (seed
 * 4242's case057, a 9 px outline).  Over the four sets of `complete
 * --mask`, 8 px against no limit: de lower on two of them and higher on
 * two, lf1 within .002 on each. */
enum { THIN_CORNERS = 8 };

/* Colour and opacity of a stroke's core: its inked pixels within r of
 * trace points 0..k.  The colour is the median, channel by channel, of
 * its fully inked pixels: a mean in linear light took the anti-aliased
 * rim's paint in far beyond its share, and a black outline continued as
 * a grey one (tests/test_lines.c, outline_is_measured_beside_the_occluder).
 * Failing those, the ink-weighted mean of all.  Only visible pixels count,
 * unless `cut` admits the hidden ones, for their colour alone: the
 * occluder cut their alpha, not their paint.  False, and e untouched,
 * when no pixel counts; *opaquest is the highest visible alpha. */
static bool measure_core(const sz_part *p, const sz_lines *ln, const int *px, const int *py, int k, int r, bool cut,
                         sz_line_end *e, float *opaquest)
{
    enum { CORE_CAP = 1024 };
    const float CORE_INK = 0.9f;
    int w = p->w, h = p->h;
    float core[3][CORE_CAP];
    int ncore = 0;
    double acc[3] = {0, 0, 0}, wsum = 0, asum = 0, amax = 0;
    int acount = 0;
    for (int i = 0; i <= k; i++)
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++) {
                int xx = px[i] + dx, yy = py[i] + dy;
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                size_t j = (size_t)yy * w + xx;
                if (!ln->solid[j] || (p->hidden[j] && !cut)) continue;
                uint16_t c16[4];
                sz_get16(p->img, xx, yy, c16);
                float wgt = sz_lines_ink(ln, xx, yy), lin[3];
                for (int c = 0; c < 3; c++) lin[c] = sz_srgb16_to_linear(c16[c]), acc[c] += wgt * lin[c];
                wsum += wgt;
                if (wgt >= CORE_INK && ncore < CORE_CAP) {
                    for (int c = 0; c < 3; c++) core[c][ncore] = lin[c];
                    ncore++;
                }
                if (p->hidden[j]) continue;
                asum += c16[3] / 65535.0;
                amax = SZ_MAX(amax, c16[3] / 65535.0);
                acount++;
            }
    if (!ncore && wsum <= 0) return false;
    for (int c = 0; c < 3; c++) e->rgb[c] = ncore ? median_of(core[c], ncore) : (float)(acc[c] / wsum);
    e->alpha = acount ? (float)SZ_MIN(1.0, asum / acount * 1.15) : 1.0f;
    *opaquest = (float)amax;
    return true;
}

/* Farthest that the ink is looked along past an eaten end (px). */
enum { EATEN_REACH = 40 };
/* The face must lie within this of the tip's heading (degrees), and be
 * no larger than three cuts across the stroke: a solid black's edge along
 * the cover is no stroke's end. */
#define EATEN_CONE 30.0f
#define EATEN_FACE_CUTS 3

/* Zhang-Suen thinning eats back a stroke that the cover cut slantwise in
 * one of the two diagonal directions, by more than describe_end looks
 * past the tip: a 4 px stroke rising to the right, cut at 40 degrees, lost
 * the last 14 px of its skeleton (its mirror image lost none), and its
 * end was not taken for one at the cover, so nothing went on from it.
 * The ink says where the end is: flooded from the tip, within `reach` px
 * and not behind it, the stroke's pixels that touch the hidden region
 * are its cut face.  When the face is a stroke's cut, lies ahead of the
 * tip, and is reached straight through ink, *face gets its middle. */
static bool eaten_end(const sz_part *p, const sz_lines *ln, vec2 tip, vec2 dir, float width, float reach,
                      vec2 *face)
{
    enum { SIDE_MAX = 2 * EATEN_REACH + 1 };
    static const int ox[8] = {1, 1, 0, -1, -1, -1, 0, 1}, oy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
    int w = p->w, h = p->h, r = SZ_MIN(EATEN_REACH, (int)ceilf(reach)), side = 2 * r + 1;
    int cx = (int)lroundf(tip.x), cy = (int)lroundf(tip.y);
    if (!sz_mask_at(ln->solid, w, h, cx, cy)) return false;
    uint8_t seen[SIDE_MAX * SIDE_MAX];
    int16_t queue[SIDE_MAX * SIDE_MAX][2];
    memset(seen, 0, (size_t)side * (size_t)side);
    int head = 0, tail = 0;
    double sx = 0, sy = 0;
    long nface = 0;
    queue[tail][0] = 0, queue[tail][1] = 0, tail++;
    seen[r * side + r] = 1;
    while (head < tail) {
        int dx = queue[head][0], dy = queue[head][1];
        head++;
        if (sz_mask_near(p->hidden, w, h, cx + dx, cy + dy, 1)) sx += cx + dx, sy += cy + dy, nface++;
        for (int k = 0; k < 8; k++) {
            int nx = dx + ox[k], ny = dy + oy[k];
            /* within reach, and not behind the tip: that is the stroke
             * the end belongs to */
            if (nx * nx + ny * ny > r * r || (float)nx * dir.x + (float)ny * dir.y < -1) continue;
            int at = (ny + r) * side + nx + r;
            if (seen[at] || !sz_mask_at(ln->solid, w, h, cx + nx, cy + ny)) continue;
            seen[at] = 1;
            queue[tail][0] = (int16_t)nx, queue[tail][1] = (int16_t)ny, tail++;
        }
    }
    if (!nface || nface > EATEN_FACE_CUTS * (long)ceilf(width + 2)) return false;
    vec2 f = v2((float)(sx / (double)nface), (float)(sy / (double)nface)), v = v2_sub(f, tip);
    float d = v2_len(v);
    if (d < 1 || v2_dot(v, dir) < d * cosf(EATEN_CONE * (float)M_PI / 180)) return false;
    for (float s = 0.5f; s < d; s += 0.5f) {
        vec2 q = v2_add(tip, v2_scale(v, s / d));
        if (!sz_mask_at(ln->solid, w, h, (int)lroundf(q.x), (int)lroundf(q.y))) return false;
    }
    *face = f;
    return true;
}

/* How much wider than the stroke behind it the ink at a painted part's
 * skeleton end may be before the end is a patch's corner, not a stroke's
 * cut end.  Chosen on the benchmark and seed 4242 from 1.2-1.6, each of
 * which lowered de on all four measuring sets (DESIGN.md, "A patch's
 * corner is no stroke end"). */
#define BLOB_TIP 1.5f

/* Describes the stroke behind one skeleton end; false for a spur or a
 * region too wide to be a stroke. */
static bool describe_end(const sz_part *p, const sz_line_params *lp, const sz_lines *ln, const uint8_t *sk, int x,
                         int y, sz_line_end *e)
{
    int w = p->w, h = p->h, px[MAX_TRACE], py[MAX_TRACE];
    bool junction;
    int n = sz_curve_trace(sk, w, h, x, y, MAX_TRACE, false, px, py, &junction);
    /* stopped, neither at a fork nor at the trace's length: a corner */
    if (n < MAX_TRACE && !junction &&
        2 * dist_to_paper(ln->solid, w, h, px[n - 1], py[n - 1], (int)ceilf(lp->max_width / 2 + 1)) - 1 <= THIN_CORNERS)
        n = sz_curve_trace(sk, w, h, x, y, MAX_TRACE, true, px, py, &junction);
    if (ln->line_art) n = through_spurs(sk, ln->solid, w, h, lp->max_width, px, py, n, &junction);
    /* Direction and curvature at the tip from a quadratic fit of the trace
     * against arc length: a chord would lag behind a curving stroke, and a
     * longer stretch would blend in a corner further back. */
    if (n < 3) return false;
    /* a first width from the distance to paper sizes the fit */
    float width0 = SZ_MAX(1.0f, 2 * dist_to_paper(ln->solid, w, h, px[SZ_MIN(n - 1, 2)], py[SZ_MIN(n - 1, 2)],
                                                   (int)ceilf(lp->max_width / 2 + 1)) - 1);
    /* Thinning often curls the last pixel or two of a blunt end toward a
     * corner: the fit skips them and extrapolates to the tip. */
    int K = SZ_MIN(n, SZ_MAX(6, SZ_MIN(18, (int)lroundf(2 * width0 + 8))));
    int i0 = SZ_MIN(K - 4, SZ_MAX(0, (int)lroundf(width0 / 2)));
    if (i0 < 0) i0 = 0;
    double fit[2][3];
    bool fitted = sz_curve_fit(px, py, i0, K, 0, fit);
    int kd = SZ_MIN(n - 1, SZ_MAX(3, (int)lroundf(width0 + 2)));
    vec2 chord = v2_norm(v2_sub(v2((float)px[0], (float)py[0]), v2((float)px[kd], (float)py[kd])));
    vec2 tangent = fit_heading(fit, 0);
    e->p = v2((float)px[0], (float)py[0]);
    /* the heading farther back: the chord from a width behind the tip to
     * about twice that, clear of whatever the cut did to the tip */
    int ka = SZ_MIN(n - 1, SZ_MAX(3, (int)lroundf(2 * width0 + 4)));
    int kw = SZ_MIN(n - 1, (int)lroundf(width0));
    if (ka <= kw) kw = 0;
    e->axis = v2_norm(v2_sub(v2((float)px[kw], (float)py[kw]), v2((float)px[ka], (float)py[ka])));
    e->dir = fitted && v2_len(tangent) > 0.3f && v2_dot(v2_norm(tangent), chord) > 0.3f ? v2_norm(tangent) : chord;
    e->curvature = fit_curvature(fit, 0, width0);
    read_past_cut(p, ln, lp, px, py, n, width0, i0, K, e);
    float widths[MAX_TRACE];
    for (int i = 0; i < n; i++) widths[i] = SZ_MAX(1.0f, 2 * dist_to_paper(ln->solid, w, h, px[i], py[i], (int)ceilf(lp->max_width / 2 + 1)) - 1);
    float tmp[MAX_TRACE];
    int from = SZ_MIN(n - 1, SZ_MAX(2, n / 3));
    memcpy(tmp, widths + from, (size_t)(n - from) * sizeof *tmp);
    float width = median_of(tmp, n - from);
    /* The tip's width is read a stroke width back from the tip: a stroke
     * the artist tapered is still thin there, one an eraser cut (even
     * obliquely, to a point) is already at its full width. */
    int k1 = SZ_MIN(n, 3), back = SZ_MIN(n - k1, (int)lroundf(width));
    memcpy(tmp, widths + back, (size_t)k1 * sizeof *tmp);
    float tip = median_of(tmp, k1);
    if (width > lp->max_width) return false;
    /* In paint, a skeleton that ends in a blob (5 px or more across) half
     * again as wide as the stroke behind it is the corner of a broader
     * patch of dark paint, reached through a narrow neck, not a stroke
     * the cover cut (a cut stroke is at most its own width there): run
     * on, the neck's heading drew a hairline straight across the fill
     * (the benchmark's case028).  Line art keeps such ends: its strokes
     * swell into solid blacks. */
    float tip_blob = SZ_MAX(widths[0], SZ_MAX(widths[SZ_MIN(n - 1, 1)], widths[SZ_MIN(n - 1, 2)]));
    if (!ln->line_art && tip_blob >= 5 && tip_blob >= BLOB_TIP * width) return false;
    /* a branch shorter than the stroke is wide is a thinning artefact */
    if (junction && n < SZ_MAX(4.0f, 1.5f * width)) return false;
    int kb = SZ_MIN(n - 1, SZ_MAX(4, (int)lroundf(1.5f * width + 3)));
    e->width = width;
    /* a tip narrower than the stroke is a natural end; too thin strokes
     * cannot tell */
    e->taper = width < 4 ? 1.0f : SZ_MIN(1.0f, tip / SZ_MAX(width, 1.0f));
    int r = (int)ceilf(width / 2);
    /* colour and opacity of the stroke's core near the end; where the
     * occluder cut away all of it there, farther back along the trace;
     * where nothing of the stroke shows at all (the end lies in the
     * occluder's soft edge), the colour of its cut pixels (the trace
     * itself lies on ink, so that one always finds some) */
    float amax = 0;
    if (!measure_core(p, ln, px, py, kb, r, false, e, &amax) && !measure_core(p, ln, px, py, n - 1, r, false, e, &amax))
        measure_core(p, ln, px, py, kb, r, true, e, &amax);
    if (ln->line_art && width <= THIN_STROKE) match_stroke_ink(ln, e, px, py, n, back, amax);
    /* does it run into the hidden region?  Looked for past the ink that
     * lies beyond the skeleton's tip: thinning shortens a slanting
     * stroke's blunt end by up to a couple of widths. */
    e->at_hidden = false;
    float beyond = 0;
    while (beyond < 2 * width + 4) {
        vec2 q = v2_add(e->p, v2_scale(e->dir, beyond + 0.5f));
        if (!sz_mask_at(ln->solid, w, h, (int)lroundf(q.x), (int)lroundf(q.y))) break;
        beyond += 0.5f;
    }
    vec2 t0 = v2_add(e->p, v2_scale(e->dir, SZ_MAX(width / 2, beyond)));
    for (float s = -width / 2; s <= 3 && !e->at_hidden; s += 0.5f) {
        vec2 q = v2_add(t0, v2_scale(e->dir, s));
        e->at_hidden = sz_mask_near(p->hidden, w, h, (int)lroundf(q.x), (int)lroundf(q.y), 1);
    }
    /* past ink thinning ate (four widths and a few px: the 14 px eaten
     * from a 4 px stroke were three and a half) */
    vec2 face;
    if (!e->at_hidden && p->nhidden && eaten_end(p, ln, e->p, e->dir, width, 4 * width + 6, &face)) {
        /* the end is at the face, heading from the stroke farther back */
        vec2 behind = v2((float)px[ka], (float)py[ka]), to = v2_sub(face, behind);
        if (v2_len(to) > 1) {
            e->dir = v2_norm(to);
            e->p = v2_sub(face, v2_scale(e->dir, width / 2));
            e->slant = false;
            e->at_hidden = true;
        }
    }
    e->partner = -1;
    e->fate = SZ_END_NONE;
    return true;
}

/* Ink seen only through a slit in the cover (a ring's gap, the space
 * between two covers) shows no heading of its own: the piece is as long
 * as the slit is, whichever way the stroke runs, so an end on it points
 * along the slit.  Continued, such ends drew strokes along the cover's
 * edge that the artist never drew (a thin arc round a pear's shoulder,
 * bench case088).  A pixel is in a slit where hidden pixels lie within
 * SLIT_HALF px on both sides of it along one of four axes, so a slit up
 * to 2 * SLIT_HALF - 1 px wide; measured in DESIGN.md ("Ink seen through a
 * slit"). */
#define SLIT_HALF 2

static bool in_slit(const sz_part *p, int x, int y)
{
    static const int axis[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
    for (int a = 0; a < 4; a++) {
        bool both = true;
        for (int side = -1; side <= 1 && both; side += 2) {
            bool hit = false;
            for (int k = 1; k <= SLIT_HALF && !hit; k++) {
                int xx = x + side * k * axis[a][0], yy = y + side * k * axis[a][1];
                if (xx < 0 || yy < 0 || xx >= p->w || yy >= p->h) break;
                hit = p->hidden[(size_t)yy * p->w + xx] != 0;
            }
            both = hit;
        }
        if (both) return true;
    }
    return false;
}

/* slit[c] = 1 where every pixel of piece c lies in a slit. */
static void pieces_in_slits(const sz_part *p, const sz_runs *comp, uint8_t *slit)
{
    memset(slit, p->nhidden > 0, (size_t)comp->count + 1);
    slit[0] = 0;
    for (int y = 0; y < comp->h && p->nhidden > 0; y++)
        for (int32_t k = comp->row_start[y]; k < comp->row_start[y + 1]; k++) {
            int32_t c = comp->label[k];
            for (int x = comp->x0[k]; x <= comp->x1[k] && slit[c]; x++)
                if (!in_slit(p, x, y)) slit[c] = 0;
        }
}

sz_status sz_lines_analyse(sz_ctx *ctx, const sz_part *p, const sz_line_params *lp, sz_lines *ln)
{
    memset(ln, 0, sizeof *ln);
    ln->w = p->w, ln->h = p->h;
    ln->inside = lp->inside;
    sz_linear_init();
    sz_status st = find_ink(ctx, p, lp, ln);
    if (st) return st;
    size_t n = (size_t)p->w * (size_t)p->h;
    /* Pieces of ink: strokes worth continuing are longer than specks of
     * texture, whose ends must not be joined into a mesh. */
    int ncomp = sz_label_runs(ctx, ln->solid, p->w, p->h, true, &ln->comp);
    if (ncomp < 0) return SZ_ERR_NOMEM;
    ln->comp_size = sz_calloc(ctx, (size_t)ncomp + 1, sizeof *ln->comp_size);
    if (!ln->comp_size) return SZ_ERR_NOMEM;
    sz_runs_boxes(&ln->comp, NULL, ln->comp_size);
    uint8_t *sk = sz_malloc(ctx, n);
    if (!sk) return SZ_ERR_NOMEM;
    memcpy(sk, ln->solid, n);
    st = sz_thin(ctx, sk, p->w, p->h);
    /* the skeleton's end pixels in scan order, then each described (in
     * parallel: a description only reads), then kept in that order */
    size_t cap = 256, count = 0;
    int32_t *at = st ? NULL : sz_malloc_array(ctx, cap, sizeof *at);
    if (!st && !at) st = SZ_ERR_NOMEM;
    for (int y = 0; y < p->h && !st; y++)
        for (int x = sz_skip_unset(sk + (size_t)y * p->w, 0, p->w); x < p->w;
             x = sz_skip_unset(sk + (size_t)y * p->w, x + 1, p->w)) {
            if (!sz_curve_is_end(sk, p->w, p->h, x, y)) continue;
            if (count == cap) {
                int32_t *v = sz_realloc_array(ctx, at, cap *= 2, sizeof *v);
                if (!v) {
                    st = SZ_ERR_NOMEM;
                    break;
                }
                at = v;
            }
            at[count++] = y * p->w + x;
        }
    ln->ends = st ? NULL : sz_malloc_array(ctx, count ? count : 1, sizeof *ln->ends);
    uint8_t *valid = st ? NULL : sz_malloc(ctx, count ? count : 1);
    if (!st && (!ln->ends || !valid)) st = SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (long k = 0; k < (st ? 0 : (long)count); k++)
        valid[k] = describe_end(p, lp, ln, sk, at[k] % p->w, at[k] / p->w, &ln->ends[k]);
    ln->slit = st ? NULL : sz_malloc(ctx, (size_t)ncomp + 1);
    if (!st && !ln->slit) st = SZ_ERR_NOMEM;
    if (ln->slit) pieces_in_slits(p, &ln->comp, ln->slit);
    for (size_t k = 0; k < count && !st; k++) {
        if (!valid[k]) continue;
        sz_line_end e = ln->ends[k];
        int x = at[k] % p->w, y = at[k] / p->w;
        e.comp = sz_lines_piece(ln, x, y);
        if (e.at_hidden && ln->slit[e.comp]) continue; /* seen through a slit: no heading to go on */
        e.speck = ln->comp_size[e.comp] < SZ_MAX(40.0f, 12 * e.width) && !e.at_hidden;
        ln->ends[ln->nends++] = e;
    }
    free(at), free(valid), free(sk);
    if (!st) st = sz_ink_canvas_init(ctx, &ln->drawn, p->w, p->h);
    return st;
}

/* Whether the completed shape leaves hidden pixel (x, y) out (with a
 * pixel of tolerance, so a stroke along the shape's edge keeps its width). */
static bool lp_inside_excludes(const sz_part *p, const uint8_t *inside, int x, int y)
{
    if (!inside || !p->hidden[(size_t)y * p->w + x]) return false;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < p->w && yy < p->h && inside[(size_t)yy * p->w + xx]) return false;
        }
    return true;
}

/* sz_lines_apply for the pixels of one tile of the canvas. */
static long apply_tile(const sz_part *p, const sz_lines *ln, int tx, int ty, sz_image *img)
{
    const ink_tile *t = ln->drawn.tiles[(size_t)ty * ln->drawn.tiles_x + tx];
    int x0 = tx * INK_TILE, y0 = ty * INK_TILE;
    int x1 = SZ_MIN(x0 + INK_TILE, p->w), y1 = SZ_MIN(y0 + INK_TILE, p->h);
    long changed = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            size_t i = (size_t)y * p->w + x;
            int k = sz_ink_index(x, y);
            float cov = t->px[k][INK_COVER];
            if (cov <= 0.002f || ln->solid[i]) continue;
            if (lp_inside_excludes(p, ln->inside, x, y)) continue;
            uint16_t old[4];
            sz_get16(p->img, x, y, old);
            if (!sz_part_writable(p, i, old[3])) continue;
            uint16_t cur[4];
            sz_get16(img, x, y, cur);
            float a = cur[3] / 65535.0f, oa = cov + a * (1 - cov);
            float out[4];
            for (int j = 0; j < 3; j++) {
                float lin = (t->px[k][INK_RGB + j] * cov + sz_srgb16_to_linear(cur[j]) * a * (1 - cov)) / oa;
                out[j] = sz_linear_to_srgb(lin);
            }
            out[3] = oa;
            sz_putf(img, x, y, out);
            sz_word *seen = img == p->img ? sz_part_faint_row(p, y) : NULL;
            if (seen) {
                /* the stroke is over the artist's pixel now: a fill under it
                 * takes the paint's colour, not the stroke's (a word spans
                 * two tiles) */
                sz_word *word = seen + (x >> 6), *colour = sz_part_faint_colour_row(p, y) + (x >> 6);
                sz_word bit = (sz_word)1 << (x & 63);
#pragma omp atomic
                *word &= ~bit;
#pragma omp atomic
                *colour &= ~bit;
            }
            changed++;
        }
    return changed;
}

long sz_lines_apply(sz_ctx *ctx, const sz_part *p, const sz_lines *ln, sz_image *img)
{
    long changed = 0;
    const ink_canvas *c = &ln->drawn;
    long tiles = (long)c->tiles_x * c->tiles_y;
    /* a tile reads and writes only its own pixels: tiles go in parallel */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 4) reduction(+ : changed)
    for (long k = 0; k < tiles; k++)
        if (c->tiles[k]) changed += apply_tile(p, ln, (int)(k % c->tiles_x), (int)(k / c->tiles_x), img);
    return changed;
}

void sz_lines_free(sz_lines *ln)
{
    free(ln->solid);
    sz_runs_free(&ln->comp);
    free(ln->comp_size);
    free(ln->slit);
    free(ln->ends);
    sz_ink_canvas_free(&ln->drawn);
    memset(ln, 0, sizeof *ln);
}
