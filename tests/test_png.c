/*
 * test_png — PNG decoding against PngSuite and libpng's own test images,
 * clean failure on every corrupt file, exact round trips with profiles.
 */
#include "testutil.h"
#include "color.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#define PNGSUITE "png/pngsuite"

static sz_doc *read_doc(sz_ctx *ctx, const char *dir, const char *name, sz_status *st)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", tu_data_path(dir), name);
    sz_doc *doc = NULL;
    *st = sz_doc_read_file(ctx, path, &doc);
    return doc;
}

START_TEST(pngsuite_valid_files_decode)
{
    TU_SKIP_WITHOUT_DATA();
    char **names;
    int n = tu_list(tu_data_path(PNGSUITE), ".png", &names), valid = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        if (names[i][0] == 'x') continue;
        sz_status st;
        sz_doc *doc = read_doc(ctx, PNGSUITE, names[i], &st);
        ck_assert_msg(st == SZ_OK, "%s: %s", names[i], sz_ctx_error(ctx));
        sz_image *im = tu_doc_image(doc);
        ck_assert_ptr_nonnull(im);
        /* s01..s40: the name gives the size */
        if (names[i][0] == 's' && names[i][1] >= '0' && names[i][1] <= '9') {
            int side = (names[i][1] - '0') * 10 + (names[i][2] - '0');
            ck_assert_int_eq(im->w, side);
            ck_assert_int_eq(im->h, side);
        }
        /* 16-bit sources stay 16-bit, others are 8-bit */
        if (!strncmp(names[i], "basn", 4) || !strncmp(names[i], "basi", 4))
            ck_assert_int_eq(im->depth, !strcmp(names[i] + 6, "16.png") ? 16 : 8);
        sz_doc_free(doc);
        valid++;
    }
    printf("PngSuite: %d valid files decoded\n", valid);
    ck_assert_int_eq(valid, 161);
    tu_free_list(names, n);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(pngsuite_interlaced_equals_progressive)
{
    TU_SKIP_WITHOUT_DATA();
    char **names;
    int n = tu_list(tu_data_path(PNGSUITE), ".png", &names), pairs = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        if (strncmp(names[i], "basi", 4)) continue;
        char twin[64];
        snprintf(twin, sizeof twin, "basn%s", names[i] + 4);
        sz_status s1, s2;
        sz_doc *a = read_doc(ctx, PNGSUITE, names[i], &s1);
        sz_doc *b = read_doc(ctx, PNGSUITE, twin, &s2);
        ck_assert_msg(s1 == SZ_OK && s2 == SZ_OK, "%s / %s", names[i], twin);
        ck_assert_msg(tu_same_pixels(tu_doc_image(a), tu_doc_image(b)), "%s differs from %s", names[i], twin);
        sz_doc_free(a);
        sz_doc_free(b);
        pairs++;
    }
    printf("PngSuite: %d interlaced files match their twins\n", pairs);
    ck_assert_int_eq(pairs, 15);
    tu_free_list(names, n);
    sz_ctx_free(ctx);
}
END_TEST

/* Known answers for a few exact values PngSuite documents. */
START_TEST(pngsuite_known_pixels)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_status st;
    /* tbrn2c08: 16-bit-free RGB with a tRNS colour: transparent corners */
    sz_doc *doc = read_doc(ctx, PNGSUITE, "tbrn2c08.png", &st);
    ck_assert_int_eq(st, SZ_OK);
    sz_image *im = tu_doc_image(doc);
    uint16_t p[4];
    sz_get16(im, 0, 0, p);
    ck_assert_uint_eq(p[3], 0);
    sz_doc_free(doc);
    /* basn0g16: 16-bit gray ramp, top-left black, kept at 16 bits */
    doc = read_doc(ctx, PNGSUITE, "basn0g16.png", &st);
    ck_assert_int_eq(st, SZ_OK);
    im = tu_doc_image(doc);
    ck_assert_int_eq(im->depth, 16);
    sz_get16(im, 0, 0, p);
    ck_assert_uint_eq(p[0], 0);
    ck_assert_uint_eq(p[3], 65535);
    ck_assert_uint_eq(p[0], p[1]);
    sz_doc_free(doc);
    /* basn0g01: 1-bit gray expands to 0 and 255 */
    doc = read_doc(ctx, PNGSUITE, "basn0g01.png", &st);
    ck_assert_int_eq(st, SZ_OK);
    im = tu_doc_image(doc);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            uint8_t v = sz_row8(im, y)[4 * x];
            ck_assert(v == 0 || v == 255);
        }
    sz_doc_free(doc);
    /* g03n0g16 carries gAMA; the colour description says so */
    doc = read_doc(ctx, PNGSUITE, "g03n0g16.png", &st);
    ck_assert_int_eq(st, SZ_OK);
    ck_assert_ptr_nonnull(strstr(sz_doc_color_description(doc), "gamma"));
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

