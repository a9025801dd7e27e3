/*
 * fill_paint.c — the fill's colours, from their sources (fill_sources.c),
 * averaged in linear light over stretches of like sources, and painted
 * onto a new layer under the part (Live2D's own procedure) or into the
 * part with --merge.
 */
#include "fill.h"
#include "color.h"
#include "mirror.h"

#include <math.h>
#include <stdlib.h>

/* The fill's colour is that of its sources, in linear light (and, for a
 * translucent part, their opacity as a fourth channel), averaged along
 * rows and then along columns over a stretch of filled pixels whose
 * sources are alike in colour (sz_rgb8_differ) or of one colour region
 * (keep_narrow_regions_near), each to the next: a gradient is one
 * stretch and continues without streaks or creases, even where its far
 * ends meet, and where two flat colours meet under the occluder the
 * stretch ends, so both stay flat and exact up to the line where they
 * meet (a box over both blurred that line, and ink-dark areas with it:
 * DESIGN.md, "Narrow colour regions").  A pixel's average reaches `radius` px along its stretch
 * near the cut, where the fill meets what the artist drew, and half its
 * distance from its source deeper in, up to DEEP_RADIUS: there the
 * nearest sources of a gradient fan out, and their colours, each copied
 * straight, showed the fan's rays and the creases where two fans meet
 * (the sample's back hair; DESIGN.md, "Gradients deep in the fill").
 * It is made in bands of rows, each from the rows around it, and painted
 * at once: no plane of colours is kept. */
enum { BAND = 64, DEEP_RADIUS = 32, CHUNK = 4 };

typedef struct colour_band {
    const sz_part *p;
    /* the part's pixels as they were before painting: with --merge the
     * paint goes into the part itself, and a source (the artist's pixel
     * at the occluder's soft edge) is also painted under, so reading it
     * there would depend on which band a thread painted first */
    const sz_image *sources;
    const uint8_t *shape; /* the completed shape (codes, part.h) */
    const int32_t *near;
    const sz_runs *regions; /* the sources' colour regions, from the part's row regions_top (or NULL) */
    int regions_top;
    int radius, reach, ch; /* reach: the largest radius a pixel takes */
    const double *inverse; /* inverse[k] = 1.0 / k, for k up to 2 reach + 1: a stretch's share of its mean */
    /* per thread (carve_band), over the rows a band needs ((BAND + 2
     * reach) x w): the sources' 8-bit colours and colour regions (0: none
     * known), each pixel's radius and the row averages, image row y in
     * slot y % (BAND + 2 reach), so that the next band of the same thread
     * finds the rows it shares with this one made; and each pixel's first
     * and last row of its stretch down its column, by row of the band */
    uint32_t *code;
    int32_t *region;
    uint8_t *rad;
    float *rows;
    int32_t *held; /* per slot: the image row it holds, or -1 */
    int16_t *first, *last;
    float *value;  /* one row of source values, w x ch */
    double *sum;   /* running sums along a row ((w + 1) x ch), then down the columns ((BAND + 2 reach + 1) x w x ch) */
    float *colour; /* the band's colours, BAND x w x ch */
} colour_band;

/* A source colour as 8-bit RGB in one word, and none. */
#define NO_SOURCE 0xFFFFFFFFu

static bool codes_alike(uint32_t a, uint32_t b)
{
    if (a == b) return true;
    if (a == NO_SOURCE || b == NO_SOURCE) return false;
    return !sz_rgb8_differ(a >> 16 & 255, a >> 8 & 255, a & 255, b >> 16 & 255, b >> 8 & 255, b & 255);
}

/* Whether two filled pixels' sources belong to one stretch: alike in
 * colour, or in one colour region of the visible part. */
static inline bool sources_join(uint32_t code_a, int32_t region_a, uint32_t code_b, int32_t region_b)
{
    return (region_a && region_a == region_b) || codes_alike(code_a, code_b);
}

