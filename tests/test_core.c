/*
 * test_core — the context, images, documents and their tree, compositing,
 * the registry and argument parsing, layer selection, atomic writes.
 */
#include "testutil.h"
#include "op.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(errors_are_reported_through_the_context)
{
    sz_ctx *ctx = sz_ctx_new();
    ck_assert_str_eq(sz_ctx_error(ctx), "");
    ck_assert_int_eq(sz_ctx_status(ctx), SZ_OK);
    ck_assert_ptr_null(sz_image_new(ctx, 4, 4, 12));
    ck_assert_int_eq(sz_ctx_status(ctx), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "8 or 16"));
    sz_ctx_clear_error(ctx);
    ck_assert_str_eq(sz_ctx_error(ctx), "");
    ck_assert_int_eq(sz_ctx_set_limit(ctx, SZ_LIMIT_LAYERS, 0), SZ_ERR_ARG);
    ck_assert_int_eq(sz_ctx_set_limit(ctx, (sz_limit)99, 5), SZ_ERR_ARG);
    for (int st = SZ_OK; st <= SZ_ERR_INTERNAL; st++) ck_assert(strlen(sz_status_name((sz_status)st)) > 3);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(error_prefix_keeps_the_message)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_fail(ctx, SZ_ERR_FORMAT, "bad chunk");
    sz_error_prefix(ctx, "%s", "file.png");
    ck_assert_str_eq(sz_ctx_error(ctx), "file.png: bad chunk");
    char longname[2000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    sz_error_prefix(ctx, "%s", longname); /* truncates, never overflows */
    ck_assert(strlen(sz_ctx_error(ctx)) < 1024);
    sz_ctx_free(ctx);
}
END_TEST

/* Threads: small work runs on one, large work on all processors, and a
 * count the caller set is used whatever the size. */
START_TEST(small_work_runs_on_one_thread_unless_asked)
{
    sz_ctx *ctx = sz_ctx_new();
    int all = sz_threads(ctx);
    ck_assert_int_ge(all, 1);
    ck_assert_uint_eq(sz_ctx_set_work(ctx, 300 * 200), 0);
    ck_assert_int_eq(sz_threads(ctx), 1);
    ck_assert_uint_eq(sz_ctx_set_work(ctx, SZ_ONE_THREAD_PIXELS), 300 * 200);
    ck_assert_int_eq(sz_threads(ctx), all);
    sz_ctx_set_work(ctx, 300 * 200);
    sz_ctx_set_threads(ctx, 3);
    ck_assert_int_eq(sz_threads(ctx), 3);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(limits_refuse_before_allocating)
{
    sz_ctx *ctx = sz_ctx_new();
    ck_assert_int_eq(sz_ctx_set_limit(ctx, SZ_LIMIT_LAYER_PIXELS, 1000), SZ_OK);
    ck_assert_ptr_null(sz_image_new(ctx, 100, 100, 8));
    ck_assert_int_eq(sz_ctx_status(ctx), SZ_ERR_LIMIT);
    sz_image *ok = sz_image_new(ctx, 10, 100, 8);
    ck_assert_ptr_nonnull(ok);
    sz_image_free(ok);
    ck_assert_ptr_null(sz_image_new(ctx, -1, 5, 8));
    ck_assert_ptr_null(sz_image_new(ctx, 1 << 30, 1 << 30, 16));
    ck_assert_int_eq(sz_ctx_set_limit(ctx, SZ_LIMIT_DOC_PIXELS, 50), SZ_OK);
    ck_assert_ptr_null(sz_doc_new(ctx, 10, 10));
    ck_assert_int_eq(sz_ctx_set_limit(ctx, SZ_LIMIT_DOC_PIXELS, 5000), SZ_OK);
    sz_ctx_set_limit(ctx, SZ_LIMIT_LAYERS, 2);
    sz_doc *doc = sz_doc_new(ctx, 10, 10);
    ck_assert_ptr_nonnull(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "a"));
    ck_assert_ptr_nonnull(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "b"));
    ck_assert_ptr_null(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "c"));
    ck_assert_int_eq(sz_ctx_status(ctx), SZ_ERR_LIMIT);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(depth_conversion_is_exact_both_ways)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_image *a = tu_random_image(ctx, 64, 33, 8, 5);
    sz_image *b = sz_image_copy(ctx, a);
    ck_assert_int_eq(sz_image_set_depth(ctx, b, 16), SZ_OK);
    for (int y = 0; y < 33; y++)
        for (int x = 0; x < 64 * 4; x++) ck_assert_uint_eq(sz_row16(b, y)[x], sz_row8(a, y)[x] * 257u);
    ck_assert_int_eq(sz_image_set_depth(ctx, b, 8), SZ_OK);
    ck_assert(tu_same_pixels(a, b));
    /* 16 -> 8 rounds to nearest */
    for (unsigned v = 0; v < 65536; v++) {
        unsigned expect = (unsigned)(v / 257.0 + 0.5);
        ck_assert_uint_eq(sz_16to8(v), expect);
    }
    sz_image_free(a);
    sz_image_free(b);
    sz_ctx_free(ctx);
}
END_TEST