static void expect_clean_failure(const char *dir, const char *name)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_status st;
    sz_doc *doc = read_doc(ctx, dir, name, &st);
    ck_assert_msg(st != SZ_OK, "%s/%s was accepted", dir, name);
    ck_assert_msg(st == SZ_ERR_FORMAT || st == SZ_ERR_UNSUPPORTED || st == SZ_ERR_LIMIT,
                  "%s: unexpected status %d", name, st);
    ck_assert_ptr_null(doc);
    ck_assert_msg(strlen(sz_ctx_error(ctx)) > 0, "%s: no message", name);
    ck_assert_msg(strstr(sz_ctx_error(ctx), name) != NULL, "%s: the message does not name the file", name);
    sz_ctx_free(ctx);
}

START_TEST(corrupt_pngs_fail_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *dirs[] = {PNGSUITE, "png/libpng/contrib/testpngs/crashers", "png/image-png-extra/bugfixes"};
    int rejected = 0;
    for (size_t d = 0; d < SZ_COUNTOF(dirs); d++) {
        char **names;
        int n = tu_list(tu_data_path(dirs[d]), ".png", &names);
        for (int i = 0; i < n; i++) {
            if (d != 1 && strncmp(names[i], "x", 1)) continue; /* x*: must fail */
            expect_clean_failure(dirs[d], names[i]);
            rejected++;
        }
        tu_free_list(names, n);
    }
    static const char *pillow[] = {"broken.png", "broken_data_stream.png", "truncated_end_chunk.png", "truncated_image.png"};
    for (size_t i = 0; i < SZ_COUNTOF(pillow); i++, rejected++) expect_clean_failure("misc/pillow-tests", pillow[i]);
    printf("corrupt PNGs rejected cleanly: %d\n", rejected);
    ck_assert_int_eq(rejected, 14 + 23 + 8 + 4);
}
END_TEST

START_TEST(damaged_icc_profile_is_dropped_with_a_warning)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_status st;
    sz_doc *doc = read_doc(ctx, "png/image-png-extra/iccp", "broken_iccp.png", &st);
    ck_assert_int_eq(st, SZ_OK);
    size_t len;
    ck_assert_ptr_null(sz_doc_icc(doc, &len));
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(libpng_test_images_decode)
{
    TU_SKIP_WITHOUT_DATA();
    static const char *dirs[] = {"png/libpng/contrib/testpngs", "png/libpng/contrib/pngsuite",
                                 "png/libpng/contrib/testpngs/badpal"};
    sz_ctx *ctx = sz_ctx_new();
    int ok = 0;
    for (size_t d = 0; d < SZ_COUNTOF(dirs); d++) {
        char **names;
        int n = tu_list(tu_data_path(dirs[d]), ".png", &names);
        for (int i = 0; i < n; i++) {
            sz_status st;
            sz_doc *doc = read_doc(ctx, dirs[d], names[i], &st);
            ck_assert_msg(st == SZ_OK, "%s: %s", names[i], sz_ctx_error(ctx));
            sz_doc_free(doc);
            ok++;
        }
        tu_free_list(names, n);
    }
    printf("libpng test images decoded: %d\n", ok);
    ck_assert_int_ge(ok, 150);
    sz_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------------ */

static sz_doc *roundtrip(sz_ctx *ctx, const sz_doc *doc, int depth)
{
    uint8_t *data;
    size_t len;
    sz_write_options o = {.depth = depth};
    ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_PNG, &o, &data, &len), SZ_OK);
    sz_doc *back = NULL;
    ck_assert_msg(sz_doc_read_memory(ctx, data, len, &back) == SZ_OK, "%s", sz_ctx_error(ctx));
    free(data);
    return back;
}

