/*
 * test_ops — what each operation does (bleed, to-srgb, info), and that
 * every operation in the registry gives the same result with 1 and 2
 * threads.
 */
#include "testutil.h"
#include "cut_parts.h"
#include "op.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sz_status run_op(sz_ctx *ctx, sz_doc *doc, const char *name, const char *const *kv)
{
    const sz_op *op = sz_op_find(name);
    ck_assert_ptr_nonnull(op);
    sz_args *a = sz_args_new(ctx, op);
    for (int i = 0; kv && kv[i]; i += 2) ck_assert_int_eq(sz_args_set(ctx, a, kv[i], kv[i + 1]), SZ_OK);
    sz_status st = sz_op_run(ctx, op, doc, a);
    sz_args_free(a);
    return st;
}

/* A disc of one colour in a transparent square, as a layer of a canvas. */
static sz_doc *disc_doc(sz_ctx *ctx, int depth, int size, int layer_off)
{
    sz_doc *doc = sz_doc_new(ctx, size + 2 * layer_off, size + 2 * layer_off);
    sz_doc_set_depth(doc, depth);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "disc");
    sz_image *im = sz_image_new(ctx, size, size, depth);
    float c = size / 2.0f, r = size / 3.0f;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float d = sqrtf((x + 0.5f - c) * (x + 0.5f - c) + (y + 0.5f - c) * (y + 0.5f - c));
            float a = SZ_CLAMP(r - d + 0.5f, 0.0f, 1.0f);
            uint16_t p[4] = {(uint16_t)(50000 - 300 * y), 20000, (uint16_t)(1000 + 400 * x), (uint16_t)(a * 65535)};
            if (a <= 0) p[0] = p[1] = p[2] = 0;
            sz_put16(im, x, y, p);
        }
    sz_layer_set_image(l, im);
    sz_layer_set_offset(l, layer_off, layer_off);
    return doc;
}

