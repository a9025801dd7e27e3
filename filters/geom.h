/*
 * geom.h — raster geometry the completion filters share: distance
 * transforms (edt.c), thinning (thin.c), connected components (label.c),
 * one-pixel curves (curve.c), nearest sites (sites.c), reach, listing and
 * candidate pairs (geom.c), histogram percentiles (strokes are drawn by
 * ink_canvas.h).
 * Everything here is deterministic and independent of the thread count.
 */
#ifndef SOZAI_GEOM_H
#define SOZAI_GEOM_H

#include "internal.h"

#include <math.h>
#include <string.h>

/** The smallest bin of a 256-bin histogram of `total` samples that has
 *  at least `percent`% of them at or below it (0 for no samples). */
static inline int sz_hist_percentile(const long hist[256], long total, int percent)
{
    long acc = 0;
    int v = 0;
    while (v < 255 && (acc += hist[v]) * 100 < total * percent) v++;
    return v;
}

typedef struct vec2 {
    float x, y;
} vec2;

/** The distance between two pixels dx and dy apart, as a float: the
 *  rounded root of the exact square, worked in double (what glibc's
 *  hypotf() gives for whole numbers, checked over every offset up to
 *  4200 px and 5e7 random ones up to 70000, without a call per pixel). */
static inline float sz_pixel_distance(int dx, int dy)
{
    return (float)sqrt((double)((int64_t)dx * dx + (int64_t)dy * dy));
}

static inline vec2 v2(float x, float y) { return (vec2){x, y}; }
static inline vec2 v2_add(vec2 a, vec2 b) { return v2(a.x + b.x, a.y + b.y); }
static inline vec2 v2_sub(vec2 a, vec2 b) { return v2(a.x - b.x, a.y - b.y); }
static inline vec2 v2_scale(vec2 a, float s) { return v2(a.x * s, a.y * s); }
static inline float v2_dot(vec2 a, vec2 b) { return a.x * b.x + a.y * b.y; }
static inline float v2_cross(vec2 a, vec2 b) { return a.x * b.y - a.y * b.x; }
static inline float v2_len(vec2 a) { return sqrtf(a.x * a.x + a.y * a.y); }
static inline vec2 v2_norm(vec2 a)
{
    float l = v2_len(a);
    return l > 1e-9f ? v2_scale(a, 1.0f / l) : v2(1, 0);
}
static inline vec2 v2_rot(vec2 a, float angle)
{
    float c = cosf(angle), s = sinf(angle);
    return v2(a.x * c - a.y * s, a.x * s + a.y * c);
}

/** Exact squared Euclidean distance to the nearest pixel where `feature`
 *  is nonzero (Felzenszwalb-Huttenlocher), for every pixel of a w x h
 *  grid.  With `nearest` (may be NULL) also the index y*w+x of that
 *  feature pixel (-1 when there is none).  Distances with no feature at
 *  all are a large value (>= 1e20). */
SZ_INTERNAL sz_status sz_edt(sz_ctx *ctx, const uint8_t *feature, int w, int h, float *dist2, int32_t *nearest);
/** The same, answered only on the rows where want[y] is nonzero, for a
 *  caller that asks a few rows: the others get no feature in `dist2`
 *  (1e20), and their `nearest` is not written at all (a caller reads it
 *  only where it asked, and the rows it does not ask of a large plane
 *  then cost no fresh pages); `dist2` may be NULL when `nearest` is not
 *  (no plane of distances is then needed). */
SZ_INTERNAL sz_status sz_edt_rows(sz_ctx *ctx, const uint8_t *feature, int w, int h, const uint8_t *want,
                                  float *dist2, int32_t *nearest);

/** Largest bound sz_edt_bounded() takes (its sums stay within 16 bits). */
#define SZ_EDT_BOUND_MAX 127
/** Squared Euclidean distance to the nearest pixel where `feature` is
 *  nonzero, exact wherever it is at most r^2, and some value above r^2
 *  elsewhere: what a closing or a dilation by a disc of radius r needs,
 *  in time linear in pixels and in r, with no nearest pixel and 16-bit
 *  distances.  Same results as thresholding sz_edt(). */
SZ_INTERNAL sz_status sz_edt_bounded(sz_ctx *ctx, const uint8_t *feature, int w, int h, int r, uint16_t *dist2);

/** out = 1 where some pixel of `in` equal to `value` lies within the
 *  (2r+1)-square around (a dilation for value 1, the complement of an
 *  erosion for value 0); in and out may not alias.  Linear in pixels
 *  whatever r is. */
SZ_INTERNAL sz_status sz_square_reach(sz_ctx *ctx, const uint8_t *in, uint8_t value, int w, int h, int r, uint8_t *out);
/** The same over the (2rx+1) x (2ry+1) rectangle. */
SZ_INTERNAL sz_status sz_rect_reach(sz_ctx *ctx, const uint8_t *in, uint8_t value, int w, int h, int rx, int ry,
                                    uint8_t *out);