START_TEST(roundtrip_8_and_16_bit_with_icc)
{
    sz_ctx *ctx = sz_ctx_new();
    for (int depth = 8; depth <= 16; depth += 8) {
        sz_doc *doc = sz_doc_new(ctx, 37, 23);
        sz_doc_set_depth(doc, depth);
        sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
        sz_layer_set_image(l, tu_random_image(ctx, 37, 23, depth, 7u + (unsigned)depth));
        uint8_t *icc;
        size_t icc_len;
        ck_assert_int_eq(sz_icc_srgb(ctx, &icc, &icc_len), SZ_OK);
        sz_doc_set_icc(ctx, doc, icc, icc_len);
        sz_doc *back = roundtrip(ctx, doc, 0);
        ck_assert(tu_same_pixels(tu_doc_image(doc), tu_doc_image(back)));
        size_t blen;
        const uint8_t *bicc = sz_doc_icc(back, &blen);
        ck_assert_uint_eq(blen, icc_len);
        ck_assert_int_eq(memcmp(bicc, icc, icc_len), 0);
        free(icc);
        sz_doc_free(back);
        sz_doc_free(doc);
    }
    sz_ctx_free(ctx);
}
END_TEST

/* The profiles sozai builds (sRGB for a converted document, RGB from a
 * gray one) carry a fixed creation date, not the clock's: the same input
 * gives the same bytes at any time. */
START_TEST(built_profiles_carry_no_date_of_their_making)
{
    sz_ctx *ctx = sz_ctx_new();
    uint8_t *icc;
    size_t len;
    ck_assert_int_eq(sz_icc_srgb(ctx, &icc, &len), SZ_OK);
    static const uint8_t srgb_date[12] = {0x07, 0xcf, 0, 10, 0, 18, 0, 0, 0, 0, 0, 0}; /* IEC 61966-2-1 */
    ck_assert_uint_ge(len, 128);
    ck_assert_int_eq(memcmp(icc + 24, srgb_date, 12), 0);
    free(icc);
    size_t gray_len;
    uint8_t *gray = tu_read_file(tu_data_path("icc/compact-icc/sGrey-v4.icc"), &gray_len);
    ck_assert_ptr_nonnull(gray);
    ck_assert_int_eq(sz_icc_gray_to_rgb(ctx, gray, gray_len, &icc, &len), SZ_OK);
    ck_assert_uint_ge(len, 128);
    ck_assert_int_eq(memcmp(icc + 24, gray + 24, 12), 0); /* the gray profile's own date */
    free(icc);
    free(gray);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(roundtrip_every_pngsuite_image)
{
    TU_SKIP_WITHOUT_DATA();
    char **names;
    int n = tu_list(tu_data_path(PNGSUITE), ".png", &names), done = 0;
    sz_ctx *ctx = sz_ctx_new();
    for (int i = 0; i < n; i++) {
        if (names[i][0] == 'x') continue;
        sz_status st;
        sz_doc *doc = read_doc(ctx, PNGSUITE, names[i], &st);
        ck_assert_int_eq(st, SZ_OK);
        sz_doc *back = roundtrip(ctx, doc, 0);
        ck_assert_msg(tu_same_pixels(tu_doc_image(doc), tu_doc_image(back)), "%s", names[i]);
        ck_assert_str_eq(sz_doc_color_description(doc), sz_doc_color_description(back));
        sz_doc_free(back);
        sz_doc_free(doc);
        done++;
    }
    ck_assert_int_eq(done, 161);
    tu_free_list(names, n);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(depth_conversion_on_write)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 16, 16);
    sz_doc_set_depth(doc, 8);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
    sz_layer_set_image(l, tu_random_image(ctx, 16, 16, 8, 99));
    /* 8 -> 16 -> 8 is lossless */
    sz_doc *wide = roundtrip(ctx, doc, 16);
    ck_assert_int_eq(tu_doc_image(wide)->depth, 16);
    sz_doc *narrow = roundtrip(ctx, wide, 8);
    ck_assert(tu_same_pixels(tu_doc_image(doc), tu_doc_image(narrow)));
    sz_doc_free(wide);
    sz_doc_free(narrow);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(opaque_images_are_written_without_alpha)
{
    sz_ctx *ctx = sz_ctx_new();
    sz_doc *doc = sz_doc_new(ctx, 8, 8);
    sz_layer *l = sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "x");
    sz_image *im = sz_image_new(ctx, 8, 8, 8);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            uint16_t p[4] = {(uint16_t)(x * 1000), (uint16_t)(y * 1000), 500, 65535};
            sz_put16(im, x, y, p);
        }
    sz_layer_set_image(l, im);
    uint8_t *data;
    size_t len;
    ck_assert_int_eq(sz_doc_write_memory(ctx, doc, SZ_FORMAT_PNG, NULL, &data, &len), SZ_OK);
    ck_assert_uint_eq(data[25], 2); /* IHDR colour type: RGB */
    sz_doc *back;
    ck_assert_int_eq(sz_doc_read_memory(ctx, data, len, &back), SZ_OK);
    ck_assert(tu_same_pixels(im, tu_doc_image(back)));
    free(data);
    sz_doc_free(back);
    sz_doc_free(doc);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(a_plain_image_file_reads_back_as_it_is)
{
    /* A one-layer file is taken as its own composite (no copy): every
     * sample comes back, even the colour of fully transparent pixels. */
    sz_ctx *ctx = sz_ctx_new();
    sz_image *im = tu_random_image(ctx, 19, 7, 8, 5);
    uint16_t hidden[4] = {10 * 257, 20 * 257, 30 * 257, 0};
    sz_put16(im, 3, 2, hidden);
    char path[] = "/tmp/sozai-test-plain-XXXXXX.png";
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(sz_image_write_file(ctx, im, path, NULL), SZ_OK);
    sz_image *back;
    ck_assert_int_eq(sz_image_read_file(ctx, path, &back), SZ_OK);
    ck_assert(tu_same_pixels(im, back));
    sz_image_free(back);

    /* two layers: the composite, the upper layer over the lower */
    sz_doc *doc = sz_doc_new(ctx, 19, 7);
    sz_doc_set_depth(doc, 8);
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "under"), im);
    sz_image *top = sz_image_new(ctx, 19, 7, 8);
    uint16_t red[4] = {65535, 0, 0, 65535};
    sz_put16(top, 0, 0, red);
    sz_layer_set_image(sz_layer_new(ctx, sz_doc_root(doc), SZ_LAYER_PIXEL, "over"), top);
    ck_assert_int_eq(sz_doc_write_file(ctx, doc, path, SZ_FORMAT_PNG, NULL), SZ_OK);
    ck_assert_int_eq(sz_image_read_file(ctx, path, &back), SZ_OK);
    uint16_t p[4], q[4];
    sz_get16(back, 0, 0, p);
    ck_assert_mem_eq(p, red, sizeof p);
    sz_get16(back, 5, 5, p);
    sz_get16(im, 5, 5, q);
    ck_assert_uint_eq(sz_16to8(p[3]), sz_16to8(q[3]));
    sz_image_free(back);
    sz_doc_free(doc);
    unlink(path);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(truncations_of_a_valid_file_fail_cleanly)
{
    TU_SKIP_WITHOUT_DATA();
    size_t len;
    uint8_t *d = tu_read_file(tu_data_path(PNGSUITE "/basn6a16.png"), &len);
    ck_assert_ptr_nonnull(d);
    sz_ctx *ctx = sz_ctx_new();
    for (size_t cut = 0; cut < len; cut += 7) {
        sz_doc *doc = NULL;
        sz_status st = sz_doc_read_memory(ctx, d, cut, &doc);
        ck_assert_msg(st != SZ_OK, "truncated at %zu accepted", cut);
        ck_assert_ptr_null(doc);
    }
    free(d);
    sz_ctx_free(ctx);
}
END_TEST