/* The bounds of what is visible, against a scan of every pixel: a few
 * visible pixels scattered at random (odd and even columns, the first and
 * last ones, one pixel alone), on images of odd and even widths, at both
 * depths, and none at all. */
START_TEST(alpha_bounds_match_a_full_scan)
{
    sz_ctx *ctx = sz_ctx_new();
    uint32_t rng = 77;
    for (int trial = 0; trial < 400; trial++) {
        rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
        int w = 1 + (int)(rng % 37), h = 1 + (int)(rng >> 8) % 23, depth = trial % 2 ? 16 : 8;
        sz_image *im = sz_image_new(ctx, w, h, depth);
        ck_assert_ptr_nonnull(im);
        int dots = trial % 7 == 0 ? 0 : 1 + (int)(rng >> 16) % 4;
        for (int k = 0; k < dots; k++) {
            rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
            uint16_t px[4] = {0, 0, 0, (uint16_t)(1 + rng % 65535)};
            if (depth == 8) px[3] = (uint16_t)(257 * (1 + (rng >> 16) % 255));
            sz_put16(im, (int)(rng >> 4) % w, (int)(rng >> 12) % h, px);
        }
        int ex0 = w, ey0 = h, ex1 = 0, ey1 = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (sz_alpha16(im, x, y))
                    ex0 = SZ_MIN(ex0, x), ey0 = SZ_MIN(ey0, y), ex1 = SZ_MAX(ex1, x + 1), ey1 = SZ_MAX(ey1, y + 1);
        int x0 = -1, y0 = -1, x1 = -1, y1 = -1;
        bool any = sz_image_alpha_bounds(im, &x0, &y0, &x1, &y1);
        ck_assert_int_eq(any, ex1 > 0);
        if (any) {
            ck_assert_int_eq(x0, ex0);
            ck_assert_int_eq(y0, ey0);
            ck_assert_int_eq(x1, ex1);
            ck_assert_int_eq(y1, ey1);
        }
        sz_image_free(im);
    }
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(layer_tree_operations)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 10, 10);
    sz_layer *root = sz_doc_root(doc);
    sz_layer *a = sz_layer_new(ctx, root, SZ_LAYER_PIXEL, "a");
    sz_layer *g = sz_layer_new(ctx, root, SZ_LAYER_GROUP, "g");
    sz_layer *b = sz_layer_new(ctx, g, SZ_LAYER_PIXEL, "b");
    sz_layer *c = sz_layer_new(ctx, g, SZ_LAYER_PIXEL, "c");
    ck_assert_ptr_null(sz_layer_new(ctx, a, SZ_LAYER_PIXEL, "x")); /* not a group */
    ck_assert_int_eq(sz_doc_layer_count(doc), 4);
    ck_assert_int_eq(sz_layer_index(g), 1);
    ck_assert_ptr_eq(sz_layer_parent(b), g);
    sz_layer *flat[8];
    ck_assert_int_eq(sz_doc_flatten_tree(doc, flat, 8), 4);
    ck_assert_ptr_eq(flat[0], a);
    ck_assert_ptr_eq(flat[1], b);
    ck_assert_ptr_eq(flat[2], c);
    ck_assert_ptr_eq(flat[3], g);
    ck_assert_int_eq(sz_layer_move(ctx, c, root, 0), SZ_OK);
    ck_assert_ptr_eq(sz_layer_child(root, 0), c);
    ck_assert_int_eq(sz_layer_move(ctx, g, g, 0), SZ_ERR_ARG);
    sz_layer_set_visible(g, 0);
    ck_assert(!sz_layer_effectively_visible(b));
    ck_assert(sz_layer_effectively_visible(a));
    char *path = sz_layer_path(ctx, b);
    ck_assert_str_eq(path, "g/b");
    free(path);
    sz_doc *copy = sz_doc_copy(ctx, doc);
    ck_assert_int_eq(sz_doc_layer_count(copy), 4);
    sz_layer_delete(g);
    ck_assert_int_eq(sz_doc_layer_count(doc), 2);
    ck_assert_int_eq(sz_doc_layer_count(copy), 4);
    sz_doc_free(copy);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(blend_names_roundtrip)
{
    for (int m = 0; m < SZ_BLEND_COUNT_; m++) {
        ck_assert_int_eq(sz_blend_from_name(sz_blend_name((sz_blend)m)), m);
        ck_assert_int_eq(sz_blend_from_psd_key(sz_blend_psd_key((sz_blend)m)), m);
    }
    ck_assert_int_eq(sz_blend_from_name("nope"), -1);
}
END_TEST

