/*
 * color.h — colour transforms to sRGB and linear-light helpers, shared by
 * the codecs (CMYK, Lab, gray profiles) and the filters (averaging).
 */
#ifndef SOZAI_COLOR_H
#define SOZAI_COLOR_H

#include "internal.h"

#include <math.h>
#include <string.h>

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
SZ_INTERNAL float sz_srgb_to_linear(float v);

/* The two conversions every fill makes per pixel are inline: their tables
 * live in color.c (a 16-bit entry holds the float's bits, 0 until first
 * used; sz_srgb16_to_linear_slow() makes it). */
#define SZ_LIN_TABLE 4096
SZ_INTERNAL extern uint32_t sz_to_linear16_bits[65536];
SZ_INTERNAL extern float sz_to_srgb_sqrt[SZ_LIN_TABLE + 2];
SZ_INTERNAL float sz_srgb16_to_linear_slow(uint16_t v);

static inline float sz_srgb16_to_linear(uint16_t v)
{
    uint32_t bits = __atomic_load_n(&sz_to_linear16_bits[v], __ATOMIC_RELAXED);
    if (!bits) return sz_srgb16_to_linear_slow(v);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/** Rec. 601 luma of a 16-bit pixel on the 8-bit scale, 0..255 (for
 *  histograms of how dark a part is). */
static inline unsigned sz_luma8(const uint16_t c[4])
{
    return (c[0] * 299u + c[1] * 587u + c[2] * 114u) / 257000u;
}

/** The same of an 8-bit pixel (equal to sz_luma8 of its 16-bit form). */
static inline unsigned sz_luma8_of8(const uint8_t c[4])
{
    return (c[0] * 299u + c[1] * 587u + c[2] * 114u) / 1000u;
}

/** Linear light to sRGB, 0..1: interpolated in a table indexed by the
 *  square root of the value (fine where the curve is steep). */
static inline float sz_linear_to_srgb(float v)
{
    if (v <= 0) return 0;
    if (v >= 1) return 1;
    float u = sqrtf(v) * SZ_LIN_TABLE;
    int i = (int)u;
    float f = u - (float)i;
    return sz_to_srgb_sqrt[i] + (sz_to_srgb_sqrt[i + 1] - sz_to_srgb_sqrt[i]) * f;
}

#endif
