/*
 * mirror.c — finding the axis about which a part is drawn symmetric, and
 * lending hidden pixels what their mirror image shows.
 *
 * Geometry continues what it sees; it cannot know that the hidden half of
 * a face holds an eye.  A part drawn symmetric can: its mirror image shows
 * the hidden shape, colours and strokes exactly.  Most parts are not
 * symmetric, or not where they are hidden, so the axis is kept only on
 * two kinds of evidence: the visible part as a whole matches its mirror
 * image, and so does the visible rim of the hidden region, where the
 * mirror is about to be used.  A vertical axis only: parts are drawn
 * upright, and a figure or a face that is symmetric at all is symmetric
 * left to right.
 *
 * Where the visible half shows background, so does the hidden half:
 * the completed shape gives those pixels up.
 *
 * A part lit from one side (a sphere, a tree, a cap) has a symmetric
 * silhouette and asymmetric colours.  For the fill its outline alone is
 * worth having: where geometry left the hidden region empty and the
 * mirror image is the part's, the part goes on there.
 */
#include "mirror.h"

#include "color.h"
#include "geom.h"
#include "lines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Coarsest sampling: about this many columns across the visible part. */
#define COARSE_COLUMNS 128
/* At most this many rows are sampled at the coarsest level, where every
 * axis is tried, and at the finer ones, where three are. */
#define COARSE_ROWS 128
#define MAX_ROWS 512
/* The rim: visible pixels within this many px of the hidden region. */
#define RIM 3
/* What the axis must show to be kept (chosen on the shared benchmark's
 * cases and on another seed's; DESIGN.md, "Symmetric parts"). */
#define MIN_SUPPORT 0.5f /* the pairs where either pixel is the part, against the part's visible pixels */
#define MIN_AGREE 0.6f   /* share of those pairs alike and both the part's */
#define MIN_COLOUR 0.8f  /* of the pairs both the part's, the share alike in colour */
#define MIN_RIM 0.9f     /* the rim's agreement */
/* The silhouette alone is weaker evidence, so it must agree more, and
 * its rim more still: a figure whose outline is symmetric only in part
 * (a bride's bodice, her train flowing to one side under the cover) was
 * trimmed to the mirror image of her narrow side (DESIGN.md, "Symmetric
 * parts"). */
#define MIN_SILHOUETTE_AGREE 0.85f
#define MIN_SILHOUETTE_RIM 0.95f
#define MIN_RIM_PAIRS 50
/* Taking pixels out of the completed shape asks more: the axis must have
 * judged this share of the part (a half of a part can be symmetric on
 * its own, a rectangle cut in two by a bar). */
#define MIN_TRIM_SUPPORT 0.6f
/* An axis moved by this share of the part's width must agree by PEAK
 * less: a bar, the same all along its middle, agrees about any axis there
 * and says nothing of where its hidden end is. */
#define PEAK_SHIFT 0.08f
#define PEAK 0.05f

/* A sampled pixel: 0 hidden (or cut by the occluder's edge), 1 visible and
 * not the part's body, else OPAQUE | its 8-bit colour. */
#define OPAQUE 0x80000000u

static uint32_t sample_code(const sz_part *p, size_t i)
{
    if (p->touched[i]) return 0;
    uint16_t px[4];
    sz_get16_at(p->img, i, px);
    if (px[3] < 32768) return 1;
    return OPAQUE | (uint32_t)(px[0] >> 8) << 16 | (uint32_t)(px[1] >> 8) << 8 | (uint32_t)(px[2] >> 8);
}

/* 1 when two sampled colours are alike (SZ_MIRROR_LIKE_COLOUR), else
 * 0: the sign bit of the difference, with no branch, so that the pair
 * count below vectorises. */
static inline uint32_t near_colour(uint32_t a, uint32_t b)
{
    int dr = (int)(a >> 16 & 255) - (int)(b >> 16 & 255);
    int dg = (int)(a >> 8 & 255) - (int)(b >> 8 & 255);
    int db = (int)(a & 255) - (int)(b & 255);
    return (uint32_t)(dr * dr + dg * dg + db * db - (SZ_MIRROR_LIKE_COLOUR + 1)) >> 31;
}

