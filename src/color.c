/*
 * color.c — colour management with LittleCMS: describing and converting
 * embedded profiles, conversions of foreign colour spaces to sRGB, and the
 * linear-light helpers filters average colours with.
 */
#include "internal.h"
#include "color.h"

#include <lcms2.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lcms2 reports errors through a per-context handler; we route them into
 * our own context's text instead of stderr. */
static void lcms_error(cmsContext lc, cmsUInt32Number code, const char *text)
{
    sz_ctx *ctx = cmsGetContextUserData(lc);
    if (ctx && ctx->status == SZ_OK) sz_fail(ctx, SZ_ERR_COLOR, "colour management: %s", text);
}

static cmsContext lcms_context(sz_ctx *ctx)
{
    cmsContext lc = cmsCreateContext(NULL, ctx);
    if (lc) cmsSetLogErrorHandlerTHR(lc, lcms_error);
    return lc;
}

static void describe_profile(const uint8_t *icc, size_t len, char *out, size_t cap)
{
    cmsContext lc = cmsCreateContext(NULL, NULL);
    cmsSetLogErrorHandlerTHR(lc, NULL);
    cmsHPROFILE p = lc ? cmsOpenProfileFromMemTHR(lc, icc, (cmsUInt32Number)len) : NULL;
    if (!p) {
        snprintf(out, cap, "unreadable ICC profile (%zu bytes)", len);
    } else {
        char desc[96] = "";
        cmsGetProfileInfoASCII(p, cmsInfoDescription, "en", "US", desc, sizeof desc);
        snprintf(out, cap, "ICC \"%s\" (%zu bytes)", desc[0] ? desc : "unnamed", len);
        cmsCloseProfile(p);
    }
    if (lc) cmsDeleteContext(lc);
}

void sz_doc_describe_color(sz_doc *doc)
{
    char *d = doc->color_desc;
    size_t cap = sizeof doc->color_desc;
    if (doc->icc)
        describe_profile(doc->icc, doc->icc_len, d, cap);
    else if (doc->srgb_intent >= 0)
        snprintf(d, cap, "sRGB (intent %d)", doc->srgb_intent);
    else if (doc->gamma > 0)
        snprintf(d, cap, "gamma %.5f%s", doc->gamma, doc->has_chrm ? " with chromaticities" : "");
    else
        snprintf(d, cap, "untagged (assumed sRGB)");
}

/* ------------------------------------------------------------------ */
/* Transforms                                                          */
/* ------------------------------------------------------------------ */

struct sz_xform {
    cmsContext lc;
    cmsHTRANSFORM t;
};

static cmsHPROFILE open_source_profile(sz_ctx *ctx, cmsContext lc, const uint8_t *icc, size_t len,
                                       sz_colorspace space, const sz_doc *chunks)
{
    if (icc && len) {
        cmsHPROFILE p = cmsOpenProfileFromMemTHR(lc, icc, (cmsUInt32Number)len);
        if (!p) {
            sz_fail(ctx, SZ_ERR_COLOR, "the embedded ICC profile cannot be read");
            return NULL;
        }
        cmsColorSpaceSignature want = space == SZ_CS_GRAY   ? cmsSigGrayData
                                      : space == SZ_CS_CMYK ? cmsSigCmykData
                                      : space == SZ_CS_LAB  ? cmsSigLabData
                                                            : cmsSigRgbData;
        if (cmsGetColorSpace(p) != want) {
            cmsCloseProfile(p);
            sz_fail(ctx, SZ_ERR_COLOR, "the embedded ICC profile does not describe this colour space");
            return NULL;
        }
        return p;
    }
    switch (space) {
    case SZ_CS_LAB: return cmsCreateLab4ProfileTHR(lc, NULL);
    case SZ_CS_GRAY: {
        cmsToneCurve *c = cmsBuildGamma(lc, 2.2);
        cmsHPROFILE p = c ? cmsCreateGrayProfileTHR(lc, cmsD50_xyY(), c) : NULL;
        if (c) cmsFreeToneCurve(c);
        return p;
    }
    case SZ_CS_RGB:
        if (chunks && chunks->gamma > 0) {
            cmsCIExyY white = {0.3127, 0.3290, 1.0};
            cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1.0}, {0.30, 0.60, 1.0}, {0.15, 0.06, 1.0}};
            if (chunks->has_chrm) {
                white.x = chunks->chrm[0], white.y = chunks->chrm[1];
                prim.Red.x = chunks->chrm[2], prim.Red.y = chunks->chrm[3];
                prim.Green.x = chunks->chrm[4], prim.Green.y = chunks->chrm[5];
                prim.Blue.x = chunks->chrm[6], prim.Blue.y = chunks->chrm[7];
            }
            cmsToneCurve *c = cmsBuildGamma(lc, 1.0 / chunks->gamma);
            cmsToneCurve *trc[3] = {c, c, c};
            cmsHPROFILE p = c ? cmsCreateRGBProfileTHR(lc, &white, &prim, trc) : NULL;
            if (c) cmsFreeToneCurve(c);
            return p;
        }
        return cmsCreate_sRGBProfileTHR(lc);
    case SZ_CS_RGB_LINEAR: {
        cmsCIExyY white = {0.3127, 0.3290, 1.0};
        cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1.0}, {0.30, 0.60, 1.0}, {0.15, 0.06, 1.0}};
        cmsToneCurve *c = cmsBuildGamma(lc, 1.0);
        cmsToneCurve *trc[3] = {c, c, c};
        cmsHPROFILE p = c ? cmsCreateRGBProfileTHR(lc, &white, &prim, trc) : NULL;
        if (c) cmsFreeToneCurve(c);
        return p;
    }
    case SZ_CS_CMYK:
        break;
    }
    return NULL;
}