static sz_doc *two_layer_doc(sz_ctx *ctx, int depth)
{
    sz_doc *doc = sz_doc_new(ctx, 20, 20);
    sz_doc_set_depth(doc, depth);
    sz_layer *lo = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "lo");
    sz_layer *hi = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hi");
    sz_layer_set_image(lo, tu_random_image(ctx, 12, 12, depth, 3));
    sz_layer_set_image(hi, tu_random_image(ctx, 10, 10, depth, 4));
    sz_layer_set_offset(hi, 8, 8);
    return doc;
}

START_TEST(composite_is_exact_where_one_layer_decides)
{
    sz_ctx *ctx = sz_ctx_new();
    for (int depth = 8; depth <= 16; depth += 8) {
        sz_doc *doc = two_layer_doc(ctx, depth);
        sz_image *out = sz_doc_composite(ctx, doc);
        sz_layer *lo = sz_layer_child(sz_doc_root(doc), 0), *hi = sz_layer_child(sz_doc_root(doc), 1);
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 20; x++) {
                uint16_t o[4], p[4];
                sz_get16(out, x, y, o);
                bool in_lo = x < 12 && y < 12, in_hi = x >= 8 && y >= 8 && x < 18 && y < 18;
                if (in_hi) {
                    sz_get16(sz_layer_image(hi), x - 8, y - 8, p);
                    bool lo_clear = !in_lo || sz_alpha16(sz_layer_image(lo), x, y) == 0;
                    if (p[3] == 65535 || lo_clear) ck_assert_int_eq(memcmp(o, p, 8), 0);
                } else if (in_lo) {
                    sz_get16(sz_layer_image(lo), x, y, p);
                    ck_assert_int_eq(memcmp(o, p, 8), 0);
                } else {
                    ck_assert_uint_eq(o[3], 0);
                }
            }
        sz_image_free(out);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(composite_blending_follows_the_formulas)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 1, 1);
    sz_doc_set_depth(doc, 16);
    sz_layer *lo = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "lo");
    sz_layer *hi = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "hi");
    sz_image *a = sz_image_new(ctx, 1, 1, 16), *b = sz_image_new(ctx, 1, 1, 16);
    uint16_t pa[4] = {40000, 20000, 65535, 65535}, pb[4] = {32768, 65535, 0, 65535};
    sz_put16(a, 0, 0, pa);
    sz_put16(b, 0, 0, pb);
    sz_layer_set_image(lo, a);
    sz_layer_set_image(hi, b);
    sz_layer_set_blend(hi, SZ_BLEND_MULTIPLY);
    sz_image *out = sz_doc_composite(ctx, doc);
    uint16_t o[4];
    sz_get16(out, 0, 0, o);
    ck_assert_int_le(abs((int)o[0] - (int)(40000.0 * 32768 / 65535 + 0.5)), 1);
    ck_assert_int_le(abs((int)o[1] - 20000), 1);
    ck_assert_int_eq(o[2], 0);
    sz_image_free(out);
    /* half opacity, normal: the average */
    sz_layer_set_blend(hi, SZ_BLEND_NORMAL);
    sz_layer_set_opacity(hi, 255 / 2 + 1);
    out = sz_doc_composite(ctx, doc);
    sz_get16(out, 0, 0, o);
    ck_assert_int_le(abs((int)o[1] - (20000 + 65535) / 2), 200);
    sz_image_free(out);
    /* a hidden layer does not count */
    sz_layer_set_visible(hi, 0);
    out = sz_doc_composite(ctx, doc);
    sz_get16(out, 0, 0, o);
    ck_assert_int_eq(memcmp(o, pa, 8), 0);
    sz_image_free(out);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(clipping_layers_keep_the_base_alpha)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 2, 1);
    sz_doc_set_depth(doc, 8);
    sz_layer *base = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "base");
    sz_layer *clip = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "clip");
    sz_image *a = sz_image_new(ctx, 2, 1, 8), *b = sz_image_new(ctx, 2, 1, 8);
    uint16_t red[4] = {65535, 0, 0, 65535}, blue[4] = {0, 0, 65535, 65535};
    sz_put16(a, 0, 0, red);            /* base covers only x = 0 */
    sz_put16(b, 0, 0, blue);
    sz_put16(b, 1, 0, blue);
    sz_layer_set_image(base, a);
    sz_layer_set_image(clip, b);
    sz_layer_set_clipping(clip, 1);
    sz_image *out = sz_doc_composite(ctx, doc);
    uint16_t o[4];
    sz_get16(out, 0, 0, o);
    ck_assert_int_eq(memcmp(o, blue, 8), 0);
    sz_get16(out, 1, 0, o);
    ck_assert_uint_eq(o[3], 0);
    sz_image_free(out);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