/* Whether two sampled pixels of the part's body match: in like colour,
 * or, when only the silhouette is compared, always. */
static inline bool alike(uint32_t a, uint32_t b, bool by_colour)
{
    return !by_colour || near_colour(a, b);
}

/* The part sampled every `step` columns (from x = 0, so that the mirror of
 * a sampled column about an axis at a multiple of step / 2 is sampled too)
 * and every `row_step` rows over its visible rows. */
typedef struct {
    uint32_t *code; /* rows of cols codes, then the same rows right to left */
    int cols, rows, step;
    bool by_colour; /* whether body pixels must be alike in colour to agree */
    int col0, col1; /* the sampled columns over the visible part */
    long opaque;    /* sampled pixels of the part's body */
} samples;

static sz_status sample(sz_ctx *ctx, const sz_part *p, int step, int max_rows, bool by_colour, samples *s)
{
    int vh = p->vy1 - p->vy0;
    int row_step = SZ_MAX(step, (vh + max_rows - 1) / max_rows);
    s->step = step;
    s->by_colour = by_colour;
    s->cols = (p->w - 1) / step + 1;
    s->rows = (vh - 1) / row_step + 1;
    s->col0 = (p->vx0 + step - 1) / step;
    s->col1 = (p->vx1 - 1) / step;
    s->code = sz_malloc_array(ctx, 2 * (size_t)s->cols * s->rows, sizeof *s->code);
    if (!s->code) return SZ_ERR_NOMEM;
    long opaque = 0;
#pragma omp parallel for num_threads(sz_threads(ctx)) reduction(+ : opaque)
    for (int r = 0; r < s->rows; r++) {
        int y = p->vy0 + r * row_step;
        for (int c = 0; c < s->cols; c++) {
            uint32_t code = sample_code(p, (size_t)y * p->w + (size_t)c * step);
            s->code[(size_t)r * s->cols + c] = code;
            s->code[((size_t)s->rows + r) * s->cols + (s->cols - 1 - c)] = code;
            opaque += c >= s->col0 && c <= s->col1 && (code & OPAQUE);
        }
    }
    s->opaque = opaque;
    return SZ_OK;
}

typedef struct {
    long either, both, alike;
} pair_counts;

/* The pairs the axis at x = k * step / 2 makes of the visible part's
 * sampled columns and their mirrors.  Column c's mirror k - c is read
 * from the reversed row, where it lies at c + cols - 1 - k: both run
 * forward, and the count, free of branches, is done a vector at a time.
 * The coarse search counts every axis through the part, so this loop was
 * a tenth of `complete` on small parts; with AVX2 it takes half as long. */
SZ_AVX2_CLONE static pair_counts count_pairs(const samples *s, int k)
{
    pair_counts n = {0, 0, 0};
    int c0 = SZ_MAX(s->col0, k - (s->cols - 1)), c1 = SZ_MIN(s->col1, k);
    int shift = s->cols - 1 - k;
    const uint32_t *reversed = s->code + (size_t)s->rows * s->cols;
    for (int r = 0; r < s->rows; r++) {
        const uint32_t *row = s->code + (size_t)r * s->cols, *mirror = reversed + (size_t)r * s->cols + shift;
        uint32_t either = 0, both = 0, alike_n = 0, any_colour = !s->by_colour;
#pragma omp simd reduction(+ : either, both, alike_n)
        for (int c = c0; c <= c1; c++) {
            /* a 1 or a 0 from each test, by the sign bit, without branches */
            uint32_t a = row[c], b = mirror[c];
            uint32_t a_seen = (a | (0u - a)) >> 31, b_seen = (b | (0u - b)) >> 31;
            uint32_t body = (a & b) >> 31; /* OPAQUE is the sign bit */
            either += a_seen & b_seen & (a | b) >> 31;
            both += body;
            alike_n += body & (near_colour(a, b) | any_colour);
        }
        n.either += either, n.both += both, n.alike += alike_n;
    }
    return n;
}

static float agreement(const samples *s, pair_counts n)
{
    if (n.either < MIN_SUPPORT * s->opaque || !n.either) return -1;
    return (float)n.alike / (float)n.either;
}

