/*
 * image.c — RGBA pixel buffers with straight alpha at 8 or 16 bits.
 */
#include "internal.h"

#include <stdlib.h>

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

bool sz_image_alpha_bounds(const sz_image *im, int *x0, int *y0, int *x1, int *y1)
{
    int bx0 = im->w, by0 = im->h, bx1 = -1, by1 = -1;
    for (int y = 0; y < im->h; y++) {
        /* from the left to the first, from the right to the last: a row
         * with content is read only up to its edges */
        int first = 0, last = im->w - 1;
        while (first < im->w && !sz_alpha16(im, first, y)) first++;
        if (first == im->w) continue;
        while (!sz_alpha16(im, last, y)) last--;
        if (by0 > y) by0 = y;
        by1 = y;
        if (first < bx0) bx0 = first;
        if (last > bx1) bx1 = last;
    }
    if (bx1 < 0) return false;
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
