/*
 * io_png.c — PNG through libpng: every colour type and depth to RGBA at 8
 * or 16 bits, interlacing, tRNS, and the colour chunks (iCCP, sRGB, gAMA,
 * cHRM) kept for writing back.
 */
#include "internal.h"
#include "color.h"

#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdlib.h>

typedef struct png_io {
    sz_ctx *ctx;
    const uint8_t *data;
    size_t len, pos;
    sz_buf *out;
    jmp_buf jmp;
} png_io;

static void on_error(png_structp png, png_const_charp msg)
{
    png_io *io = png_get_error_ptr(png);
    if (io->ctx->status == SZ_OK) sz_fail(io->ctx, SZ_ERR_FORMAT, "PNG: %s", msg);
    longjmp(io->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    png_io *io = png_get_error_ptr(png);
    sz_log(io->ctx, SZ_LOG_DEBUG, "PNG: %s", msg);
}

static void read_fn(png_structp png, png_bytep dst, size_t n)
{
    png_io *io = png_get_io_ptr(png);
    if (n > io->len - io->pos) png_error(png, "file is truncated");
    memcpy(dst, io->data + io->pos, n);
    io->pos += n;
}

/* An iCCP chunk: name, NUL, method 0, zlib stream.  Bounded inflate; the
 * profile must look like ICC (its size field matches, 'acsp' signature). */
static sz_status decode_iccp(sz_ctx *ctx, const uint8_t *d, size_t n, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    size_t k = 0;
    while (k < n && k < 80 && d[k]) k++;
    if (k == 0 || k >= n || k >= 80 || k + 2 > n || d[k + 1] != 0)
        return sz_fail(ctx, SZ_ERR_FORMAT, "the iCCP chunk is damaged");
    const size_t max = 64u << 20;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = sz_malloc(ctx, cap);
    if (!buf) return SZ_ERR_NOMEM;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK) {
        free(buf);
        return sz_fail(ctx, SZ_ERR_NOMEM, "cannot start zlib");
    }
    z.next_in = (Bytef *)(d + k + 2);
    z.avail_in = (uInt)(n - k - 2);
    int zr = Z_OK;
    while (zr == Z_OK) {
        if (len == cap) {
            uint8_t *b = cap < max ? realloc(buf, cap * 2) : NULL;
            if (!b) break;
            buf = b;
            cap *= 2;
        }
        z.next_out = buf + len;
        z.avail_out = (uInt)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_in == 0) break;
        if (zr == Z_BUF_ERROR) zr = Z_OK;
    }
    inflateEnd(&z);
    uint32_t declared = len >= 4 ? (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3] : 0;
    if (zr != Z_STREAM_END || len < 132 || declared != len || memcmp(buf + 36, "acsp", 4)) {
        free(buf);
        return sz_fail(ctx, SZ_ERR_FORMAT, "the embedded ICC profile is damaged");
    }
    *out = buf;
    *out_len = len;
    return SZ_OK;
}

__attribute__((noinline)) /* keeps its locals out of setjmp's frame */
static sz_status read_colour_chunks(sz_ctx *ctx, png_structp png, png_infop info, sz_doc *doc,
                                    int color_type)
{
    png_unknown_chunkp chunks;
    int nchunks = png_get_unknown_chunks(png, info, &chunks);
    for (int i = 0; i < nchunks; i++) {
        if (memcmp(chunks[i].name, "iCCP", 4)) continue;
        uint8_t *profile = NULL;
        size_t plen = 0;
        if (decode_iccp(ctx, chunks[i].data, chunks[i].size, &profile, &plen)) {
            if (ctx->status == SZ_ERR_NOMEM) return SZ_ERR_NOMEM;
            sz_warn(ctx, "PNG: %s; the image is read without it", ctx->error);
            sz_ctx_clear_error(ctx);
            break;
        }
        sz_colorspace space;
        sz_status st = SZ_OK;
        if (!(color_type & PNG_COLOR_MASK_COLOR) && sz_icc_space(profile, plen, &space) &&
            space == SZ_CS_GRAY) {
            /* The pixels are widened to RGB, so the gray profile becomes the
             * equivalent RGB one. */
            uint8_t *rgb;
            size_t rlen;
            if (sz_icc_gray_to_rgb(ctx, profile, plen, &rgb, &rlen)) {
                sz_warn(ctx, "PNG: the gray ICC profile could not be converted; dropping it");
                sz_ctx_clear_error(ctx);
            } else {
                st = sz_doc_set_icc(ctx, doc, rgb, rlen);
                free(rgb);
            }
        } else {
            st = sz_doc_set_icc(ctx, doc, profile, plen);
        }
        free(profile);
        if (st) return st;
        break;
    }
    int intent;
    if (png_get_sRGB(png, info, &intent)) doc->srgb_intent = intent;
    double g;
    if (png_get_gAMA(png, info, &g) && g > 0) doc->gamma = g;
    double c[8];
    if (png_get_cHRM(png, info, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7])) {
        doc->has_chrm = true;
        memcpy(doc->chrm, c, sizeof c);
    }
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx)
        doc->ppi = rx * 0.0254;
    sz_doc_describe_color(doc);
    return SZ_OK;
}

