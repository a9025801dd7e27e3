/*
 * test_tiff — TIFF decoding over the libtiff and image-tiff corpora, exact
 * answers against the reference decodes shipped with them, clean failure
 * on fuzz crashers, multi-page layer stacks and profiles round trips.
 */
#include "testutil.h"
#include "color.h"
#include "tiff_lib.h"

#include <stdio.h>
#include <stdlib.h>

static const char *corpus_dirs[] = {
    "tiff/image-tiff/images", "tiff/image-tiff/images/seq", "tiff/image-tiff/libtiffpic",
    "tiff/image-tiff/libtiffpic/depth", "tiff/libtiff/test/images", "tiff/image-tiff",
};

/* Files of the corpora libtiff itself cannot decode (damaged on purpose, or
 * 64-bit gray only its RGBA interface lacks); they must fail cleanly. */
static const char *expected_failures[] = {
    "text.tif",                                /* ThunderScan data ends early */
    "ojpeg_single_strip_no_rowsperstrip.tiff", /* old-style JPEG without strip layout */
    "testfax3_bug54_1dnoEOL.tif", "testfax3_bug_513.tiff", /* damaged fax streams */
};

static bool is_tiff_name(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && !strcmp(n + l - 4, ".tif")) || (l > 5 && !strcmp(n + l - 5, ".tiff"));
}

#ifdef SZ_LIBTIFF_SONAME
/* Whether the process has mapped a shared object of that name (-1: no
 * /proc to tell). */
static int mapped(const char *soname)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, soname) != NULL;
    fclose(f);
    return found;
}
#endif

/* libtiff is opened when a TIFF is first written or read, not at start:
 * a program that reads PNG and PSD never loads it.  (The suite runs its
 * tests in one process, this one first.) */
START_TEST(libtiff_is_loaded_when_first_used)
{
#ifdef SZ_LIBTIFF_SONAME
    if (mapped(SZ_LIBTIFF_SONAME) < 0) return;
    ck_assert_msg(!mapped(SZ_LIBTIFF_SONAME), "%s is loaded before any TIFF was read", SZ_LIBTIFF_SONAME);
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 3, 2);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "dot");
    sz_layer_set_image(l, tu_random_image(ctx, 3, 2, 8, 7));
    uint8_t *data;
    size_t len;
    ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_TIFF, NULL, &data, &len), SZ_OK);
    ck_assert_int_eq(mapped(SZ_LIBTIFF_SONAME), 1);
    sz_doc *back;
    ck_assert_msg(sz_doc_read_memory(ctx, data, len, &back) == SZ_OK, "%s", sz_ctx_error(ctx));
    ck_assert(tu_same_pixels(sz_layer_image(l), sz_layer_image(sz_layer_child(sz_doc_root(back), 0))));
    free(data);
    sz_doc_free(back);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
#endif
}
END_TEST

/* The loader says which file it could not open, or which function the file
 * lacks, and takes every function from libtiff itself. */
START_TEST(libtiff_loader_says_what_is_missing)
{
    sz_libtiff_table t;
    char why[512];
    ck_assert(!sz_libtiff_load("libsozai-no-such-library.so.0", &t, why, sizeof why));
    ck_assert_msg(strstr(why, "libsozai-no-such-library.so.0"), "%s", why);
    /* zlib, which libpng loads anyway: a library, but not libtiff */
    ck_assert(!sz_libtiff_load("libz.so.1", &t, why, sizeof why));
    ck_assert_str_eq(why, "libz.so.1 has no TIFFOpenOptionsAlloc");
#ifdef SZ_LIBTIFF_SONAME
    memset(&t, 0, sizeof t);
    ck_assert_msg(sz_libtiff_load(SZ_LIBTIFF_SONAME, &t, why, sizeof why), "%s", why);
#define SZ_LIBTIFF_CHECK(name) ck_assert_msg(t.name != NULL, "TIFF" #name);
    SZ_LIBTIFF_FUNCTIONS(SZ_LIBTIFF_CHECK)
#undef SZ_LIBTIFF_CHECK
#endif
}
END_TEST

