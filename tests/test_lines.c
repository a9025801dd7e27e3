/*
 * test_lines — extend-lines on generated strokes: where the new ink goes
 * (straight lines, arcs, S-curves, tapered ends, T-junctions, gaps), that
 * visible pixels stay untouched, and what bad input does.
 */
#include "testutil.h"
#include "lines.h"
#include "part.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

enum { W = 200, H = 120 };
static const uint8_t black[3] = {20, 16, 24};

static sz_image *blank(sz_ctx *ctx)
{
    return sz_image_new(ctx, W, H, 8);
}

/* A 4 px level line of colour rgb across the canvas at y = 60.5. */
static sz_image *level_line(sz_ctx *ctx, const uint8_t rgb[3])
{
    sz_image *im = blank(ctx);
    float pts[] = {10, 60.5f, 190, 60.5f};
    tu_draw_polyline(im, pts, 2, 4, 4, rgb);
    return im;
}

/* A document of the line layer `img` under a "hair" layer that covers the
 * columns [x0, x1) over the whole height; the line layer is cut there, as
 * when a part is separated from an illustration. */
static sz_doc *under_bar(sz_ctx *ctx, sz_image *img, int x0, int x1)
{
    static const uint16_t none[4] = {0, 0, 0, 0}, hair[4] = {40000, 20000, 10000, 65535};
    tu_fill_rect(img, x0, 0, x1, H, none);
    sz_doc *doc = tu_doc_of(ctx, img, "lines");
    sz_layer *top = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair");
    sz_image *bar = sz_image_new(ctx, x1 - x0, H, 8);
    tu_fill_rect(bar, 0, 0, x1 - x0, H, hair);
    sz_layer_set_image(top, bar);
    sz_layer_set_offset(top, x0, 0);
    return doc;
}

static sz_image *line_layer(sz_doc *doc)
{
    return sz_layer_image(sz_layer_child(sz_doc_root(doc), 0));
}

/* The largest alpha in the (2r+1)^2 window around (x, y) of a layer that
 * covers the canvas. */
static unsigned max_alpha(const sz_image *im, int x, int y, int r)
{
    unsigned m = 0;
    for (int j = y - r; j <= y + r; j++)
        for (int i = x - r; i <= x + r; i++)
            if (i >= 0 && j >= 0 && i < im->w && j < im->h && sz_alpha16(im, i, j) > m) m = sz_alpha16(im, i, j);
    return m >> 8;
}

/* Runs extend-lines on doc and checks that no pixel the layer showed
 * outside the bar changed. */
static void extend(sz_ctx *ctx, sz_doc *doc, int x0, int x1, const char *const *kv)
{
    sz_image *before = sz_image_copy(ctx, line_layer(doc));
    sz_status st = tu_run_op(ctx, doc, "extend-lines", kv);
    ck_assert_msg(st == SZ_OK, "%s", sz_ctx_error(ctx));
    sz_image *after = line_layer(doc);
    ck_assert_int_eq(sz_layer_x(sz_layer_child(sz_doc_root(doc), 0)), 0);
    ck_assert_int_eq(after->w, W);
    ck_assert_int_eq(tu_changed_visible(before, after, NULL), 0);
    /* new ink went only into empty pixels or under the bar */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (sz_alpha16(before, x, y) && (x < x0 || x >= x1)) ck_assert_uint_eq(sz_alpha16(after, x, y), sz_alpha16(before, x, y));
    sz_image_free(before);
}

START_TEST(straight_line_continues_under_the_occluder)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = level_line(ctx, black);
    sz_doc *doc = under_bar(ctx, im, 85, 115);
    ck_assert_uint_eq(max_alpha(line_layer(doc), 100, 60, 0), 0);
    extend(ctx, doc, 85, 115, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 86; x < 115; x++) {
        uint16_t p[4];
        sz_get16(out, x, 60, p);
        ck_assert_msg(p[3] > 60000, "x=%d alpha %u", x, p[3]);
        ck_assert_uint_lt(p[0], 40 * 257); /* the stroke's colour */
        ck_assert_uint_eq(sz_alpha16(out, x, 55), 0); /* the width is kept: nothing 5 px off */
        ck_assert_uint_eq(sz_alpha16(out, x, 66), 0);
    }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A circle of radius r around (100, 60), drawn 3 px wide in black. */
static void draw_circle(sz_image *im, float r)
{
    float pts[2 * 129];
    for (int i = 0; i <= 128; i++) {
        pts[2 * i] = 100 + r * cosf(i * 2 * (float)M_PI / 128);
        pts[2 * i + 1] = 60 + r * sinf(i * 2 * (float)M_PI / 128);
    }
    tu_draw_polyline(im, pts, 129, 3, 3, black);
}