static cmsUInt32Number lcms_format(sz_colorspace space, int bytes, bool alpha)
{
    cmsUInt32Number f;
    switch (space) {
    case SZ_CS_GRAY: f = COLORSPACE_SH(PT_GRAY) | CHANNELS_SH(1); break;
    case SZ_CS_CMYK: f = COLORSPACE_SH(PT_CMYK) | CHANNELS_SH(4); break;
    case SZ_CS_LAB: f = COLORSPACE_SH(PT_Lab) | CHANNELS_SH(3); break;
    default: f = COLORSPACE_SH(PT_RGB) | CHANNELS_SH(3); break; /* RGB and linear RGB */
    }
    f |= BYTES_SH(bytes); /* 4 with FLOAT_SH: single-precision float */
    if (bytes == 4) f |= FLOAT_SH(1);
    if (alpha) f |= EXTRA_SH(1);
    return f;
}

sz_xform *sz_xform_new(sz_ctx *ctx, const uint8_t *icc, size_t icc_len, sz_colorspace space,
                       int in_bytes, bool in_alpha, int out_bytes, const sz_doc *chunks)
{
    sz_xform *x = sz_calloc(ctx, 1, sizeof *x);
    if (!x) return NULL;
    x->lc = lcms_context(ctx);
    if (!x->lc) {
        free(x);
        sz_fail(ctx, SZ_ERR_NOMEM, "cannot create a colour management context");
        return NULL;
    }
    cmsHPROFILE src = open_source_profile(ctx, x->lc, icc, icc_len, space, chunks);
    cmsHPROFILE dst = cmsCreate_sRGBProfileTHR(x->lc);
    if (src && dst) {
        cmsUInt32Number flags = cmsFLAGS_NOCACHE | (in_alpha ? cmsFLAGS_COPY_ALPHA : 0);
        x->t = cmsCreateTransformTHR(x->lc, src, lcms_format(space, in_bytes, in_alpha), dst,
                                     lcms_format(SZ_CS_RGB, out_bytes, in_alpha),
                                     INTENT_RELATIVE_COLORIMETRIC,
                                     flags | cmsFLAGS_BLACKPOINTCOMPENSATION);
    }
    if (src) cmsCloseProfile(src);
    if (dst) cmsCloseProfile(dst);
    if (!x->t) {
        if (ctx->status == SZ_OK || ctx->status != SZ_ERR_COLOR)
            sz_fail(ctx, SZ_ERR_COLOR, "cannot build a colour transform to sRGB");
        sz_xform_free(x);
        return NULL;
    }
    return x;
}

void sz_xform_run(const sz_xform *x, const void *in, void *out, size_t npixels)
{
    cmsDoTransform(x->t, in, out, (cmsUInt32Number)npixels);
}

void sz_xform_free(sz_xform *x)
{
    if (!x) return;
    if (x->t) cmsDeleteTransform(x->t);
    if (x->lc) cmsDeleteContext(x->lc);
    free(x);
}

