/*
 * image.c — RGBA pixel buffers with straight alpha at 8 or 16 bits.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static sz_image *image_alloc(sz_ctx *ctx, int w, int h, int depth, bool zero)
{
    if (depth != 8 && depth != 16) {
        sz_fail(ctx, SZ_ERR_ARG, "image depth must be 8 or 16, not %d", depth);
        return NULL;
    }
    if (sz_check_layer_size(ctx, w, h)) return NULL;
    sz_image *im = sz_calloc(ctx, 1, sizeof *im);
    if (!im) return NULL;
    im->w = w;
    im->h = h;
    im->depth = depth;
    im->stride = (size_t)w * 4 * (size_t)(depth / 8);
    size_t bytes = im->stride * (size_t)h;
    im->data = zero ? sz_calloc(ctx, 1, bytes) : sz_malloc(ctx, bytes);
    if (!im->data) {
        free(im);
        return NULL;
    }
    return im;
}

sz_image *sz_image_new(sz_ctx *ctx, int width, int height, int depth)
{
    return image_alloc(ctx, width, height, depth, true);
}

sz_image *sz_image_new_from_data(sz_ctx *ctx, int width, int height, int depth, const void *data,
                                 size_t stride)
{
    sz_image *im = image_alloc(ctx, width, height, depth, false);
    if (!im) return NULL;
    if (stride < im->stride) {
        sz_image_free(im);
        sz_fail(ctx, SZ_ERR_ARG, "stride %zu is shorter than a row", stride);
        return NULL;
    }
    for (int y = 0; y < height; y++)
        memcpy(sz_row8(im, y), (const uint8_t *)data + (size_t)y * stride, im->stride);
    return im;
}

sz_image *sz_image_copy(sz_ctx *ctx, const sz_image *src)
{
    return sz_image_new_from_data(ctx, src->w, src->h, src->depth, src->data, src->stride);
}

void sz_image_free(sz_image *img)
{
    if (!img) return;
    free(img->data);
    free(img);
}

int sz_image_width(const sz_image *img) { return img->w; }
int sz_image_height(const sz_image *img) { return img->h; }
int sz_image_depth(const sz_image *img) { return img->depth; }
size_t sz_image_stride(const sz_image *img) { return img->stride; }
void *sz_image_data(sz_image *img) { return img->data; }
const void *sz_image_cdata(const sz_image *img) { return img->data; }

sz_status sz_image_set_depth(sz_ctx *ctx, sz_image *img, int depth)
{
    if (depth != 8 && depth != 16)
        return sz_fail(ctx, SZ_ERR_ARG, "image depth must be 8 or 16, not %d", depth);
    if (depth == img->depth) return SZ_OK;
    sz_image *n = image_alloc(ctx, img->w, img->h, depth, false);
    if (!n) return ctx->status;
    for (int y = 0; y < img->h; y++) {
        size_t count = (size_t)img->w * 4;
        if (depth == 8) {
            const uint16_t *s = sz_row16(img, y);
            uint8_t *d = sz_row8(n, y);
            for (size_t i = 0; i < count; i++) d[i] = sz_16to8(s[i]);
        } else {
            const uint8_t *s = sz_row8(img, y);
            uint16_t *d = sz_row16(n, y);
            for (size_t i = 0; i < count; i++) d[i] = (uint16_t)(s[i] * 257u);
        }
    }
    free(img->data);
    img->data = n->data;
    img->stride = n->stride;
    img->depth = depth;
    free(n);
    return SZ_OK;
}

/* The alpha of a pixel read as a whole word: an 8-bit pair of pixels is
 * one 64-bit load, masked to its two alpha bytes, a 16-bit pixel one load
 * masked to its alpha.  (The masks pick the same bytes whatever the byte
 * order, since alpha is byte 3 of each 4 and samples 3 of each 4.) */
static uint64_t alpha_mask(int depth)
{
    uint8_t bytes[8] = {0};
    if (depth == 8) bytes[3] = bytes[7] = 0xFF;
    else bytes[6] = bytes[7] = 0xFF;
    uint64_t m;
    memcpy(&m, bytes, sizeof m);
    return m;
}

/* How many pixels one 64-bit word of a row holds. */
static int pixels_per_word(const sz_image *im)
{
    return im->depth == 8 ? 2 : 1;
}

/* The first pixel of row y in [from, to) with alpha > 0, or `to`: whole
 * words first, then pixel by pixel from the word that has one (or the
 * pixel left over). */
static int first_visible(const sz_image *im, int y, int from, int to, uint64_t mask)
{
    const uint8_t *row = sz_row8(im, y);
    int per = pixels_per_word(im), x = from;
    for (; x + per <= to; x += per) {
        uint64_t word;
        memcpy(&word, row + (size_t)(8 / per) * (size_t)x, sizeof word);
        if (word & mask) break;
    }
    for (; x < to; x++)
        if (sz_alpha16(im, x, y)) return x;
    return to;
}

/* The last pixel of row y in [from, to) with alpha > 0, or from - 1. */
static int last_visible(const sz_image *im, int y, int from, int to, uint64_t mask)
{
    const uint8_t *row = sz_row8(im, y);
    int per = pixels_per_word(im), x = to - 1;
    for (; x - per + 1 >= from; x -= per) {
        uint64_t word;
        memcpy(&word, row + (size_t)(8 / per) * (size_t)(x - per + 1), sizeof word);
        if (word & mask) break;
    }
    for (; x >= from; x--)
        if (sz_alpha16(im, x, y)) return x;
    return from - 1;
}

bool sz_image_alpha_bounds(const sz_image *im, int *x0, int *y0, int *x1, int *y1)
{
    int w = im->w, h = im->h;
    uint64_t mask = alpha_mask(im->depth);
    /* the first and the last row with content, read whole; in between, a
     * row is read only outside the columns the rows before have shown to
     * be in: from the left up to the left bound found so far, from the
     * right down to the right one */
    int by0 = 0, by1 = h - 1;
    while (by0 < h && first_visible(im, by0, 0, w, mask) == w) by0++;
    if (by0 == h) return false;
    while (first_visible(im, by1, 0, w, mask) == w) by1--;
    int bx0 = w, bx1 = -1;
    for (int y = by0; y <= by1; y++) {
        bx0 = first_visible(im, y, 0, bx0, mask);
        bx1 = SZ_MAX(bx1, last_visible(im, y, bx1 + 1, w, mask));
    }
    *x0 = bx0;
    *y0 = by0;
    *x1 = bx1 + 1;
    *y1 = by1 + 1;
    return true;
}

sz_image *sz_image_crop(sz_ctx *ctx, const sz_image *im, int x0, int y0, int x1, int y1)
{
    sz_image *out = sz_image_new(ctx, x1 - x0, y1 - y0, im->depth);
    if (!out) return NULL;
    int sx0 = SZ_MAX(x0, 0), sx1 = SZ_MIN(x1, im->w);
    int sy0 = SZ_MAX(y0, 0), sy1 = SZ_MIN(y1, im->h);
    size_t bpp = 4 * (size_t)(im->depth / 8);
    for (int y = sy0; y < sy1 && sx1 > sx0; y++)
        memcpy(sz_row8(out, y - y0) + (size_t)(sx0 - x0) * bpp, sz_row8(im, y) + (size_t)sx0 * bpp,
               (size_t)(sx1 - sx0) * bpp);
    return out;
}