/* The best of the axes k0..k1 (in units of step / 2), the first on a tie,
 * or -1 when none has support; *counts gets its pairs.  (One axis to a
 * thread at a time: at the finer levels there are three, each a long
 * count.) */
static int best_axis(sz_ctx *ctx, const samples *s, int k0, int k1, float *score, pair_counts *counts)
{
    int n = k1 - k0 + 1;
    pair_counts *c = malloc((size_t)n * sizeof *c);
    float *agree = malloc((size_t)n * sizeof *agree);
    if (!c || !agree) {
        free(c), free(agree);
        return -2;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 1)
    for (int i = 0; i < n; i++) c[i] = count_pairs(s, k0 + i), agree[i] = agreement(s, c[i]);
    int best = -1;
    for (int i = 0; i < n; i++)
        if (agree[i] >= 0 && (best < 0 || agree[i] > agree[best])) best = i;
    if (best >= 0) *score = agree[best], *counts = c[best];
    free(c), free(agree);
    return best < 0 ? -1 : k0 + best;
}

/* Whether the axis k (at the finest level) stands out from those
 * PEAK_SHIFT of the part's width `span` to either side. */
static bool is_peak(sz_ctx *ctx, const samples *s, int k, float score, int span)
{
    int d = (int)lrintf(2 * PEAK_SHIFT * span);
    float side[2] = {-1, -1}; /* left, right: a count each, side by side */
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 1)
    for (int i = 0; i < 2; i++) {
        int at = i ? k + d : k - d;
        if (at >= 0 && at <= 2 * (s->cols - 1)) side[i] = agreement(s, count_pairs(s, at));
    }
    return SZ_MAX(side[0], side[1]) <= score - PEAK;
}

/* The agreement over the visible rim of the hidden region, at full
 * resolution; *pairs receives how many pairs it rests on. */
static sz_status rim_agreement(sz_ctx *ctx, const sz_part *p, int axis2, bool by_colour, float *agree,
                               long *pairs)
{
    uint8_t *rim = sz_malloc(ctx, (size_t)p->w * p->h);
    if (!rim) return SZ_ERR_NOMEM;
    sz_status st = sz_square_reach(ctx, p->hidden, 1, p->w, p->h, RIM, rim);
    long either = 0, alike_n = 0;
    if (!st) {
#pragma omp parallel for num_threads(sz_threads(ctx)) reduction(+ : either, alike_n)
        for (int y = 0; y < p->h; y++)
            for (int x = 0; x < p->w; x++) {
                size_t i = (size_t)y * p->w + x;
                int xm = axis2 - x;
                if (!rim[i] || xm < 0 || xm >= p->w) continue;
                uint32_t a = sample_code(p, i), b = sample_code(p, (size_t)y * p->w + xm);
                if (!a || !b || !((a | b) & OPAQUE)) continue;
                either++;
                alike_n += (a & b & OPAQUE) && alike(a, b, by_colour);
            }
    }
    free(rim);
    *pairs = either;
    *agree = either ? (float)alike_n / (float)either : 0;
    return st;
}

/* The search, by colour or by the silhouette alone. */
static sz_status search(sz_ctx *ctx, const sz_part *p, bool by_colour, sz_mirror *m)
{
    int step = 1;
    while ((p->vx1 - p->vx0) / step > COARSE_COLUMNS) step *= 2;
    /* coarse: every axis through the visible part */
    samples s = {0};
    sz_status st = sample(ctx, p, step, COARSE_ROWS, by_colour, &s);
    if (st) return st;
    float score = 0;
    pair_counts n = {0, 0, 0};
    int k = best_axis(ctx, &s, 2 * s.col0, 2 * s.col1, &score, &n);
    /* finer: the axis moves by at most one half-step at each level */
    while (k >= 0 && step > 1) {
        free(s.code);
        step /= 2;
        st = sample(ctx, p, step, MAX_ROWS, by_colour, &s);
        if (st) return st;
        k = best_axis(ctx, &s, SZ_MAX(2 * k - 1, 0), SZ_MIN(2 * k + 1, 2 * (s.cols - 1)), &score, &n);
    }
    if (k < 0) n = (pair_counts){0, 0, 0};
    bool peak = k >= 0 && is_peak(ctx, &s, k, score, p->vx1 - p->vx0);
    /* a pair is counted from each of its pixels that is visible, so where
     * the mirror image holds body the part does not, the pairs outnumber
     * the part's own pixels: it was all judged */
    float support = s.opaque ? SZ_MIN(1.0f, (float)n.either / (float)s.opaque) : 0;
    free(s.code);
    if (k == -2) return sz_fail(ctx, SZ_ERR_NOMEM, "out of memory while looking for a mirror axis");
    float least = by_colour ? MIN_AGREE : MIN_SILHOUETTE_AGREE;
    if (k < 0 || !peak || score < least || !n.both || (float)n.alike < MIN_COLOUR * (float)n.both) return SZ_OK;
    long rim_pairs = 0;
    float rim = 0;
    st = rim_agreement(ctx, p, k, by_colour, &rim, &rim_pairs);
    if (st) return st;
    m->axis2 = k;
    m->agree = score;
    m->support = support;
    m->rim = rim;
    m->found = rim >= (by_colour ? MIN_RIM : MIN_SILHOUETTE_RIM) && rim_pairs >= MIN_RIM_PAIRS;
    m->silhouette_only = m->found && !by_colour;
    return SZ_OK;
}

