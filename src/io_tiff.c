/*
 * io_tiff.c — TIFF through libtiff.
 *
 * Reading: every page becomes a layer (PageName = name, X/YPosition =
 * offset, the Pixar full-image tags = canvas).  Gray, RGB, palette and CMYK
 * at 1-16 bits and 32-bit float are decoded natively from strips or tiles,
 * contiguous or planar, with associated or unassociated alpha; anything
 * else libtiff can render (YCbCr, CIELab, LogLuv, odd depths, old JPEG)
 * goes through its RGBA interface at 8 bits.
 *
 * Writing: one page per pixel layer, bottom first, RGBA with unassociated
 * alpha, deflate with horizontal prediction, ICC profile on every page.
 *
 * libtiff's functions are called through the table sz_libtiff, loaded
 * when a stream is first opened (tiff_lib.c).
 */
#include "internal.h"
#include "color.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "tiff_lib.h"

/* ------------------------------------------------------------------ */
/* In-memory streams                                                   */
/* ------------------------------------------------------------------ */

typedef struct mem_stream {
    sz_ctx *ctx;
    const uint8_t *rdata; /* reading */
    sz_buf *wbuf;         /* writing */
    size_t len, pos;
} mem_stream;

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    mem_stream *m = h;
    /* libtiff reads back what it wrote when it links directories. */
    const uint8_t *data = m->wbuf ? m->wbuf->data : m->rdata;
    size_t len = m->wbuf ? m->wbuf->len : m->len;
    if (n < 0 || !data) return n < 0 ? -1 : 0;
    size_t avail = m->pos < len ? len - m->pos : 0;
    size_t k = (size_t)n < avail ? (size_t)n : avail;
    memcpy(buf, data + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    mem_stream *m = h;
    if (n < 0 || !m->wbuf) return -1;
    size_t end = m->pos + (size_t)n;
    if (end > m->wbuf->len) {
        if (!sz_buf_reserve(m->wbuf, end - m->wbuf->len)) return -1;
        memset(m->wbuf->data + m->wbuf->len, 0, end - m->wbuf->len);
        m->wbuf->len = end;
    }
    memcpy(m->wbuf->data + m->pos, buf, (size_t)n);
    m->pos = end;
    return n;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    mem_stream *m = h;
    size_t size = m->wbuf ? m->wbuf->len : m->len;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : size;
    uint64_t np = base + off;
    if (whence != SEEK_SET && (int64_t)off < 0) np = base - (uint64_t)(-(int64_t)off);
    if (np > (uint64_t)SIZE_MAX / 2) return (toff_t)-1;
    m->pos = (size_t)np;
    return np;
}

static int mem_close(thandle_t h) { (void)h; return 0; }

static toff_t mem_size(thandle_t h)
{
    mem_stream *m = h;
    return m->wbuf ? m->wbuf->len : m->len;
}

static int mem_map(thandle_t h, void **base, toff_t *size) { (void)h, (void)base, (void)size; return 0; }
static void mem_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    sz_ctx *ctx = user;
    if (ctx->status == SZ_OK) {
        char msg[512];
        vsnprintf(msg, sizeof msg, fmt, ap);
        sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: %s%s%s", module ? module : "", module ? ": " : "", msg);
    }
    return 1; /* handled: keep libtiff's global handler (stderr) out of it */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    sz_ctx *ctx = user;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    sz_log(ctx, SZ_LOG_DEBUG, "TIFF: %s", msg);
    return 1;
}

static TIFF *open_stream(sz_ctx *ctx, mem_stream *m, const char *mode)
{
    if (sz_libtiff_open(ctx)) return NULL;
    TIFFOpenOptions *o = sz_libtiff.OpenOptionsAlloc();
    if (!o) {
        sz_fail(ctx, SZ_ERR_NOMEM, "out of memory");
        return NULL;
    }
    uint64_t cap = ctx->limits[SZ_LIMIT_LAYER_PIXELS] * 16;
    if (cap > ctx->limits[SZ_LIMIT_MEMORY]) cap = ctx->limits[SZ_LIMIT_MEMORY];
    sz_libtiff.OpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)(cap > INT64_MAX ? INT64_MAX : cap));
    sz_libtiff.OpenOptionsSetErrorHandlerExtR(o, on_error, ctx);
    sz_libtiff.OpenOptionsSetWarningHandlerExtR(o, on_warning, ctx);
    TIFF *t = sz_libtiff.ClientOpenExt("memory", mode, m, mem_read, mem_write, mem_seek, mem_close, mem_size,
                                mem_map, mem_unmap, o);
    sz_libtiff.OpenOptionsFree(o);
    if (!t && ctx->status == SZ_OK) sz_fail(ctx, SZ_ERR_FORMAT, "not a readable TIFF file");
    return t;
}