START_TEST(registry_is_consistent)
{
    sz_ctx *ctx = sz_ctx_new();
    ck_assert_int_ge(sz_op_count(), 3);
    for (int i = 0; i < sz_op_count(); i++) {
        const sz_op *op = sz_op_at(i);
        ck_assert_ptr_eq(sz_op_find(sz_op_name(op)), op);
        ck_assert(strlen(sz_op_summary(op)) > 10);
        ck_assert(strlen(sz_op_help(op)) > 20);
        /* every default parses */
        sz_args *a = sz_args_new(ctx, op);
        ck_assert_msg(a != NULL, "%s: %s", sz_op_name(op), sz_ctx_error(ctx));
        for (int k = 0; k < sz_op_param_count(op); k++) {
            const sz_param *p = sz_op_param(op, k);
            ck_assert(strlen(p->help) > 5);
            ck_assert(!sz_args_is_set(a, p->name));
            if (p->type == SZ_PARAM_CHOICE) ck_assert_ptr_nonnull(p->choices);
        }
        sz_args_free(a);
    }
    ck_assert_ptr_null(sz_op_find("no-such-op"));
    ck_assert_ptr_null(sz_op_at(-1));
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(arguments_are_validated)
{
    sz_ctx *ctx = sz_ctx_new();
    const sz_op *bleed = sz_op_find("bleed");
    sz_args *a = sz_args_new(ctx, bleed);
    ck_assert_int_eq(sz_arg_int(a, "radius"), 4);
    ck_assert_int_eq(sz_args_set(ctx, a, "radius", "12"), SZ_OK);
    ck_assert_int_eq(sz_arg_int(a, "radius"), 12);
    ck_assert(sz_args_is_set(a, "radius"));
    ck_assert_int_eq(sz_args_set(ctx, a, "radius", "0"), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "1..512"));
    ck_assert_int_eq(sz_args_set(ctx, a, "radius", "3.5"), SZ_ERR_ARG);
    ck_assert_int_eq(sz_args_set(ctx, a, "radius", ""), SZ_ERR_ARG);
    ck_assert_int_eq(sz_args_set(ctx, a, "nope", "1"), SZ_ERR_ARG);
    ck_assert_int_eq(sz_args_set(ctx, a, "layers", "face,hair*"), SZ_OK);
    ck_assert_str_eq(sz_arg_str(a, "layers"), "face,hair*");
    sz_args_free(a);
    const sz_op *srgb = sz_op_find("to-srgb");
    a = sz_args_new(ctx, srgb);
    ck_assert_str_eq(sz_arg_str(a, "depth"), "keep");
    ck_assert_int_eq(sz_args_set(ctx, a, "depth", "12"), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "keep, 8, 16"));
    ck_assert_int_eq(sz_args_set(ctx, a, "layers", "x"), SZ_ERR_ARG); /* to-srgb takes no selection */
    sz_args_free(a);
    const sz_op *info = sz_op_find("info");
    a = sz_args_new(ctx, info);
    ck_assert(!sz_arg_bool(a, "json"));
    ck_assert_int_eq(sz_args_set(ctx, a, "json", NULL), SZ_OK);
    ck_assert(sz_arg_bool(a, "json"));
    ck_assert_int_eq(sz_args_set(ctx, a, "json", "false"), SZ_OK);
    ck_assert(!sz_arg_bool(a, "json"));
    ck_assert_int_eq(sz_args_set(ctx, a, "json", "maybe"), SZ_ERR_ARG);
    sz_args_free(a);
    sz_ctx_free(ctx);
}
END_TEST