/* A pixel at `at` of a stretch [first, last] averages over the same
 * reach on both sides (at most r): an average over one side only would
 * shift a gradient.  out gets the mean of entries [at - reach, at +
 * reach] from running sums, sum + i * step being the sums of the first
 * i entries, ch channels each. */
static void stretch_mean(const double *sum, size_t step, int first, int last, int at, int r, int ch,
                         const double *inverse, float *out)
{
    int reach = SZ_MIN(r, SZ_MIN(at - first, last - at)), lo = at - reach, hi = at + reach;
    double share = inverse[hi - lo + 1];
    for (int c = 0; c < ch; c++) out[c] = (float)((sum[(size_t)(hi + 1) * step + c] - sum[(size_t)lo * step + c]) * share);
}

/* The source values of row y: colour (0 where there is none) and opacity
 * (1 where there is none), the sources' codes, and each pixel's radius. */
static void source_row(const colour_band *b, int y, float *v, uint32_t *code, int32_t *region, uint8_t *rad)
{
    const sz_part *p = b->p;
    int w = p->w;
    int32_t run = -1;
    for (int x = 0; x < w; x++) {
        size_t i = (size_t)y * w + x;
        float *o = v + (size_t)b->ch * x;
        code[x] = NO_SOURCE;
        region[x] = 0;
        rad[x] = (uint8_t)b->radius;
        if (!b->shape[i]) continue;
        int32_t j = b->near[i];
        uint16_t c[4] = {0, 0, 0, 65535};
        if (j >= 0) {
            sz_get16_at(b->sources, (size_t)j, c);
            code[x] = (uint32_t)(c[0] >> 8) << 16 | (uint32_t)(c[1] >> 8) << 8 | (uint32_t)(c[2] >> 8);
            /* (the source before it is most often in the same run) */
            if (b->regions) region[x] = sz_runs_label_near(b->regions, j % w, j / w - b->regions_top, &run);
            if (b->reach > b->radius) {
                int deep = (int)(0.5f * sz_pixel_distance(x - j % w, y - j / w));
                rad[x] = (uint8_t)SZ_CLAMP(deep, b->radius, b->reach);
            }
        }
        for (int k = 0; k < 3; k++) o[k] = j >= 0 ? sz_srgb16_to_linear(c[k]) : 0.0f;
        /* (a translucent part's nearest sources lie at the cut, and their
         * opacity taken as it is there filled the benchmark's case009, a
         * translucent brush stroke, a sixth fainter than drawn) */
        if (b->ch == 4) o[3] = j >= 0 ? sz_part_opacity_as_drawn(p, (size_t)j, c[3]) : 1.0f;
    }
}

/* The rows a band needs, and so the slots of a thread's scratch rows. */
static inline int row_slots(const colour_band *b)
{
    return BAND + 2 * b->reach;
}

/* Where the slot of image row y starts in the scratch rows. */
static inline size_t row_slot(const colour_band *b, int y)
{
    return (size_t)(y % row_slots(b)) * (size_t)b->p->w;
}

/* Row y's averages, into its slot: each filled pixel's over its stretch
 * along the row, within its radius.  A row the thread made for the band
 * before is there already. */
static void row_average(colour_band *b, int y)
{
    int w = b->p->w, ch = b->ch;
    size_t at = row_slot(b, y);
    int32_t *held = &b->held[y % row_slots(b)];
    if (*held == y) return;
    *held = y;
    const uint8_t *shape = b->shape + (size_t)y * w;
    const uint32_t *code = b->code + at;
    const int32_t *region = b->region + at;
    const uint8_t *rad = b->rad + at;
    float *out = b->rows + at * ch;
    const float *v = b->value;
    double *sum = b->sum;
    source_row(b, y, b->value, b->code + at, b->region + at, b->rad + at);
    for (int x = 0; x < w;) {
        if (!shape[x]) {
            x++;
            continue;
        }
        int first = x, last = x;
        while (last + 1 < w && shape[last + 1] && sources_join(code[last], region[last], code[last + 1], region[last + 1]))
            last++;
        /* sum[k] holds the stretch's first k pixels */
        for (int c = 0; c < ch; c++) sum[c] = 0;
        for (int xx = first; xx <= last; xx++)
            for (int c = 0; c < ch; c++)
                sum[(size_t)(xx - first + 1) * ch + c] = sum[(size_t)(xx - first) * ch + c] + v[(size_t)xx * ch + c];
        for (int xx = first; xx <= last; xx++)
            stretch_mean(sum, (size_t)ch, 0, last - first, xx - first, rad[xx], ch, b->inverse, out + (size_t)xx * ch);
        x = last + 1;
    }
}