/* ------------------------------------------------------------------ */
/* Reading one page                                                    */
/* ------------------------------------------------------------------ */

typedef struct page_info {
    uint32_t w, h;
    uint16_t spp, bps, fmt, photometric, planar, compression, orientation, inkset;
    uint16_t extra_count;
    uint16_t *extra;
    int alpha_index;     /* sample index of alpha, -1 none */
    bool associated;     /* premultiplied alpha */
    int color_samples;   /* 1 gray/palette, 3 RGB, 4 CMYK */
} page_info;

/* Decodes the whole page into a raw buffer laid out as libtiff stores it
 * (planes one after another for planar files), from strips or tiles. */
static sz_status read_raw(sz_ctx *ctx, TIFF *tif, const page_info *pi, uint8_t **out, size_t *row_bytes)
{
    int planes = pi->planar == PLANARCONFIG_SEPARATE ? pi->spp : 1;
    int per_plane = pi->planar == PLANARCONFIG_SEPARATE ? 1 : pi->spp;
    uint64_t rb = ((uint64_t)pi->w * per_plane * pi->bps + 7) / 8;
    uint64_t plane_bytes = rb * pi->h;
    if (plane_bytes * planes > ctx->limits[SZ_LIMIT_MEMORY])
        return sz_fail(ctx, SZ_ERR_LIMIT, "TIFF page exceeds the memory limit");
    uint8_t *raw = sz_calloc(ctx, (size_t)plane_bytes, (size_t)planes);
    if (!raw) return SZ_ERR_NOMEM;
    *row_bytes = (size_t)rb;
    sz_status st = SZ_OK;
    if (sz_libtiff.IsTiled(tif)) {
        uint32_t tw = 0, th = 0;
        sz_libtiff.GetField(tif, TIFFTAG_TILEWIDTH, &tw);
        sz_libtiff.GetField(tif, TIFFTAG_TILELENGTH, &th);
        tmsize_t tsize = sz_libtiff.TileSize(tif);
        uint64_t trb = ((uint64_t)tw * per_plane * pi->bps + 7) / 8;
        if (!tw || !th || tsize <= 0 || trb * th > (uint64_t)tsize || ((uint64_t)tw * per_plane * pi->bps) % 8) {
            free(raw);
            return sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: bad tile layout");
        }
        uint8_t *tile = sz_malloc(ctx, (size_t)tsize);
        if (!tile) {
            free(raw);
            return SZ_ERR_NOMEM;
        }
        uint64_t px_bits = (uint64_t)per_plane * pi->bps;
        for (int p = 0; p < planes && !st; p++)
            for (uint32_t ty = 0; ty < pi->h && !st; ty += th)
                for (uint32_t tx = 0; tx < pi->w && !st; tx += tw) {
                    ttile_t t = sz_libtiff.ComputeTile(tif, tx, ty, 0, (uint16_t)p);
                    if (sz_libtiff.ReadEncodedTile(tif, t, tile, tsize) < 0) {
                        st = ctx->status ? ctx->status : sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: bad tile");
                        break;
                    }
                    uint32_t cw = SZ_MIN(tw, pi->w - tx), ch = SZ_MIN(th, pi->h - ty);
                    /* Tile widths are multiples of 16, so a tile starts on a byte. */
                    size_t off = (size_t)(tx * px_bits / 8), bytes = (size_t)((cw * px_bits + 7) / 8);
                    for (uint32_t y = 0; y < ch; y++)
                        memcpy(raw + p * plane_bytes + (ty + y) * rb + off, tile + y * trb, bytes);
                }
        free(tile);
    } else {
        uint32_t rps = pi->h;
        sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        if (rps == 0 || rps > pi->h) rps = pi->h;
        uint32_t strips_per_plane = (pi->h + rps - 1) / rps;
        tmsize_t ssize = sz_libtiff.StripSize(tif);
        if (ssize <= 0) {
            free(raw);
            return sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: bad strip layout");
        }
        uint8_t *strip = sz_malloc(ctx, (size_t)ssize);
        if (!strip) {
            free(raw);
            return SZ_ERR_NOMEM;
        }
        for (int p = 0; p < planes && !st; p++)
            for (uint32_t s = 0; s < strips_per_plane && !st; s++) {
                uint32_t y0 = s * rps, rows = SZ_MIN(rps, pi->h - y0);
                tstrip_t idx = sz_libtiff.ComputeStrip(tif, y0, (uint16_t)p);
                tmsize_t got = sz_libtiff.ReadEncodedStrip(tif, idx, strip, ssize);
                if (got < 0) {
                    st = ctx->status ? ctx->status : sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: bad strip");
                    break;
                }
                size_t want = (size_t)rows * (size_t)rb;
                if ((size_t)got < want) /* a short last strip: keep what is there */
                    want = (size_t)got;
                memcpy(raw + p * plane_bytes + (uint64_t)y0 * rb, strip, want);
            }
        free(strip);
    }
    if (st) {
        free(raw);
        return st;
    }
    *out = raw;
    return SZ_OK;
}

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