START_TEST(bleed_fills_transparent_pixels_and_keeps_alpha)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = disc_doc(ctx, 8, 40, 6);
    sz_doc *orig = sz_doc_copy(ctx, doc);
    const char *kv[] = {"radius", "3", NULL};
    ck_assert_int_eq(run_op(ctx, doc, "bleed", kv), SZ_OK);
    sz_layer *l = sz_layer_child(sz_doc_root(doc), 0), *o = sz_layer_child(sz_doc_root(orig), 0);
    /* grew by the radius toward the canvas */
    ck_assert_int_eq(sz_layer_x(l), 3);
    ck_assert_int_eq(sz_image_width(sz_layer_image(l)), 46);
    sz_image *im = sz_layer_image(l), *om = sz_layer_image(o);
    int coloured = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            int ox = x + sz_layer_x(l) - sz_layer_x(o), oy = y + sz_layer_y(l) - sz_layer_y(o);
            uint16_t p[4], q[4] = {0, 0, 0, 0};
            sz_get16(im, x, y, p);
            if (ox >= 0 && oy >= 0 && ox < om->w && oy < om->h) sz_get16(om, ox, oy, q);
            ck_assert_uint_eq(p[3], q[3]); /* alpha unchanged everywhere */
            if (q[3]) ck_assert_int_eq(memcmp(p, q, 8), 0); /* visible pixels untouched */
            if (!q[3] && (p[0] | p[1] | p[2])) coloured++;
        }
    ck_assert_int_gt(coloured, 300);
    /* a pixel just outside the disc edge takes the edge's colour, not black */
    uint16_t p[4];
    int cx = 20 + 3, edge = (int)(20 - 40 / 3.0f) - 2 + 3;
    sz_get16(im, cx, edge, p);
    ck_assert_uint_eq(p[3], 0);
    ck_assert_uint_gt(p[1], 15000);
    ck_assert_uint_lt(p[1], 25000);
    sz_doc_free(orig);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(bleed_stops_at_the_radius)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = disc_doc(ctx, 16, 60, 0);
    const char *kv[] = {"radius", "2", NULL};
    ck_assert_int_eq(run_op(ctx, doc, "bleed", kv), SZ_OK);
    sz_image *im = sz_layer_image(sz_layer_child(sz_doc_root(doc), 0));
    uint16_t p[4];
    sz_get16(im, 2, 2, p); /* far from the disc: untouched */
    ck_assert_uint_eq(p[0] | p[1] | p[2] | p[3], 0);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(to_srgb_converts_through_the_profile)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    size_t len;
    uint8_t *icc = tu_read_file(tu_data_path("icc/colord/SwappedRedAndGreen.icc"), &len);
    ck_assert_ptr_nonnull(icc);
    sz_doc *doc = sz_doc_new(ctx, 2, 1);
    sz_doc_set_depth(doc, 8);
    sz_doc_set_icc(ctx, doc, icc, len);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
    sz_image *im = sz_image_new(ctx, 2, 1, 8);
    uint16_t red[4] = {65535, 0, 0, 65535}, half[4] = {0, 0, 65535, 32896};
    sz_put16(im, 0, 0, red);
    sz_put16(im, 1, 0, half);
    sz_layer_set_image(l, im);
    const char *kv[] = {"depth", "8", NULL};
    ck_assert_int_eq(run_op(ctx, doc, "to-srgb", kv), SZ_OK);
    im = sz_layer_image(l);
    uint16_t p[4];
    sz_get16(im, 0, 0, p);
    ck_assert_uint_lt(p[0], 10 * 257); /* red in the swapped space is green */
    ck_assert_uint_gt(p[1], 240 * 257);
    sz_get16(im, 1, 0, p);
    ck_assert_uint_eq(p[3], 32896); /* alpha is carried, not converted */
    ck_assert_uint_gt(p[2], 240 * 257);
    ck_assert_ptr_null(sz_doc_icc(doc, &len));
    ck_assert_ptr_nonnull(strstr(sz_doc_color_description(doc), "sRGB"));
    free(icc);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(to_srgb_on_untagged_only_changes_depth)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = disc_doc(ctx, 16, 20, 0);
    sz_doc *orig = sz_doc_copy(ctx, doc);
    const char *kv[] = {"depth", "8", NULL};
    ck_assert_int_eq(run_op(ctx, doc, "to-srgb", kv), SZ_OK);
    sz_image *a = sz_layer_image(sz_layer_child(sz_doc_root(doc), 0));
    sz_image *b = sz_image_copy(ctx, sz_layer_image(sz_layer_child(sz_doc_root(orig), 0)));
    sz_image_set_depth(ctx, b, 8);
    ck_assert(tu_same_pixels(a, b));
    ck_assert_int_eq(sz_doc_depth(doc), 8);
    sz_image_free(b);
    sz_doc_free(orig);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

static void collect(void *user, const char *text)
{
    sz_buf *b = user;
    sz_buf_append(b, text, strlen(text));
    sz_buf_u8(b, 0);
    b->len--;
}

START_TEST(info_describes_the_tree)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = disc_doc(ctx, 8, 20, 3);
    sz_layer *g = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_GROUP, "Hair \"front\"");
    sz_layer *h = sz_layer_new(ctx, g, SZ_LAYER_PIXEL, "bangs");
    sz_layer_set_opacity(h, 128);
    sz_layer_set_blend(h, SZ_BLEND_MULTIPLY);
    sz_buf b = {0};
    sz_ctx_set_text_output(ctx, collect, &b);
    ck_assert_int_eq(run_op(ctx, doc, "info", NULL), SZ_OK);
    const char *t = (const char *)b.data;
    ck_assert_ptr_nonnull(strstr(t, "canvas: 26x26, 8-bit"));
    ck_assert_ptr_nonnull(strstr(t, "#0 \"disc\"  20x20 at 3,3"));
    ck_assert_ptr_nonnull(strstr(t, "#1 \"bangs\"  empty  multiply 50%"));
    ck_assert_ptr_nonnull(strstr(t, "[group]"));
    /* top first: the group is listed before the disc */
    ck_assert((uintptr_t)strstr(t, "[group]") < (uintptr_t)strstr(t, "\"disc\""));
    b.len = 0;
    const char *kv[] = {"json", "true", NULL};
    ck_assert_int_eq(run_op(ctx, doc, "info", kv), SZ_OK);
    t = (const char *)b.data;
    ck_assert_ptr_nonnull(strstr(t, "\"width\":26"));
    ck_assert_ptr_nonnull(strstr(t, "\"name\":\"Hair \\\"front\\\"\""));
    ck_assert_ptr_nonnull(strstr(t, "\"blend\":\"multiply\""));
    sz_buf_free(&b);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static bool docs_equal(sz_doc *a, sz_doc *b)
{
    sz_layer *la[64], *lb[64];
    int na = sz_doc_flatten_tree(a, la, 64), nb = sz_doc_flatten_tree(b, lb, 64);
    if (na != nb) return false;
    for (int i = 0; i < na; i++) {
        if (strcmp(sz_layer_name(la[i]), sz_layer_name(lb[i])) || sz_layer_x(la[i]) != sz_layer_x(lb[i]) ||
            sz_layer_y(la[i]) != sz_layer_y(lb[i]))
            return false;
        sz_image *ia = sz_layer_image(la[i]), *ib = sz_layer_image(lb[i]);
        if ((ia == NULL) != (ib == NULL) || (ia && !tu_same_pixels(ia, ib))) return false;
    }
    return true;
}