START_TEST(arc_is_closed_along_its_curvature)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    draw_circle(im, 45);
    sz_doc *doc = under_bar(ctx, im, 130, 200);
    extend(ctx, doc, 130, 200, NULL);
    sz_image *out = line_layer(doc);
    /* the rightmost point of the circle is ink again, and the stroke did
     * not cut across the chord */
    ck_assert_uint_gt(max_alpha(out, 145, 60, 2), 200);
    ck_assert_uint_eq(max_alpha(out, 135, 60, 1), 0);
    ck_assert_uint_gt(max_alpha(out, 100 + (int)(45 * cosf(0.45f)), 60 + (int)(45 * sinf(0.45f)), 2), 200);
    ck_assert_uint_eq(max_alpha(out, 160, 60, 3), 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(s_curve_keeps_both_tangents)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float pts[2 * 91];
    for (int i = 0; i <= 90; i++) {
        float x = 10 + 2 * i;
        pts[2 * i] = x;
        pts[2 * i + 1] = 60 + 30 * sinf(2 * (float)M_PI * (x - 10) / 180);
    }
    tu_draw_polyline(im, pts, 91, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 84, 116);
    extend(ctx, doc, 84, 116, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 86; x < 116; x += 4) {
        int y = (int)floorf(60 + 30 * sinf(2 * (float)M_PI * (x + 0.5f - 10) / 180));
        ck_assert_msg(max_alpha(out, x, y, 1) > 200, "no ink near (%d,%d)", x, y);
        ck_assert_uint_eq(max_alpha(out, x, y - 6, 0), 0);
        ck_assert_uint_eq(max_alpha(out, x, y + 6, 0), 0);
    }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Width of the ink in column x (pixels with alpha >= half). */
static int column_width(const sz_image *im, int x)
{
    int n = 0;
    for (int y = 0; y < im->h; y++) n += sz_alpha16(im, x, y) >= 32768;
    return n;
}

START_TEST(lone_stroke_runs_on_and_tapers)
{
    /* a stroke enters a bar and nothing comes out on the other side: it
     * continues, tapering, and stops where the bar does */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float pts[] = {10, 60.5f, 130, 60.5f};
    tu_draw_polyline(im, pts, 2, 5, 5, black);
    sz_doc *doc = under_bar(ctx, im, 100, 170);
    extend(ctx, doc, 100, 170, NULL);
    sz_image *out = line_layer(doc);
    ck_assert_int_ge(column_width(out, 102), 4);
    int last = 100;
    while (last + 1 < W && column_width(out, last + 1) > 0) last++;
    ck_assert_int_gt(last, 130);  /* it continues ... */
    ck_assert_int_lt(last, 170);  /* ... not beyond the hidden region */
    ck_assert_int_lt(column_width(out, last - 1), column_width(out, 102)); /* and tapers */
    ck_assert_uint_eq(max_alpha(out, (100 + last) / 2, 54, 0), 0); /* straight on */
    ck_assert_uint_eq(max_alpha(out, (100 + last) / 2, 66, 0), 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(tapered_tip_touching_the_occluder_is_not_run_on)
{
    /* a stroke the artist tapered to a point (a lock of hair's tip) whose
     * point just touches a bar is its own end, not one the bar cut: no
     * ink goes on under the bar.  The same stroke cut at full width does
     * run on (lone_stroke_runs_on_and_tapers). */
    sz_ctx *ctx = sz_ctx_new();
    for (int tapered = 0; tapered < 2; tapered++) {
        sz_image *im = blank(ctx);
        float pts[] = {50, 60.5f, 101, 60.5f};
        tu_draw_polyline(im, pts, 2, 13, tapered ? 0.5f : 13, black);
        sz_doc *doc = under_bar(ctx, im, 100, 170);
        extend(ctx, doc, 100, 170, NULL);
        int inked = 0;
        for (int x = 103; x < 170; x++) inked += column_width(line_layer(doc), x);
        if (tapered) ck_assert_msg(inked == 0, "%d px of ink run on from a tapered tip", inked);
        else ck_assert_msg(inked > 100, "only %d px of ink run on from a cut stroke", inked);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* A document of the line layer `img` under a "hair" layer whose edge
 * crosses row 60 at x = 100, slanting `degrees` from the horizontal; the
 * line layer is cut by it, anti-aliased. */
static sz_doc *under_slant(sz_ctx *ctx, sz_image *img, double degrees)
{
    double t = degrees * M_PI / 180;
    sz_image *cover = sz_image_new(ctx, W, H, 8);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double side = (x + 0.5 - 100) * sin(t) - (y + 0.5 - 60) * cos(t) + 0.5;
            double c = side < 0 ? 0 : side > 1 ? 1 : side;
            uint16_t px[4], hair[4] = {40000, 20000, 10000, (uint16_t)lround(c * 65535)};
            sz_put16(cover, x, y, hair);
            sz_get16(img, x, y, px);
            px[3] = (uint16_t)lround(px[3] * (1 - c));
            sz_put16(img, x, y, px);
        }
    sz_doc *doc = tu_doc_of(ctx, img, "lines");
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair"), cover);
    return doc;
}

START_TEST(stroke_cut_at_a_slant_still_runs_on)
{
    /* an occluder's edge that crosses a stroke at a slant cuts it to a
     * point, as a taper would end it; but beside that point lies the
     * occluder, not paper, and the stroke runs on under it */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float pts[] = {10, 60.5f, 190, 60.5f};
    tu_draw_polyline(im, pts, 2, 13, 13, black);
    sz_doc *doc = under_slant(ctx, im, 25);
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
    int inked = 0;
    for (int x = 130; x < 180; x++) inked += column_width(line_layer(doc), x);
    ck_assert_msg(inked > 200, "only %d px of ink run on past the slanted cut", inked);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(natural_tapered_end_is_left_alone)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float pts[] = {20, 60, 80, 50, 150, 62};
    tu_draw_polyline(im, pts, 3, 4, 0.6f, black);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_image *before = sz_image_copy(ctx, im);
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
    ck_assert(tu_same_pixels(before, line_layer(doc)));
    sz_image_free(before);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(end_short_of_a_stroke_joins_it)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float top[] = {10, 30.5f, 190, 30.5f}, stem[] = {100.5f, 110, 100.5f, 39};
    tu_draw_polyline(im, top, 2, 3, 3, black);
    tu_draw_polyline(im, stem, 2, 3, 3, black);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    ck_assert_uint_eq(max_alpha(im, 100, 35, 0), 0);
    im = sz_image_copy(ctx, im);
    extend(ctx, doc, 0, 0, NULL);
    sz_image *out = line_layer(doc);
    /* every empty pixel between the two strokes is ink now (the
     * anti-aliased rims they had stay as they were) */
    int filled = 0;
    for (int y = 32; y <= 38; y++)
        if (!sz_alpha16(im, 100, y)) ck_assert_msg(sz_alpha16(out, 100, y) > 50000, "gap open at y=%d", y), filled++;
    ck_assert_int_ge(filled, 3);
    ck_assert_uint_eq(max_alpha(out, 94, 35, 0), 0);
    sz_image_free(im);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A 3 px horizontal line across the canvas at y = 60 with a gap from
 * x0 to x1. */
static sz_image *line_with_gap(sz_ctx *ctx, float x0, float x1)
{
    sz_image *im = blank(ctx);
    float a[] = {10, 60.5f, x0, 60.5f}, b[] = {x1, 60.5f, 190, 60.5f};
    tu_draw_polyline(im, a, 2, 3, 3, black);
    tu_draw_polyline(im, b, 2, 3, 3, black);
    return im;
}

START_TEST(gap_is_bridged_up_to_max_gap)
{
    for (int pass = 0; pass < 2; pass++) {
        sz_ctx *ctx = sz_ctx_new();
        sz_image *im = line_with_gap(ctx, 94, 106);
        sz_doc *doc = tu_doc_of(ctx, im, "lines");
        const char *small[] = {"max-gap", "6", NULL};
        extend(ctx, doc, 0, 0, pass ? small : NULL);
        unsigned mid = sz_alpha16(line_layer(doc), 100, 60);
        if (pass) ck_assert_uint_eq(mid, 0);  /* 10 px apart: beyond --max-gap 6 */
        else ck_assert_uint_gt(mid, 60000);   /* within the default 16 */
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* A layer others cover is a part cut out of a finished picture: a gap the
 * artist left in its visible drawing stays, and only the stroke the cover
 * cut is continued; --repair-gaps always bridges it too, and never leaves
 * even an uncovered layer's gap open. */
START_TEST(gap_in_a_covered_layer_is_left_as_drawn)
{
    for (int pass = 0; pass < 3; pass++) {
        sz_ctx *ctx = sz_ctx_new();
        sz_image *im = line_with_gap(ctx, 44, 54);
        sz_doc *doc = pass < 2 ? under_bar(ctx, im, 120, 150) : tu_doc_of(ctx, im, "lines");
        const char *always[] = {"repair-gaps", "always", NULL}, *never[] = {"repair-gaps", "never", NULL};
        extend(ctx, doc, pass < 2 ? 120 : 0, pass < 2 ? 150 : 0, pass == 0 ? NULL : pass == 1 ? always : never);
        const sz_image *out = line_layer(doc);
        if (pass < 2) ck_assert_uint_gt(sz_alpha16(out, 135, 60), 60000); /* the cut stroke runs on */
        if (pass == 1) ck_assert_uint_gt(sz_alpha16(out, 49, 60), 60000);
        else ck_assert_uint_eq(max_alpha(out, 49, 60, 1), 0);
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* The alpha summed over the pixels within r of (cx, cy). */
static double ink_in_disc(const sz_image *im, int cx, int cy, int r)
{
    double sum = 0;
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) sum += sz_alpha16(im, x, y) / 65535.0;
    return sum;
}

/* Erases the pixels within r of (cx, cy), as an eraser would; returns the
 * ink (alpha) that was there. */
static double erase_disc(sz_image *im, int cx, int cy, int r)
{
    static const uint16_t none[4] = {0, 0, 0, 0};
    double was = ink_in_disc(im, cx, cy, r);
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) tu_fill_rect(im, x, y, x + 1, y + 1, none);
    return was;
}

/* A thin anti-aliased line bridged across a gap carries as much ink as
 * the line does: measured on thresholded ink, a 1.3-2.3 px line is one
 * or two pixels wide, and a bridge drawn at that width and the pixels'
 * mean opacity came out about a third fainter than the line. */
START_TEST(bridge_carries_the_ink_of_a_thin_line)
{
    static const float widths[] = {1.3f, 1.7f, 2.3f};
    const float line[] = {10, 40.3f, 190, 95.7f};
    const int cx = 100, cy = 68, r = 5;
    for (size_t k = 0; k < SZ_COUNTOF(widths); k++) {
        sz_ctx *ctx = sz_ctx_new();
        sz_image *im = blank(ctx);
        tu_draw_polyline(im, line, 2, widths[k], widths[k], black);
        double want = erase_disc(im, cx, cy, r);
        sz_doc *doc = tu_doc_of(ctx, im, "lines");
        extend(ctx, doc, 0, 0, NULL);
        double got = ink_in_disc(line_layer(doc), cx, cy, r);
        ck_assert_msg(got > 0.85 * want && got < 1.25 * want, "a %.1f px line: %.2f of ink in the gap, %.2f wanted",
                      widths[k], got, want);
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* A gap that took the junction of a T: the bar's two ends are bridged,
 * and the stem's end, stopping short of where the bar now runs again,
 * joins that bridge. */
START_TEST(gap_at_a_junction_closes_all_three_strokes)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float bar[] = {20, 60.5f, 180, 60.5f}, stem[] = {100.5f, 60, 100.5f, 150};
    tu_draw_polyline(im, bar, 2, 3, 3, black);
    tu_draw_polyline(im, stem, 2, 3, 3, black);
    erase_disc(im, 100, 60, 7);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    extend(ctx, doc, 0, 0, NULL);
    const sz_image *out = line_layer(doc);
    ck_assert_uint_gt(sz_alpha16(out, 100, 60), 60000); /* the bar runs through */
    for (int y = 62; y <= 67; y++) ck_assert_uint_gt(max_alpha(out, 100, y, 1), 200); /* the stem meets it */
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A sharp corner (45 degrees) whose tip was erased: its ends are 17 px
 * apart (14 px of paper between the strokes, within --max-gap), though
 * each is 22 px from where the arms meet.
 * The gap closes through the corner's apex. */
START_TEST(gap_at_a_sharp_corner_closes_through_its_apex)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float half = 22.5f * (float)M_PI / 180, s0 = 22, s1 = 85;
    float left[] = {100 - s1 * sinf(half), 20 + s1 * cosf(half), 100 - s0 * sinf(half), 20 + s0 * cosf(half)};
    float right[] = {100 + s1 * sinf(half), 20 + s1 * cosf(half), 100 + s0 * sinf(half), 20 + s0 * cosf(half)};
    tu_draw_polyline(im, left, 2, 3, 3, black);
    tu_draw_polyline(im, right, 2, 3, 3, black);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    ck_assert_uint_eq(max_alpha(line_layer(doc), 100, 24, 3), 0);
    extend(ctx, doc, 0, 0, NULL);
    sz_image *out = line_layer(doc);
    /* ink again near the apex, and down both arms toward the old tips */
    ck_assert_uint_gt(max_alpha(out, 100, 22, 2), 200);
    ck_assert_uint_gt(max_alpha(out, 100 - (int)(10 * sinf(half)), 20 + (int)(10 * cosf(half)), 1), 200);
    ck_assert_uint_gt(max_alpha(out, 100 + (int)(10 * sinf(half)), 20 + (int)(10 * cosf(half)), 1), 200);
    /* and nothing straight across between the tips */
    ck_assert_uint_eq(max_alpha(out, 100, 20 + (int)(s0 * cosf(half)), 1), 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* An arc of hard-edged ink (centre (cx, cy), radius r, `width` px wide,
 * from angle a0 to a1) with the disc of radius dab_r at (dx, dy) erased,
 * as an eraser's dab leaves it. */
static void erased_arc(sz_image *im, float cx, float cy, float r, float width, float a0, float a1, float dx, float dy,
                       float dab_r)
{
    static const uint16_t ink[4] = {20 * 257, 16 * 257, 24 * 257, 65535};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float ux = x + 0.5f - cx, uy = y + 0.5f - cy, a = atan2f(uy, ux);
            bool stroke = fabsf(hypotf(ux, uy) - r) <= width / 2 && a > a0 && a < a1;
            if (stroke && hypotf(x + 0.5f - dx, y + 0.5f - dy) > dab_r) sz_put16(im, x, y, ink);
        }
}

/* Runs extend-lines on `im` and checks that the window of radius r around
 * (x, y), empty before, holds ink after: the gap closed. */
static void assert_gap_closes(sz_ctx *ctx, sz_image *im, int x, int y, int r)
{
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    ck_assert_uint_eq(max_alpha(line_layer(doc), x, y, r), 0);
    extend(ctx, doc, 0, 0, NULL);
    ck_assert_uint_gt(max_alpha(line_layer(doc), x, y, r), 200);
    sz_doc_free(doc);
}

/* A curve of hard-edged ink, 6 px wide, whose lowest stretch a round dab
 * erased off its centre line: the cut is oblique and leaves each side
 * ending in a point, which is no taper the artist drew, and the
 * skeleton's tips bend into those points.  The gap closes. */
START_TEST(gap_cut_obliquely_on_a_curve_closes)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    erased_arc(im, 100, 15, 45, 6, 0.15f * (float)M_PI, 0.85f * (float)M_PI, 104, 63, 6.5f);
    assert_gap_closes(ctx, im, 103, 58, 1);
    sz_ctx_free(ctx);
}
END_TEST

/* The bottom of a tight curve (radius 15, 7 px of hard-edged ink), erased
 * by a dab a little off centre: the skeleton's tips bend into the corners
 * the dab left and point away from each other, so the gap is judged by
 * the strokes' headings a little farther back, which face each other. */
START_TEST(gap_on_a_tight_curve_is_judged_by_the_strokes_heading)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    erased_arc(im, 100, 45, 15, 7, 0.1f, (float)M_PI - 0.1f, 97, 61, 6.5f);
    assert_gap_closes(ctx, im, 97, 62, 0);
    sz_ctx_free(ctx);
}
END_TEST

/* The tip of a stroke as an eraser left it in a real drawing (hatching,
 * 3-4 px of hard-edged ink, with bumps of texture along its side): thinning
 * grows spurs from the bumps, and the stroke's own tip is a branch of four
 * pixels that ends at a fork.  It is still the stroke's end, pointing up
 * the stroke, and the gap to the stroke above closes. */
START_TEST(stroke_end_among_spurs_is_found)
{
    static const char *const tip[] = {"........###",  ".......####", ".......####",     ".......####",
                                      ".......####",  ".....#.####", ".....######",     ".....##.###",
                                      ".....#..###",  "........#####", "........###", "........#######"};
    static const uint16_t ink[4] = {20 * 257, 16 * 257, 24 * 257, 65535};
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    tu_fill_rect(im, 100, 8, 103, 53, ink);
    int rows = (int)(sizeof tip / sizeof *tip);
    for (int i = 0; i < rows; i++)
        for (int j = 0; tip[i][j]; j++)
            if (tip[i][j] == '#') sz_put16(im, 93 + j, 64 + i, ink);
    tu_fill_rect(im, 101, 64 + rows, 104, 112, ink);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_hidden_source src = {0};
    sz_part p;
    ck_assert_int_eq(sz_part_load(ctx, doc, sz_layer_child(sz_doc_root(doc), 0), &src, &p), SZ_OK);
    sz_line_params lp = {.ink = SZ_INK_AUTO, .ink_threshold = 0.6f, .max_gap = 16, .max_extension = 400,
                         .max_width = 14, .tolerance = 60, .smoothness = 1};
    sz_lines ln;
    ck_assert_int_eq(sz_lines_analyse(ctx, &p, &lp, &ln), SZ_OK);
    bool found = false;
    for (int i = 0; i < ln.nends; i++) {
        const sz_line_end *e = &ln.ends[i];
        found |= fabsf(e->p.x + p.x0 - 102) <= 1 && e->p.y + p.y0 >= 63 && e->p.y + p.y0 <= 67 &&
                 e->dir.y < -cosf(20 * (float)M_PI / 180);
    }
    ck_assert_msg(found, "no end at the lower stroke's tip pointing up it");
    sz_lines_free(&ln);
    sz_part_free(&p);
    extend(ctx, doc, 0, 0, NULL);
    for (int y = 54; y < 63; y++) ck_assert_uint_gt(max_alpha(line_layer(doc), 101, y, 1), 200);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A skin-coloured disc of radius 50 at (100, 60), anti-aliased. */
static void skin_disc(sz_image *im)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float d = hypotf(x + 0.5f - 100, y + 0.5f - 60), a = SZ_CLAMP(50 - d + 0.5f, 0.0f, 1.0f);
            uint16_t p[4] = {250 * 257, 220 * 257, 200 * 257, (uint16_t)(a * 65535)};
            if (a > 0) sz_put16(im, x, y, p);
        }
}

START_TEST(painted_part_outline_continues)
{
    /* a skin-coloured disc with a dark outline: the outline is ink, the
     * fill is not */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    draw_circle(im, 48.5f);
    sz_doc *doc = under_bar(ctx, im, 90, 110);
    extend(ctx, doc, 90, 110, NULL);
    sz_image *out = line_layer(doc);
    uint16_t p[4];
    sz_get16(out, 100, 60 - 48, p); /* the outline at the top, under the bar */
    ck_assert_uint_gt(p[3], 50000);
    ck_assert_uint_lt(p[0], 120 * 257);
    sz_get16(out, 100, 60, p);      /* the middle stays for fill-behind */
    ck_assert_uint_eq(p[3], 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* --no-outline leaves the part's outline as drawn under the occluder and
 * still continues its other strokes: an outlined disc with a mouth across
 * it, under a bar down its middle, with the shape guiding the outline and
 * without (--no-shape, where the outline is told by the part's own edge). */
START_TEST(no_outline_leaves_the_outline_and_continues_the_rest)
{
    static const char *const kvs[][7] = {
        {"no-mirror", "true", NULL},
        {"no-mirror", "true", "no-outline", "true", NULL},
        {"no-mirror", "true", "no-outline", "true", "no-shape", "true", NULL},
    };
    for (int k = 0; k < 3; k++) {
        sz_ctx *ctx = sz_ctx_new();
        sz_image *im = blank(ctx);
        skin_disc(im);
        draw_circle(im, 48.5f);
        float mouth[] = {70, 75.5f, 130, 75.5f};
        tu_draw_polyline(im, mouth, 2, 3, 3, black);
        sz_doc *doc = under_bar(ctx, im, 90, 110);
        extend(ctx, doc, 90, 110, kvs[k]);
        sz_image *out = line_layer(doc);
        ck_assert_msg(max_alpha(out, 100, 75, 1) > 200, "variant %d: the mouth is not continued", k);
        unsigned top = max_alpha(out, 100, 60 - 48, 3), bottom = max_alpha(out, 100, 60 + 48, 3);
        if (k == 0) {
            ck_assert_uint_gt(top, 200);
            ck_assert_uint_gt(bottom, 200);
        } else {
            ck_assert_msg(top == 0 && bottom == 0, "variant %d: outline drawn under the bar (%u, %u)", k, top, bottom);
        }
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* Puts the outlined disc `im` under a bar across its middle and checks
 * that the outline drawn along its completed bottom edge is the visible
 * one: black, and no more than its 3 px broad. */
static void assert_bottom_outline_is_the_disc_s(sz_ctx *ctx, sz_image *im)
{
    sz_doc *doc = under_bar(ctx, im, 90, 110);
    extend(ctx, doc, 90, 110, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 92; x < 108; x++) {
        int edge = 60 + (int)floorf(sqrtf(50.0f * 50.0f - (x + 0.5f - 100) * (x + 0.5f - 100)));
        uint16_t p[4];
        sz_get16(out, x, edge - 1, p); /* on the outline */
        ck_assert_msg(p[3] > 50000, "no outline at x=%d", x);
        ck_assert_msg(p[0] < 40 * 257 && p[1] < 40 * 257, "outline at x=%d is %u,%u,%u", x, p[0] >> 8, p[1] >> 8, p[2] >> 8);
        sz_get16(out, x, edge - 6, p); /* past its 3 px */
        ck_assert_msg(p[3] == 0, "ink 6 px inside at x=%d", x);
    }
    sz_doc_free(doc);
}

static const uint16_t dark_brown[4] = {90 * 257, 50 * 257, 25 * 257, 65535};

/* Dark paint reaching the edge (hair over a third of the disc's rim, at
 * the top) is not the outline: the outline drawn along the completed
 * bottom edge keeps the visible outline's width and colour, not a
 * broader, browner average. */
START_TEST(outline_along_the_edge_is_not_widened_by_dark_paint)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < 100; x++)
            if (hypotf(x + 0.5f - 100, y + 0.5f - 60) < 50 && y < 60) tu_fill_rect(im, x, y, x + 1, y + 1, dark_brown);
    draw_circle(im, 48.5f);
    assert_bottom_outline_is_the_disc_s(ctx, im);
    sz_ctx_free(ctx);
}
END_TEST

/* The outline that runs on is the one beside the occluder: with three bars
 * of dark brown paint far from the bar, whose edges make most of the
 * part's rim, the disc's completed edge still gets its black outline. */
START_TEST(outline_is_measured_beside_the_occluder)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    draw_circle(im, 48.5f);
    for (int k = 0; k < 3; k++) tu_fill_rect(im, 9 * k, 0, 9 * k + 6, H, dark_brown);
    assert_bottom_outline_is_the_disc_s(ctx, im);
    sz_ctx_free(ctx);
}
END_TEST

/* The outline runs on under the occluder where the visible edge beside it
 * has one, and not where the artist left the edge bare: a disc outlined
 * all round but for its bottom quarter, under a bar across top and bottom,
 * gets its outline back at the top only. */
START_TEST(outline_continues_only_where_the_edge_has_one)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    float arc[2 * 97]; /* from 135 degrees round to 405 (y down: the bottom quarter stays bare) */
    for (int i = 0; i <= 96; i++) {
        float t = (135 + 270.0f * i / 96) * (float)M_PI / 180;
        arc[2 * i] = 100 + 48.5f * cosf(t), arc[2 * i + 1] = 60 + 48.5f * sinf(t);
    }
    tu_draw_polyline(im, arc, 97, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 90, 110);
    extend(ctx, doc, 90, 110, NULL);
    sz_image *out = line_layer(doc);
    ck_assert_uint_gt(max_alpha(out, 100, 60 - 48, 1), 200); /* the outline at the top, under the bar */
    for (int y = 60 + 40; y < H; y++)                         /* and none along the bare bottom */
        for (int x = 92; x < 108; x++) ck_assert_msg(sz_alpha16(out, x, y) == 0, "ink at (%d,%d)", x, y);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(new_layer_holds_only_the_new_ink)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = level_line(ctx, black);
    sz_doc *doc = under_bar(ctx, im, 85, 115);
    sz_image *before = sz_image_copy(ctx, line_layer(doc));
    const char *kv[] = {"to-layer", "new", NULL};
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", kv), SZ_OK);
    sz_layer *root = sz_doc_root(doc);
    ck_assert_int_eq(sz_layer_child_count(root), 3);
    ck_assert(tu_same_pixels(before, line_layer(doc)));
    sz_layer *nl = sz_layer_child(root, 1);
    ck_assert_str_eq(sz_layer_name(nl), "lines (lines)");
    ck_assert_int_ge(sz_layer_x(nl), 80);
    ck_assert_int_le(sz_layer_x(nl) + sz_image_width(sz_layer_image(nl)), 120);
    sz_image_free(before);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Writes a --mask file hiding the columns [x0, x1) into path (a
 * mkstemps template ending in ".png"). */
static void write_mask(sz_ctx *ctx, int x0, int x1, char *path)
{
    static const uint16_t dark[4] = {0, 0, 0, 65535}, white[4] = {65535, 65535, 65535, 65535};
    sz_image *mask = blank(ctx);
    tu_fill_rect(mask, 0, 0, W, H, dark);
    tu_fill_rect(mask, x0, 0, x1, H, white);
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    close(fd);
    sz_doc *md = tu_doc_of(ctx, mask, "mask");
    ck_assert_int_eq(sz_doc_write_file(ctx, md, path, SZ_FORMAT_PNG, NULL), SZ_OK);
    sz_doc_free(md);
}

START_TEST(mask_file_gives_the_hidden_region)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = level_line(ctx, black);
    static const uint16_t none[4] = {0, 0, 0, 0};
    tu_fill_rect(im, 85, 0, 115, H, none);
    char path[] = "/tmp/sozai-mask-XXXXXX.png";
    write_mask(ctx, 85, 115, path);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    const char *kv[] = {"mask", path, NULL};
    extend(ctx, doc, 85, 115, kv);
    ck_assert_uint_gt(sz_alpha16(line_layer(doc), 100, 60), 60000);

    /* a mask of another size is refused with a message naming it */
    sz_image *small = sz_image_new(ctx, 20, 20, 8);
    sz_doc *other = tu_doc_of(ctx, small, "x");
    sz_image *before = sz_image_copy(ctx, line_layer(other));
    ck_assert_int_eq(tu_run_op(ctx, other, "extend-lines", kv), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "--mask"));
    ck_assert(tu_same_pixels(before, line_layer(other)));
    sz_image_free(before);
    sz_doc_free(other);
    unlink(path);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Pixel (x, y) of im is drawn opaque in rgb, each channel within tol. */
static void assert_drawn_in(const sz_image *im, int x, int y, const uint8_t rgb[3], int tol)
{
    uint16_t px[4];
    sz_get16(im, x, y, px);
    ck_assert_uint_gt(px[3], 60000);
    for (int c = 0; c < 3; c++)
        ck_assert_msg(abs(px[c] / 257 - rgb[c]) <= tol, "(%u, %u, %u) at (%d, %d) where the stroke is (%u, %u, %u)",
                      px[0] / 257, px[1] / 257, px[2] / 257, x, y, rgb[0], rgb[1], rgb[2]);
}

/* A stroke whose end lies in the occluder's soft edge (hidden, its alpha
 * cut to a trace) shows none of its own ink beside the end: its colour
 * is read farther back, where it shows.  It was drawn black. */
START_TEST(stroke_ending_in_a_soft_edge_keeps_its_colour)
{
    sz_ctx *ctx = sz_ctx_new();
    static const uint8_t navy[3] = {20, 30, 70};
    sz_image *im = level_line(ctx, navy);
    /* hidden over [60, 140): the soft edge keeps 40% of the stroke's
     * alpha over 25 px each side, and nothing of it shows between */
    for (int y = 0; y < H; y++)
        for (int x = 60; x < 140; x++) {
            uint16_t px[4];
            sz_get16(im, x, y, px);
            px[3] = x < 85 || x >= 115 ? (uint16_t)(px[3] * 2 / 5) : 0;
            if (!px[3]) px[0] = px[1] = px[2] = 0;
            sz_put16(im, x, y, px);
        }
    char path[] = "/tmp/sozai-mask-XXXXXX.png";
    write_mask(ctx, 60, 140, path);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    const char *kv[] = {"mask", path, "ink", "alpha", NULL};
    extend(ctx, doc, 60, 140, kv);
    assert_drawn_in(line_layer(doc), 100, 60, navy, 12);
    unlink(path);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Told the layer is line art (--ink alpha), a pale line on transparency
 * is ink like a black one and runs on in its own colour.  Its ink was
 * weighed by its darkness, and a pale line had none. */
START_TEST(coloured_line_art_is_all_ink_when_told)
{
    sz_ctx *ctx = sz_ctx_new();
    static const uint8_t pale[3] = {250, 225, 150};
    sz_doc *doc = under_bar(ctx, level_line(ctx, pale), 85, 115);
    const char *kv[] = {"ink", "alpha", NULL};
    extend(ctx, doc, 85, 115, kv);
    assert_drawn_in(line_layer(doc), 100, 60, pale, 8);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(empty_and_all_ink_layers_are_no_ops)
{
    sz_ctx *ctx = sz_ctx_new();
    static const uint16_t ink[4] = {0, 0, 0, 65535};
    for (int k = 0; k < 2; k++) {
        sz_image *im = blank(ctx);
        if (k) tu_fill_rect(im, 0, 0, W, H, ink);
        sz_doc *doc = under_bar(ctx, im, 90, 110);
        sz_image *before = sz_image_copy(ctx, line_layer(doc));
        ck_assert_msg(tu_run_op(ctx, doc, "extend-lines", NULL) == SZ_OK, "%s", sz_ctx_error(ctx));
        if (!k) ck_assert(line_layer(doc) == NULL || tu_changed_visible(line_layer(doc), before, NULL) == 0);
        else ck_assert_int_eq(tu_changed_visible(before, line_layer(doc), NULL), 0);
        sz_image_free(before);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* What counts as line art goes by colour, not luma alone: a band of pure
 * red paint (luma 0.299, as dark as line art by luma) is paint, and its
 * silhouette is not continued as a stroke; a thin line of pure blue on
 * transparency (luma 0.114) is line art and runs on under the bar. */
START_TEST(saturated_paint_is_not_line_art)
{
    static const uint16_t red[4] = {65535, 0, 0, 65535};
    static const uint8_t blue[3] = {0, 0, 255};
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    tu_fill_rect(im, 10, 54, 190, 66, red); /* 12 px: narrower than --max-width */
    sz_doc *doc = under_bar(ctx, im, 85, 115);
    extend(ctx, doc, 85, 115, NULL);
    for (int y = 0; y < H; y++)
        for (int x = 85; x < 115; x++) ck_assert_msg(sz_alpha16(line_layer(doc), x, y) == 0, "stroke at (%d,%d)", x, y);
    sz_doc_free(doc);
    im = level_line(ctx, blue);
    doc = under_bar(ctx, im, 85, 115);
    extend(ctx, doc, 85, 115, NULL);
    for (int x = 86; x < 115; x++) ck_assert_msg(max_alpha(line_layer(doc), x, 60, 0) > 230, "gap at x=%d", x);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A painted part with a band of solid black across it, cut by a 5 px
 * strip: the black runs across the strip, and nothing else does (the
 * paint is fill-behind's); where the far side is navy, not black, the
 * strip stays empty; a strip along the black's edge does not widen it;
 * --strip-width 0 turns it off. */
static sz_doc *band_under_strip(sz_ctx *ctx, int x0, int x1, int band_x1)
{
    static const uint16_t skin[4] = {61680, 51400, 43690, 65535}, ink[4] = {5140, 4112, 6168, 65535},
                          navy[4] = {5140, 5140, 30840, 65535};
    sz_image *im = blank(ctx);
    tu_fill_rect(im, 0, 0, W, H, skin);
    tu_fill_rect(im, 0, 40, band_x1, 80, ink);
    tu_fill_rect(im, 100, 60, band_x1, 80, navy); /* the lower half, right of the strip */
    return under_bar(ctx, im, x0, x1);
}

START_TEST(solid_black_runs_across_a_narrow_strip)
{
    /* the strip's own rule, without the solid blacks the fill continues */
    static const char *const strip_only[] = {"no-solids", "true", NULL};
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = band_under_strip(ctx, 98, 103, W);
    extend(ctx, doc, 98, 103, strip_only);
    for (int y = 0; y < H; y++)
        for (int x = 98; x < 103; x++) {
            uint16_t c[4];
            sz_get16(line_layer(doc), x, y, c);
            if (y >= 40 && y < 60) ck_assert_msg(c[3] == 65535 && c[0] < 8000, "no black at (%d,%d)", x, y);
            else ck_assert_msg(c[3] == 0, "ink at (%d,%d)", x, y);
        }
    sz_doc_free(doc);
    /* along the edge of the black: the far side is paint */
    doc = band_under_strip(ctx, 98, 103, 100);
    extend(ctx, doc, 98, 103, strip_only);
    for (int y = 0; y < H; y++)
        for (int x = 98; x < 103; x++) ck_assert_msg(sz_alpha16(line_layer(doc), x, y) == 0, "widened at (%d,%d)", x, y);
    sz_doc_free(doc);
    doc = band_under_strip(ctx, 98, 103, W);
    extend(ctx, doc, 98, 103, (const char *const[]){"strip-width", "0", "no-solids", "true", NULL});
    ck_assert_uint_eq(sz_alpha16(line_layer(doc), 100, 50), 0);
    sz_doc_free(doc);
    /* one thread or two: the same pixels */
    sz_doc *one = band_under_strip(ctx, 98, 103, W), *two = band_under_strip(ctx, 98, 103, W);
    sz_ctx_set_threads(ctx, 1);
    extend(ctx, one, 98, 103, strip_only);
    sz_ctx_set_threads(ctx, 2);
    extend(ctx, two, 98, 103, strip_only);
    ck_assert_int_eq(memcmp(sz_image_cdata(line_layer(one)), sz_image_cdata(line_layer(two)), (size_t)W * H * 4), 0);
    sz_doc_free(one), sz_doc_free(two);
    sz_ctx_free(ctx);
}
END_TEST

/* A painted part crossed by a broad band of solid black (40 px) and by a
 * thin black stroke, both cut by a 30 px bar: the band continues under
 * the bar, solid; the skin around it is left to fill-behind; the stroke
 * is continued as a stroke, not spread into a solid; --no-solids leaves
 * the band open; --to-layer new puts it on the new layer; one thread or
 * two give the same pixels. */
static sz_doc *band_under_bar(sz_ctx *ctx)
{
    static const uint16_t skin[4] = {61680, 51400, 43690, 65535}, ink[4] = {5140, 4112, 6168, 65535};
    sz_image *im = blank(ctx);
    tu_fill_rect(im, 0, 0, W, H, skin);
    tu_fill_rect(im, 0, 20, W, 60, ink);
    float pts[] = {10, 90.5f, 190, 90.5f};
    tu_draw_polyline(im, pts, 2, 3, 3, black);
    return under_bar(ctx, im, 85, 115);
}

START_TEST(solid_blacks_continue_under_a_wide_occluder)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = band_under_bar(ctx);
    extend(ctx, doc, 85, 115, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 85; x < 115; x++) {
        for (int y = 20; y < 60; y++) {
            uint16_t c[4];
            sz_get16(out, x, y, c);
            ck_assert_msg(c[3] == 65535 && c[0] < 8000, "no black at (%d,%d)", x, y);
        }
        /* skin is paint: fill-behind's */
        ck_assert_msg(sz_alpha16(out, x, 10) == 0 && sz_alpha16(out, x, 72) == 0, "paint at x=%d", x);
        /* the stroke runs on as a stroke, 3 px wide */
        ck_assert_msg(max_alpha(out, x, 90, 1) > 200, "stroke gap at x=%d", x);
        ck_assert_msg(sz_alpha16(out, x, 85) == 0 && sz_alpha16(out, x, 96) == 0, "stroke spread at x=%d", x);
    }
    sz_doc_free(doc);
    doc = band_under_bar(ctx);
    extend(ctx, doc, 85, 115, (const char *const[]){"no-solids", "true", NULL});
    ck_assert_uint_eq(sz_alpha16(line_layer(doc), 100, 40), 0);
    sz_doc_free(doc);
    doc = band_under_bar(ctx);
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", (const char *const[]){"to-layer", "new", NULL}), SZ_OK);
    sz_layer *root = sz_doc_root(doc);
    ck_assert_int_eq(sz_layer_child_count(root), 3);
    ck_assert_uint_eq(sz_alpha16(line_layer(doc), 100, 40), 0);
    sz_layer *nl = sz_layer_child(root, 1);
    ck_assert_uint_eq(sz_alpha16(sz_layer_image(nl), 100 - sz_layer_x(nl), 40 - sz_layer_y(nl)), 65535);
    sz_doc_free(doc);
    sz_doc *one = band_under_bar(ctx), *two = band_under_bar(ctx);
    sz_ctx_set_threads(ctx, 1);
    extend(ctx, one, 85, 115, NULL);
    sz_ctx_set_threads(ctx, 2);
    extend(ctx, two, 85, 115, NULL);
    ck_assert_int_eq(memcmp(sz_image_cdata(line_layer(one)), sz_image_cdata(line_layer(two)), (size_t)W * H * 4), 0);
    sz_doc_free(one), sz_doc_free(two);
    sz_ctx_free(ctx);
}
END_TEST

/* Notches narrower than the gap distance in thick ink close, in each of
 * two blocks of ink far apart (they are closed separately); a notch wider
 * than the gap distance stays open, and nothing the layer showed changes. */
START_TEST(notches_in_thick_ink_close)
{
    static const uint16_t ink[4] = {5000, 4000, 6000, 65535}, none[4] = {0, 0, 0, 0};
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    tu_fill_rect(im, 15, 30, 75, 95, ink);
    tu_fill_rect(im, 43, 30, 47, 42, none); /* 4 px wide, 12 deep: a bite */
    tu_fill_rect(im, 58, 30, 62, 55, none); /* 4 px wide, 25 deep: a slot drawn */
    tu_fill_rect(im, 115, 30, 185, 95, ink);
    tu_fill_rect(im, 123, 30, 127, 42, none);
    tu_fill_rect(im, 150, 30, 176, 42, none); /* 26 px: wider than --max-gap 16 */
    sz_doc *doc = tu_doc_of(ctx, im, "ink");
    sz_image *before = sz_image_copy(ctx, line_layer(doc));
    sz_status st = tu_run_op(ctx, doc, "extend-lines", NULL);
    ck_assert_msg(st == SZ_OK, "%s", sz_ctx_error(ctx));
    sz_image *out = line_layer(doc);
    ck_assert_int_eq(tu_changed_visible(before, out, NULL), 0);
    for (int y = 33; y < 42; y++)
        for (int x = 43; x < 47; x++) {
            ck_assert_msg(sz_alpha16(out, x, y) > 49152, "left notch open at %d,%d", x, y);
            ck_assert_msg(sz_alpha16(out, x + 80, y) > 49152, "right notch open at %d,%d", x + 80, y);
        }
    /* longer than a gap is wide: the artist's, left open */
    for (int y = 30; y < 55; y++)
        for (int x = 58; x < 62; x++) ck_assert_msg(sz_alpha16(out, x, y) == 0, "slot closed at %d,%d", x, y);
    for (int y = 30; y < 42; y++) ck_assert_uint_eq(sz_alpha16(out, 163, y), 0);
    sz_image_free(before);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Two strokes of very different widths (no pair) run on under the
 * occluder, and their runs cross: they stop where they meet, in a corner,
 * instead of drawing an X across the hidden region. */
START_TEST(strokes_running_on_meet_instead_of_crossing)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float thin[] = {20, 20, 85, 50}, thick[] = {20, 100, 85, 70};
    tu_draw_polyline(im, thin, 2, 2, 2, black);
    tu_draw_polyline(im, thick, 2, 12, 12, black);
    sz_doc *doc = under_bar(ctx, im, 85, W);
    extend(ctx, doc, 85, W, NULL);
    sz_image *out = line_layer(doc);
    /* they run on under the bar */
    ck_assert_uint_gt(max_alpha(out, 90, 60, 8), 200);
    /* but neither runs on past the other (without the rule they cross
     * and run on to the canvas edge) */
    for (int y = 0; y < H; y++)
        for (int x = 115; x < W; x++) ck_assert_msg(sz_alpha16(out, x, y) == 0, "ink at (%d,%d)", x, y);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Ink seen only through a slit in the cover has no heading of its own.
 * An 8 px stroke runs down the canvas under a band y 40..80 with a 2 px
 * gap through it (a ring's gap, bench case088): across the stroke, or
 * 25 degrees off its heading.  A sliver of the stroke shows in the gap,
 * its ends pointing along the gap.  Those ends are not continued (the
 * slanting sliver's ran on along the gap, strokes the artist never
 * drew), and the stroke goes on across the band at its width, crossing
 * the sliver as it crosses the band (before, it ran on from both sides
 * into the sliver and pinched to the sliver's 2 px there).  The stroke is
 * symmetric, so the mirror is turned off: it is not what is tested. */
START_TEST(ink_seen_through_a_slit_is_not_run_along_it)
{
    static const uint16_t none[4] = {0, 0, 0, 0}, hair[4] = {40000, 20000, 10000, 65535};
    static const char *const kv[] = {"no-mirror", "true", NULL};
    static const int gap_angles[] = {25, 90}; /* the gap's heading, degrees off the stroke's */
    for (int k = 0; k < 2; k++) {
        int angle = gap_angles[k];
        sz_ctx *ctx = sz_ctx_new();
        sz_image *im = blank(ctx), *band = sz_image_new(ctx, W, 40, 8);
        float pts[] = {100, 0, 100, H};
        tu_draw_polyline(im, pts, 2, 8, 8, black);
        /* the gap: within 1 px of the line through (100, 60) at that angle */
        float a = (float)(angle * M_PI / 180);
        for (int y = 40; y < 80; y++)
            for (int x = 0; x < W; x++) {
                float d = fabsf((x + 0.5f - 100) * cosf(a) - (y + 0.5f - 60) * sinf(a));
                if (d < 1) continue;
                sz_put16(im, x, y, none);
                sz_put16(band, x, y - 40, hair);
            }
        ck_assert_uint_gt(max_alpha(im, 100, 60, 0), 200); /* the sliver in the gap */
        sz_doc *doc = tu_doc_of(ctx, im, "lines");
        sz_layer *top = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "band");
        sz_layer_set_image(top, band);
        sz_layer_set_offset(top, 0, 40);
        ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", kv), SZ_OK);
        sz_image *out = line_layer(doc);
        for (int y = 40; y < 80; y++) {
            for (int x = 98; x <= 101; x++)
                ck_assert_msg(max_alpha(out, x, y, 0) > 200, "gap at %d degrees: no ink at (%d,%d)", angle, x, y);
            for (int x = 0; x < W; x++)
                if (x < 95 || x > 104)
                    ck_assert_msg(sz_alpha16(out, x, y) == 0, "gap at %d degrees: ink at (%d,%d)", angle, x, y);
        }
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* Two strokes under the cover meet in a T; they do not cross in an X the
 * artist never drew.  A line runs across the bar; two legs come to it
 * from the left, converging.  The line's two ends pair (a straight
 * join, the cheapest); the legs' ends would pair too, by a bow that
 * crosses the line.  That bow is not taken: each leg runs on and stops
 * at the line, an arrowhead. */
START_TEST(new_strokes_meet_in_a_t_instead_of_crossing)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float line[] = {10, 60.5f, 190, 60.5f}, upper[] = {30, 10.5f, 100, 66.5f}, lower[] = {30, 110.5f, 100, 54.5f};
    tu_draw_polyline(im, line, 2, 3, 3, black);
    tu_draw_polyline(im, upper, 2, 3, 3, black);
    tu_draw_polyline(im, lower, 2, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 70, 130);
    extend(ctx, doc, 70, 130, NULL);
    sz_image *out = line_layer(doc);
    ck_assert_uint_gt(max_alpha(out, 100, 60, 0), 200); /* the line goes on */
    /* each leg runs on to the line (without the rule the bow took their
     * ends, and nothing was here) */
    ck_assert_uint_gt(max_alpha(out, 80, 50, 0), 200);
    ck_assert_uint_gt(max_alpha(out, 80, 70, 0), 200);
    /* and no bow crosses the line beside the bar's edge (with the bow:
     * 255 at both) */
    ck_assert_uint_eq(max_alpha(out, 77, 55, 0), 0);
    ck_assert_uint_eq(max_alpha(out, 77, 65, 0), 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A stroke run on from an end under the cover stops where it meets a
 * stroke drawn there, as strokes meeting in a T do: one leg comes up to
 * the line of the test above, and nothing of it shows past the line. */
START_TEST(stroke_running_on_stops_at_a_new_stroke)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float line[] = {10, 60.5f, 190, 60.5f}, leg[] = {30, 110.5f, 100, 54.5f};
    tu_draw_polyline(im, line, 2, 3, 3, black);
    tu_draw_polyline(im, leg, 2, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 70, 130);
    extend(ctx, doc, 70, 130, NULL);
    sz_image *out = line_layer(doc);
    ck_assert_uint_gt(max_alpha(out, 80, 70, 0), 200); /* it runs on */
    /* but not through the line, rows 59-61 (without the rule its tip
     * pokes through: 5 px in rows 57 and 58) */
    for (int y = 0; y < 59; y++)
        for (int x = 70; x < 130; x++) ck_assert_msg(sz_alpha16(out, x, y) == 0, "ink at (%d,%d)", x, y);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A run turns at most a quarter turn, then stops: an arc of radius 12
 * around (70, 72) comes up to the bar at its top, heading right and
 * turning down.  Run on along its curvature it came round into a hook
 * heading back down-left; now it ends before it heads down. */
START_TEST(stroke_running_on_turns_at_most_a_quarter_turn)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    float arc[2 * 17];
    for (int i = 0; i <= 16; i++) {
        float a = (float)M_PI * (1 + 0.5f * i / 16); /* from (40, 90) up to (70, 60) */
        arc[2 * i] = 70 + 12 * cosf(a), arc[2 * i + 1] = 72.5f + 12 * sinf(a);
    }
    tu_draw_polyline(im, arc, 17, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 70, 130);
    extend(ctx, doc, 70, 130, NULL);
    sz_image *out = line_layer(doc);
    int run = 0, past = 0; /* new ink in the bar; of it, below row 85 */
    for (int y = 0; y < H; y++)
        for (int x = 70; x < 130; x++) run += sz_alpha16(out, x, y) > 0, past += y >= 85 && sz_alpha16(out, x, y) > 0;
    ck_assert_int_gt(run, 60); /* it runs on (126 px) */
    ck_assert_int_eq(past, 0); /* but not round into a hook (without the limit: 98 px here) */
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* An outline's end is known for one where the completed edge leaves the
 * visible edge at an angle: a part's left edge, outlined, runs down to the
 * occluder at y = 60, and the completed shape turns 60 degrees there
 * toward the right (a jaw into the chin).  Its end, a pixel under the
 * occluder, sits on the turned edge; it is still the outline's. */
START_TEST(outline_end_is_known_where_the_completed_edge_turns)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_part p = {.w = W, .h = H, .img = blank(ctx), .solid = 32768};
    size_t n = (size_t)W * H;
    p.hidden = calloc(n, 1);
    uint8_t *inside = calloc(n, 1);
    sz_lines ln = {.w = W, .h = H, .solid = calloc(n, 1)};
    static const uint16_t skin[4] = {250 * 257, 220 * 257, 200 * 257, 65535}, ink[4] = {20 * 257, 16 * 257, 24 * 257, 65535};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            if (y >= 60) {
                p.hidden[i] = 1;
                inside[i] = x >= 50 + tanf(60 * (float)M_PI / 180) * (y - 60);
            } else if (x >= 50 && x < 190) {
                inside[i] = 1;
                ln.solid[i] = x < 53;
                sz_put16(p.img, x, y, x < 53 ? ink : skin);
            }
        }
    sz_outline_dist dist;
    ck_assert_int_eq(sz_outline_distance(ctx, &p, inside, 14, &dist), SZ_OK);
    sz_line_end e = {.p = {52, 61}, .dir = {0, 1}, .width = 3, .taper = 1, .at_hidden = true, .partner = -1};
    ck_assert(sz_outline_end(&p, &ln, &dist, &e));
    /* and a stroke meeting the edge head on is not an outline */
    sz_line_end across = {.p = {56, 40}, .dir = {-1, 0}, .width = 3, .taper = 1, .at_hidden = true, .partner = -1};
    ck_assert(!sz_outline_end(&p, &ln, &dist, &across));
    free(dist.d2), free(inside), free(ln.solid), free(p.hidden);
    sz_image_free(p.img);
    sz_ctx_free(ctx);
}
END_TEST

/* Two strokes cut by an occluder that covers x >= 40 run on toward the
 * apex of a corner, one end nearer it than the other (so they do not face
 * each other).  With the apex 20 and 40 px from the ends, they are joined
 * through it: a corner lost under the cover.  With it 110 and 140 px
 * away, more than a quarter of --max-extension (400), the corner is
 * refused: it drew a long thin wedge out across the hidden region (the
 * benchmark's case040), and the ends run on alone instead. */
START_TEST(corner_under_the_occluder_is_joined_only_near_its_ends)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_part p = {.w = W, .h = H, .img = blank(ctx), .solid = 32768};
    size_t n = (size_t)W * H;
    p.hidden = calloc(n, 1);
    for (size_t i = 0; i < n; i++) p.hidden[i] = (int)(i % W) >= 40;
    sz_lines ln = {.w = W, .h = H, .solid = calloc(n, 1)};
    sz_line_params lp = {.max_gap = 16, .max_extension = 400, .max_width = 14, .tolerance = 60, .smoothness = 1};
    const vec2 ua = v2(0.970f, 0.243f), ub = v2(0.970f, -0.243f); /* headings toward the apex */
    struct {
        vec2 apex;
        float to_a, to_b;
        bool joined;
    } v[] = {{{100, 60}, 20, 40, true}, {{190, 60}, 110, 140, false}};
    for (int k = 0; k < 2; k++) {
        sz_line_end a = {.p = v2_sub(v[k].apex, v2_scale(ua, v[k].to_a)), .dir = ua, .width = 3, .taper = 1,
                         .at_hidden = true, .partner = -1};
        sz_line_end b = a;
        b.p = v2_sub(v[k].apex, v2_scale(ub, v[k].to_b)), b.dir = ub;
        const char *why = NULL;
        float cost = sz_lines_pair_cost(&p, &ln, &lp, &a, &b, true, &why);
        if (v[k].joined)
            ck_assert_msg(cost >= 0 && cost <= 2.5f, "the near corner is refused (%s, %.2f)", why ? why : "cost", cost);
        else
            ck_assert_msg(cost < 0 && !strcmp(why, "corner too far"), "the far corner is joined, at cost %.2f", cost);
    }
    free(ln.solid), free(p.hidden);
    sz_image_free(p.img);
    sz_ctx_free(ctx);
}
END_TEST

/* New ink stays within the part's completed shape: a skin disc crossed by
 * a dark stroke, covered from x = 130 rightward.  The stroke runs on under
 * the cover toward the disc's edge at x = 150, and stops there instead of
 * running on over what is background. */
START_TEST(lone_stroke_stops_at_the_completed_shape)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    float pts[] = {70, 60.5f, 160, 60.5f};
    tu_draw_polyline(im, pts, 2, 3, 3, black);
    sz_doc *doc = under_bar(ctx, im, 130, W);
    extend(ctx, doc, 130, W, NULL);
    sz_image *out = line_layer(doc);
    ck_assert_uint_gt(max_alpha(out, 140, 60, 1), 200); /* it runs on inside the disc */
    for (int x = 154; x < W; x++)                       /* and not past its edge */
        for (int y = 50; y < 70; y++) ck_assert_msg(sz_alpha16(out, x, y) == 0, "ink at (%d,%d)", x, y);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A patch of dark paint that the cover cuts is no stroke end, even where
 * a thin stroke leads into it: a skin disc crossed by a 3 px stroke that
 * swells into a 10 px blob at x = 122-132, covered from x = 130, put
 * through `complete` (where paint 10 px broad is a region for the fill,
 * not a stroke).  The skeleton ends in the blob, three widths broad; run
 * on along the thin stroke's heading, it drew a 3 px line across the
 * hidden paint to the disc's edge (the benchmark's case028: a hairline
 * 370 px down a face). */
START_TEST(patch_of_paint_at_the_cut_is_not_run_on)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    float neck[] = {70, 60.5f, 122, 60.5f}, blob[] = {122, 60.5f, 127, 60.5f};
    tu_draw_polyline(im, neck, 2, 3, 3, black);
    tu_draw_polyline(im, blob, 2, 10, 10, black);
    sz_doc *doc = under_bar(ctx, im, 130, W);
    static const char *const kv[] = {"no-mirror", "true", NULL};
    ck_assert_int_eq(tu_run_op(ctx, doc, "complete", kv), SZ_OK);
    sz_layer *part = sz_layer_child(sz_doc_root(doc), 1); /* above its fill */
    ck_assert_str_eq(sz_layer_name(part), "lines");
    for (int x = 138; x < W; x++)
        for (int y = 50; y < 70; y++) ck_assert_msg(sz_alpha16(sz_layer_image(part), x, y) == 0, "ink at (%d,%d)", x, y);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Five level strokes, 5 px wide, 20 px apart, under a "hair" layer that
 * covers a band 70 px wide along the rows, slanting by `run` px across per
 * px down (1: 45 degrees), hard edged: a hatching, or strands of hair,
 * with a lock laid across them. */
static sz_doc *hatching_under_a_slant_band(sz_ctx *ctx, float run)
{
    static const uint16_t hair[4] = {40000, 20000, 10000, 65535}, none[4] = {0, 0, 0, 0};
    sz_image *im = blank(ctx), *cover = sz_image_new(ctx, W, H, 8);
    for (int k = 0; k < 5; k++) {
        float pts[] = {0, 20.5f + 20 * k, W, 20.5f + 20 * k};
        tu_draw_polyline(im, pts, 2, 5, 5, black);
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (fabsf(x - 100 - run * (y - 60)) < 35) sz_put16(cover, x, y, hair), sz_put16(im, x, y, none);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair"), cover);
    return doc;
}

START_TEST(hatching_cut_slantwise_goes_on_stroke_by_stroke)
{
    /* A slantwise cut bends a stroke's skeleton into the sharp corner of
     * its end, so that each end of the hatching pointed at the far end of
     * the next stroke, and strokes were joined across to their neighbours.
     * Each stroke goes on, level, to its own far end: under a band at 45
     * degrees and at 59. */
    static const float runs[] = {1.0f, 0.6f};
    for (int r = 0; r < 2; r++) {
        sz_ctx *ctx = sz_ctx_new();
        sz_doc *doc = hatching_under_a_slant_band(ctx, runs[r]);
        sz_image *before = sz_image_copy(ctx, line_layer(doc));
        ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
        sz_image *out = line_layer(doc);
        ck_assert_int_eq(tu_changed_visible(before, out, NULL), 0);
        for (int k = 0; k < 5; k++) {
            int y = 20 + 20 * k, mid = (int)lroundf(100 + runs[r] * (y - 60));
            /* across the middle half of the stroke's hidden stretch */
            for (int x = mid - 17; x <= mid + 17; x++) {
                ck_assert_msg(sz_alpha16(out, x, y) > 60000, "run %.1f: stroke %d open at x=%d", runs[r], k, x);
                ck_assert_msg(max_alpha(out, x, y - 7, 1) == 0 && max_alpha(out, x, y + 7, 1) == 0,
                              "run %.1f: stroke %d leaves its row at x=%d", runs[r], k, x);
            }
        }
        sz_image_free(before);
        sz_doc_free(doc);
        sz_ctx_free(ctx);
    }
}
END_TEST

/* A document of a layer with one stroke, `width` px wide, through (100,
 * 60) at `degrees` below the horizontal, under a "hair" layer: a disc of
 * radius 25 there. */
static sz_doc *stroke_under_a_disc(sz_ctx *ctx, double degrees, float width)
{
    static const uint16_t hair[4] = {40000, 20000, 10000, 65535}, none[4] = {0, 0, 0, 0};
    sz_image *im = blank(ctx), *cover = sz_image_new(ctx, W, H, 8);
    float c = (float)cos(degrees * M_PI / 180), s = (float)sin(degrees * M_PI / 180);
    float pts[] = {100 - 150 * c, 60 - 150 * s, 100 + 150 * c, 60 + 150 * s};
    tu_draw_polyline(im, pts, 2, width, width, black);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (hypot(x + 0.5 - 100, y + 0.5 - 60) < 25) sz_put16(cover, x, y, hair), sz_put16(im, x, y, none);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair"), cover);
    return doc;
}

START_TEST(slanting_stroke_goes_on_under_a_disc_at_every_angle)
{
    /* Thinning leaves a slanting stroke's skeleton a staircase two pixels
     * thick, whose L-shaped corners ended the trace of its end a few
     * pixels from the tip, and it shortens the stroke's blunt end by up
     * to a couple of widths, so that the end was not seen to run into
     * the cover: at some angles and widths a straight stroke through a
     * disc was not continued at all.  Every one goes on across it. */
    for (int degrees = 20; degrees <= 70; degrees += 5)
        for (float width = 3; width <= 8; width += 1) {
            sz_ctx *ctx = sz_ctx_new();
            sz_doc *doc = stroke_under_a_disc(ctx, degrees, width);
            ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
            sz_image *out = line_layer(doc);
            float c = (float)cos(degrees * M_PI / 180), s = (float)sin(degrees * M_PI / 180);
            int inked = 0, along = 0;
            for (float t = -20; t <= 20; t += 1, along++)
                inked += max_alpha(out, (int)lroundf(100 + t * c), (int)lroundf(60 + t * s), 1) > 200;
            ck_assert_msg(inked == along, "%d degrees, %.0f px: %d of %d points across the disc inked", degrees,
                          width, inked, along);
            sz_doc_free(doc);
            sz_ctx_free(ctx);
        }
}
END_TEST

START_TEST(crossing_strokes_under_a_disc_each_go_on)
{
    /* Two strokes crossing under a disc: one pair goes on across it, and
     * since new strokes do not cross, the other stroke's ends run on to
     * meet it.  Thinning had left those ends' skeleton tips a few pixels
     * back in their own ink, and a run stopped as it "left" the cover
     * before it was in it. */
    static const uint16_t hair[4] = {40000, 20000, 10000, 65535}, none[4] = {0, 0, 0, 0};
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx), *cover = sz_image_new(ctx, W, H, 8);
    float c = cosf(40 * (float)M_PI / 180), s = sinf(40 * (float)M_PI / 180);
    float down[] = {100 - 120 * c, 60 - 120 * s, 100 + 120 * c, 60 + 120 * s};
    float up[] = {100 - 120 * c, 60 + 120 * s, 100 + 120 * c, 60 - 120 * s};
    tu_draw_polyline(im, down, 2, 4, 4, black);
    tu_draw_polyline(im, up, 2, 4, 4, black);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (hypot(x + 0.5 - 100, y + 0.5 - 60) < 30) sz_put16(cover, x, y, hair), sz_put16(im, x, y, none);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair"), cover);
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
    sz_image *out = line_layer(doc);
    /* the first 12 px under the disc from each of the four ends */
    for (int line = 0; line < 2; line++)
        for (int side = -1; side <= 1; side += 2) {
            int inked = 0;
            for (int t = 17; t < 29; t++) {
                float ux = side * t * c, uy = side * t * s * (line ? -1 : 1);
                inked += max_alpha(out, (int)lroundf(100 + ux), (int)lroundf(60 + uy), 1) > 200;
            }
            ck_assert_msg(inked >= 10, "stroke %d, end %d: %d of 12 px inked", line, side, inked);
        }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(stroke_thinning_eats_still_ends_at_the_cover)
{
    /* A smile, 4 px wide, y = 92 - 0.02 (x - 100)^2 on a face, its bottom
     * under a bar over x in [80, 120).  The bar cuts each half at about
     * 40 degrees; thinning ate the last 14 px of the right half's
     * skeleton (not the left's), and its end was not taken for one at the
     * cover: the left half ran on alone and the right one stopped.  Both
     * ends are at the cover, and they join through the smile's bottom. */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx);
    skin_disc(im);
    float pts[2 * 71];
    for (int i = 0; i <= 70; i++) pts[2 * i] = 65.0f + i, pts[2 * i + 1] = 92 - 0.02f * (float)((i - 35) * (i - 35));
    tu_draw_polyline(im, pts, 71, 4, 4, black);
    sz_doc *doc = under_bar(ctx, im, 80, 120);
    extend(ctx, doc, 80, 120, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 82; x <= 118; x += 4) {
        int y = (int)lroundf(92 - 0.02f * (float)((x - 100) * (x - 100)));
        ck_assert_msg(max_alpha(out, x, y, 2) > 200, "the smile is open at x=%d", x);
        ck_assert_msg(max_alpha(out, x, y - 7, 1) == 0, "ink above the smile at x=%d", x);
        ck_assert_msg(max_alpha(out, x, y + 7, 1) == 0, "ink below the smile at x=%d", x);
    }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(stroke_does_not_run_from_one_cover_to_another)
{
    /* A level line under two bars, over x in [60, 96) and [100, 140); the
     * strip between them shows paper, not the line.  A stroke joining the
     * line's two ends would run through the strip, where the artist's
     * drawing says none runs: each end runs on under its own bar, and the
     * strip stays as drawn. */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = level_line(ctx, black);
    sz_doc *doc = under_bar(ctx, im, 60, 140);
    static const uint16_t none[4] = {0, 0, 0, 0};
    tu_fill_rect(sz_layer_image(sz_layer_child(sz_doc_root(doc), 1)), 36, 0, 40, H, none);
    extend(ctx, doc, 60, 140, NULL);
    sz_image *out = line_layer(doc);
    for (int x = 96; x < 100; x++) ck_assert_msg(max_alpha(out, x, 60, 2) == 0, "ink in the strip at x=%d", x);
    ck_assert_msg(max_alpha(out, 64, 60, 0) > 200, "the left end did not run on");
    ck_assert_msg(max_alpha(out, 135, 60, 0) > 200, "the right end did not run on");
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(straight_strokes_cross_under_the_cover_as_drawn)
{
    /* New strokes do not cross, but two straight strokes showing on both
     * sides of the cover, each of whose ends heads along its chord, cross
     * as drawn (an X of straps): both go straight across. */
    static const uint16_t hair[4] = {40000, 20000, 10000, 65535}, none[4] = {0, 0, 0, 0};
    static const float degrees[2] = {20, -55};
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = blank(ctx), *cover = sz_image_new(ctx, W, H, 8);
    for (int k = 0; k < 2; k++) {
        float c = cosf(degrees[k] * (float)M_PI / 180), s = sinf(degrees[k] * (float)M_PI / 180);
        float pts[] = {100 - 150 * c, 60 - 150 * s, 100 + 150 * c, 60 + 150 * s};
        tu_draw_polyline(im, pts, 2, 5, 5, black);
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (abs(x - 100) < 30 && abs(y - 60) < 30) sz_put16(cover, x, y, hair), sz_put16(im, x, y, none);
    sz_doc *doc = tu_doc_of(ctx, im, "lines");
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hair"), cover);
    ck_assert_int_eq(tu_run_op(ctx, doc, "extend-lines", NULL), SZ_OK);
    sz_image *out = line_layer(doc);
    for (int k = 0; k < 2; k++) {
        float c = cosf(degrees[k] * (float)M_PI / 180), s = sinf(degrees[k] * (float)M_PI / 180);
        for (int t = -25; t <= 25; t++)
            ck_assert_msg(max_alpha(out, (int)lroundf(100 + t * c), (int)lroundf(60 + t * s), 1) > 200,
                          "stroke at %.0f degrees open %d px from the middle", degrees[k], t);
    }
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lines");
    TCase *tc = tcase_create("lines");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, straight_line_continues_under_the_occluder);
    tcase_add_test(tc, arc_is_closed_along_its_curvature);
    tcase_add_test(tc, s_curve_keeps_both_tangents);
    tcase_add_test(tc, lone_stroke_runs_on_and_tapers);
    tcase_add_test(tc, tapered_tip_touching_the_occluder_is_not_run_on);
    tcase_add_test(tc, stroke_cut_at_a_slant_still_runs_on);
    tcase_add_test(tc, natural_tapered_end_is_left_alone);
    tcase_add_test(tc, end_short_of_a_stroke_joins_it);
    tcase_add_test(tc, gap_is_bridged_up_to_max_gap);
    tcase_add_test(tc, gap_in_a_covered_layer_is_left_as_drawn);
    tcase_add_test(tc, bridge_carries_the_ink_of_a_thin_line);
    tcase_add_test(tc, gap_at_a_junction_closes_all_three_strokes);
    tcase_add_test(tc, gap_at_a_sharp_corner_closes_through_its_apex);
    tcase_add_test(tc, gap_cut_obliquely_on_a_curve_closes);
    tcase_add_test(tc, gap_on_a_tight_curve_is_judged_by_the_strokes_heading);
    tcase_add_test(tc, stroke_end_among_spurs_is_found);
    tcase_add_test(tc, painted_part_outline_continues);
    tcase_add_test(tc, outline_along_the_edge_is_not_widened_by_dark_paint);
    tcase_add_test(tc, outline_is_measured_beside_the_occluder);
    tcase_add_test(tc, outline_continues_only_where_the_edge_has_one);
    tcase_add_test(tc, no_outline_leaves_the_outline_and_continues_the_rest);
    tcase_add_test(tc, outline_end_is_known_where_the_completed_edge_turns);
    tcase_add_test(tc, lone_stroke_stops_at_the_completed_shape);
    tcase_add_test(tc, patch_of_paint_at_the_cut_is_not_run_on);
    tcase_add_test(tc, corner_under_the_occluder_is_joined_only_near_its_ends);
    tcase_add_test(tc, new_layer_holds_only_the_new_ink);
    tcase_add_test(tc, mask_file_gives_the_hidden_region);
    tcase_add_test(tc, stroke_ending_in_a_soft_edge_keeps_its_colour);
    tcase_add_test(tc, coloured_line_art_is_all_ink_when_told);
    tcase_add_test(tc, empty_and_all_ink_layers_are_no_ops);
    tcase_add_test(tc, saturated_paint_is_not_line_art);
    tcase_add_test(tc, solid_black_runs_across_a_narrow_strip);
    tcase_add_test(tc, solid_blacks_continue_under_a_wide_occluder);
    tcase_add_test(tc, notches_in_thick_ink_close);
    tcase_add_test(tc, strokes_running_on_meet_instead_of_crossing);
    tcase_add_test(tc, ink_seen_through_a_slit_is_not_run_along_it);
    tcase_add_test(tc, new_strokes_meet_in_a_t_instead_of_crossing);
    tcase_add_test(tc, stroke_running_on_stops_at_a_new_stroke);
    tcase_add_test(tc, stroke_running_on_turns_at_most_a_quarter_turn);
    tcase_add_test(tc, hatching_cut_slantwise_goes_on_stroke_by_stroke);
    tcase_add_test(tc, slanting_stroke_goes_on_under_a_disc_at_every_angle);
    tcase_add_test(tc, crossing_strokes_under_a_disc_each_go_on);
    tcase_add_test(tc, straight_strokes_cross_under_the_cover_as_drawn);
    tcase_add_test(tc, stroke_thinning_eats_still_ends_at_the_cover);
    tcase_add_test(tc, stroke_does_not_run_from_one_cover_to_another);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