static inline uint32_t clamp_unit(double f, uint32_t full)
{
    if (!(f > 0)) return 0; /* also NaN */
    if (f >= 1) return full;
    return (uint32_t)(f * full + 0.5);
}

/* Sample `s` of pixel `x` in row `y` of a raw page, scaled to 0..255 when
 * the page decodes to 8 bits and 0..65535 when it decodes to 16 (`full`).
 * Palette indexes come back unscaled (`index`).  libtiff hands 16-, 24-,
 * 32- and 64-bit samples over in host order; other depths are an MSB-first
 * bit stream. */
static inline uint32_t raw_sample(const page_info *pi, const uint8_t *raw, size_t rb, uint32_t x,
                                  uint32_t y, int s, uint32_t full, bool index)
{
    size_t plane_bytes = rb * pi->h;
    const uint8_t *row;
    uint64_t idx;
    if (pi->planar == PLANARCONFIG_SEPARATE) {
        row = raw + (size_t)s * plane_bytes + (size_t)y * rb;
        idx = x;
    } else {
        row = raw + (size_t)y * rb;
        idx = (uint64_t)x * pi->spp + (uint64_t)s;
    }
    unsigned bps = pi->bps;
    uint64_t v;
    if (pi->fmt == SAMPLEFORMAT_IEEEFP) {
        double f;
        if (bps == 16) {
            uint16_t h;
            memcpy(&h, row + 2 * idx, 2);
            f = half_to_float(h);
        } else if (bps == 32) {
            float g;
            memcpy(&g, row + 4 * idx, 4);
            f = g;
        } else {
            memcpy(&f, row + 8 * idx, 8);
        }
        return clamp_unit(f, full);
    }
    switch (bps) {
    case 8: v = row[idx]; break;
    case 16: { uint16_t t; memcpy(&t, row + 2 * idx, 2); v = t; break; }
    case 32: { uint32_t t; memcpy(&t, row + 4 * idx, 4); v = t; break; }
    case 64: memcpy(&v, row + 8 * idx, 8); break;
    case 24: {
        const uint8_t *p = row + 3 * idx;
#ifdef WORDS_BIGENDIAN
        v = (uint64_t)p[0] << 16 | (uint64_t)p[1] << 8 | p[2];
#else
        v = (uint64_t)p[2] << 16 | (uint64_t)p[1] << 8 | p[0];
#endif
        break;
    }
    default: { /* packed, MSB first */
        uint64_t bit = idx * bps;
        v = 0;
        for (unsigned k = 0; k < bps; k++, bit++) v = v << 1 | ((row[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    }
    if (pi->fmt == SAMPLEFORMAT_INT && bps < 64) v ^= (uint64_t)1 << (bps - 1); /* offset binary */
    if (index) return (uint32_t)v;
    uint64_t vmax = bps >= 64 ? UINT64_MAX : ((uint64_t)1 << bps) - 1;
    if (vmax == full) return (uint32_t)v;
    if (bps <= 32) return (uint32_t)((v * full + vmax / 2) / vmax);
    return (uint32_t)((double)v / (double)vmax * full + 0.5);
}

static bool native_supported(const page_info *pi)
{
    if (pi->orientation != ORIENTATION_TOPLEFT) return false;
    bool float_ok = pi->fmt == SAMPLEFORMAT_IEEEFP && (pi->bps == 16 || pi->bps == 32 || pi->bps == 64);
    bool int_ok = (pi->fmt == SAMPLEFORMAT_UINT || pi->fmt == SAMPLEFORMAT_INT) && (pi->bps <= 32 || pi->bps == 64);
    if (!float_ok && !int_ok) return false;
    switch (pi->photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE: return pi->spp >= 1;
    case PHOTOMETRIC_RGB: return pi->spp >= 3;
    case PHOTOMETRIC_PALETTE: return pi->spp >= 1 && pi->fmt == SAMPLEFORMAT_UINT && pi->bps <= 16;
    case PHOTOMETRIC_SEPARATED: return pi->inkset == INKSET_CMYK && pi->spp >= 4 && pi->bps >= 8;
    default: return false;
    }
}

static void unpremultiply16(uint16_t *p)
{
    unsigned a = p[3];
    for (int c = 0; c < 3; c++)
        p[c] = a ? (uint16_t)SZ_MIN(65535u, (p[c] * 65535u + a / 2) / a) : 0;
}

static void unpremultiply8(uint8_t *p)
{
    unsigned a = p[3];
    for (int c = 0; c < 3; c++) p[c] = a ? (uint8_t)SZ_MIN(255u, (p[c] * 255u + a / 2) / a) : 0;
}

static sz_status convert_native(sz_ctx *ctx, TIFF *tif, const page_info *pi, const uint8_t *raw,
                                size_t rb, sz_image *img, const uint8_t *icc, uint32_t icc_len)
{
    int out16 = img->depth == 16;
    uint16_t *cmap[3] = {NULL, NULL, NULL};
    if (pi->photometric == PHOTOMETRIC_PALETTE &&
        !sz_libtiff.GetField(tif, TIFFTAG_COLORMAP, &cmap[0], &cmap[1], &cmap[2]))
        return sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: palette image without a colour map");
    unsigned maxv = out16 ? 65535u : 255u;
    sz_xform *cmyk = NULL;
    if (pi->photometric == PHOTOMETRIC_SEPARATED && icc) {
        cmyk = sz_xform_new(ctx, icc, icc_len, SZ_CS_CMYK, 2, false, 2, NULL);
        if (!cmyk) return ctx->status;
    } else if (pi->photometric == PHOTOMETRIC_SEPARATED) {
        sz_warn(ctx, "TIFF: CMYK without an ICC profile, converted with the naive formula");
    }
    size_t ncolors = (size_t)1 << (pi->bps < 16 ? pi->bps : 16);
    for (uint32_t y = 0; y < pi->h; y++) {
        for (uint32_t x = 0; x < pi->w; x++) {
            unsigned r, g, b;
            unsigned a = pi->alpha_index >= 0 ? raw_sample(pi, raw, rb, x, y, pi->alpha_index, maxv, false) : maxv;
            switch (pi->photometric) {
            case PHOTOMETRIC_MINISBLACK:
            case PHOTOMETRIC_MINISWHITE: {
                unsigned v = raw_sample(pi, raw, rb, x, y, 0, maxv, false);
                if (pi->photometric == PHOTOMETRIC_MINISWHITE) v = maxv - v;
                r = g = b = v;
                break;
            }
            case PHOTOMETRIC_PALETTE: {
                uint32_t i = raw_sample(pi, raw, rb, x, y, 0, maxv, true);
                if (i >= ncolors) i = (uint32_t)ncolors - 1;
                r = cmap[0][i], g = cmap[1][i], b = cmap[2][i];
                if (!out16) r /= 257, g /= 257, b /= 257;
                break;
            }
            case PHOTOMETRIC_SEPARATED: {
                uint16_t k4[4], rgb[3];
                for (int s = 0; s < 4; s++) {
                    k4[s] = (uint16_t)raw_sample(pi, raw, rb, x, y, s, 65535, false);
                }
                if (cmyk) {
                    sz_xform_run(cmyk, k4, rgb, 1);
                } else {
                    for (int c = 0; c < 3; c++)
                        rgb[c] = (uint16_t)((65535u - k4[c]) * (65535u - k4[3]) / 65535u);
                }
                r = rgb[0], g = rgb[1], b = rgb[2];
                if (!out16) r = sz_16to8(r), g = sz_16to8(g), b = sz_16to8(b);
                break;
            }
            default:
                r = raw_sample(pi, raw, rb, x, y, 0, maxv, false);
                g = raw_sample(pi, raw, rb, x, y, 1, maxv, false);
                b = raw_sample(pi, raw, rb, x, y, 2, maxv, false);
            }
            if (out16) {
                uint16_t *p = sz_row16(img, (int)y) + 4 * (size_t)x;
                p[0] = (uint16_t)r, p[1] = (uint16_t)g, p[2] = (uint16_t)b, p[3] = (uint16_t)a;
                if (pi->associated) unpremultiply16(p);
            } else {
                uint8_t *p = sz_row8(img, (int)y) + 4 * (size_t)x;
                p[0] = (uint8_t)r, p[1] = (uint8_t)g, p[2] = (uint8_t)b, p[3] = (uint8_t)a;
                if (pi->associated) unpremultiply8(p);
            }
        }
    }
    sz_xform_free(cmyk);
    return SZ_OK;
}

static sz_status read_via_rgba(sz_ctx *ctx, TIFF *tif, const page_info *pi, sz_image **out)
{
    char emsg[1024] = "";
    if (!sz_libtiff.RGBAImageOK(tif, emsg))
        return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "TIFF: unsupported image: %s", emsg);
    sz_image *img = sz_image_new(ctx, (int)pi->w, (int)pi->h, 8);
    if (!img) return ctx->status;
    if (!sz_libtiff.ReadRGBAImageOriented(tif, pi->w, pi->h, img->data, ORIENTATION_TOPLEFT, 0)) {
        sz_image_free(img);
        return ctx->status ? ctx->status : sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: cannot decode the image");
    }
    /* libtiff hands back premultiplied ABGR words; in memory on a little-endian
     * host that is R,G,B,A bytes.  Undo the premultiplication. */
    for (uint32_t y = 0; y < pi->h; y++)
        for (uint32_t x = 0; x < pi->w; x++) {
            uint8_t *p = sz_row8(img, (int)y) + 4 * (size_t)x;
#ifdef WORDS_BIGENDIAN
            uint8_t t0 = p[0], t1 = p[1];
            p[0] = p[3], p[1] = p[2], p[2] = t1, p[3] = t0;
#endif
            if (pi->alpha_index >= 0) unpremultiply8(p);
        }
    *out = img;
    return SZ_OK;
}

static sz_status read_page(sz_ctx *ctx, TIFF *tif, sz_doc *doc, bool first, float *xpos, float *ypos,
                           float *xres_out)
{
    page_info pi = {0};
    sz_libtiff.GetField(tif, TIFFTAG_IMAGEWIDTH, &pi.w);
    sz_libtiff.GetField(tif, TIFFTAG_IMAGELENGTH, &pi.h);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &pi.spp);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &pi.bps);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &pi.fmt);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &pi.planar);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &pi.compression);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &pi.orientation);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_INKSET, &pi.inkset);
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &pi.extra_count, &pi.extra);
    if (!sz_libtiff.GetField(tif, TIFFTAG_PHOTOMETRIC, &pi.photometric))
        pi.photometric = pi.spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    if (pi.w == 0 || pi.h == 0) return sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: page of zero size");
    sz_status st = sz_check_layer_size(ctx, pi.w, pi.h);
    if (st) return st;
    if (pi.spp == 0 || pi.bps == 0 || pi.bps > 64)
        return sz_fail(ctx, SZ_ERR_FORMAT, "TIFF: invalid samples per pixel or bits per sample");

    if (pi.compression == COMPRESSION_JPEG && pi.photometric == PHOTOMETRIC_YCBCR) {
        sz_libtiff.SetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        pi.photometric = PHOTOMETRIC_RGB;
    }
    pi.color_samples = pi.photometric == PHOTOMETRIC_RGB ? 3 : pi.photometric == PHOTOMETRIC_SEPARATED ? 4 : 1;
    pi.alpha_index = -1;
    for (int i = 0; i < pi.extra_count && pi.extra; i++) {
        if (pi.extra[i] == EXTRASAMPLE_ASSOCALPHA || pi.extra[i] == EXTRASAMPLE_UNASSALPHA) {
            int idx = pi.spp - pi.extra_count + i;
            if (idx >= pi.color_samples) {
                pi.alpha_index = idx;
                pi.associated = pi.extra[i] == EXTRASAMPLE_ASSOCALPHA;
            }
            break;
        }
    }

    uint8_t *icc = NULL;
    uint32_t icc_len = 0;
    sz_libtiff.GetField(tif, TIFFTAG_ICCPROFILE, &icc_len, &icc);
    sz_colorspace icc_cs;
    if (icc && !sz_icc_space(icc, icc_len, &icc_cs)) icc = NULL, icc_len = 0;

    sz_image *img = NULL;
    if (native_supported(&pi)) {
        uint8_t *raw = NULL;
        size_t rb = 0;
        int depth = pi.bps > 8 || pi.fmt == SAMPLEFORMAT_IEEEFP ? 16 : 8;
        if (pi.photometric == PHOTOMETRIC_PALETTE) {
            uint16_t *cm[3];
            depth = 8;
            if (sz_libtiff.GetField(tif, TIFFTAG_COLORMAP, &cm[0], &cm[1], &cm[2])) {
                size_t n = (size_t)1 << SZ_MIN(pi.bps, 16);
                for (size_t i = 0; i < n && depth == 8; i++)
                    for (int c = 0; c < 3; c++)
                        if (cm[c][i] % 257) depth = 16;
            }
        }
        bool cmyk8 = pi.photometric == PHOTOMETRIC_SEPARATED && depth == 8;
        if (cmyk8) depth = 16; /* converted at 16 bits, narrowed after */
        st = read_raw(ctx, tif, &pi, &raw, &rb);
        if (st) return st;
        img = sz_image_new(ctx, (int)pi.w, (int)pi.h, depth);
        if (!img) {
            free(raw);
            return ctx->status;
        }
        st = convert_native(ctx, tif, &pi, raw, rb, img,
                            icc && icc_cs == SZ_CS_CMYK ? icc : NULL, icc_len);
        free(raw);
        if (!st && cmyk8) st = sz_image_set_depth(ctx, img, 8);
        if (st) {
            sz_image_free(img);
            return st;
        }
    } else {
        st = read_via_rgba(ctx, tif, &pi, &img);
        if (st) return st;
    }

    if (first) {
        doc->source_depth = pi.bps;
        doc->source_mode = pi.photometric == PHOTOMETRIC_SEPARATED ? SZ_MODE_CMYK
                           : pi.photometric == PHOTOMETRIC_PALETTE ? SZ_MODE_INDEXED
                           : pi.color_samples == 1 && pi.photometric != PHOTOMETRIC_CIELAB ? SZ_MODE_GRAY
                           : pi.photometric == PHOTOMETRIC_CIELAB ? SZ_MODE_LAB
                                                                  : SZ_MODE_RGB;
        if (pi.fmt == SAMPLEFORMAT_IEEEFP) sz_warn(ctx, "TIFF: floating-point samples converted to 16-bit integers");
        if (icc && icc_cs == SZ_CS_RGB) {
            st = sz_doc_set_icc(ctx, doc, icc, icc_len);
        } else if (icc && icc_cs == SZ_CS_GRAY && doc->source_mode == SZ_MODE_GRAY) {
            uint8_t *rgb;
            size_t rlen;
            if (!sz_icc_gray_to_rgb(ctx, icc, icc_len, &rgb, &rlen)) {
                st = sz_doc_set_icc(ctx, doc, rgb, rlen);
                free(rgb);
            } else {
                sz_ctx_clear_error(ctx);
                sz_warn(ctx, "TIFF: the gray ICC profile could not be converted; dropping it");
            }
        } else if (doc->source_mode == SZ_MODE_CMYK) {
            doc->srgb_intent = 0; /* converted to sRGB */
        }
        float xr = 0, yr = 0;
        uint16_t unit = RESUNIT_INCH;
        sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
        if (sz_libtiff.GetField(tif, TIFFTAG_XRESOLUTION, &xr) && xr > 0 && isfinite(xr))
            doc->ppi = unit == RESUNIT_CENTIMETER ? xr * 2.54 : unit == RESUNIT_INCH ? xr : 0;
        (void)yr;
    }
    if (st) {
        sz_image_free(img);
        return st;
    }

    char *pname = NULL;
    char fallback[32];
    if (!sz_libtiff.GetField(tif, TIFFTAG_PAGENAME, &pname) || !pname) {
        snprintf(fallback, sizeof fallback, "page %d", (int)sz_libtiff.CurrentDirectory(tif) + 1);
        pname = fallback;
    }
    sz_layer *l = sz_layer_new(ctx, doc->root, SZ_LAYER_PIXEL, pname);
    if (!l) {
        sz_image_free(img);
        return ctx->status;
    }
    sz_layer_set_image(l, img);
    if (img->depth == 16) doc->depth = 16;
    /* Offsets are stored in resolution units. */
    *xpos = *ypos = 0;
    float xr = 0, yr = 0;
    uint16_t unit = RESUNIT_INCH;
    sz_libtiff.GetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    sz_libtiff.GetField(tif, TIFFTAG_XRESOLUTION, &xr);
    sz_libtiff.GetField(tif, TIFFTAG_YRESOLUTION, &yr);
    float xp = 0, yp = 0;
    if (sz_libtiff.GetField(tif, TIFFTAG_XPOSITION, &xp) && xr > 0 && isfinite(xp * xr)) *xpos = xp * xr;
    if (sz_libtiff.GetField(tif, TIFFTAG_YPOSITION, &yp) && yr > 0 && isfinite(yp * yr)) *ypos = yp * yr;
    if (fabsf(*xpos) > 1e7f || fabsf(*ypos) > 1e7f) *xpos = *ypos = 0;
    l->x = (int)lrintf(*xpos);
    l->y = (int)lrintf(*ypos);
    *xres_out = xr;
    return SZ_OK;
}