/* Extra arguments some operations need to do real work on the test doc. */
static const char *const *args_for(const char *op)
{
    static const char *bleed[] = {"radius", "6", NULL};
    static const char *srgb[] = {"depth", "8", NULL};
    static char pattern[64];
    static const char *export[] = {"output", pattern, NULL};
    if (!strcmp(op, "bleed")) return bleed;
    if (!strcmp(op, "to-srgb")) return srgb;
    if (!strcmp(op, "export-layers")) {
        char dir[] = "/tmp/sozai-ops-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(pattern, sizeof pattern, "%s/%%i.png", dir);
        return export;
    }
    return NULL;
}

START_TEST(every_operation_is_thread_count_independent)
{
    int tested = 0;
    for (int i = 0; i < sz_op_count(); i++) {
        const char *name = sz_op_name(sz_op_at(i));
        sz_doc *out[2];
        for (int t = 0; t < 2; t++) {
            sz_ctx *ctx = sz_ctx_new();
            sz_ctx_set_threads(ctx, t + 1);
            out[t] = disc_doc(ctx, 8, 96, 10);
            sz_layer *top = sz_layer_new(ctx, sz_doc_root(out[t]), SZ_LAYER_PIXEL, "bar");
            sz_image *bar = sz_image_new(ctx, 116, 20, 8);
            for (int y = 0; y < 20; y++)
                for (int x = 0; x < 116; x++) {
                    uint16_t p[4] = {9000, 9000, 30000, 65535};
                    sz_put16(bar, x, y, p);
                }
            sz_layer_set_image(top, bar);
            sz_layer_set_offset(top, 0, 40);
            sz_status st = run_op(ctx, out[t], name, args_for(name));
            ck_assert_msg(st == SZ_OK, "%s: %s", name, sz_ctx_error(ctx));
            sz_ctx_free(ctx);
        }
        ck_assert_msg(docs_equal(out[0], out[1]), "%s differs between 1 and 2 threads", name);
        sz_doc_free(out[0]);
        sz_doc_free(out[1]);
        tested++;
    }
    printf("operations checked for thread independence: %d\n", tested);
    ck_assert_int_eq(tested, sz_op_count());
}
END_TEST

/* A document of many parts, each partly under those above it and cut
 * there: a disc of its own colour in a dark ring (its outline), placed by
 * a fixed little generator.  Most are small (each worked on one thread),
 * four middling (over SZ_ONE_THREAD_PIXELS of work: side by side only in
 * a run they do not dominate), one is canvas-sized (worked on in place
 * when alone), and a large part lies at the bottom. */