static const char *names_of(sz_layer **v, int n, char *buf, size_t cap)
{
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(buf, sz_layer_name(v[i]), cap - strlen(buf) - 1);
        if (i + 1 < n) strncat(buf, " ", cap - strlen(buf) - 1);
    }
    return buf;
}

START_TEST(layer_selection)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 10, 10);
    sz_layer *root = sz_doc_root(doc);
    sz_layer_new(ctx, root, SZ_LAYER_PIXEL, "body");
    sz_layer *head = sz_layer_new(ctx, root, SZ_LAYER_GROUP, "Head");
    sz_layer_new(ctx, head, SZ_LAYER_PIXEL, "face");
    sz_layer_new(ctx, head, SZ_LAYER_PIXEL, "hair back");
    sz_layer_new(ctx, head, SZ_LAYER_PIXEL, "hair front");
    sz_layer_new(ctx, root, SZ_LAYER_PIXEL, "3");
    static const struct { const char *spec, *expect; } cases[] = {
        {NULL, "body face hair back hair front 3"},
        {"face", "face"},
        {"hair*", "hair back hair front"},
        {"Head", "face hair back hair front"},
        {"Head/f*", "face"},
        {"0,2", "body hair back"},
        {"1-3", "face hair back hair front"},
        {"=3", "3"},
        {"!hair*", "body face 3"},
        {"Head,!hair front", "face hair back"},
        {"*", "body face hair back hair front 3"},
    };
    char buf[256];
    for (size_t i = 0; i < SZ_COUNTOF(cases); i++) {
        sz_layer **v;
        int n;
        ck_assert_msg(sz_select_layers_spec(ctx, doc, cases[i].spec, &v, &n) == SZ_OK, "%s: %s", cases[i].spec,
                      sz_ctx_error(ctx));
        ck_assert_str_eq(names_of(v, n, buf, sizeof buf), cases[i].expect);
        free(v);
    }
    sz_layer **v;
    int n;
    ck_assert_int_eq(sz_select_layers_spec(ctx, doc, "nothing", &v, &n), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "nothing"));
    ck_assert_int_eq(sz_select_layers_spec(ctx, doc, "9", &v, &n), SZ_ERR_ARG);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