/* `d` with a chunk of `type` holding `n` bytes of `data` spliced in after
 * the first chunk of type `after`. */
static uint8_t *splice_chunk(const uint8_t *d, size_t len, const char *after, const char *type, const uint8_t *data,
                             uint32_t n, size_t *out_len)
{
    size_t pos = 8;
    while (pos + 12 <= len) {
        uint32_t size = (uint32_t)d[pos] << 24 | (uint32_t)d[pos + 1] << 16 | (uint32_t)d[pos + 2] << 8 | d[pos + 3];
        bool found = !memcmp(d + pos + 4, after, 4);
        pos += 12 + (size_t)size;
        if (found) break;
    }
    ck_assert_uint_le(pos, len);
    uint8_t *out = malloc(len + 12 + n);
    ck_assert_ptr_nonnull(out);
    memcpy(out, d, pos);
    uint8_t *c = out + pos;
    c[0] = (uint8_t)(n >> 24), c[1] = (uint8_t)(n >> 16), c[2] = (uint8_t)(n >> 8), c[3] = (uint8_t)n;
    memcpy(c + 4, type, 4);
    memcpy(c + 8, data, n);
    uint32_t crc = (uint32_t)crc32(0L, c + 4, 4 + n);
    c[8 + n] = (uint8_t)(crc >> 24), c[9 + n] = (uint8_t)(crc >> 16), c[10 + n] = (uint8_t)(crc >> 8);
    c[11 + n] = (uint8_t)crc;
    memcpy(c + 12 + n, d + pos, len - pos);
    *out_len = len + 12 + n;
    return out;
}

