/*
 * test_psd — PSD/PSB reading against the psd-tools and ag-psd fixtures,
 * round trips that must keep everything, and malformed input.
 */
#include "testutil.h"
#include "color.h"
#include "psd.h"

#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Fixtures psd-tools reads (its TSV verdict "OK"), as paths. */
static int ok_fixtures(char ***out)
{
    size_t len;
    char *tsv = (char *)tu_read_file(tu_data_path("PSD-CHECK-psd-tools-1.9.24.tsv"), &len);
    int n = 0, cap = 512;
    char **v = malloc((size_t)cap * sizeof *v);
    for (char *save = NULL, *line = tsv ? strtok_r(tsv, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        if (!tab || strncmp(tab + 1, "OK", 2) || strncmp(line, "psd/", 4)) continue;
        *tab = '\0';
        if (n == cap) v = realloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[n++] = strdup(tu_data_path(line));
    }
    free(tsv);
    *out = v;
    return n;
}

static sz_doc *read_or_fail(sz_ctx *ctx, const char *path)
{
    sz_doc *doc = NULL;
    sz_status st = sz_doc_read_file(ctx, path, &doc);
    ck_assert_msg(st == SZ_OK, "%s", sz_ctx_error(ctx));
    return doc;
}

static sz_doc *roundtrip(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *o)
{
    uint8_t *data;
    size_t len;
    ck_assert_msg(sz_doc_write_memory(ctx, doc, SZ_FORMAT_PSD, o, &data, &len) == SZ_OK, "%s", sz_ctx_error(ctx));
    sz_doc *back = NULL;
    ck_assert_msg(sz_doc_read_memory(ctx, data, len, &back) == SZ_OK, "re-reading: %s", sz_ctx_error(ctx));
    free(data);
    return back;
}

/* Byte equality that also accepts NULL for an empty range. */
static bool same_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

static bool same_blob_list(const sz_blob_list *a, const sz_blob_list *b)
{
    if (a->count != b->count) return false;
    for (int i = 0; i < a->count; i++) {
        const sz_blob *x = &a->items[i], *y = &b->items[i];
        if (memcmp(x->key, y->key, 4) || x->id != y->id || !same_bytes(x->data, x->len, y->data, y->len))
            return false;
    }
    return true;
}

static bool same_mask(const sz_mask *a, const sz_mask *b)
{
    if (!a || !b) return a == b;
    size_t n = (size_t)a->w * (size_t)a->h * (size_t)(a->depth / 8);
    return a->id == b->id && a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h && a->depth == b->depth &&
           a->default_color == b->default_color && a->flags == b->flags &&
           same_bytes(a->extra.data, a->extra.len, b->extra.data, b->extra.len) && same_bytes(a->data, n, b->data, n);
}

/* Everything a round trip must keep, layer by layer; NULL when equal. */
static const char *doc_difference(sz_doc *a, sz_doc *b, char *why, size_t cap)
{
    sz_layer *la[4096], *lb[4096];
    int na = sz_doc_flatten_tree(a, la, 4096), nb = sz_doc_flatten_tree(b, lb, 4096);
    if (a->w != b->w || a->h != b->h) return "canvas";
    if (na != nb) return "layer count";
    if (!same_bytes(a->icc, a->icc_len, b->icc, b->icc_len)) return "ICC profile";
    if (!same_blob_list(&a->resources, &b->resources)) return "image resources";
    if (!same_blob_list(&a->global_blocks, &b->global_blocks)) return "global blocks";
    if (a->global_mask.len != b->global_mask.len) return "global mask";
    if (fabs(a->ppi - b->ppi) > 0.01) return "resolution";
    for (int i = 0; i < na; i++) {
        sz_layer *x = la[i], *y = lb[i];
        const char *what = NULL;
        if (x->kind != y->kind) what = "kind";
        else if (strcmp(x->name, y->name)) what = "name";
        else if ((x->legacy_name == NULL) != (y->legacy_name == NULL)) what = "legacy name";
        else if (x->opacity != y->opacity || x->fill_opacity != y->fill_opacity) what = "opacity";
        else if (x->visible != y->visible || x->clipping != y->clipping) what = "visibility or clipping";
        else if (x->blend != y->blend) what = "blend mode";
        else if (x->kind == SZ_LAYER_GROUP && x->open != y->open) what = "group state";
        else if (x->id != y->id || x->psd_flags != y->psd_flags) what = "id or flags";
        else if (!same_blob_list(&x->extra, &y->extra)) what = "tagged blocks";
        else if (!same_bytes(x->blend_ranges.data, x->blend_ranges.len, y->blend_ranges.data, y->blend_ranges.len))
            what = "blending ranges";
        else if (!same_mask(x->mask, y->mask)) what = "mask";
        else if (x->nchannels != y->nchannels) what = "extra channels";
        else if (x->kind == SZ_LAYER_PIXEL && (x->x != y->x || x->y != y->y) && x->image) what = "offset";
        else if ((x->image == NULL) != (y->image == NULL) || (x->image && !tu_same_pixels(x->image, y->image)))
            what = "pixels";
        for (int k = 0; !what && k < x->nchannels; k++)
            if (!same_mask(x->channels[k], y->channels[k])) what = "extra channel data";
        if (what) {
            snprintf(why, cap, "layer %d \"%s\": %s", i, x->name, what);
            return why;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */

/* PackBits as the byte-by-byte textbook encoder writes it: a repeat of 3
 * to 128 bytes as (257 - count, value), anything else as literals of up to
 * 128 that end where a repeat of three begins. */
static size_t packbits_by_bytes(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && run < 128 && in[i + run] == in[i]) run++;
        if (run >= 3) {
            out[o++] = (uint8_t)(257 - run);
            out[o++] = in[i];
            i += run;
            continue;
        }
        size_t start = i, lit = 0;
        while (i < n && lit < 128) {
            if (i + 2 < n && in[i] == in[i + 1] && in[i] == in[i + 2]) break;
            i++, lit++;
        }
        out[o++] = (uint8_t)(lit - 1);
        memcpy(out + o, in + start, lit);
        o += lit;
    }
    return o;
}

/* The encoder looks eight bytes at a time and must write what the byte
 * loop writes: rows of runs of every length from a few values (so that
 * pairs, triples and repeats cut at 128 and at the row's end all occur),
 * at lengths around the word and the 128-byte limits. */
START_TEST(packbits_writes_what_the_byte_loop_writes)
{
    static const size_t lengths[] = {0, 1, 2, 3, 7, 8, 9, 10, 11, 16, 17, 127, 128, 129, 130, 131, 255, 256, 257, 1000};
    uint8_t in[1000], a[1000 + 1000 / 128 + 2], b[sizeof a];
    uint32_t seed = 12345;
    int rows = 0;
    for (int round = 0; round < 400; round++)
        for (size_t li = 0; li < SZ_COUNTOF(lengths); li++) {
            size_t n = lengths[li];
            int values = 1 + round % 4, longest = 1 + (round * 7) % 300;
            for (size_t i = 0; i < n;) {
                seed = seed * 1664525u + 1013904223u;
                size_t run = 1 + (seed >> 8) % (uint32_t)longest;
                uint8_t v = (uint8_t)((seed >> 20) % (uint32_t)values * 85);
                for (size_t k = 0; k < run && i < n; k++) in[i++] = v;
            }
            size_t la = psd_packbits(in, n, a), lb = packbits_by_bytes(in, n, b);
            ck_assert_msg(la == lb && !memcmp(a, b, la), "row %d of %zu bytes: %zu bytes against %zu", rows, n, la, lb);
            rows++;
        }
}
END_TEST

START_TEST(psd_tools_fixtures_read)
{
    TU_SKIP_WITHOUT_DATA();
    char **files;
    int n = ok_fixtures(&files), read = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        sz_doc *doc = NULL;
        sz_status st = sz_doc_read_file(ctx, files[i], &doc);
        ck_assert_msg(st == SZ_OK, "%s", sz_ctx_error(ctx));
        ck_assert_int_ge(sz_doc_layer_count(doc), 1);
        sz_doc_free(doc);
        read++;
    }
    printf("PSD fixtures psd-tools reads, read by sozai: %d of %d\n", read, n);
    ck_assert_int_ge(n, 300);
    tu_free_list(files, n);
    sz_ctx_free(ctx);
}
END_TEST

/* ag-psd's expected layer-N.png: N counts pixel layers from the bottom. */
START_TEST(ag_psd_layer_pixels_match)
{
    TU_SKIP_WITHOUT_DATA();
    char root[4096];
    snprintf(root, sizeof root, "%s", tu_data_path("psd/ag-psd/read"));
    char **cases;
    int ncases = tu_list(root, NULL, &cases); /* files only: none at this level */
    tu_free_list(cases, ncases);
    /* list the case folders */
    static const char *names[] = {"16bits", "2026-blend-modes", "32bits", "adjustment-layers", "alias",
                                  "alpha-composite", "background", "blend-mode", "cat", "effects",
                                  "fill-opacity", "grayscale", "grayscale-alpha", "groups", "lantern",
                                  "layer-larger-than-drawing", "layer-mask", "layer-offsets-read", "layers",
                                  "nested", "psb", "rle-fail", "sai", "section-2", "smart-object-png",
                                  "text-layer", "vector-layer"};
    sz_ctx *ctx = sz_ctx_new();
    sz_linear_init();
    int compared = 0;
    for (size_t c = 0; c < SZ_COUNTOF(names); c++) {
        char dir[8192], src[8192];
        snprintf(dir, sizeof dir, "%s/%s", root, names[c]);
        snprintf(src, sizeof src, "%s/src.psd", dir);
        FILE *f = fopen(src, "rb");
        if (!f) snprintf(src, sizeof src, "%s/src.psb", dir);
        else fclose(f);
        sz_doc *doc = read_or_fail(ctx, src);
        sz_layer *pix[512];
        int np = 0, nall = sz_doc_flatten_tree(doc, pix, 512);
        for (int i = 0; i < nall; i++)
            if (pix[i]->kind == SZ_LAYER_PIXEL) pix[np++] = pix[i];
        bool float_doc = doc->source_depth == 32;
        for (int i = 0; i < np; i++) {
            char exp[8192];
            snprintf(exp, sizeof exp, "%s/layer-%d.png", dir, i);
            if (!(f = fopen(exp, "rb"))) continue;
            fclose(f);
            sz_image *want;
            ck_assert_int_eq(sz_image_read_file(ctx, exp, &want), SZ_OK);
            sz_image *got = sz_layer_image(pix[i]);
            ck_assert_msg(got && got->w == want->w && got->h == want->h, "%s layer %d: size", names[c], i);
            for (int y = 0; y < got->h; y++)
                for (int x = 0; x < got->w; x++) {
                    uint16_t p[4], q[4];
                    sz_get16(got, x, y, p);
                    sz_get16(want, x, y, q);
                    ck_assert_msg(sz_16to8(p[3]) == sz_16to8(q[3]), "%s layer %d (%d,%d): alpha", names[c], i, x, y);
                    for (int k = 0; k < 3; k++) {
                        double a = q[3] / 65535.0, diff;
                        if (float_doc) /* ag-psd encodes linear floats with gamma 2.2, sozai with sRGB */
                            diff = fabs(sz_srgb16_to_linear(p[k]) - pow(q[k] / 65535.0, 2.2)) * a * 255;
                        else /* ag-psd's PNGs went through a premultiplied canvas */
                            diff = abs((int)sz_16to8(p[k]) - (int)sz_16to8(q[k])) * a;
                        ck_assert_msg(diff <= (float_doc ? 3.0 : 1.5), "%s layer %d (%d,%d): colour off by %.2f",
                                      names[c], i, x, y, diff);
                    }
                }
            sz_image_free(want);
            compared++;
        }
        sz_doc_free(doc);
    }
    printf("ag-psd layers matching their expected pixels: %d\n", compared);
    ck_assert_int_eq(compared, 89);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(ag_psd_mask_matches)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = read_or_fail(ctx, tu_data_path("psd/ag-psd/read/layer-mask/src.psd"));
    sz_layer *l = sz_layer_child(sz_doc_root(doc), 0);
    ck_assert_ptr_nonnull(l->mask);
    ck_assert_int_eq(l->mask->x, 12);
    ck_assert_int_eq(l->mask->y, 7);
    ck_assert_int_eq(l->mask->w, 177);
    ck_assert_int_eq(l->mask->h, 165);
    ck_assert_int_eq(l->mask->default_color, 0);
    sz_image *want;
    ck_assert_int_eq(sz_image_read_file(ctx, tu_data_path("psd/ag-psd/read/layer-mask/layer-0-mask.png"), &want), SZ_OK);
    for (int y = 0; y < want->h; y++)
        for (int x = 0; x < want->w; x++) {
            uint16_t q[4];
            sz_get16(want, x, y, q);
            ck_assert_uint_eq(l->mask->data[(size_t)y * (size_t)l->mask->w + (size_t)x], sz_16to8(q[0]));
        }
    sz_image_free(want);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* Every 8/16-bit RGB fixture survives read -> write -> read with nothing
 * lost: tree, attributes, pixels, masks, extra channels, blocks, resources. */
START_TEST(roundtrip_keeps_everything)
{
    TU_SKIP_WITHOUT_DATA();
    char **files;
    int n = ok_fixtures(&files), done = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        sz_doc *doc = read_or_fail(ctx, files[i]);
        if (doc->source_mode != SZ_MODE_RGB || (doc->source_depth != 8 && doc->source_depth != 16)) {
            sz_doc_free(doc);
            continue;
        }
        static const sz_write_options variants[] = {{0}, {.compression = 2}, {.force_psb = 1}};
        for (size_t v = 0; v < SZ_COUNTOF(variants); v++) {
            sz_doc *back = roundtrip(ctx, doc, &variants[v]);
            char why[256];
            const char *d = doc_difference(doc, back, why, sizeof why);
            ck_assert_msg(d == NULL, "%s (variant %zu): %s", files[i], v, d);
            sz_doc_free(back);
        }
        sz_doc_free(doc);
        done++;
    }
    printf("PSD round trips keeping everything (RLE, ZIP, PSB): %d fixtures\n", done);
    ck_assert_int_ge(done, 250);
    tu_free_list(files, n);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(depth_and_modes_on_write)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    /* 8 -> 16 -> 8 is lossless */
    sz_doc *doc = read_or_fail(ctx, tu_data_path("psd/psd-tools/layers/group.psd"));
    sz_doc *wide = roundtrip(ctx, doc, &(sz_write_options){.depth = 16});
    ck_assert_int_eq(sz_doc_depth(wide), 16);
    sz_doc *narrow = roundtrip(ctx, wide, &(sz_write_options){.depth = 8});
    char why[256];
    sz_layer *la[64], *lb[64];
    int na = sz_doc_flatten_tree(doc, la, 64);
    ck_assert_int_eq(na, sz_doc_flatten_tree(narrow, lb, 64));
    for (int i = 0; i < na; i++)
        if (la[i]->image) ck_assert(tu_same_pixels(la[i]->image, lb[i]->image));
    (void)why;
    sz_doc_free(narrow);
    sz_doc_free(wide);
    sz_doc_free(doc);
    /* CMYK and Lab come back as RGB documents tagged sRGB */
    static const char *converted[] = {"psd/psd-tools/colormodes/4x4_8bit_cmyk.psd", "psd/psd-tools/colormodes/4x4_8bit_lab.psd",
                                      "psd/psd-tools/colormodes/4x4_8bit_index_color.psd",
                                      "psd/psd-tools/colormodes/4x4_1bit_bitmap.psd"};
    for (size_t i = 0; i < SZ_COUNTOF(converted); i++) {
        doc = read_or_fail(ctx, tu_data_path(converted[i]));
        sz_doc *back = roundtrip(ctx, doc, NULL);
        ck_assert_ptr_nonnull(strstr(sz_doc_color_description(back), "sRGB"));
        sz_layer *x[8], *y[8];
        int k = sz_doc_flatten_tree(doc, x, 8);
        ck_assert_int_eq(k, sz_doc_flatten_tree(back, y, 8));
        for (int j = 0; j < k; j++)
            if (x[j]->image) ck_assert(tu_same_pixels(x[j]->image, y[j]->image));
        sz_doc_free(back);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed input                                                     */
/* ------------------------------------------------------------------ */

START_TEST(malformed_pillow_files_fail_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *bad[] = {"combined_larger_than_size.psd", "psd-oob-write-overflow.psd", "psd-oob-write.psd",
                                "timeout-1ee28a249896e05b83840ae8140622de8e648ba9.psd",
                                "timeout-598843abc37fc080ec36a2699ebbd44f795d3a6f.psd",
                                "timeout-c8efc3fded6426986ba867a399791bae544f59bc.psd",
                                "timeout-dedc7a4ebd856d79b4359bbcc79e8ef231ce38f6.psd", "psd-oob-write-y.psd"};
    static const char *edge[] = {"psd-oob-write-x.psd", "negative_layer_count.psd", "negative_top_left_layer.psd",
                                 "five_channels.psd", "hopper.psd", "hopper_merged.psd", "rgba.psd"};
    sz_ctx *ctx = sz_ctx_new();
    for (size_t i = 0; i < SZ_COUNTOF(bad); i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", tu_data_path("misc/pillow-tests"), bad[i]);
        sz_doc *doc = NULL;
        sz_status st = sz_doc_read_file(ctx, path, &doc);
        ck_assert_msg(st == SZ_ERR_FORMAT || st == SZ_ERR_UNSUPPORTED || st == SZ_ERR_LIMIT, "%s: %d", bad[i], st);
        ck_assert_ptr_null(doc);
        ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), bad[i]));
    }
    for (size_t i = 0; i < SZ_COUNTOF(edge); i++) { /* valid, if unusual */
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", tu_data_path("misc/pillow-tests"), edge[i]);
        sz_doc *doc = read_or_fail(ctx, path);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* Every truncation, and many single-bit flips, of a few fixtures: the
 * reader returns (any verdict), never crashes; a failure leaves no doc. */
START_TEST(truncated_and_bitflipped_fixtures)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *files[] = {"psd/psd-tools/layers/group.psd", "psd/psd-tools/16bit5x5.psb",
                                  "psd/psd-tools/layer_mask_data.psd", "psd/psd-tools/32bit5x5.psd",
                                  "psd/ag-psd/read/layer-mask/src.psd"};
    sz_ctx *ctx = sz_ctx_new();
    uint32_t seed = 12345;
    int runs = 0, rejected = 0;
    for (size_t i = 0; i < SZ_COUNTOF(files); i++) {
        size_t len;
        uint8_t *d = tu_read_file(tu_data_path(files[i]), &len);
        ck_assert_ptr_nonnull(d);
        size_t step = len / 600 + 1;
        for (size_t cut = 0; cut < len; cut += step) {
            sz_doc *doc = NULL;
            sz_status st = sz_doc_read_memory(ctx, d, cut, &doc);
            if (st) {
                ck_assert_ptr_null(doc);
                rejected++;
            }
            sz_doc_free(doc);
            runs++;
        }
        uint8_t *flip = malloc(len);
        for (int k = 0; k < 400; k++) {
            memcpy(flip, d, len);
            for (int b = 0; b < 3; b++) {
                seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
                size_t at = seed % (len < 4096 ? len : 4096); /* headers and records live up front */
                flip[at] ^= (uint8_t)(1u << (seed >> 29));
            }
            sz_doc *doc = NULL;
            sz_status st = sz_doc_read_memory(ctx, flip, len, &doc);
            if (st) {
                ck_assert_ptr_null(doc);
                rejected++;
            }
            sz_doc_free(doc);
            runs++;
        }
        free(flip);
        free(d);
    }
    printf("truncated and bit-flipped PSD inputs: %d runs, %d rejected cleanly, none crashed\n", runs, rejected);
    ck_assert_int_gt(rejected, runs / 3);
    sz_ctx_free(ctx);
}
END_TEST

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

/* A PSD as sozai writes it of a 10x10 canvas with one 4x4 layer at the
 * origin (the caller frees *data). */
static void small_psd(sz_ctx *ctx, uint8_t **data, size_t *len)
{
    sz_doc *small = sz_doc_new(ctx, 10, 10);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(small), SZ_LAYER_PIXEL, "x");
    sz_layer_set_image(l, tu_random_image(ctx, 4, 4, 8, 1));
    ck_assert_int_eq(sz_doc_write_memory(ctx, small, SZ_FORMAT_PSD, NULL, data, len), SZ_OK);
    sz_doc_free(small);
}