/* A new temporary folder in dir (from a mkdtemp template) holding one
 * file, `name`, that says "precious"; its path into path. */
static void precious_file(char *dir, const char *name, char *path, size_t size)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("precious", f);
    fclose(f);
}

/* That `path` still says "precious" and `dir` holds `entries` names (no
 * temporary file was left beside it). */
static void assert_still_precious(const char *path, const char *dir, int entries)
{
    size_t len;
    uint8_t *d = tu_read_file(path, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(memcmp(d, "precious", 8), 0);
    free(d);
    char **names;
    ck_assert_int_eq(tu_list(dir, NULL, &names), entries);
    tu_free_list(names, entries);
}

START_TEST(atomic_write_replaces_only_on_success)
{
    sz_ctx *ctx = sz_ctx_new();
    char dir[] = "/tmp/sozai-test-XXXXXX", path[256];
    precious_file(dir, "out.png", path, sizeof path);
    sz_doc *doc = two_layer_doc(ctx, 8);
    /* A failing encode (bad depth) leaves the old file and no temporaries. */
    sz_write_options bad = {.depth = 12};
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, path, SZ_FORMAT_UNKNOWN, &bad), SZ_ERR_ARG);
    assert_still_precious(path, dir, 1);
    /* Unknown extension: refused, nothing written. */
    char other[256];
    snprintf(other, sizeof other, "%s/out.xyz", dir);
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, other, SZ_FORMAT_UNKNOWN, NULL), SZ_ERR_ARG);
    ck_assert_int_ne(access(other, F_OK), 0);
    /* A directory that does not exist: clean I/O error. */
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, "/nonexistent-dir/x.png", SZ_FORMAT_UNKNOWN, NULL), SZ_ERR_IO);
    /* Success replaces. */
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, path, SZ_FORMAT_UNKNOWN, NULL), SZ_OK);
    size_t len;
    uint8_t *d = tu_read_file(path, &len);
    ck_assert_int_eq(memcmp(d, "\x89PNG", 4), 0);
    free(d);
    char **names;
    ck_assert_int_eq(tu_list(dir, NULL, &names), 1);
    tu_free_list(names, 1);
    unlink(path);
    rmdir(dir);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(kept_file_is_never_replaced)
{
    sz_ctx *ctx = sz_ctx_new();
    char dir[] = "/tmp/sozai-test-XXXXXX", path[256], link[256];
    precious_file(dir, "in.png", path, sizeof path);
    snprintf(link, sizeof link, "%s/link.png", dir);
    ck_assert_int_eq(symlink("in.png", link), 0);
    ck_assert_int_eq(sz_ctx_keep_file(ctx, path), SZ_OK);
    ck_assert_int_eq(sz_ctx_keep_file(ctx, "-"), SZ_OK);            /* ignored */
    ck_assert_int_eq(sz_ctx_keep_file(ctx, "/nonexistent"), SZ_OK); /* ignored */
    sz_doc *doc = two_layer_doc(ctx, 8);
    /* by its name and through a link: refused, the file as it was */
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, path, SZ_FORMAT_UNKNOWN, NULL), SZ_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "is an input"));
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, link, SZ_FORMAT_UNKNOWN, NULL), SZ_ERR_ARG);
    assert_still_precious(path, dir, 2); /* (the file and the link) */
    /* another file is written as ever, and a new context keeps nothing */
    char other[256];
    snprintf(other, sizeof other, "%s/out.png", dir);
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, other, SZ_FORMAT_UNKNOWN, NULL), SZ_OK);
    sz_ctx *fresh = sz_ctx_new();
    ck_assert_int_eq(sz_doc_write_file(fresh, doc, link, SZ_FORMAT_UNKNOWN, NULL), SZ_OK);
    ck_assert_int_eq(readlink(link, other, sizeof other), 6); /* still the link, to in.png */
    size_t len;
    uint8_t *d = tu_read_file(path, &len);
    ck_assert_int_eq(memcmp(d, "\x89PNG", 4), 0);
    free(d);
    sz_ctx_free(fresh);
    snprintf(other, sizeof other, "%s/out.png", dir);
    unlink(other), unlink(link), unlink(path);
    rmdir(dir);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(pam_roundtrip_and_sniffing)
{
    sz_ctx *ctx = sz_ctx_new();
    for (int depth = 8; depth <= 16; depth += 8) {
        sz_doc *doc = sz_doc_new(ctx, 13, 7);
        sz_doc_set_depth(doc, depth);
        sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
        sz_layer_set_image(l, tu_random_image(ctx, 13, 7, depth, 11));
        uint8_t *data;
        size_t len;
        ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_PAM, NULL, &data, &len), SZ_OK);
        ck_assert_int_eq(sz_format_sniff(data, len), SZ_FORMAT_PAM);
        sz_doc *back;
        ck_assert_int_eq(sz_doc_read_memory(ctx, data, len, &back), SZ_OK);
        ck_assert(tu_same_pixels(tu_doc_image(doc), tu_doc_image(back)));
        /* every truncation fails cleanly */
        for (size_t cut = 0; cut < len; cut += 5) {
            sz_doc *t = NULL;
            ck_assert_int_ne(sz_doc_read_memory(ctx, data, cut, &t), SZ_OK);
            ck_assert_ptr_null(t);
        }
        free(data);
        sz_doc_free(back);
        sz_doc_free(doc);
    }
    ck_assert_int_eq(sz_format_sniff("8BPS", 4), SZ_FORMAT_PSD);
    ck_assert_int_eq(sz_format_sniff("MM\0*", 4), SZ_FORMAT_TIFF);
    ck_assert_int_eq(sz_format_sniff("GIF8", 4), SZ_FORMAT_UNKNOWN);
    ck_assert_int_eq(sz_format_from_name("a/b.Tiff"), SZ_FORMAT_TIFF);
    ck_assert_int_eq(sz_format_from_name("a.d/b"), SZ_FORMAT_UNKNOWN);
    sz_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, errors_are_reported_through_the_context);
    tcase_add_test(tc, error_prefix_keeps_the_message);
    tcase_add_test(tc, limits_refuse_before_allocating);
    tcase_add_test(tc, depth_conversion_is_exact_both_ways);
    tcase_add_test(tc, alpha_bounds_match_a_full_scan);
    tcase_add_test(tc, layer_tree_operations);
    tcase_add_test(tc, blend_names_roundtrip);
    tcase_add_test(tc, composite_is_exact_where_one_layer_decides);
    tcase_add_test(tc, composite_blending_follows_the_formulas);
    tcase_add_test(tc, clipping_layers_keep_the_base_alpha);
    tcase_add_test(tc, registry_is_consistent);
    tcase_add_test(tc, arguments_are_validated);
    tcase_add_test(tc, layer_selection);
    tcase_add_test(tc, atomic_write_replaces_only_on_success);
    tcase_add_test(tc, kept_file_is_never_replaced);
    tcase_add_test(tc, pam_roundtrip_and_sniffing);
    tcase_add_test(tc, small_work_runs_on_one_thread_unless_asked);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