sz_status sz_mirror_find(sz_ctx *ctx, const sz_part *p, double given_axis, sz_mirror *m)
{
    memset(m, 0, sizeof *m);
    if (given_axis >= 0) {
        m->axis2 = (int)lrint(2 * given_axis) - 2 * p->x0;
        m->found = m->given = p->img && p->nhidden;
        return SZ_OK;
    }
    if (!p->img || !p->nhidden || p->vx1 <= p->vx0) return SZ_OK;
    return search(ctx, p, true, m);
}

sz_status sz_mirror_find_outline(sz_ctx *ctx, const sz_part *p, sz_mirror *m)
{
    memset(m, 0, sizeof *m);
    if (!p->img || !p->nhidden || p->vx1 <= p->vx0) return SZ_OK;
    return search(ctx, p, false, m);
}

/* The work index of the pixel that (x, y) mirrors, when that pixel is in
 * the work rectangle and wholly visible (the occluder does not touch it);
 * else -1. */
static long visible_mirror(const sz_part *p, const sz_mirror *m, int x, int y)
{
    int xm = m->axis2 - x;
    if (xm < 0 || xm >= p->w) return -1;
    size_t j = (size_t)y * p->w + xm;
    return p->touched[j] ? -1 : (long)j;
}

/* The same, when that pixel also holds some of the part. */
static long mirror_source(const sz_part *p, const sz_mirror *m, int x, int y)
{
    long j = visible_mirror(p, m, x, y);
    return j >= 0 && sz_alpha16(p->img, (int)(j % p->w), y) ? j : -1;
}

/* A repeat is looked for at most this many steps each way. */
enum { MAX_STEPS = 255 };

/* Whether work pixel i is wholly visible: a repeat to take from. */
static inline bool in_sight(const sz_part *p, size_t i)
{
    return !p->touched[i] && !p->hidden[i];
}

/* For a repeat: per work pixel the cover touches, how many steps on
 * (m->ahead) and back (m->behind) its nearest wholly visible repeat lies
 * (0: none within MAX_STEPS or the work rectangle).  Each is one more
 * than its neighbour's a step along, so the pixels are taken in the
 * order the steps run: O(1) a pixel, where looking along each pixel's
 * line reads as many pixels as it takes steps, each way. */