/* The colour chunks (gAMA, cHRM, sRGB, sBIT) must come before PLTE.  Some
 * files put one between PLTE and IDAT (Tux Paint's stamps do); libpng's
 * default, and so every paint program, ignores it there.  sozai makes
 * benign errors fatal (see below), so such a file would be refused whole
 * for a chunk that changes no pixel: it is dropped from the stream
 * instead, with a warning.  Only there: a chunk among the IDATs breaks
 * the image data itself, and stays an error.  Returns a copy without
 * those chunks, or NULL (with *st SZ_OK) when there is none; a broken
 * chunk structure is left for libpng to report. */
static uint8_t *drop_misplaced_colour_chunks(sz_ctx *ctx, const uint8_t *d, size_t len, size_t *out_len,
                                             sz_status *st)
{
    static const char colour[][5] = {"gAMA", "cHRM", "sRGB", "sBIT"};
    uint8_t *copy = NULL;
    size_t kept = 0, pos = 8;
    bool palette = false;
    *st = SZ_OK;
    while (len >= 12 && pos <= len - 12) {
        png_uint_32 n = png_get_uint_32(d + pos);
        if (n > len - 12 - pos) break;
        const char *type = (const char *)d + pos + 4;
        bool drop = false;
        for (size_t k = 0; k < SZ_COUNTOF(colour) && palette; k++) drop = drop || !memcmp(type, colour[k], 4);
        if (drop) {
            if (!copy) {
                if (!(copy = sz_malloc(ctx, len))) {
                    *st = SZ_ERR_NOMEM;
                    return NULL;
                }
                memcpy(copy, d, pos);
                kept = pos;
            }
            sz_warn(ctx, "PNG: the %.4s chunk after PLTE is ignored (it belongs before it), as other readers ignore it",
                    type);
        } else if (copy) {
            memcpy(copy + kept, d + pos, 12 + (size_t)n);
            kept += 12 + (size_t)n;
        }
        pos += 12 + (size_t)n;
        if (!memcmp(type, "PLTE", 4)) palette = true;
        if (!memcmp(type, "IDAT", 4) || !memcmp(type, "IEND", 4)) break; /* the rest is libpng's to judge */
    }
    if (copy) {
        /* whatever follows, as it is: libpng judges it */
        memcpy(copy + kept, d + pos, len - pos);
        *out_len = kept + (len - pos);
    }
    return copy;
}

static sz_status read_png(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    png_io io = {.ctx = ctx, .data = data, .len = len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    sz_doc *volatile doc = NULL;
    sz_image *volatile img = NULL;
    png_bytep *volatile rows = NULL;
    *out = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return sz_fail(ctx, SZ_ERR_NOMEM, "cannot create a PNG decoder");
    }
    if (setjmp(io.jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        sz_image_free(img);
        sz_doc_free(doc);
        return ctx->status ? ctx->status : SZ_ERR_FORMAT;
    }
    png_set_read_fn(png, &io, read_fn);
    /* A damaged ancillary chunk is an error, not a silent skip: the user
     * learns the file is broken before anything is written from it. */
    png_set_benign_errors(png, 0);
    /* The one exception is the ICC profile: we take iCCP as a raw chunk and
     * decode it ourselves, so a damaged profile costs a warning, not the
     * artist's pixels. */
    static const png_byte iccp_name[] = {'i', 'C', 'C', 'P', '\0'};
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, iccp_name, 1);
    /* Bound what the file may make us allocate before it can do so. */
    png_set_user_limits(png, 1u << 24, 1u << 24);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_set_chunk_cache_max(png, 10000);
    png_read_info(png, info);

    png_uint_32 w, h;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (sz_check_canvas_size(ctx, w, h) || sz_check_layer_size(ctx, w, h)) longjmp(io.jmp, 1);
    int depth = bit_depth == 16 ? 16 : 8;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (!(color_type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_add_alpha(png, depth == 16 ? 0xffff : 0xff, PNG_FILLER_AFTER);
#ifndef WORDS_BIGENDIAN
    if (depth == 16) png_set_swap(png);
#endif
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4 * (size_t)(depth / 8))
        png_error(png, "unexpected row layout after transformations");

    doc = sz_doc_new(ctx, (int)w, (int)h);
    if (!doc) longjmp(io.jmp, 1);
    doc->depth = depth;
    doc->source_depth = bit_depth;
    doc->source_format = SZ_FORMAT_PNG;
    doc->source_mode = color_type == PNG_COLOR_TYPE_PALETTE ? SZ_MODE_INDEXED
                       : (color_type & PNG_COLOR_MASK_COLOR) ? SZ_MODE_RGB
                                                             : SZ_MODE_GRAY;
    if (read_colour_chunks(ctx, png, info, doc, color_type)) longjmp(io.jmp, 1);
    img = sz_image_new(ctx, (int)w, (int)h, depth);
    rows = img ? sz_malloc_array(ctx, h, sizeof *rows) : NULL;
    if (!rows) longjmp(io.jmp, 1);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = sz_row8(img, (int)y);
    png_read_image(png, rows);
    png_read_end(png, NULL);

    sz_layer *l = sz_layer_new(ctx, doc->root, SZ_LAYER_PIXEL, "image");
    if (!l) longjmp(io.jmp, 1);
    sz_layer_set_image(l, img);
    img = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *out = doc;
    return SZ_OK;
}

sz_status sz_png_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    *out = NULL;
    size_t clean_len = 0;
    sz_status st;
    uint8_t *clean = drop_misplaced_colour_chunks(ctx, data, len, &clean_len, &st);
    if (st) return st;
    st = clean ? read_png(ctx, clean, clean_len, out) : read_png(ctx, data, len, out);
    free(clean);
    return st;
}