bool sz_icc_space(const uint8_t *icc, size_t len, sz_colorspace *space)
{
    if (len < 132) return false;
    uint32_t sig = (uint32_t)icc[16] << 24 | (uint32_t)icc[17] << 16 | (uint32_t)icc[18] << 8 | icc[19];
    switch (sig) {
    case 0x52474220: *space = SZ_CS_RGB; return true;  /* 'RGB ' */
    case 0x47524159: *space = SZ_CS_GRAY; return true; /* 'GRAY' */
    case 0x434D594B: *space = SZ_CS_CMYK; return true; /* 'CMYK' */
    case 0x4C616220: *space = SZ_CS_LAB; return true;  /* 'Lab ' */
    }
    return false;
}

/* A profile's creation date: six 16-bit numbers at this offset of its
 * header, year to second. */
enum { ICC_DATE = 24, ICC_DATE_LEN = 12, ICC_ID = 84, ICC_ID_LEN = 16 };

/* The date a built sRGB profile carries: IEC 61966-2-1's, 1999-10-18. */
static const uint8_t SRGB_DATE[ICC_DATE_LEN] = {0x07, 0xcf, 0, 10, 0, 18, 0, 0, 0, 0, 0, 0};

/* Saves profile p (malloc'd) with the creation date `date` instead of
 * the clock's that lcms2 writes, so that the same input gives the same
 * bytes whenever it is converted (a pipeline's files, a diff, a cache).
 * A profile ID, which the date is part of, would be left out. */
static sz_status save_profile(sz_ctx *ctx, cmsHPROFILE p, const uint8_t date[ICC_DATE_LEN], uint8_t **out,
                              size_t *out_len)
{
    cmsUInt32Number n = 0;
    if (!cmsSaveProfileToMem(p, NULL, &n) || n < ICC_ID + ICC_ID_LEN) return SZ_ERR_COLOR;
    uint8_t *icc = sz_malloc(ctx, n);
    if (!icc) return SZ_ERR_NOMEM;
    if (!cmsSaveProfileToMem(p, icc, &n)) {
        free(icc);
        return SZ_ERR_COLOR;
    }
    memcpy(icc + ICC_DATE, date, ICC_DATE_LEN);
    memset(icc + ICC_ID, 0, ICC_ID_LEN);
    *out = icc, *out_len = n;
    return SZ_OK;
}

sz_status sz_icc_gray_to_rgb(sz_ctx *ctx, const uint8_t *icc, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    cmsContext lc = lcms_context(ctx);
    if (!lc) return sz_fail(ctx, SZ_ERR_NOMEM, "cannot create a colour management context");
    sz_status st = SZ_ERR_COLOR;
    cmsHPROFILE gray = cmsOpenProfileFromMemTHR(lc, icc, (cmsUInt32Number)len);
    cmsHPROFILE rgb = NULL;
    const cmsToneCurve *trc = gray ? cmsReadTag(gray, cmsSigGrayTRCTag) : NULL;
    if (trc) {
        /* Same tone curve on three channels whose primaries add up to the
         * white point: R=G=B=v lands exactly where the gray profile puts v. */
        cmsCIExyY white;
        const cmsCIEXYZ *wp = cmsReadTag(gray, cmsSigMediaWhitePointTag);
        cmsXYZ2xyY(&white, wp ? wp : cmsD50_XYZ());
        white.Y = 1.0;
        cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1.0}, {0.30, 0.60, 1.0}, {0.15, 0.06, 1.0}};
        cmsToneCurve *curves[3] = {(cmsToneCurve *)trc, (cmsToneCurve *)trc, (cmsToneCurve *)trc};
        rgb = cmsCreateRGBProfileTHR(lc, &white, &prim, curves);
    }
    if (rgb) st = save_profile(ctx, rgb, icc + ICC_DATE, out, out_len); /* the gray profile's date */
    if (st == SZ_ERR_COLOR) sz_fail(ctx, SZ_ERR_COLOR, "cannot rebuild the gray ICC profile as RGB");
    if (rgb) cmsCloseProfile(rgb);
    if (gray) cmsCloseProfile(gray);
    cmsDeleteContext(lc);
    return st;
}

sz_status sz_icc_srgb(sz_ctx *ctx, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    cmsContext lc = lcms_context(ctx);
    if (!lc) return sz_fail(ctx, SZ_ERR_NOMEM, "cannot create a colour management context");
    cmsHPROFILE p = cmsCreate_sRGBProfileTHR(lc);
    sz_status st = p ? save_profile(ctx, p, SRGB_DATE, out, out_len) : SZ_ERR_COLOR;
    if (st == SZ_ERR_COLOR) sz_fail(ctx, SZ_ERR_COLOR, "cannot build an sRGB profile");
    if (p) cmsCloseProfile(p);
    cmsDeleteContext(lc);
    return st;
}