static sz_status repeat_reach(sz_ctx *ctx, const sz_part *p, sz_mirror *m)
{
    size_t n = (size_t)p->w * p->h;
    m->ahead = sz_calloc(ctx, n, 1);
    m->behind = sz_calloc(ctx, n, 1);
    if (!m->ahead || !m->behind) return SZ_ERR_NOMEM;
    int w = p->w, h = p->h, sx = m->step_x, sy = m->step_y; /* sy > 0, or sy = 0 and sx > 0 */
    for (int way = 0; way < 2; way++) {
        uint8_t *steps = way ? m->behind : m->ahead;
        int dx = way ? -sx : sx, dy = way ? -sy : sy;
        /* a pixel's count needs its neighbour's (x + dx, y + dy) first:
         * rows from the far end when the step goes down or up, else
         * columns along the row from the far end */
        for (int t = 0; t < (dy ? h : 1); t++) {
            int y0 = dy ? (dy > 0 ? h - 1 - t : t) : 0, y1 = dy ? y0 + 1 : h;
#pragma omp parallel for num_threads(sz_threads(ctx)) if (!dy)
            for (int y = y0; y < y1; y++)
                for (int u = 0; u < w; u++) {
                    int x = dx > 0 ? w - 1 - u : u;
                    size_t i = (size_t)y * w + x;
                    if (!p->touched[i] && !p->hidden[i]) continue;
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    size_t j = (size_t)ny * w + nx;
                    steps[i] = in_sight(p, j) ? 1 : steps[j] && steps[j] < MAX_STEPS ? (uint8_t)(steps[j] + 1) : 0;
                }
        }
    }
    return SZ_OK;
}

/* The work index of the pixel k steps from (x, y) (back for k < 0). */
static long steps_from(const sz_part *p, const sz_mirror *m, int x, int y, int k)
{
    return (long)(y + k * m->step_y) * p->w + (x + k * m->step_x);
}

/* What the pattern says of hidden pixel (x, y), from its nearest wholly
 * visible repeats a whole number of steps on and back (repeat_reach):
 *   2: the part, shape and all (both hold the part: a band's teeth go on
 *      as teeth), *from the nearer;
 *   1: the part's body within the completed shape only (one holds the
 *      body, the other is hidden or differs: a band's end may be hidden
 *      there, and the pattern does not say where), *from that one;
 *  -1: background (every repeat seen shows it: above a band's teeth, and
 *      between them);
 *   0: nothing (none is seen). */
static int pattern_says(const sz_part *p, const sz_mirror *m, int x, int y, long *from)
{
    size_t i = (size_t)y * p->w + x;
    int on = m->ahead[i], back = m->behind[i]; /* steps, 0 for none: the nearer is the fewer */
    long ahead = on ? steps_from(p, m, x, y, on) : -1, behind = back ? steps_from(p, m, x, y, -back) : -1;
    unsigned a = on ? sz_alpha16(p->img, (int)(ahead % p->w), (int)(ahead / p->w)) : 0;
    unsigned b = back ? sz_alpha16(p->img, (int)(behind % p->w), (int)(behind / p->w)) : 0;
    if (a && b) {
        *from = back < on ? behind : ahead;
        return 2;
    }
    if (a >= 32768 && (b < 32768 || on <= back)) {
        *from = ahead;
        return 1;
    }
    if (b >= 32768) {
        *from = behind;
        return 1;
    }
    return (on || back) && !a && !b ? -1 : 0;
}

/* What a hidden pixel takes from the pattern (pattern_says), or -1. */
static long repeat_source(const sz_part *p, const sz_mirror *m, const uint8_t *shape, int x, int y)
{
    long from = -1;
    int says = pattern_says(p, m, x, y, &from);
    return says == 2 || (says == 1 && shape[(size_t)y * p->w + x]) ? from : -1;
}

/* Where hidden pixel (x, y) is shown: its mirror image, or for a repeat
 * (`what` is then the completed shape) what repeat_source says. */
static long source_of(const sz_part *p, const sz_mirror *m, const void *what, int x, int y)
{
    return sz_mirror_is_repeat(m) ? repeat_source(p, m, what, x, y) : mirror_source(p, m, x, y);
}

/* Which hidden pixels take their mirror image or repeat (`j`, a visible
 * pixel that holds some of the part). */
typedef bool (*take_fn)(const sz_part *p, const void *what, int x, int y, size_t j);

/* The fill's: all of the part the mirror image holds, its soft rim too,
 * so that the mirrored edge keeps its anti-aliasing. */
static bool takes_all(const sz_part *p, const void *shape, int x, int y, size_t j)
{
    (void)p, (void)shape, (void)x, (void)y, (void)j;
    return true;
}

/* extend-lines': the part's ink. */
static bool takes_ink(const sz_part *p, const void *lines, int x, int y, size_t j)
{
    (void)x, (void)y;
    return sz_lines_ink(lines, (int)(j % p->w), (int)(j / p->w)) >= 0.5f;
}