static void count_srgb_warnings(void *user, sz_log_level level, const char *message)
{
    if (level == SZ_LOG_WARNING && strstr(message, "sRGB")) ++*(int *)user;
}

/* libpng's default, and so paint programs, ignore a colour chunk between
 * PLTE and IDAT (Tux Paint's stamps have one); sozai must open the file
 * too, saying so.  (Among the IDATs such a chunk still breaks the file:
 * x_consecutive_idat.png in corrupt_pngs_fail_cleanly.) */
START_TEST(colour_chunk_after_the_palette_is_ignored_with_a_warning)
{
    TU_SKIP_WITHOUT_DATA();
    size_t len, spliced_len;
    uint8_t *d = tu_read_file(tu_data_path(PNGSUITE "/basn3p08.png"), &len);
    ck_assert_ptr_nonnull(d);
    const uint8_t intent = 0;
    uint8_t *spliced = splice_chunk(d, len, "PLTE", "sRGB", &intent, 1, &spliced_len);
    sz_ctx *ctx = sz_ctx_new();
    int warnings = 0;
    sz_ctx_set_log(ctx, count_srgb_warnings, &warnings);
    sz_doc *plain = NULL, *doc = NULL;
    ck_assert_int_eq(sz_doc_read_memory(ctx, d, len, &plain), SZ_OK);
    ck_assert_int_eq(warnings, 0);
    ck_assert_msg(sz_doc_read_memory(ctx, spliced, spliced_len, &doc) == SZ_OK, "%s", sz_ctx_error(ctx));
    ck_assert_int_eq(warnings, 1);
    ck_assert(tu_same_pixels(tu_doc_image(plain), tu_doc_image(doc)));
    sz_doc_free(doc);
    free(spliced);

    /* and a real stamp laid out that way opens */
    doc = NULL;
    char path[8192];
    snprintf(path, sizeof path, "%s/art/tuxpaint/starters/jigsaw.png", tu_testdata());
    ck_assert_msg(sz_doc_read_file(ctx, path, &doc) == SZ_OK, "%s", sz_ctx_error(ctx));
    ck_assert_int_eq(warnings, 2);
    sz_doc_free(doc);
    sz_doc_free(plain);
    free(d);
    sz_ctx_free(ctx);
}
END_TEST

START_TEST(size_limits_are_enforced_before_decoding)
{
    TU_SKIP_WITHOUT_DATA();
    sz_ctx *ctx = sz_ctx_new();
    sz_ctx_set_limit(ctx, SZ_LIMIT_DOC_PIXELS, 100); /* basn6a16 is 32x32 */
    sz_doc *doc;
    sz_status st = sz_doc_read_file(ctx, tu_data_path(PNGSUITE "/basn6a16.png"), &doc);
    ck_assert_int_eq(st, SZ_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(sz_ctx_error(ctx), "limit"));
    sz_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("png");
    TCase *tc = tcase_create("png");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pngsuite_valid_files_decode);
    tcase_add_test(tc, pngsuite_interlaced_equals_progressive);
    tcase_add_test(tc, pngsuite_known_pixels);
    tcase_add_test(tc, corrupt_pngs_fail_cleanly);
    tcase_add_test(tc, damaged_icc_profile_is_dropped_with_a_warning);
    tcase_add_test(tc, libpng_test_images_decode);
    tcase_add_test(tc, roundtrip_8_and_16_bit_with_icc);
    tcase_add_test(tc, built_profiles_carry_no_date_of_their_making);
    tcase_add_test(tc, roundtrip_every_pngsuite_image);
    tcase_add_test(tc, depth_conversion_on_write);
    tcase_add_test(tc, opaque_images_are_written_without_alpha);
    tcase_add_test(tc, a_plain_image_file_reads_back_as_it_is);
    tcase_add_test(tc, truncations_of_a_valid_file_fail_cleanly);
    tcase_add_test(tc, colour_chunk_after_the_palette_is_ignored_with_a_warning);
    tcase_add_test(tc, size_limits_are_enforced_before_decoding);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