/* Where the rectangle (top, left, bottom, right) of the only layer record
 * of a PSD that sozai wrote of a 4x4 layer at the origin starts: after the
 * layer count (1). */
static size_t record_rect(const uint8_t *data, size_t len)
{
    for (size_t i = 26; i + 20 < len; i++)
        if (data[i] == 0 && data[i + 1] == 1 && data[i + 2] == 0 && data[i + 6] == 0 && data[i + 10] == 0 &&
            data[i + 13] == 4 && data[i + 17] == 4)
            return i + 2;
    ck_abort_msg("no layer record found");
    return 0;
}

START_TEST(a_huge_header_in_a_few_bytes)
{
    uint8_t f[64] = "8BPS";
    f[5] = 2;                 /* PSB */
    f[13] = 3;                /* channels */
    put32(f + 14, 300000);    /* height */
    put32(f + 18, 300000);    /* width */
    f[23] = 8, f[25] = 3;     /* 8-bit RGB; then empty sections */
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    ck_assert_int_eq(sz_doc_read_memory(ctx, f, sizeof f, &doc), SZ_ERR_LIMIT);
    /* with every limit lifted it still cannot make us allocate: the data is not there */
    sz_ctx_set_limit(ctx, SZ_LIMIT_DOC_PIXELS, UINT64_MAX);
    sz_ctx_set_limit(ctx, SZ_LIMIT_LAYER_PIXELS, UINT64_MAX);
    sz_ctx_set_limit(ctx, SZ_LIMIT_MEMORY, UINT64_MAX);
    ck_assert_int_eq(sz_doc_read_memory(ctx, f, sizeof f, &doc), SZ_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "more pixels than"));
    /* a layer record claiming 300000 x 300000 with two bytes of data */
    uint8_t *data;
    size_t len;
    small_psd(ctx, &data, &len);
    size_t rect = record_rect(data, len);
    put32(data + rect + 8, 300000), put32(data + rect + 12, 300000);
    ck_assert_int_ne(sz_doc_read_memory(ctx, data, len, &doc), SZ_OK);
    free(data);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(nan_samples_in_a_float_document_read_as_zero)
{
    /* A 32-bit RGB document whose merged image (2x2, colour and alpha)
     * holds only NaN, as a damaged file may: found by the fuzzer, a NaN
     * sample was clamped and converted to an integer, which C leaves
     * undefined (UBSan stops there).  It reads, with NaN taken as 0. */
    enum { SIDE = 2, CHANNELS = 4 };
    uint8_t f[26 + 12 + 2 + CHANNELS * SIDE * SIDE * 4];
    memset(f, 0, sizeof f);
    memcpy(f, "8BPS", 4);
    f[5] = 1;                          /* PSD */
    f[13] = CHANNELS;                  /* RGB and alpha */
    put32(f + 14, SIDE), put32(f + 18, SIDE);
    f[23] = 32, f[25] = 3;             /* 32-bit RGB; three empty sections, raw data */
    memset(f + 26 + 12 + 2, 0xff, CHANNELS * SIDE * SIDE * 4); /* 0xffffffff is a NaN */
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    ck_assert_msg(sz_doc_read_memory(ctx, f, sizeof f, &doc) == SZ_OK, "%s", sz_ctx_error(ctx));
    sz_image *merged = sz_doc_composite(ctx, doc);
    ck_assert_ptr_nonnull(merged);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            uint16_t px[4];
            sz_get16(merged, x, y, px);
            ck_assert(px[0] == 0 && px[1] == 0 && px[2] == 0);
        }
    sz_image_free(merged);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* An extra channel kept from a file covers its layer's rectangle (a PSD
 * gives it no other); when an operation grows the layer, the channel is
 * written over the new rectangle, where it was on the canvas, and the
 * file reads back.  (It was written at its old size, and sozai could not
 * read its own output: found by round-tripping mutated files.) */