/** Thins a binary mask (nonzero = set) to an 8-connected skeleton one pixel
 *  wide (Zhang-Suen), in place. */
SZ_INTERNAL sz_status sz_thin(sz_ctx *ctx, uint8_t *mask, int w, int h);

/** The set pixels of a mask as maximal runs along rows, each with the
 *  label of its 8-connected (or 4-connected) component: 1.., numbered in
 *  the order the components' first pixels come in a raster scan. */
typedef struct sz_runs {
    int w, h;
    int32_t *x0, *x1;   /* first and last pixel of each run */
    int32_t *label;     /* 1..count */
    int32_t *row_start; /* runs of row y: row_start[y] .. row_start[y+1]-1, in order */
    int count;          /* components */
} sz_runs;

/** Labels the components of nonzero pixels as runs (no plane of labels to
 *  write and scan).  Returns the count or -1 on allocation failure; free
 *  with sz_runs_free(). */
SZ_INTERNAL int sz_label_runs(sz_ctx *ctx, const uint8_t *mask, int w, int h, bool eight, sz_runs *out);
/** The same, eight-connected, where a diagonal step may not pass beside a
 *  pixel set in `block` (a one-pixel wall drawn diagonally stays closed). */
SZ_INTERNAL int sz_label_runs_blocked(sz_ctx *ctx, const uint8_t *mask, const uint8_t *block, int w, int h,
                                      sz_runs *out);
SZ_INTERNAL void sz_runs_free(sz_runs *r);
/** reached = the pixels of `pass` eight-connected through `pass` to one
 *  that is also in `seed`; with `block` (may be NULL), a diagonal step may
 *  not pass beside a blocking pixel (a one-pixel wall drawn diagonally
 *  stays closed).  Linear in pixels: runs, not a pixel stack. */
SZ_INTERNAL sz_status sz_flood(sz_ctx *ctx, const uint8_t *pass, const uint8_t *seed, const uint8_t *block, int w,
                               int h, uint8_t *reached);
/** Bounding box of each label 1..count: box[4k..4k+3] = x0, y0, x1, y1
 *  (inclusive); with `area` (may be NULL), its pixel count.  Entry 0 (the
 *  background) is left as an empty box, with an area of 0.  Either may be
 *  NULL. */
SZ_INTERNAL void sz_runs_boxes(const sz_runs *r, int32_t *box, int32_t *area);
/** The label of pixel (x, y) (0 where unset, or outside the grid). */
SZ_INTERNAL int32_t sz_runs_label_at(const sz_runs *r, int x, int y);
/** The same, looking first in run *run (-1: none), which it sets to the
 *  run found: for a walk whose pixels most often lie in the run before. */
SZ_INTERNAL int32_t sz_runs_label_near(const sz_runs *r, int x, int y, int32_t *run);
/** Sets to 1 the pixels of component `label` in the w x h window at
 *  (x0, y0) of `out` (its pixels there; others are left as they are). */
SZ_INTERNAL void sz_runs_paint(const sz_runs *r, int32_t label, int x0, int y0, int w, int h, uint8_t *out);

/** The offsets of the square of radius SZ_NEAR_R, nearest first (by
 *  squared length, then in scan order): a search for the nearest pixel of
 *  some kind stops at the first it meets (and, for ties, at the end of
 *  that length). */
enum { SZ_NEAR_R = 16, SZ_NEAR_N = (2 * SZ_NEAR_R + 1) * (2 * SZ_NEAR_R + 1) };
typedef struct sz_near_offset {
    int8_t dx, dy;
    int16_t d2;
} sz_near_offset;
SZ_INTERNAL const sz_near_offset *sz_near_offsets(void);

/** A set of pixels for nearest-pixel queries (a 2-d tree): where only a
 *  few pixels ask which of a few thousand sites is nearest, far cheaper
 *  than a transform of the whole plane. */
typedef struct sz_sites {
    int n, w;
    struct sz_site {
        int32_t x, y, index;
    } *site; /* in tree order: each range's median splits it, by x then y alternately */
} sz_sites;

/** The sites: pixels i (y * w + x) of `index`, n of them. */
SZ_INTERNAL sz_status sz_sites_build(sz_ctx *ctx, const int32_t *index, int n, int w, sz_sites *out);
/** The site nearest to (x, y) (the smallest pixel index among equally
 *  near ones), or -1 when there are none.  `guess` (a site's pixel index,
 *  or -1), the answer for a neighbouring pixel say, only makes the search
 *  shorter: the answer is the same whatever it is. */
SZ_INTERNAL int32_t sz_sites_nearest(const sz_sites *s, int x, int y, int32_t guess);
SZ_INTERNAL void sz_sites_free(sz_sites *s);

/** The first pixel from x on that is set (sz_skip_unset) or unset (sz_skip_set),
 * or w: eight pixels at a time while a whole word is clear or has no zero
 * byte, as masks are mostly long runs. */