START_TEST(corpus_reads_or_fails_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    int read = 0, rejected = 0;
    for (size_t d = 0; d < SZ_COUNTOF(corpus_dirs); d++) {
        char **names;
        int n = tu_list(tu_data_path(corpus_dirs[d]), NULL, &names);
        for (int i = 0; i < n; i++) {
            if (!is_tiff_name(names[i])) continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", tu_data_path(corpus_dirs[d]), names[i]);
            sz_doc *doc = NULL;
            sz_status st = sz_doc_read_file(ctx, path, &doc);
            bool expected_fail = false;
            for (size_t k = 0; k < SZ_COUNTOF(expected_failures); k++)
                expected_fail |= !strcmp(names[i], expected_failures[k]);
            if (st == SZ_OK) {
                ck_assert_msg(!expected_fail, "%s now reads; update the list", names[i]);
                ck_assert_int_ge(sz_layer_child_count(sz_doc_root(doc)), 1);
                read++;
            } else {
                ck_assert_msg(expected_fail, "%s: %s", names[i], sz_ctx_error(ctx));
                ck_assert_ptr_null(doc);
                rejected++;
            }
            sz_doc_free(doc);
        }
        tu_free_list(names, n);
    }
    printf("TIFF corpus: %d files read, %d rejected cleanly\n", read, rejected);
    ck_assert_int_ge(read, 231);
    ck_assert_int_eq(rejected, (int)SZ_COUNTOF(expected_failures));
    sz_ctx_free(ctx);
}
END_TEST