START_TEST(extra_channel_follows_a_grown_layer)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 10, 10);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
    sz_layer_set_image(l, tu_random_image(ctx, 4, 4, 8, 1));
    sz_layer_set_offset(l, 3, 3);
    /* a channel of id 5, and one of the user mask's id in a file whose
     * record had no mask (a reader gives it the layer's rectangle too) */
    static const int16_t ids[] = {5, -2};
    l->channels = malloc(2 * sizeof *l->channels);
    for (int k = 0; k < 2; k++) {
        sz_mask *m = calloc(1, sizeof *m);
        m->id = ids[k], m->x = 3, m->y = 3, m->w = 4, m->h = 4, m->depth = 8;
        m->data = malloc(16);
        for (int i = 0; i < 16; i++) m->data[i] = (uint8_t)(10 * k + 10 + i);
        l->channels[l->nchannels++] = m;
    }
    /* what bleed does: the layer grows a pixel on every side */
    sz_layer_set_image(l, tu_random_image(ctx, 6, 6, 8, 2));
    sz_layer_set_offset(l, 2, 2);
    sz_doc *back = roundtrip(ctx, doc, NULL);
    sz_layer *b = sz_layer_child(sz_doc_root(back), 0);
    ck_assert_int_eq(b->nchannels, 2);
    for (int k = 0; k < 2; k++) {
        const sz_mask *c = b->channels[k];
        ck_assert_int_eq(c->id, ids[k]);
        ck_assert_int_eq(c->x, 2);
        ck_assert_int_eq(c->y, 2);
        ck_assert_int_eq(c->w, 6);
        ck_assert_int_eq(c->h, 6);
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++) {
                bool inside = x >= 1 && x < 5 && y >= 1 && y < 5;
                unsigned want = inside ? 10u * (unsigned)k + 10u + (unsigned)((y - 1) * 4 + x - 1) : 0u;
                ck_assert_uint_eq(c->data[y * 6 + x], want);
            }
    }
    sz_doc_free(back);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* A global layer mask info longer than what is left of its section is
 * refused with a message (it once sent a NULL to memcmp on the way to the
 * tagged blocks after it). */