static sz_status reveal(sz_ctx *ctx, sz_part *p, sz_mirror *m, take_fn take, const void *what)
{
    if (!m->found) return SZ_OK;
    /* Which pixels take which is decided before any is painted, so that
     * none is revealed from another revealed one whatever the order: rows
     * are counted, then listed, in parallel, each into its own stretch of
     * the lists (in row order, whatever the number of threads), and then
     * painted. */
    long *first = sz_malloc_array(ctx, (size_t)p->h + 1, sizeof *first);
    if (!first) return SZ_ERR_NOMEM;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < p->h; y++) {
        long n = 0;
        for (int x = sz_skip_unset(p->hidden + (size_t)y * p->w, 0, p->w); x < p->w; x++) {
            long j = p->hidden[(size_t)y * p->w + x] ? source_of(p, m, what, x, y) : -1;
            n += j >= 0 && take(p, what, x, y, (size_t)j);
        }
        first[y + 1] = n;
    }
    first[0] = 0;
    for (int y = 0; y < p->h; y++) first[y + 1] += first[y];
    long n = first[p->h];
    int32_t *source = NULL;
    if (n) {
        m->revealed = sz_malloc_array(ctx, (size_t)n, sizeof *m->revealed);
        m->was = sz_malloc_array(ctx, (size_t)n, sizeof *m->was);
        m->was_touched = sz_malloc(ctx, (size_t)n);
        source = sz_malloc_array(ctx, (size_t)n, sizeof *source);
    }
    if (n && (!m->revealed || !m->was || !m->was_touched || !source)) {
        free(first), free(source);
        return SZ_ERR_NOMEM;
    }
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(dynamic, 16)
    for (int y = 0; y < (n ? p->h : 0); y++) {
        long k = first[y];
        for (int x = sz_skip_unset(p->hidden + (size_t)y * p->w, 0, p->w); k < first[y + 1] && x < p->w; x++) {
            long j = p->hidden[(size_t)y * p->w + x] ? source_of(p, m, what, x, y) : -1;
            if (j < 0 || !take(p, what, x, y, (size_t)j)) continue;
            m->revealed[k] = (int32_t)((size_t)y * p->w + x);
            source[k++] = (int32_t)j;
        }
    }
    /* each revealed pixel is written once, from a visible one, which no
     * pixel's painting changes */
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (long k = 0; k < n; k++) {
        int32_t i = m->revealed[k];
        int x = i % p->w, y = i / p->w;
        uint16_t px[4];
        sz_get16_at(p->img, (size_t)source[k], px);
        sz_get16(p->img, x, y, m->was[k]);
        m->was_touched[k] = p->touched[i];
        sz_put16(p->img, x, y, px);
        p->hidden[i] = p->touched[i] = 0;
    }
    free(first), free(source);
    m->nrevealed = n;
    p->nhidden -= (int)n;
    return SZ_OK;
}

/* The fill's, from a silhouette alone: the part's body where the
 * completed shape has nothing.  Where the shape has the part, its colours
 * are the nearest drawn ones, which a part lit from one side keeps better
 * than its other side's. */
static bool takes_body_where_empty(const sz_part *p, const void *shape, int x, int y, size_t j)
{
    uint16_t px[4];
    sz_get16_at(p->img, j, px);
    return px[3] >= 32768 && !((const uint8_t *)shape)[(size_t)y * p->w + x];
}

sz_status sz_mirror_reveal(sz_ctx *ctx, sz_part *p, sz_mirror *m, const uint8_t *shape)
{
    if (m->found && (sz_mirror_is_repeat(m)) && !m->ahead) {
        sz_status st = repeat_reach(ctx, p, m);
        if (st) return st;
    }
    return reveal(ctx, p, m, m->silhouette_only ? takes_body_where_empty : takes_all, shape);
}

/* A repeat's: the hidden pixels where the pattern shows background. */
static void repeat_trim(sz_ctx *ctx, const sz_part *p, const sz_mirror *m, uint8_t *shape)
{
    if (!m->ahead) return; /* (counted by sz_mirror_reveal, which comes first) */
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            size_t i = (size_t)y * p->w + x;
            if (!p->hidden[i] || !shape[i]) continue;
            long from;
            if (pattern_says(p, m, x, y, &from) < 0) shape[i] = 0;
        }
}