/* The colour of rows [y0, y1): each filled pixel's average of the row
 * averages over its stretch down its column, within its radius;
 * b->colour's row y - y0 is row y, w x ch.  False when the rows have no
 * filled pixel (nothing was made). */
static bool band_colour(colour_band *b, int y0, int y1)
{
    int w = b->p->w, h = b->p->h, ch = b->ch;
    bool any = false;
    for (int y = y0; y < y1 && !any; y++) any = sz_skip_unset(b->shape + (size_t)y * w, 0, w) < w;
    if (!any) return false;
    int top = SZ_MAX(0, y0 - b->reach), bottom = SZ_MIN(h, y1 + b->reach), rows = bottom - top;
    /* only the columns [x0, x1] of the filled pixels need sums */
    int x0 = w, x1 = -1;
    for (int y = top; y < bottom; y++) {
        const uint8_t *shape = b->shape + (size_t)y * w;
        int first = sz_skip_unset(shape, 0, w);
        if (first == w) continue;
        int last = w - 1;
        while (!shape[last]) last--;
        x0 = SZ_MIN(x0, first), x1 = SZ_MAX(x1, last);
        row_average(b, y);
    }
    /* the stretches down the columns, and running sums down them (a row
     * with no filled pixel was not averaged: it has none to add, and
     * ends every stretch); sum and first/last go by row of the band,
     * the rows' own values by their slots */
    double *sum = b->sum;
    for (size_t i = (size_t)x0 * ch; i < (size_t)(x1 + 1) * ch; i++) sum[i] = 0;
    for (int k = 0; k < rows; k++) {
        const uint8_t *shape = b->shape + (size_t)(top + k) * w;
        size_t at = row_slot(b, top + k), above = k > 0 ? row_slot(b, top + k - 1) : 0;
        const uint32_t *code = b->code + at, *code_above = b->code + above;
        const int32_t *region = b->region + at, *region_above = b->region + above;
        const float *averages = b->rows + at * ch;
        for (int x = x0; x <= x1; x++) {
            size_t i = (size_t)k * w + x;
            bool joins = k > 0 && shape[x] && b->shape[(size_t)(top + k - 1) * w + x] &&
                         sources_join(code_above[x], region_above[x], code[x], region[x]);
            b->first[i] = (int16_t)(joins ? b->first[i - w] : k);
            for (int c = 0; c < ch; c++) {
                size_t s = i * ch + c;
                sum[s + (size_t)w * ch] = sum[s] + (shape[x] ? averages[(size_t)x * ch + c] : 0.0f);
            }
        }
    }
    for (int k = rows - 1; k >= 0; k--) {
        const uint8_t *shape = b->shape + (size_t)(top + k) * w;
        for (int x = x0; x <= x1; x++) {
            size_t i = (size_t)k * w + x;
            bool joins = k + 1 < rows && shape[x] && b->first[i + w] == b->first[i]; /* row k + 1 joined k's */
            b->last[i] = (int16_t)(joins ? b->last[i + w] : k);
        }
    }
    for (int y = y0; y < y1; y++) {
        int k = y - top;
        const uint8_t *shape = b->shape + (size_t)y * w;
        const uint8_t *rad = b->rad + row_slot(b, y);
        float *o = b->colour + (size_t)(y - y0) * w * ch;
        for (int x = x0; x <= x1; x++) {
            if (!shape[x]) continue;
            size_t i = (size_t)k * w + x;
            stretch_mean(sum + (size_t)x * ch, (size_t)w * ch, b->first[i], b->last[i], k, rad[x], ch, b->inverse,
                         o + (size_t)x * ch);
        }
    }
    return true;
}