START_TEST(a_global_mask_past_its_section_is_refused)
{
    sz_ctx *ctx = sz_ctx_new();
    uint8_t *data;
    size_t len;
    small_psd(ctx, &data, &len);
    size_t at = 26;                      /* the header */
    at += 4 + get32(data + at);          /* colour mode data */
    at += 4 + get32(data + at);          /* image resources */
    size_t section = get32(data + at);   /* the layer and mask information */
    size_t layers = get32(data + at + 4);
    size_t mask = at + 8 + layers;       /* the global layer mask's length */
    ck_assert_uint_lt(mask + 4, at + 4 + section + 1);
    static const uint32_t lengths[] = {0xffffffffu, 0x7fffffffu, 1000};
    for (size_t k = 0; k < SZ_COUNTOF(lengths); k++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, data, len);
        put32(bad + mask, lengths[k]);
        sz_doc *doc = NULL;
        ck_assert_int_eq(sz_doc_read_memory(ctx, bad, len, &doc), SZ_ERR_FORMAT);
        ck_assert_ptr_null(doc);
        ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "global layer mask"));
        free(bad);
    }
    sz_doc *doc = NULL;
    ck_assert_int_eq(sz_doc_read_memory(ctx, data, len, &doc), SZ_OK);
    sz_doc_free(doc);
    free(data);
    sz_ctx_free(ctx);
}
END_TEST