/* ------------------------------------------------------------------ */

static void write_fn(png_structp png, png_bytep src, size_t n)
{
    png_io *io = png_get_io_ptr(png);
    sz_buf_append(io->out, src, n);
    if (io->out->failed) png_error(png, "out of memory");
}

static void flush_fn(png_structp png) { (void)png; }

static bool image_opaque(const sz_image *im)
{
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (sz_alpha16(im, x, y) != 65535) return false;
    return true;
}

sz_status sz_png_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt, sz_buf *out)
{
    int depth = opt->depth ? opt->depth : doc->depth;
    bool owned;
    sz_image *img = sz_doc_flat_image(ctx, doc, depth, "PNG", &owned);
    if (!img) return ctx->status;
    bool opaque = image_opaque(img);
    png_io io = {.ctx = ctx, .out = out};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile row = NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        if (owned) sz_image_free(img);
        return sz_fail(ctx, SZ_ERR_NOMEM, "cannot create a PNG encoder");
    }
    if (setjmp(io.jmp)) {
        png_destroy_write_struct(&png, &info);
        free(row);
        if (owned) sz_image_free(img);
        return ctx->status ? ctx->status : SZ_ERR_INTERNAL;
    }
    png_set_write_fn(png, &io, write_fn, flush_fn);
    /* Profiles are written as they came: libpng's opinion of a well-known
     * sRGB profile is no reason to drop it or fail. */
    png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    png_set_benign_errors(png, 1);
    /* Level 3 with the Sub and Paeth filters: within a few percent of level 6
     * with every filter on illustrations, at a third of the time. */
    png_set_compression_level(png, opt->level ? opt->level : 3);
    if (!opt->level) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB | PNG_FILTER_PAETH);
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, depth,
                 opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (doc->icc) {
        png_set_iCCP(png, info, "ICC Profile", PNG_COMPRESSION_TYPE_BASE, doc->icc,
                     (png_uint_32)doc->icc_len);
    } else if (doc->srgb_intent >= 0) {
        png_set_sRGB(png, info, doc->srgb_intent);
    } else {
        if (doc->gamma > 0) png_set_gAMA(png, info, doc->gamma);
        if (doc->has_chrm)
            png_set_cHRM(png, info, doc->chrm[0], doc->chrm[1], doc->chrm[2], doc->chrm[3],
                         doc->chrm[4], doc->chrm[5], doc->chrm[6], doc->chrm[7]);
    }
    if (doc->ppi > 0) {
        png_uint_32 ppm = (png_uint_32)(doc->ppi / 0.0254 + 0.5);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    png_write_info(png, info);
    if (opaque) png_set_filler(png, 0, PNG_FILLER_AFTER); /* strips the alpha sample */
#ifndef WORDS_BIGENDIAN
    if (depth == 16) png_set_swap(png);
#endif
    for (int y = 0; y < img->h; y++) png_write_row(png, sz_row8(img, y));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (owned) sz_image_free(img);
    return SZ_OK;
}