sz_status sz_tiff_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    mem_stream m = {.ctx = ctx, .rdata = data, .len = len};
    *out = NULL;
    TIFF *tif = open_stream(ctx, &m, "rm");
    if (!tif) return ctx->status;
    uint32_t full_w = 0, full_h = 0;
    sz_libtiff.GetField(tif, TIFFTAG_PIXAR_IMAGEFULLWIDTH, &full_w);
    sz_libtiff.GetField(tif, TIFFTAG_PIXAR_IMAGEFULLLENGTH, &full_h);
    sz_doc *doc = sz_doc_new(ctx, 1, 1);
    sz_status st = doc ? SZ_OK : ctx->status;
    if (doc) doc->source_format = SZ_FORMAT_TIFF;
    bool first = true;
    int pages = 0;
    while (!st) {
        uint32_t subtype = 0;
        sz_libtiff.GetField(tif, TIFFTAG_SUBFILETYPE, &subtype);
        if (first || !(subtype & FILETYPE_REDUCEDIMAGE)) {
            float xp, yp, xr;
            st = sz_doc_check_layer_count(ctx, doc, 1);
            if (!st) st = read_page(ctx, tif, doc, first, &xp, &yp, &xr);
            if (st) {
                if (pages) sz_error_prefix(ctx, "page %d", pages + 1);
                break;
            }
            first = false;
            pages++;
        }
        if (!sz_libtiff.ReadDirectory(tif)) {
            /* End of the chain, or a broken/looping chain: libtiff said which. */
            if (ctx->status) st = ctx->status;
            break;
        }
    }
    sz_libtiff.Close(tif);
    if (st) {
        sz_doc_free(doc);
        return st;
    }
    /* Canvas: the full-image tags when present, else the union of pages. */
    int64_t cw = full_w, ch = full_h;
    sz_layer *root = doc->root;
    for (int i = 0; i < root->nchildren; i++) {
        sz_layer *l = root->children[i];
        if (!full_w) cw = SZ_MAX(cw, (int64_t)l->x + l->image->w);
        if (!full_h) ch = SZ_MAX(ch, (int64_t)l->y + l->image->h);
    }
    if (root->nchildren == 1 && !full_w && !full_h) {
        sz_layer *l = root->children[0];
        cw = l->image->w, ch = l->image->h;
        l->x = l->y = 0;
    }
    st = sz_doc_set_size(ctx, doc, (int)SZ_MIN(cw, INT32_MAX), (int)SZ_MIN(ch, INT32_MAX));
    if (st) {
        sz_doc_free(doc);
        return st;
    }
    *out = doc;
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static sz_status write_page(sz_ctx *ctx, TIFF *tif, const sz_doc *doc, const sz_layer *l,
                            const sz_image *src, int depth, int x, int y, int page, int npages)
{
    sz_image *owned = NULL;
    const sz_image *img = src;
    if (!img || img->depth != depth || img->w == 0 || img->h == 0) {
        owned = img && img->w && img->h ? sz_image_copy(ctx, img) : sz_image_new(ctx, 1, 1, depth);
        if (!owned || sz_image_set_depth(ctx, owned, depth)) {
            sz_image_free(owned);
            return ctx->status;
        }
        img = owned;
    }
    float res = doc->ppi > 0 ? (float)doc->ppi : 72.0f;
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    sz_libtiff.SetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->w);
    sz_libtiff.SetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->h);
    sz_libtiff.SetField(tif, TIFFTAG_SAMPLESPERPIXEL, 4);
    sz_libtiff.SetField(tif, TIFFTAG_BITSPERSAMPLE, depth);
    sz_libtiff.SetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
    sz_libtiff.SetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    sz_libtiff.SetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    sz_libtiff.SetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
    sz_libtiff.SetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    sz_libtiff.SetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
    sz_libtiff.SetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    sz_libtiff.SetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    sz_libtiff.SetField(tif, TIFFTAG_XRESOLUTION, res);
    sz_libtiff.SetField(tif, TIFFTAG_YRESOLUTION, res);
    sz_libtiff.SetField(tif, TIFFTAG_XPOSITION, x / res);
    sz_libtiff.SetField(tif, TIFFTAG_YPOSITION, y / res);
    sz_libtiff.SetField(tif, TIFFTAG_PIXAR_IMAGEFULLWIDTH, (uint32_t)doc->w);
    sz_libtiff.SetField(tif, TIFFTAG_PIXAR_IMAGEFULLLENGTH, (uint32_t)doc->h);
    if (npages > 1) {
        sz_libtiff.SetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        sz_libtiff.SetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)page, (uint16_t)npages);
    }
    sz_libtiff.SetField(tif, TIFFTAG_PAGENAME, l ? l->name : "image");
    sz_libtiff.SetField(tif, TIFFTAG_SOFTWARE, "sozai " PACKAGE_VERSION);
    uint8_t *gen = NULL;
    size_t gen_len = 0;
    if (doc->icc) {
        sz_libtiff.SetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)doc->icc_len, doc->icc);
    } else if (doc->srgb_intent >= 0 && !sz_icc_srgb(ctx, &gen, &gen_len)) {
        sz_libtiff.SetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)gen_len, gen);
    }
    size_t rb = img->stride;
    uint32_t rps = (uint32_t)SZ_MAX((size_t)1, (size_t)(256 * 1024) / rb);
    sz_libtiff.SetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
    sz_status st = SZ_OK;
    uint8_t *row = sz_malloc(ctx, rb);
    if (!row) st = SZ_ERR_NOMEM;
    for (int yy = 0; yy < img->h && !st; yy++) {
        memcpy(row, sz_row8(img, yy), rb); /* libtiff may modify the buffer (predictor) */
        if (sz_libtiff.WriteScanline(tif, row, (uint32_t)yy, 0) < 0)
            st = ctx->status ? ctx->status : sz_fail(ctx, SZ_ERR_IO, "TIFF: cannot write a row");
    }
    free(row);
    if (!st && !sz_libtiff.WriteDirectory(tif))
        st = ctx->status ? ctx->status : sz_fail(ctx, SZ_ERR_IO, "TIFF: cannot write a page");
    free(gen);
    sz_image_free(owned);
    return st;
}