/* Points b's scratch into the block at `mine`; with mine NULL, only
 * measures it.  Returns its size. */
static size_t carve_band(colour_band *b, char *mine)
{
    size_t w = (size_t)b->p->w, ch = (size_t)b->ch, context = (size_t)row_slots(b) * w, at = 0;
#define TAKE(ptr, bytes)                                                                                              \
    do {                                                                                                             \
        if (mine) (ptr) = (void *)(mine + at);                                                                       \
        at += ((bytes) + 63) & ~(size_t)63;                                                                          \
    } while (0)
    TAKE(b->code, context * sizeof *b->code);
    TAKE(b->region, context * sizeof *b->region);
    TAKE(b->rad, context * sizeof *b->rad);
    TAKE(b->rows, context * ch * sizeof *b->rows);
    TAKE(b->held, (size_t)row_slots(b) * sizeof *b->held);
    TAKE(b->first, context * sizeof *b->first);
    TAKE(b->last, context * sizeof *b->last);
    TAKE(b->value, w * ch * sizeof *b->value);
    TAKE(b->sum, (context + w + 1) * ch * sizeof *b->sum);
    TAKE(b->colour, (size_t)BAND * w * ch * sizeof *b->colour);
#undef TAKE
    return at;
}

sz_status sz_fill_paint(sz_ctx *ctx, const sz_part *p, const sz_fill_params *fp, const uint8_t *shape, bool merge,
                        sz_image *layer, long *changed)
{
    sz_linear_init();
    int32_t *near = NULL;
    bool translucent = false;
    sz_runs regions = {0};
    int regions_top = 0;
    sz_status st = sz_fill_sources(ctx, p, shape, fp, &near, &translucent, &regions, &regions_top);
    int w = p->w, h = p->h, radius = fp->colour_radius, ch = translucent ? 4 : 3;
    /* (radius 0 asks for the nearest colour, deep in too) */
    int reach = radius > 0 ? SZ_MAX(radius, DEEP_RADIUS) : radius;
    int bands = st ? 0 : (h + BAND - 1) / BAND;
    long filled = 0;
    /* a mean's share from a table, not a division per pixel, twice over */
    double *inverse = st ? NULL : sz_malloc_array(ctx, (size_t)(2 * reach + 2), sizeof *inverse);
    if (!st && !inverse) st = SZ_ERR_NOMEM;
    for (int k = 1; k < (st ? 0 : 2 * reach + 2); k++) inverse[k] = 1.0 / k;
    /* with --merge, the sources as they were (colour_band.sources) */
    sz_image *before = !st && merge ? sz_image_copy(ctx, p->img) : NULL;
    if (!st && merge && !before) st = SZ_ERR_NOMEM;
    /* Each thread's scratch, carved from one block: a few tens of MiB for
     * a 4096 px wide part, where the library's large blocks get huge
     * pages (fresh 4 KiB pages for each thread's pieces cost 6,000 page
     * faults at 4096x4096). */
    colour_band shared = {.p = p, .sources = merge ? before : p->img, .shape = shape, .near = near, .radius = radius,
                          .reach = reach, .ch = ch, .inverse = inverse, .regions = regions.x0 ? &regions : NULL,
                          .regions_top = regions_top};
    size_t per_thread = carve_band(&shared, NULL);
    int threads = sz_threads(ctx);
    char *scratch = st ? NULL : sz_malloc_array(ctx, (size_t)threads, per_thread);
    if (!st && !scratch) st = SZ_ERR_NOMEM;
    if (st) bands = 0;
#pragma omp parallel num_threads(threads) reduction(+ : filled)
    {
        colour_band b = shared;
        if (scratch) {
            carve_band(&b, scratch + (size_t)sz_thread_index() * per_thread);
            for (int k = 0; k < row_slots(&b); k++) b.held[k] = -1;
        }
        /* runs of CHUNK bands, each run to one thread, so that a band
         * finds the rows it shares with the band before made (each row
         * is averaged 1.25 times, not twice); dynamic: the filled rows
         * may all lie in one part of the image */
#pragma omp for schedule(dynamic, CHUNK)
        for (int band = 0; band < bands; band++) {
            int y0 = band * BAND, y1 = SZ_MIN(h, y0 + BAND);
            if (!band_colour(&b, y0, y1)) continue;
            for (int y = y0; y < y1; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    if (!shape[i]) continue;
                    const float *c = b.colour + ((size_t)(y - y0) * w + x) * ch;
                    float fa = sz_shape_cover(shape[i]) * (ch == 4 ? c[3] : 1.0f);
                    uint16_t old[4];
                    sz_get16(p->img, x, y, old);
                    bool may =
                        merge || !fp->seal_edge ? sz_part_writable(p, i, old[3]) : sz_part_fillable_under(p, i, old[3]);
                    if (!may) continue;
                    float out[4], own[4];
                    if (old[3] && sz_part_seen_colour(p, x, y)) {
                        /* the artist's own pixel shows here, partly: under
                         * it, its own colour (part.h) */
                        for (int k = 0; k < 3; k++) own[k] = sz_srgb16_to_linear(old[k]);
                        if (ch == 4) own[3] = c[3];
                        c = own;
                    }
                    if (merge) {
                        /* the part's own pixel stays on top of the fill */
                        float a = old[3] / 65535.0f, oa = a + fa * (1 - a);
                        for (int k = 0; k < 3; k++)
                            out[k] = sz_linear_to_srgb((sz_srgb16_to_linear(old[k]) * a + c[k] * fa * (1 - a)) / oa);
                        out[3] = oa;
                        sz_putf(p->img, x, y, out);
                    } else {
                        for (int k = 0; k < 3; k++) out[k] = sz_linear_to_srgb(c[k]);
                        out[3] = fa;
                        sz_putf(layer, x, y, out);
                    }
                    filled++;
                }
        }
    }
    free(scratch), free(inverse);
    sz_image_free(before);
    sz_runs_free(&regions);
    /* what the part's mirror image revealed belongs to the fill too (in
     * the part itself, with merge, it is there already, over the fill) */
    if (!st && fp->symmetry) filled += sz_mirror_lay_over(p, fp->symmetry, merge ? NULL : layer);
    *changed = filled;
    free(near);
    return st;
}