void sz_mirror_trim(sz_ctx *ctx, const sz_part *p, const sz_mirror *m, uint8_t *shape)
{
    if (m->found && (sz_mirror_is_repeat(m))) {
        repeat_trim(ctx, p, m, shape);
        return;
    }
    if (!m->found || (!m->given && m->support < MIN_TRIM_SUPPORT)) return;
    /* each pixel reads the part and writes only its own shape code */
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            size_t i = (size_t)y * p->w + x;
            if (!p->hidden[i] || !shape[i]) continue;
            long j = visible_mirror(p, m, x, y);
            if (j >= 0 && !sz_alpha16(p->img, (int)(j % p->w), y)) shape[i] = 0; /* it shows background */
        }
}

void sz_mirror_widen_shape(sz_ctx *ctx, const sz_part *p, const sz_mirror *m, uint8_t *shape)
{
    if (!m->found) return;
#pragma omp parallel for num_threads(sz_threads(ctx))
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) {
            size_t i = (size_t)y * p->w + x;
            long j = p->hidden[i] && !shape[i] ? mirror_source(p, m, x, y) : -1;
            if (j >= 0 && sz_alpha16(p->img, (int)(j % p->w), y) >= 32768) shape[i] = sz_shape_code(9, 9);
        }
}

sz_status sz_mirror_reveal_ink(sz_ctx *ctx, sz_part *p, sz_mirror *m, const sz_lines *ln)
{
    /* a silhouette's strokes are not known to be symmetric; a repeat is
     * the fill's (its source is chosen by the completed shape) */
    if (m->silhouette_only || sz_mirror_is_repeat(m)) return SZ_OK;
    return reveal(ctx, p, m, takes_ink, ln);
}

void sz_mirror_hide_again(sz_part *p, const sz_mirror *m)
{
    for (long k = 0; k < m->nrevealed; k++) {
        int32_t i = m->revealed[k];
        p->hidden[i] = 1, p->touched[i] = m->was_touched[k];
    }
    p->nhidden += (int)m->nrevealed;
}

long sz_mirror_lay_over(const sz_part *p, const sz_mirror *m, sz_image *layer)
{
    if (!layer) return m->nrevealed;
    long added = 0;
    for (long k = 0; k < m->nrevealed; k++) {
        int32_t i = m->revealed[k];
        int x = i % p->w, y = i / p->w;
        uint16_t top[4], under[4];
        sz_get16_at(p->img, (size_t)i, top);
        sz_get16(layer, x, y, under);
        added += !under[3];
        if (top[3] == 65535 || !under[3]) {
            sz_put16(layer, x, y, top);
            continue;
        }
        /* a soft rim over the fill, in linear light */
        float a = top[3] / 65535.0f, b = under[3] / 65535.0f, oa = a + b * (1 - a), out[4];
        for (int c = 0; c < 3; c++)
            out[c] = sz_linear_to_srgb(
                (sz_srgb16_to_linear(top[c]) * a + sz_srgb16_to_linear(under[c]) * b * (1 - a)) / oa);
        out[3] = oa;
        sz_putf(layer, x, y, out);
    }
    return added;
}

void sz_mirror_spare_the_fill(const sz_part *p, const sz_mirror *m, uint8_t *shape)
{
    for (long k = 0; k < m->nrevealed; k++) {
        int32_t i = m->revealed[k];
        if (sz_alpha16(p->img, i % p->w, i / p->w) == 65535) shape[i] = 0;
    }
}

void sz_mirror_give_back(sz_part *p, const sz_mirror *m)
{
    for (long k = 0; k < m->nrevealed; k++) {
        int32_t i = m->revealed[k];
        sz_put16(p->img, i % p->w, i / p->w, m->was[k]);
    }
}

void sz_mirror_free(sz_mirror *m)
{
    free(m->ahead), free(m->behind);
    m->ahead = m->behind = NULL;
    free(m->revealed);
    free(m->was), free(m->was_touched);
    m->revealed = NULL, m->was = NULL, m->was_touched = NULL, m->nrevealed = 0;
}
