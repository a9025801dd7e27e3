/*
 * color.h — colour transforms to sRGB and linear-light helpers, shared by
 * the codecs (CMYK, Lab, gray profiles) and the filters (averaging).
 */
#ifndef SOZAI_COLOR_H
#define SOZAI_COLOR_H

#include "internal.h"

typedef enum sz_colorspace {
    SZ_CS_RGB,
    SZ_CS_GRAY,
    SZ_CS_CMYK,
    SZ_CS_LAB,
    SZ_CS_RGB_LINEAR /* RGB whose default profile is linear sRGB (32-bit float documents) */
} sz_colorspace;

typedef struct sz_xform sz_xform;

/** A transform from `space` (described by `icc`, or a default when NULL:
 *  sRGB, the PNG gAMA/cHRM chunks of `chunks`, linear sRGB, gamma-2.2
 *  gray or D50 Lab;
 *  CMYK needs a profile) to sRGB.  Samples are 1 or 2 bytes (integers) or
 *  4 (float); with `alpha` one extra sample per pixel is copied.  The
 *  transform may be shared by threads. */
SZ_INTERNAL sz_xform *sz_xform_new(sz_ctx *ctx, const uint8_t *icc, size_t icc_len,
                                   sz_colorspace space, int in_bytes, bool alpha, int out_bytes,
                                   const sz_doc *chunks);
SZ_INTERNAL void sz_xform_run(const sz_xform *x, const void *in, void *out, size_t npixels);
SZ_INTERNAL void sz_xform_free(sz_xform *x);

/** The colour space an ICC profile's header declares. */
SZ_INTERNAL bool sz_icc_space(const uint8_t *icc, size_t len, sz_colorspace *space);
/** An RGB profile that maps R=G=B=v where the gray profile maps v. */
SZ_INTERNAL sz_status sz_icc_gray_to_rgb(sz_ctx *ctx, const uint8_t *icc, size_t len, uint8_t **out,
                                         size_t *out_len);
/** A freshly built sRGB profile (malloc'd). */
SZ_INTERNAL sz_status sz_icc_srgb(sz_ctx *ctx, uint8_t **out, size_t *out_len);

/** Call once before the sz_*linear* functions below (cheap after the first). */
SZ_INTERNAL void sz_linear_init(void);
SZ_INTERNAL float sz_srgb8_to_linear(uint8_t v);
SZ_INTERNAL float sz_srgb16_to_linear(uint16_t v);
SZ_INTERNAL float sz_srgb_to_linear(float v);
SZ_INTERNAL float sz_linear_to_srgb(float v);

#endif