/* Pixel-exact answers from the netpbm reference decodes in the corpora. */
START_TEST(reference_decodes_match)
{
    TU_SKIP_WITHOUT_DATA();
    static const struct { const char *tiff, *ref; } pairs[] = {
        {"tiff/libtiff/test/images/minisblack-1c-8b.tiff", "tiff/libtiff/test/images/minisblack-1c-8b.pgm"},
        {"tiff/libtiff/test/images/rgb-3c-8b.tiff", "tiff/libtiff/test/images/rgb-3c-8b.ppm"},
        {"tiff/libtiff/test/images/rgb-3c-16b.tiff", "tiff/libtiff/test/images/rgb-3c-16b.ppm"},
        {"tiff/libtiff/test/images/miniswhite-1c-1b.tiff", "tiff/libtiff/test/images/miniswhite-1c-1b.pbm"},
        {"tiff/image-tiff/images/minisblack-1c-8b.tiff", "tiff/image-tiff/images/minisblack-1c-8b.pgm"},
        {"tiff/image-tiff/images/rgb-3c-8b.tiff", "tiff/image-tiff/images/rgb-3c-8b.ppm"},
    };
    sz_ctx *ctx = sz_ctx_new();
    for (size_t i = 0; i < SZ_COUNTOF(pairs); i++) {
        char tpath[8192];
        snprintf(tpath, sizeof tpath, "%s", tu_data_path(pairs[i].tiff));
        sz_doc *doc;
        ck_assert_msg(sz_doc_read_file(ctx, tpath, &doc) == SZ_OK, "%s", sz_ctx_error(ctx));
        sz_image *ref = tu_read_pnm(ctx, tu_data_path(pairs[i].ref));
        ck_assert_ptr_nonnull(ref);
        ck_assert_msg(tu_same_pixels(tu_doc_image(doc), ref), "%s differs from %s", pairs[i].tiff, pairs[i].ref);
        sz_image_free(ref);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* The same picture stored every way (contig/planar, strips/tiles, each
 * compression, alpha kinds) decodes to the same pixels. */
START_TEST(seq_variants_agree)
{
    TU_SKIP_WITHOUT_DATA();
    char **names;
    const char *dir = tu_data_path("tiff/image-tiff/images/seq");
    char dirbuf[8192];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    int n = tu_list(dirbuf, ".tiff", &names);
    sz_ctx *ctx = sz_ctx_new();
    /* Group files by the content hash at the end of their name. */
    int compared = 0;
    for (int i = 0; i < n; i++) {
        const char *hi = strrchr(names[i], '-');
        for (int j = i + 1; j < n; j++) {
            const char *hj = strrchr(names[j], '-');
            if (!hi || !hj || strcmp(hi, hj)) continue;
            /* The same stored samples flagged associated and unassociated
             * alpha are different pictures. */
            if ((strstr(names[i], "unassoc") == NULL) != (strstr(names[j], "unassoc") == NULL)) continue;
            char pa[8192], pb[8192];
            snprintf(pa, sizeof pa, "%s/%s", dirbuf, names[i]);
            snprintf(pb, sizeof pb, "%s/%s", dirbuf, names[j]);
            sz_doc *a, *b;
            if (sz_doc_read_file(ctx, pa, &a)) continue;
            if (sz_doc_read_file(ctx, pb, &b)) {
                sz_doc_free(a);
                continue;
            }
            sz_image *ia = tu_doc_image(a), *ib = tu_doc_image(b);
            ck_assert_msg(tu_same_pixels(ia, ib), "%s and %s differ", names[i], names[j]);
            compared++;
            sz_doc_free(a);
            sz_doc_free(b);
        }
    }
    printf("TIFF variants with equal content hashes compared: %d pairs\n", compared);
    ck_assert_int_ge(compared, 20);
    tu_free_list(names, n);
    sz_ctx_free(ctx);
}
END_TEST

/* Fuzz crashers: each fails cleanly, except files that are in fact valid
 * TIFFs libtiff decodes (a crash of another decoder, not a broken file). */
START_TEST(fuzz_crashers_fail_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *dirs[] = {"divide_by_zero", "inf_loop", "oom_crash", "oor_panic"};
    static const char *valid[] = {
        "id=000026,sig=06,src=000012,op=havoc,rep=2", /* intact RGB 16-bit file */
        "id=000019,sig=06,src=000001,op=havoc,rep=8", /* libtiff repairs its strip sizes */
    };
    sz_ctx *ctx = sz_ctx_new();
    int rejected = 0, decoded = 0;
    for (size_t d = 0; d < SZ_COUNTOF(dirs); d++) {
        char dir[4096], **names;
        snprintf(dir, sizeof dir, "%s/%s", tu_data_path("tiff/image-tiff/fuzz_images"), dirs[d]);
        int n = tu_list(dir, NULL, &names);
        for (int i = 0; i < n; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            sz_doc *doc = NULL;
            sz_status st = sz_doc_read_file(ctx, path, &doc);
            bool ok_expected = false;
            for (size_t k = 0; k < SZ_COUNTOF(valid); k++) ok_expected |= !strcmp(names[i], valid[k]);
            if (ok_expected) {
                ck_assert_msg(st == SZ_OK, "%s: %s", names[i], sz_ctx_error(ctx));
                decoded++;
            } else {
                ck_assert_msg(st != SZ_OK, "%s was accepted", names[i]);
                ck_assert_msg(st == SZ_ERR_FORMAT || st == SZ_ERR_UNSUPPORTED || st == SZ_ERR_LIMIT,
                              "%s: status %d", names[i], st);
                ck_assert_ptr_null(doc);
                rejected++;
            }
            sz_doc_free(doc);
        }
        tu_free_list(names, n);
    }
    printf("TIFF fuzz crashers: %d rejected cleanly, %d valid files decoded\n", rejected, decoded);
    ck_assert_int_eq(rejected + decoded, 130);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(pillow_corrupt_tiffs_fail_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    char **names;
    int n = tu_list(tu_data_path("misc/pillow-tests"), NULL, &names), rejected = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        bool bad = !strncmp(names[i], "crash-", 6) || !strncmp(names[i], "oom-", 4) ||
                   !strcmp(names[i], "libtiff_segfault.tif") || !strcmp(names[i], "seek_too_large.tif") ||
                   !strcmp(names[i], "separate_planar_extra_samples.tiff");
        if (!bad) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", tu_data_path("misc/pillow-tests"), names[i]);
        sz_doc *doc = NULL;
        sz_status st = sz_doc_read_file(ctx, path, &doc);
        ck_assert_msg(st != SZ_OK && !doc, "%s was accepted", names[i]);
        rejected++;
    }
    printf("Pillow's corrupt TIFFs rejected cleanly: %d\n", rejected);
    ck_assert_int_eq(rejected, 16);
    tu_free_list(names, n);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(ifd_loops_terminate)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *files[] = {"test_ifd_loop_to_self.tif", "test_ifd_loop_to_first.tif",
                                  "test_ifd_loop_subifd.tif"};
    sz_ctx *ctx = sz_ctx_new();
    for (size_t i = 0; i < SZ_COUNTOF(files); i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", tu_data_path("tiff/libtiff/test/images"), files[i]);
        sz_doc *doc = NULL;
        sz_doc_read_file(ctx, path, &doc); /* either outcome, but it returns */
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(associated_alpha_is_unpremultiplied)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *a, *b;
    char pa[8192];
    snprintf(pa, sizeof pa, "%s", tu_data_path("misc/pillow-tests/tiff_16bit_RGBa.tiff"));
    ck_assert_int_eq(sz_doc_read_file(ctx, pa, &a), SZ_OK);
    ck_assert_int_eq(sz_doc_read_file(ctx, tu_data_path("misc/pillow-tests/tiff_16bit_RGBa_target.png"), &b), SZ_OK);
    sz_image *ia = tu_doc_image(a), *ib = tu_doc_image(b);
    ck_assert_int_eq(ia->w, ib->w);
    /* Pillow's target is 8-bit; compare at 8 bits where alpha is substantial */
    int checked = 0;
    for (int y = 0; y < ia->h; y++)
        for (int x = 0; x < ia->w; x++) {
            uint16_t p[4], q[4];
            sz_get16(ia, x, y, p);
            sz_get16(ib, x, y, q);
            ck_assert_int_le(abs((int)(p[3] >> 8) - (int)(q[3] >> 8)), 1);
            if (q[3] < 128 * 257) continue;
            /* Pillow narrows to 8 bits before dividing by alpha: up to 4 off */
            for (int c = 0; c < 3; c++) ck_assert_int_le(abs((int)(p[c] >> 8) - (int)(q[c] >> 8)), 4);
            checked++;
        }
    ck_assert_int_gt(checked, 100);
    sz_doc_free(a);
    sz_doc_free(b);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(icc_profile_is_kept)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    ck_assert_int_eq(sz_doc_read_file(ctx, tu_data_path("misc/pillow-tests/hopper.iccprofile.tif"), &doc), SZ_OK);
    size_t len;
    const uint8_t *icc = sz_doc_icc(doc, &len);
    ck_assert_ptr_nonnull(icc);
    uint8_t *copy = malloc(len);
    memcpy(copy, icc, len);
    uint8_t *data;
    size_t dlen;
    ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_TIFF, NULL, &data, &dlen), SZ_OK);
    sz_doc *back;
    ck_assert_int_eq(sz_doc_read_memory(ctx, data, dlen, &back), SZ_OK);
    size_t blen;
    const uint8_t *bicc = sz_doc_icc(back, &blen);
    ck_assert_uint_eq(blen, len);
    ck_assert_int_eq(memcmp(bicc, copy, len), 0);
    ck_assert(tu_same_pixels(tu_doc_image(doc), tu_doc_image(back)));
    free(copy);
    free(data);
    sz_doc_free(back);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(cmyk_is_converted_through_its_profile)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    ck_assert_int_eq(sz_doc_read_file(ctx, tu_data_path("tiff/image-tiff/images/cmyk-4c-8b.tiff"), &doc), SZ_OK);
    sz_image *im = tu_doc_image(doc);
    ck_assert_ptr_nonnull(im);
    ck_assert_ptr_nonnull(strstr(sz_doc_color_description(doc), "sRGB"));
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

/* A document of layers of different sizes, offsets, names and depths is a
 * multi-page TIFF and comes back the same. */
START_TEST(multipage_layer_stack_roundtrip)
{
    sz_ctx *ctx = sz_ctx_new();
    for (int depth = 8; depth <= 16; depth += 8) {
        sz_doc *doc = sz_doc_new(ctx, 200, 150);
        sz_doc_set_depth(doc, depth);
        sz_doc_set_resolution(doc, 144);
        const char *names[] = {"body", "face", "前髪 (bangs)"};
        int xs[] = {0, 40, 35}, ys[] = {10, 20, 5}, ws[] = {120, 60, 90}, hs[] = {140, 70, 30};
        for (int i = 0; i < 3; i++) {
            sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, names[i]);
            sz_layer_set_image(l, tu_random_image(ctx, ws[i], hs[i], depth, 100u + (unsigned)i));
            sz_layer_set_offset(l, xs[i], ys[i]);
        }
        uint8_t *data;
        size_t len;
        ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_TIFF, NULL, &data, &len), SZ_OK);
        sz_doc *back;
        ck_assert_msg(sz_doc_read_memory(ctx, data, len, &back) == SZ_OK, "%s", sz_ctx_error(ctx));
        ck_assert_int_eq(sz_doc_width(back), 200);
        ck_assert_int_eq(sz_doc_height(back), 150);
        ck_assert_int_eq(sz_layer_child_count(sz_doc_root(back)), 3);
        for (int i = 0; i < 3; i++) {
            sz_layer *a = sz_layer_child(sz_doc_root(doc), i), *b = sz_layer_child(sz_doc_root(back), i);
            ck_assert_str_eq(sz_layer_name(a), sz_layer_name(b));
            ck_assert_int_eq(sz_layer_x(b), xs[i]);
            ck_assert_int_eq(sz_layer_y(b), ys[i]);
            ck_assert(tu_same_pixels(sz_layer_image(a), sz_layer_image(b)));
        }
        ck_assert(sz_doc_resolution(back) > 143.9 && sz_doc_resolution(back) < 144.1);
        free(data);
        sz_doc_free(back);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(multipage_files_read_as_layers)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc;
    ck_assert_int_eq(sz_doc_read_file(ctx, tu_data_path("misc/pillow-tests/multipage.tiff"), &doc), SZ_OK);
    ck_assert_int_eq(sz_layer_child_count(sz_doc_root(doc)), 3);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tiff");
    TCase *tc = tcase_create("tiff");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, libtiff_is_loaded_when_first_used); /* first: nothing has loaded libtiff yet */
    tcase_add_test(tc, libtiff_loader_says_what_is_missing);
    tcase_add_test(tc, corpus_reads_or_fails_cleanly);
    tcase_add_test(tc, reference_decodes_match);
    tcase_add_test(tc, seq_variants_agree);
    tcase_add_test(tc, fuzz_crashers_fail_cleanly);
    tcase_add_test(tc, pillow_corrupt_tiffs_fail_cleanly);
    tcase_add_test(tc, ifd_loops_terminate);
    tcase_add_test(tc, associated_alpha_is_unpremultiplied);
    tcase_add_test(tc, icc_profile_is_kept);
    tcase_add_test(tc, cmyk_is_converted_through_its_profile);
    tcase_add_test(tc, multipage_layer_stack_roundtrip);
    tcase_add_test(tc, multipage_files_read_as_layers);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