static sz_doc *many_parts_doc(sz_ctx *ctx)
{
    enum { W = 1100, H = 800, PARTS = 14 };
    sz_doc *doc = sz_doc_new(ctx, W, H);
    sz_doc_set_depth(doc, 8);
    uint32_t rng = 7;
    for (int k = 0; k <= PARTS; k++) {
        char name[32];
        snprintf(name, sizeof name, "part %d", k);
        sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, name);
        bool large = k == 0, whole = k == 5, middling = k == 3 || k == 7 || k == 9 || k == 12;
        int size = large ? 600 : whole ? W : middling ? 300 : 60 + (int)((rng = rng * 1103515245u + 12345u) >> 16) % 90;
        int ox = large || whole ? 0 : (int)((rng = rng * 1103515245u + 12345u) >> 16) % (W - size);
        int oy = large || whole ? 0 : (int)((rng = rng * 1103515245u + 12345u) >> 16) % (H - size);
        int iw = whole ? W : size, ih = whole ? H : size;
        sz_image *im = sz_image_new(ctx, iw, ih, 8);
        float cx = whole ? 200 : size / 2.0f, cy = whole ? 300 : size / 2.0f, r = (whole ? 80 : size) / 2.0f - 2;
        uint16_t fill[4] = {(uint16_t)(9000 + 3700 * k), (uint16_t)(60000 - 3100 * k), (uint16_t)(20000 + 1500 * k),
                            65535};
        for (int y = 0; y < ih; y++)
            for (int x = 0; x < iw; x++) {
                float d = sqrtf((x + 0.5f - cx) * (x + 0.5f - cx) + (y + 0.5f - cy) * (y + 0.5f - cy));
                float a = SZ_CLAMP(r - d + 0.5f, 0.0f, 1.0f);
                bool ring = d > r - 4;
                uint16_t p[4] = {ring ? 3000 : fill[0], ring ? 3000 : fill[1], ring ? 3000 : fill[2],
                                 (uint16_t)(a * 65535)};
                if (a <= 0) p[0] = p[1] = p[2] = 0;
                sz_put16(im, x, y, p);
            }
        sz_layer_set_image(l, im);
        sz_layer_set_offset(l, ox, oy);
    }
    ck_assert(cut_where_covered(doc));
    return doc;
}

static void keep_log(void *user, sz_log_level level, const char *message)
{
    char *log = user;
    size_t n = strlen(log);
    snprintf(log + n, 65536 - n, "%d %s\n", (int)level, message);
}

/* The small layers of a document are worked on side by side (two
 * threads), what each writes held until its turn; the document, and the
 * messages, come out as one after another (one thread) gives them. */
START_TEST(layers_side_by_side_give_what_one_after_another_gives)
{
    static const char *const complete_args[] = {NULL}, *const merge_args[] = {"merge", "true", NULL};
    static const char *const lines_args[] = {"to-layer", "new", NULL};
    static const struct {
        const char *op;
        const char *const *kv;
    } runs[] = {{"complete", complete_args}, {"complete", merge_args}, {"complete", lines_args},
                {"extend-lines", lines_args}};
    for (size_t r = 0; r < SZ_COUNTOF(runs); r++) {
        sz_doc *out[2];
        char *log[2];
        for (int t = 0; t < 2; t++) {
            sz_ctx *ctx = sz_ctx_new();
            sz_ctx_set_threads(ctx, t + 1);
            log[t] = calloc(65536, 1);
            sz_ctx_set_log(ctx, keep_log, log[t]);
            out[t] = many_parts_doc(ctx);
            sz_status st = run_op(ctx, out[t], runs[r].op, runs[r].kv);
            ck_assert_msg(st == SZ_OK, "%s: %s", runs[r].op, sz_ctx_error(ctx));
            sz_ctx_free(ctx);
        }
        /* the parts were worked on: new layers, or new pixels in them */
        sz_layer *all[64];
        int n = sz_doc_flatten_tree(out[1], all, 64), added = n - 15;
        ck_assert_msg(runs[r].kv == merge_args ? added == 0 : added >= 5, "%s: %d layers added", runs[r].op, added);
        ck_assert_msg(docs_equal(out[0], out[1]), "%s (%s) differs side by side", runs[r].op,
                      runs[r].kv[0] ? runs[r].kv[0] : "");
        ck_assert_msg(!strcmp(log[0], log[1]), "%s: the messages differ side by side", runs[r].op);
        ck_assert_int_gt((int)strlen(log[0]), 200);
        for (int t = 0; t < 2; t++) sz_doc_free(out[t]), free(log[t]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, bleed_fills_transparent_pixels_and_keeps_alpha);
    tcase_add_test(tc, bleed_stops_at_the_radius);
    tcase_add_test(tc, to_srgb_converts_through_the_profile);
    tcase_add_test(tc, to_srgb_on_untagged_only_changes_depth);
    tcase_add_test(tc, info_describes_the_tree);
    tcase_add_test(tc, every_operation_is_thread_count_independent);
    tcase_add_test(tc, layers_side_by_side_give_what_one_after_another_gives);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