/* Notes, once per document, what a multi-page TIFF cannot hold. */
static void warn_lost_attributes(sz_ctx *ctx, sz_layer **all, int n)
{
    int groups = 0, hidden = 0, styled = 0, masks = 0;
    for (int i = 0; i < n; i++) {
        const sz_layer *l = all[i];
        if (l->kind == SZ_LAYER_GROUP) {
            groups++;
            continue;
        }
        hidden += !l->visible;
        styled += l->opacity != 255 || l->fill_opacity != 255 || l->blend != SZ_BLEND_NORMAL || l->clipping;
        masks += l->mask != NULL;
    }
    if (groups || hidden || styled || masks)
        sz_warn(ctx, "TIFF keeps layer pixels, names and offsets only: lost %d group(s), "
                "visibility of %d, opacity/blend/clipping of %d, %d mask(s) (write PSD to keep them)",
                groups, hidden, styled, masks);
}

sz_status sz_tiff_write(sz_ctx *ctx, const sz_doc *doc, const sz_write_options *opt, sz_buf *out)
{
    int depth = opt->depth ? opt->depth : doc->depth;
    sz_doc *mdoc = (sz_doc *)doc; /* flatten_tree only reads */
    int n = sz_doc_flatten_tree(mdoc, NULL, 0);
    sz_layer **all = sz_malloc_array(ctx, (size_t)(n ? n : 1), sizeof *all);
    if (!all) return SZ_ERR_NOMEM;
    sz_doc_flatten_tree(mdoc, all, n);
    warn_lost_attributes(ctx, all, n);
    int pages = 0;
    for (int i = 0; i < n; i++) pages += all[i]->kind == SZ_LAYER_PIXEL;

    mem_stream m = {.ctx = ctx, .wbuf = out};
    bool big = false;
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        if (all[i]->image) total += (uint64_t)all[i]->image->stride * (uint64_t)all[i]->image->h;
    if (total > (UINT64_C(1) << 31)) big = true; /* classic TIFF offsets are 32-bit */
    TIFF *tif = open_stream(ctx, &m, big ? "w8" : "w");
    if (!tif) {
        free(all);
        return ctx->status;
    }
    sz_status st = SZ_OK;
    if (pages == 0) {
        st = write_page(ctx, tif, doc, NULL, NULL, depth, 0, 0, 0, 1);
    }
    int page = 0;
    for (int i = 0; i < n && !st; i++) {
        sz_layer *l = all[i];
        if (l->kind != SZ_LAYER_PIXEL) continue;
        const sz_image *img = l->image;
        int x = l->x, y = l->y;
        sz_image *crop = NULL;
        if (img && (x < 0 || y < 0)) {
            /* TIFF positions are unsigned: keep what lies on the canvas side. */
            sz_warn(ctx, "TIFF cannot store negative offsets: layer \"%s\" cropped at the canvas edge", l->name);
            int cx0 = SZ_MAX(0, -x), cy0 = SZ_MAX(0, -y);
            crop = sz_image_crop(ctx, img, cx0, cy0, SZ_MAX(cx0, img->w), SZ_MAX(cy0, img->h));
            if (!crop) {
                st = ctx->status;
                break;
            }
            img = crop;
            x = SZ_MAX(x, 0), y = SZ_MAX(y, 0);
        }
        st = write_page(ctx, tif, doc, l, img, depth, x, y, page++, pages);
        sz_image_free(crop);
    }
    sz_libtiff.Close(tif);
    free(all);
    return st;
}