/* A damaged record can claim any 32-bit coordinates: a rectangle whose
 * width would overflow an int (left at -2^31) is refused with a message,
 * as is one merely far out of any canvas. */
START_TEST(a_rectangle_out_of_range_is_refused)
{
    sz_ctx *ctx = sz_ctx_new();
    uint8_t *data;
    size_t len;
    small_psd(ctx, &data, &len);
    size_t rect = record_rect(data, len);
    static const uint32_t lefts[] = {0x80000000u, 0x40000000u, 0xc0000000u};
    for (size_t k = 0; k < SZ_COUNTOF(lefts); k++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, data, len);
        put32(bad + rect + 4, lefts[k]);
        sz_doc *doc = NULL;
        ck_assert_int_eq(sz_doc_read_memory(ctx, bad, len, &doc), SZ_ERR_FORMAT);
        ck_assert_ptr_null(doc);
        ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "out of range"));
        free(bad);
    }
    sz_doc *doc = NULL; /* the file as written reads */
    ck_assert_int_eq(sz_doc_read_memory(ctx, data, len, &doc), SZ_OK);
    sz_doc_free(doc);
    free(data);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(groups_and_attributes_survive)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 64, 48);
    sz_layer *root = sz_doc_root(doc);
    sz_layer *body = sz_layer_new(ctx, root, SZ_LAYER_PIXEL, "body");
    sz_layer_set_image(body, tu_random_image(ctx, 30, 20, 8, 1));
    sz_layer_set_offset(body, -5, 10);
    sz_layer *head = sz_layer_new(ctx, root, SZ_LAYER_GROUP, "頭 Head");
    sz_layer_set_open(head, 0);
    sz_layer_set_blend(head, SZ_BLEND_NORMAL);
    sz_layer_set_opacity(head, 200);
    sz_layer *face = sz_layer_new(ctx, head, SZ_LAYER_PIXEL, "face 😀");
    sz_layer_set_image(face, tu_random_image(ctx, 16, 16, 8, 2));
    sz_layer_set_offset(face, 20, 5);
    sz_layer_set_fill_opacity(face, 100);
    sz_layer_set_blend(face, SZ_BLEND_MULTIPLY);
    sz_layer *shade = sz_layer_new(ctx, head, SZ_LAYER_PIXEL, "shade");
    sz_layer_set_image(shade, tu_random_image(ctx, 8, 8, 8, 3));
    sz_layer_set_clipping(shade, 1);
    sz_layer_set_visible(shade, 0);
    sz_layer_new(ctx, root, SZ_LAYER_PIXEL, "empty");
    sz_doc *back = roundtrip(ctx, doc, NULL);
    char why[256];
    const char *d = doc_difference(doc, back, why, sizeof why);
    ck_assert_msg(d == NULL, "%s", d);
    sz_layer *h2 = sz_layer_child(sz_doc_root(back), 1);
    ck_assert_str_eq(sz_layer_name(h2), "頭 Head");
    ck_assert_int_eq(sz_layer_get_kind(h2), SZ_LAYER_GROUP);
    ck_assert_int_eq(sz_layer_child_count(h2), 2);
    ck_assert(!sz_layer_open(h2));
    ck_assert_int_eq(sz_layer_blend(h2), SZ_BLEND_NORMAL);
    sz_doc_free(back);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("psd");
    TCase *tc = tcase_create("psd");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, packbits_writes_what_the_byte_loop_writes);
    tcase_add_test(tc, psd_tools_fixtures_read);
    tcase_add_test(tc, ag_psd_layer_pixels_match);
    tcase_add_test(tc, ag_psd_mask_matches);
    tcase_add_test(tc, roundtrip_keeps_everything);
    tcase_add_test(tc, depth_and_modes_on_write);
    tcase_add_test(tc, malformed_pillow_files_fail_cleanly);
    tcase_add_test(tc, truncated_and_bitflipped_fixtures);
    tcase_add_test(tc, a_huge_header_in_a_few_bytes);
    tcase_add_test(tc, nan_samples_in_a_float_document_read_as_zero);
    tcase_add_test(tc, a_rectangle_out_of_range_is_refused);
    tcase_add_test(tc, a_global_mask_past_its_section_is_refused);
    tcase_add_test(tc, extra_channel_follows_a_grown_layer);
    tcase_add_test(tc, groups_and_attributes_survive);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