static inline int sz_skip_unset(const uint8_t *m, int x, int w)
{
    for (; x + 8 <= w; x += 8) {
        uint64_t v;
        memcpy(&v, m + x, 8);
        if (v) break;
    }
    while (x < w && !m[x]) x++;
    return x;
}

static inline int sz_skip_set(const uint8_t *m, int x, int w)
{
    for (; x + 8 <= w; x += 8) {
        uint64_t v;
        memcpy(&v, m + x, 8);
        if ((v - 0x0101010101010101u) & ~v & 0x8080808080808080u) break; /* a zero byte */
    }
    while (x < w && m[x]) x++;
    return x;
}

/** Writes the indices (y * w + x) of the set pixels of m into out, in
 *  raster order, and how many into *count: rows are counted, then listed,
 *  in parallel, each where the rows before it end.  out must hold every
 *  set pixel. */
SZ_INTERNAL sz_status sz_mask_list(sz_ctx *ctx, const uint8_t *m, int w, int h, int32_t *out, size_t *count);

static inline bool sz_mask_at(const uint8_t *m, int w, int h, int x, int y)
{
    return x >= 0 && y >= 0 && x < w && y < h && m[(size_t)y * w + x];
}

/** Whether m is set anywhere in the (2r+1)-square around (x, y). */
static inline bool sz_mask_near(const uint8_t *m, int w, int h, int x, int y, int r)
{
    for (int yy = SZ_MAX(0, y - r); yy <= SZ_MIN(h - 1, y + r); yy++)
        for (int xx = SZ_MAX(0, x - r); xx <= SZ_MIN(w - 1, x + r); xx++)
            if (m[(size_t)yy * w + xx]) return true;
    return false;
}

/** Whether (x, y) ends a one-pixel curve of mask m (its neighbours form
 *  one group of at most two pixels). */
SZ_INTERNAL bool sz_curve_is_end(const uint8_t *m, int w, int h, int x, int y);
/** Follows a one-pixel curve from (x, y) for at most `max` pixels into
 *  px, py (start first); *junction tells whether it stopped at a fork.
 *  With `corners`, it also goes on round the L-shaped corners of a
 *  staircase two pixels thick, as thinning leaves a slanting stroke's
 *  skeleton (without, the trace ends at the first). */
SZ_INTERNAL int sz_curve_trace(const uint8_t *m, int w, int h, int x, int y, int max, bool corners, int *px,
                               int *py, bool *junction);
/** The same, for a curve entered at (x, y) from its neighbour (fromx,
 *  fromy): the trace goes on away from that pixel (a branch of a fork). */
SZ_INTERNAL int sz_curve_trace_from(const uint8_t *m, int w, int h, int fromx, int fromy, int x, int y, int max,
                                    bool corners, int *px, int *py, bool *junction);
/** A quadratic fit x(t), y(t) against arc length t of the traced points
 *  px, py [i0, k) (t measured from px[0], py[0]), each weighted by
 *  exp(-t^2 / 2 sigma^2) (sigma 0: all alike): fit[d] holds the
 *  coefficients of 1, t and t^2 for x (d = 0) and y (d = 1).  A chord
 *  lags behind a curving trace; the fit's tangent at t = 0 does not.
 *  False when the points do not determine a fit. */
SZ_INTERNAL bool sz_curve_fit(const int *px, const int *py, int i0, int k, double sigma, double fit[2][3]);
/** Whether the polyline pts[0..n) runs across a pixel of `m` equal to
 *  `value`, leaving out the stretches within `spare` px of a and of b.
 *  A curve of m drawn 8-connected can be crossed between two diagonal
 *  pixels, so each point of the line (sampled twice per pixel) looks at
 *  the 2 x 2 pixels around it. */
SZ_INTERNAL bool sz_path_crosses(const uint8_t *m, uint8_t value, int w, int h, const vec2 *pts, int n, vec2 a,
                                 vec2 b, float spare);

/* Candidate pairs of ends, each with its cost, chosen greedily cheapest
 * first (the line engine's stroke ends, the shape's silhouette ends). */
typedef struct sz_pair {
    int a, b;
    float cost;
    bool alt; /* judged with the ends' alternative reading (the line engine's slant-cut ends) */
} sz_pair;

typedef struct sz_pair_list {
    sz_pair *v;
    size_t n, cap;
} sz_pair_list;

/** Appends a pair; false when out of memory (the list stays as it was). */
SZ_INTERNAL bool sz_pair_push(sz_ctx *ctx, sz_pair_list *l, int a, int b, float cost);
/** Sorts by cost, then a, then b: a total order, so the choice never
 *  depends on qsort's. */
SZ_INTERNAL void sz_pair_sort(sz_pair_list *l);
/** The list as a min-heap in the order sz_pair_sort() sorts: adds a pair
 *  (false when out of memory), and takes out the first (the heap must not
 *  be empty). */
SZ_INTERNAL bool sz_pair_heap_push(sz_ctx *ctx, sz_pair_list *h, int a, int b, float cost);
SZ_INTERNAL sz_pair sz_pair_heap_pop(sz_pair_list *h);

#endif