sz_status sz_fill_part(sz_ctx *ctx, sz_doc *doc, sz_part *p, const sz_fill_params *fp, bool merge,
                       const uint8_t *shape, int pairs, sz_overlay *debug, long *changed)
{
    *changed = 0;
    sz_image *layer = merge ? NULL : sz_image_new(ctx, p->w, p->h, p->img->depth);
    sz_status st = merge || layer ? SZ_OK : SZ_ERR_NOMEM;
    if (!st) st = sz_fill_paint(ctx, p, fp, shape, merge, layer, changed);
    if (!st && *changed) st = merge ? sz_part_store(ctx, p) : sz_part_new_layer(ctx, doc, p, layer, "(fill)", false);
    if (!st)
        sz_log(ctx, SZ_LOG_INFO, "fill-behind: \"%s\": %d hidden px, outline closed by %d curve%s, %ld px filled",
               p->layer->name, p->nhidden, pairs, pairs == 1 ? "" : "s", *changed);
    if (!st && debug && debug->img) {
        static const uint8_t green[3] = {30, 170, 60}, cyan[3] = {0, 170, 220};
        sz_overlay_hidden(debug, p);
        sz_overlay_added(debug, p, shape, green);
        sz_overlay_mirror(debug, p, fp->symmetry, cyan);
    }
    sz_image_free(layer);
    return st;
}