/* ------------------------------------------------------------------ */
/* to-srgb                                                             */
/* ------------------------------------------------------------------ */

static sz_status convert_layer(sz_ctx *ctx, const sz_xform *x, sz_image *im)
{
    if (!im || !im->w || !im->h) return SZ_OK;
    /* The transform runs at 16 bits; an 8-bit layer is widened first so the
     * conversion does not lose precision, then narrowed by the caller. */
    sz_status st = sz_image_set_depth(ctx, im, 16);
    if (st) return st;
    int rows = im->h;
#pragma omp parallel for num_threads(sz_threads(ctx)) schedule(static)
    for (int y = 0; y < rows; y++) {
        uint16_t *row = sz_row16(im, y);
        sz_xform_run(x, row, row, (size_t)im->w);
    }
    return SZ_OK;
}

static sz_status convert_tree(sz_ctx *ctx, const sz_xform *x, sz_layer *l, int depth)
{
    for (int i = 0; i < l->nchildren; i++) {
        sz_layer *c = l->children[i];
        sz_status st = convert_tree(ctx, x, c, depth);
        if (!st && c->image) {
            int d = depth ? depth : c->image->depth;
            st = convert_layer(ctx, x, c->image);
            if (!st) st = sz_image_set_depth(ctx, c->image, d);
        }
        if (st) return st;
    }
    return SZ_OK;
}

sz_status sz_doc_to_srgb(sz_ctx *ctx, sz_doc *doc, int depth)
{
    if (depth != 0 && depth != 8 && depth != 16)
        return sz_fail(ctx, SZ_ERR_ARG, "depth must be 8 or 16, not %d", depth);
    bool tagged = doc->icc || doc->gamma > 0;
    if (tagged) {
        sz_xform *x = sz_xform_new(ctx, doc->icc, doc->icc_len, SZ_CS_RGB, 2, true, 2, doc);
        if (!x) return ctx->status;
        sz_status st = convert_tree(ctx, x, doc->root, depth);
        sz_xform_free(x);
        if (st) return st;
    } else if (depth) {
        int n = sz_doc_flatten_tree(doc, NULL, 0);
        sz_layer **all = sz_malloc_array(ctx, (size_t)(n ? n : 1), sizeof *all);
        if (!all) return SZ_ERR_NOMEM;
        sz_doc_flatten_tree(doc, all, n);
        for (int i = 0; i < n; i++)
            if (all[i]->image && sz_image_set_depth(ctx, all[i]->image, depth)) {
                free(all);
                return ctx->status;
            }
        free(all);
    }
    free(doc->icc);
    doc->icc = NULL;
    doc->icc_len = 0;
    doc->gamma = 0;
    doc->has_chrm = false;
    doc->srgb_intent = 0;
    if (depth) doc->depth = depth;
    sz_doc_describe_color(doc);
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Linear light                                                        */
/* ------------------------------------------------------------------ */

#define LIN_TABLE SZ_LIN_TABLE
static float to_linear8[256];
/* 16-bit values are converted on first use (a whole table is 65536 pow()
 * calls, 2 ms: a tenth of the work on a small part, whose pixels use a few
 * hundred values).  An entry holds the float's bits, 0 until computed; the
 * value is the same whichever thread stores it. */
uint32_t sz_to_linear16_bits[65536];
float sz_to_srgb_sqrt[LIN_TABLE + 2]; /* sRGB value indexed by sqrt(linear) */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static double srgb_decode(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double srgb_encode(double v)
{
    return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

static void init_tables(void)
{
    for (int i = 0; i < 256; i++) to_linear8[i] = (float)srgb_decode(i / 255.0);
    for (int i = 0; i <= LIN_TABLE + 1; i++) {
        double u = (double)i / LIN_TABLE;
        sz_to_srgb_sqrt[i] = (float)srgb_encode(u * u > 1 ? 1 : u * u);
    }
}

void sz_linear_init(void)
{
    pthread_once(&tables_once, init_tables);
}

float sz_srgb8_to_linear(uint8_t v)
{
    return to_linear8[v];
}

float sz_srgb16_to_linear_slow(uint16_t v)
{
    float f = (float)srgb_decode(v / 65535.0);
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    __atomic_store_n(&sz_to_linear16_bits[v], bits, __ATOMIC_RELAXED);
    return f;
}

float sz_srgb_to_linear(float v)
{
    if (v <= 0) return 0;
    if (v >= 1) return 1;
    return (float)srgb_decode(v);
}

