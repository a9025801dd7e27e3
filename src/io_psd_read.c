/*
 * io_psd_read.c — reading PSD (version 1) and PSB (version 2).
 *
 * The file is parsed through bounded windows (psd_rd): every length comes
 * from the file, so every one is checked against what the file holds and
 * against the context's limits before anything is allocated.
 *
 * Layers: records run bottom to top; a group is a divider record ('lsct'
 * 3) below its children and the group record ('lsct' 1 or 2) above them.
 * 16- and 32-bit documents keep their layers in the global 'Lr16'/'Lr32'
 * block.  Whatever sozai does not interpret (tagged blocks, resources,
 * extra channels, blending ranges) is kept verbatim for the writer.
 */
#include "psd.h"
#include "color.h"

#include <math.h>
#include <stdlib.h>

typedef struct psd_channel {
    int16_t id;
    uint64_t len;
    const uint8_t *data;
} psd_channel;

typedef struct psd_record {
    int32_t top, left, bottom, right;
    int nch;
    psd_channel ch[PSD_MAX_CHANNELS];
    char blend[4];
    uint8_t opacity, clipping, flags;
    bool has_mask, has_real;
    int32_t mtop, mleft, mbottom, mright;
    uint8_t mdefault, mflags;
    const uint8_t *mextra;
    size_t mextra_len;
    int32_t rtop, rleft, rbottom, rright;
    uint8_t rdefault;
    const uint8_t *ranges;
    size_t ranges_len;
    const uint8_t *pname;
    size_t pname_len;
    psd_rd blocks;
} psd_record;

typedef struct psd_reader {
    sz_ctx *ctx;
    sz_doc *doc;
    bool psb;
    int w, h, depth, mode, channels;
    const uint8_t *icc; /* the file's profile (CMYK and Lab convert through it) */
    size_t icc_len;
    sz_xform *xform;    /* CMYK or Lab to sRGB, built on first use */
    sz_xform *fxform;   /* 32-bit float RGB to sRGB, built on first use */
    const uint8_t *palette;
    size_t palette_len;
    int transparent_index;
    bool warned_float;
} psd_reader;

static sz_status truncated(sz_ctx *ctx, const char *what)
{
    return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: %s is truncated or damaged", what);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* Whether a rectangle from the file has coordinates a layer can have: all
 * within 2^30 of the origin, so that its width and height, and a
 * coordinate plus either, are ints (a damaged file can claim any 32 bits). */
static bool rect_in_range(int32_t top, int32_t left, int32_t bottom, int32_t right)
{
    const int32_t far = (int32_t)1 << 30;
    return top > -far && top < far && left > -far && left < far && bottom > -far && bottom < far && right > -far &&
           right < far;
}

static sz_status read_record(psd_reader *r, psd_rd *in, psd_record *rec)
{
    sz_ctx *ctx = r->ctx;
    rec->top = (int32_t)rd_u32(in);
    rec->left = (int32_t)rd_u32(in);
    rec->bottom = (int32_t)rd_u32(in);
    rec->right = (int32_t)rd_u32(in);
    rec->nch = rd_u16(in);
    if (in->bad) return truncated(ctx, "a layer record");
    if (!rect_in_range(rec->top, rec->left, rec->bottom, rec->right))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a layer's rectangle lies out of range");
    if (rec->nch > PSD_MAX_CHANNELS)
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a layer claims %d channels (at most 56)", rec->nch);
    for (int j = 0; j < rec->nch; j++) {
        rec->ch[j].id = (int16_t)rd_u16(in);
        rec->ch[j].len = rd_len(in, r->psb);
    }
    const uint8_t *sig = rd_bytes(in, 4);
    const uint8_t *key = rd_bytes(in, 4);
    rec->opacity = rd_u8(in);
    rec->clipping = rd_u8(in);
    rec->flags = rd_u8(in);
    rd_u8(in);
    uint32_t extra_len = rd_u32(in);
    if (in->bad) return truncated(ctx, "a layer record");
    if (memcmp(sig, "8BIM", 4) && memcmp(sig, "8B64", 4))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a layer record has a bad blend signature");
    memcpy(rec->blend, key, 4);
    psd_rd ex = rd_sub(in, extra_len);
    if (ex.bad) return truncated(ctx, "a layer record");

    uint32_t mlen = rd_u32(&ex);
    psd_rd m = rd_sub(&ex, mlen);
    if (mlen >= 18 && !m.bad) {
        rec->has_mask = true;
        rec->mtop = (int32_t)rd_u32(&m), rec->mleft = (int32_t)rd_u32(&m);
        rec->mbottom = (int32_t)rd_u32(&m), rec->mright = (int32_t)rd_u32(&m);
        rec->mdefault = rd_u8(&m);
        rec->mflags = rd_u8(&m);
        rec->mextra = m.p + m.pos;
        rec->mextra_len = m.len - m.pos;
        if (mlen >= 36) { /* real user mask: flags, default, rectangle */
            rd_u8(&m);
            rec->rdefault = rd_u8(&m);
            rec->rtop = (int32_t)rd_u32(&m), rec->rleft = (int32_t)rd_u32(&m);
            rec->rbottom = (int32_t)rd_u32(&m), rec->rright = (int32_t)rd_u32(&m);
            rec->has_real = !m.bad;
        }
    }
    if ((rec->has_mask && !rect_in_range(rec->mtop, rec->mleft, rec->mbottom, rec->mright)) ||
        (rec->has_real && !rect_in_range(rec->rtop, rec->rleft, rec->rbottom, rec->rright)))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a layer mask's rectangle lies out of range");
    uint32_t rlen = rd_u32(&ex);
    rec->ranges = rd_bytes(&ex, rlen);
    rec->ranges_len = rlen;
    uint8_t nlen = rd_u8(&ex);
    rec->pname = rd_bytes(&ex, nlen);
    rec->pname_len = nlen;
    size_t padded = ((size_t)nlen + 1 + 3) & ~(size_t)3; /* Pascal name padded to 4 */
    if (ex.pos + padded - 1 - nlen <= ex.len) ex.pos += padded - 1 - nlen;
    if (ex.bad) return truncated(ctx, "a layer record");
    rec->blocks = (psd_rd){.p = ex.p + ex.pos, .len = ex.len - ex.pos};
    return SZ_OK;
}

/* Tagged blocks of a record, the ones sozai understands interpreted. */
typedef struct record_blocks {
    char *uname;
    int section;          /* -1: none */
    char section_blend[4];
    bool has_section_blend;
    uint32_t id;
    int fill;             /* -1: none */
} record_blocks;

static sz_status read_blocks(psd_reader *r, psd_record *rec, sz_layer *l, record_blocks *out)
{
    sz_ctx *ctx = r->ctx;
    psd_rd b = rec->blocks;
    out->section = -1;
    out->fill = -1;
    while (b.len - b.pos >= 12) {
        size_t start = b.pos;
        const uint8_t *sig = rd_bytes(&b, 4);
        if (memcmp(sig, "8BIM", 4) && memcmp(sig, "8B64", 4)) {
            /* Not a block: keep the rest verbatim rather than guess. */
            if (l && sz_blob_list_add(ctx, &l->extra, NULL, "raw ", 0, NULL, b.p + start, b.len - start))
                return SZ_ERR_NOMEM;
            return SZ_OK;
        }
        const uint8_t *key = rd_bytes(&b, 4);
        uint64_t len = rd_len(&b, r->psb && psd_big_key((const char *)key));
        const uint8_t *data = rd_bytes(&b, len);
        if (b.bad) return truncated(ctx, "a layer's tagged block");
        psd_rd d = {.p = data, .len = (size_t)len};
        if (!memcmp(key, "luni", 4)) {
            uint32_t units = rd_u32(&d);
            if (units <= (d.len - d.pos) / 2 && !d.bad) {
                free(out->uname);
                out->uname = psd_utf16be_to_utf8(ctx, d.p + d.pos, units);
                if (!out->uname) return SZ_ERR_NOMEM;
            }
        } else if (!memcmp(key, "lsct", 4) || !memcmp(key, "lsdk", 4)) {
            out->section = (int)rd_u32(&d);
            if (len >= 12 && !d.bad) {
                rd_bytes(&d, 4);
                memcpy(out->section_blend, rd_bytes(&d, 4), 4);
                out->has_section_blend = true;
            }
        } else if (!memcmp(key, "lyid", 4)) {
            out->id = rd_u32(&d);
        } else if (!memcmp(key, "iOpa", 4)) {
            out->fill = rd_u8(&d);
        } else if (l && sz_blob_list_add(ctx, &l->extra, (const char *)sig, (const char *)key, 0, NULL, data,
                                         (size_t)len)) {
            return SZ_ERR_NOMEM;
        }
    }
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Pixels                                                              */
/* ------------------------------------------------------------------ */

/* Converts a linear-light float (32-bit documents) to 16-bit sRGB. */
/* A float sample already in the stored encoding (an alpha, a grey or
 * CMYK value) to 16 bits; NaN, which a damaged file may hold, is 0. */
static uint16_t unit_to16(float v)
{
    return v > 0 ? (uint16_t)(SZ_MIN(v, 1.0f) * 65535.0f + 0.5f) : 0;
}

static uint16_t float_to16(float v)
{
    if (!(v > 0)) return 0;
    if (v >= 1) return 65535;
    double e = v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
    return (uint16_t)(e * 65535.0 + 0.5);
}

/* 32-bit RGB: float samples through the file's profile (linear sRGB when
 * there is none) to 16-bit sRGB; `f` holds the three planes, `out` gets
 * the three converted ones. */
static sz_status float_rgb_to16(psd_reader *r, float *const f[3], size_t n, uint16_t *out[3])
{
    if (!r->fxform) {
        sz_colorspace cs;
        bool usable = r->icc && sz_icc_space(r->icc, r->icc_len, &cs) && cs == SZ_CS_RGB;
        r->fxform = sz_xform_new(r->ctx, usable ? r->icc : NULL, usable ? r->icc_len : 0, SZ_CS_RGB_LINEAR, 4,
                                 false, 2, NULL);
        if (!r->fxform) return r->ctx->status;
    }
    enum { CHUNK = 4096 };
    float in[3 * CHUNK];
    uint16_t rgb[3 * CHUNK];
    for (size_t at = 0; at < n; at += CHUNK) {
        size_t k = SZ_MIN((size_t)CHUNK, n - at);
        for (size_t i = 0; i < k; i++)
            for (int c = 0; c < 3; c++) {
                float v = f[c] ? f[c][at + i] : 0;
                in[3 * i + (size_t)c] = isfinite(v) ? v : 0;
            }
        sz_xform_run(r->fxform, in, rgb, k);
        for (size_t i = 0; i < k; i++)
            for (int c = 0; c < 3; c++) out[c][at + i] = rgb[3 * i + (size_t)c];
    }
    return SZ_OK;
}

static sz_xform *mode_xform(psd_reader *r)
{
    if (r->xform) return r->xform;
    sz_colorspace cs = r->mode == PSD_MODE_CMYK ? SZ_CS_CMYK : SZ_CS_LAB;
    sz_colorspace icc_cs;
    bool usable = r->icc && sz_icc_space(r->icc, r->icc_len, &icc_cs) && icc_cs == cs;
    if (cs == SZ_CS_CMYK && !usable) return NULL;
    r->xform = sz_xform_new(r->ctx, usable ? r->icc : NULL, usable ? r->icc_len : 0, cs, 2, false, 2, NULL);
    return r->xform;
}

/* Planes of one layer (or the merged image) at 16 bits, converted to RGB. */
typedef struct planes16 {
    int w, h;
    uint16_t *c[5];       /* colour channels by index; NULL: missing */
    uint16_t *alpha;      /* NULL: opaque */
} planes16;

static void planes_free(planes16 *p)
{
    for (int i = 0; i < 5; i++) free(p->c[i]);
    free(p->alpha);
}

/* Converts 16-bit planes of the document's colour mode into `img`. */
static sz_status planes_to_image(psd_reader *r, const planes16 *p, sz_image *img)
{
    int colours = r->mode == PSD_MODE_CMYK ? 4 : r->mode == PSD_MODE_RGB || r->mode == PSD_MODE_LAB ? 3 : 1;
    sz_xform *x = NULL;
    if (r->mode == PSD_MODE_CMYK || r->mode == PSD_MODE_LAB) {
        x = mode_xform(r);
        if (!x && r->mode == PSD_MODE_LAB) return r->ctx->status;
        if (!x) sz_ctx_clear_error(r->ctx);
    }
    size_t n = (size_t)p->w;
    uint16_t *in = sz_malloc_array(r->ctx, n, 8), *rgb = sz_malloc_array(r->ctx, n, 6);
    if (!in || !rgb) {
        free(in), free(rgb);
        return SZ_ERR_NOMEM;
    }
    for (int y = 0; y < p->h; y++) {
        size_t o = (size_t)y * n;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < colours; c++) {
                uint16_t v = p->c[c] ? p->c[c][o + i] : 0;
                /* PSD stores CMYK inverted: 65535 is no ink */
                in[i * (size_t)colours + (size_t)c] = r->mode == PSD_MODE_CMYK ? (uint16_t)(65535 - v) : v;
            }
        if (x) {
            sz_xform_run(x, in, rgb, n);
        } else if (r->mode == PSD_MODE_CMYK) {
            for (size_t i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    rgb[3 * i + c] = (uint16_t)((65535u - in[4 * i + c]) * (65535u - in[4 * i + 3]) / 65535u);
        } else if (colours == 3) {
            memcpy(rgb, in, n * 6);
        } else {
            for (size_t i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = in[i];
        }
        for (size_t i = 0; i < n; i++) {
            uint16_t px[4] = {rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], p->alpha ? p->alpha[o + i] : 65535};
            sz_put16(img, (int)i, y, px);
        }
    }
    free(in), free(rgb);
    return SZ_OK;
}

/* Decodes a 32-bit channel to a float plane. */
static sz_status channel_float(psd_reader *r, const psd_channel *ch, int w, int h, float **out)
{
    size_t n = (size_t)w * (size_t)h;
    *out = sz_malloc_array(r->ctx, n ? n : 1, 4);
    if (!*out) return SZ_ERR_NOMEM;
    psd_plane o = {.dst = (uint8_t *)*out, .dst_stride = (size_t)w * 4, .dst_step = 4, .w = w, .h = h, .depth = 32};
    sz_status st = psd_decode_channel(r->ctx, ch->data, (size_t)ch->len, r->psb, &o);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return st;
}

/* Decodes a channel to a 16-bit plane (8-bit values widened; floats clamped,
 * or for linear gray encoded with the sRGB curve). */
static sz_status channel_to16(psd_reader *r, const psd_channel *ch, int w, int h, bool linear_float,
                              uint16_t **out)
{
    sz_ctx *ctx = r->ctx;
    size_t n = (size_t)w * (size_t)h;
    *out = NULL;
    uint16_t *plane = sz_malloc_array(ctx, n ? n : 1, 2);
    if (!plane) return SZ_ERR_NOMEM;
    int depth = r->depth;
    sz_status st;
    if (depth == 32) {
        float *f;
        st = channel_float(r, ch, w, h, &f);
        for (size_t i = 0; i < n && !st; i++)
            plane[i] = linear_float ? float_to16(f[i]) : unit_to16(f[i]);
        free(f);
    } else {
        psd_plane o = {.dst = (uint8_t *)plane, .dst_stride = (size_t)w * 2, .dst_step = 2, .w = w, .h = h, .depth = depth};
        st = psd_decode_channel(ctx, ch->data, (size_t)ch->len, r->psb, &o);
        if (!st && depth == 8) { /* bytes landed in the low byte of each uint16 slot */
            uint8_t *b = (uint8_t *)plane;
            for (size_t i = n; i-- > 0;) plane[i] = (uint16_t)(b[2 * i] * 257u);
        }
    }
    if (st) {
        free(plane);
        return st;
    }
    *out = plane;
    return SZ_OK;
}

/* A layer's pixels, straight into the image for 8/16-bit RGB and gray,
 * through 16-bit planes for the other modes and 32 bits. */
static sz_status decode_layer_pixels(psd_reader *r, const psd_record *rec, sz_image **out)
{
    sz_ctx *ctx = r->ctx;
    int w = rec->right - rec->left, h = rec->bottom - rec->top;
    *out = NULL;
    if (w <= 0 || h <= 0) return SZ_OK;
    sz_status st = sz_check_layer_size(ctx, w, h);
    if (st) return st;
    int colours0 = r->mode == PSD_MODE_RGB || r->mode == PSD_MODE_LAB ? 3 : r->mode == PSD_MODE_CMYK ? 4 : 1;
    bool any = false;
    for (int j = 0; j < rec->nch; j++) {
        if (rec->ch[j].id < -1 || rec->ch[j].id >= colours0) continue;
        if (!psd_data_can_back(rec->ch[j].data, (size_t)rec->ch[j].len, w, h, r->depth, r->psb, 1))
            return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a %dx%d layer claims more pixels than its data holds", w, h);
        any = true;
    }
    if (!any) return SZ_OK; /* a rectangle without pixel channels: empty */
    bool direct = (r->mode == PSD_MODE_RGB || r->mode == PSD_MODE_GRAY || r->mode == PSD_MODE_DUOTONE) &&
                  (r->depth == 8 || r->depth == 16);
    int depth = r->depth == 8 ? 8 : 16;
    sz_image *img = sz_image_new(ctx, w, h, depth);
    if (!img) return ctx->status;
    int colours = r->mode == PSD_MODE_RGB ? 3 : r->mode == PSD_MODE_CMYK ? 4 : r->mode == PSD_MODE_LAB ? 3 : 1;
    if (direct) {
        bool has_alpha = false;
        size_t bps = (size_t)depth / 8;
        for (int j = 0; j < rec->nch && !st; j++) {
            int id = rec->ch[j].id;
            if (id < -1 || id >= colours) continue;
            int slot = id < 0 ? 3 : id;
            has_alpha |= id == -1;
            psd_plane o = {.dst = (uint8_t *)img->data + (size_t)slot * bps, .dst_stride = img->stride,
                           .dst_step = 4 * bps, .w = w, .h = h, .depth = depth};
            st = psd_decode_channel(ctx, rec->ch[j].data, (size_t)rec->ch[j].len, r->psb, &o);
        }
        if (!st)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    uint16_t p[4];
                    sz_get16(img, x, y, p);
                    if (colours == 1) p[1] = p[2] = p[0];
                    if (!has_alpha) p[3] = 65535;
                    if (colours == 1 || !has_alpha) sz_put16(img, x, y, p);
                }
    } else {
        planes16 p = {.w = w, .h = h};
        bool float_rgb = r->depth == 32 && r->mode == PSD_MODE_RGB;
        float *f[3] = {NULL, NULL, NULL};
        for (int j = 0; j < rec->nch && !st; j++) {
            int id = rec->ch[j].id;
            if (id < -1 || id >= colours) continue;
            if (float_rgb && id >= 0) {
                free(f[id]);
                st = channel_float(r, &rec->ch[j], w, h, &f[id]);
                continue;
            }
            uint16_t **slot = id < 0 ? &p.alpha : &p.c[id];
            free(*slot);
            st = channel_to16(r, &rec->ch[j], w, h, id >= 0, slot);
        }
        if (!st && float_rgb) {
            for (int c = 0; c < 3 && !st; c++) {
                free(p.c[c]);
                if (!(p.c[c] = sz_malloc_array(ctx, (size_t)w * (size_t)h, 2))) st = SZ_ERR_NOMEM;
            }
            if (!st) st = float_rgb_to16(r, f, (size_t)w * (size_t)h, p.c);
        }
        for (int c = 0; c < 3; c++) free(f[c]);
        if (!st) st = planes_to_image(r, &p, img);
        planes_free(&p);
    }
    if (st) {
        sz_image_free(img);
        return st;
    }
    *out = img;
    return SZ_OK;
}

/* One extra channel (mask and others) with its rectangle. */
static sz_status decode_extra_channel(psd_reader *r, const psd_channel *ch, int x, int y, int w, int h,
                                      uint8_t def, uint8_t flags, sz_mask **out)
{
    sz_ctx *ctx = r->ctx;
    *out = NULL;
    if (w < 0 || h < 0) w = h = 0;
    sz_status st = sz_check_layer_size(ctx, w, h);
    if (st) return st;
    if (!psd_data_can_back(ch->data, (size_t)ch->len, w, h, r->depth, r->psb, 1))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: a %dx%d channel claims more pixels than its data holds", w, h);
    sz_mask *m = sz_calloc(ctx, 1, sizeof *m);
    if (!m) return SZ_ERR_NOMEM;
    m->id = ch->id, m->x = x, m->y = y, m->w = w, m->h = h;
    m->default_color = def;
    m->flags = flags;
    m->depth = r->depth == 8 ? 8 : 16;
    size_t n = (size_t)w * (size_t)h;
    if (m->depth == 8) {
        m->data = sz_malloc(ctx, n ? n : 1);
        psd_plane o = {.dst = m->data, .dst_stride = (size_t)w, .dst_step = 1, .w = w, .h = h, .depth = 8};
        st = m->data ? psd_decode_channel(ctx, ch->data, (size_t)ch->len, r->psb, &o) : SZ_ERR_NOMEM;
    } else {
        uint16_t *plane = NULL;
        st = channel_to16(r, ch, w, h, false, &plane);
        m->data = (uint8_t *)plane;
    }
    if (st) {
        free(m->data);
        free(m);
        return st;
    }
    *out = m;
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Layer attributes                                                    */
/* ------------------------------------------------------------------ */

static sz_status apply_record(psd_reader *r, const psd_record *rec, record_blocks *bl, sz_layer *l)
{
    sz_ctx *ctx = r->ctx;
    char *legacy = rec->pname ? psd_legacy_name_to_utf8(ctx, rec->pname, rec->pname_len) : sz_strdup(ctx, "");
    if (!legacy) return SZ_ERR_NOMEM;
    sz_status st = sz_layer_set_name(ctx, l, bl->uname ? bl->uname : legacy);
    if (!st && bl->uname && strcmp(bl->uname, legacy) && rec->pname)
        l->legacy_name = sz_strndup(ctx, (const char *)rec->pname, rec->pname_len);
    free(legacy);
    if (st) return st;
    l->opacity = rec->opacity;
    l->fill_opacity = bl->fill >= 0 ? (uint8_t)bl->fill : 255;
    l->visible = !(rec->flags & PSD_FLAG_HIDDEN);
    l->clipping = rec->clipping != 0;
    l->psd_flags = rec->flags & ~PSD_FLAG_HIDDEN; /* visibility lives in `visible` */
    l->id = bl->id;
    /* A group's blend mode is in its 'lsct' block when that has one (the
     * record often says "norm" there), else in the record. */
    const char *key = bl->has_section_blend ? bl->section_blend : rec->blend;
    int mode = sz_blend_from_psd_key(key);
    if (mode < 0) {
        sz_warn(ctx, "PSD: layer \"%s\": unknown blend mode '%.4s', using normal", l->name, key);
        mode = SZ_BLEND_NORMAL;
    }
    l->blend = (sz_blend)mode;
    if (l->kind == SZ_LAYER_GROUP) {
        l->open = bl->section != PSD_SECTION_CLOSED;
        l->x = l->y = 0;
    } else {
        l->x = rec->left;
        l->y = rec->top;
    }
    if (rec->ranges_len) {
        l->blend_ranges.data = sz_malloc(ctx, rec->ranges_len);
        if (!l->blend_ranges.data) return SZ_ERR_NOMEM;
        memcpy(l->blend_ranges.data, rec->ranges, rec->ranges_len);
        l->blend_ranges.len = rec->ranges_len;
    }
    /* Extra channels: the user mask and anything else beyond colour+alpha. */
    int colours = r->mode == PSD_MODE_RGB || r->mode == PSD_MODE_LAB ? 3 : r->mode == PSD_MODE_CMYK ? 4 : 1;
    for (int j = 0; j < rec->nch; j++) {
        const psd_channel *ch = &rec->ch[j];
        if (ch->id >= -1 && ch->id < colours) continue;
        sz_mask *m;
        if (ch->id == -2 && rec->has_mask) {
            st = decode_extra_channel(r, ch, rec->mleft, rec->mtop, rec->mright - rec->mleft, rec->mbottom - rec->mtop,
                                      rec->mdefault, rec->mflags, &m);
            if (!st && !l->mask) {
                l->mask = m;
                m->extra.data = sz_malloc(ctx, rec->mextra_len);
                if (!m->extra.data) return SZ_ERR_NOMEM;
                memcpy(m->extra.data, rec->mextra, rec->mextra_len);
                m->extra.len = rec->mextra_len;
                continue;
            }
        } else if (ch->id == -3 && rec->has_real) {
            st = decode_extra_channel(r, ch, rec->rleft, rec->rtop, rec->rright - rec->rleft, rec->rbottom - rec->rtop,
                                      rec->rdefault, 0, &m);
        } else {
            st = decode_extra_channel(r, ch, rec->left, rec->top, rec->right - rec->left, rec->bottom - rec->top, 0, 0, &m);
        }
        if (st) return st;
        sz_mask **v = sz_realloc_array(ctx, l->channels, (size_t)l->nchannels + 1, sizeof *v);
        if (!v) {
            free(m->data), free(m);
            return SZ_ERR_NOMEM;
        }
        l->channels = v;
        l->channels[l->nchannels++] = m;
    }
    return SZ_OK;
}

/* ------------------------------------------------------------------ */
/* Layer info                                                          */
/* ------------------------------------------------------------------ */

static sz_status read_layer_info(psd_reader *r, psd_rd *in)
{
    sz_ctx *ctx = r->ctx;
    int16_t signed_count = (int16_t)rd_u16(in);
    if (in->bad) return truncated(ctx, "the layer info");
    int count = signed_count < 0 ? -(int)signed_count : signed_count;
    r->doc->merged_alpha |= signed_count < 0;
    if (count == 0) return SZ_OK;
    sz_status st = sz_doc_check_layer_count(ctx, r->doc, count);
    if (st) return st;
    /* A record takes at least 34 bytes: refuse counts the data cannot back. */
    if ((size_t)count * 34 > in->len - in->pos) return truncated(ctx, "the table of layer records");
    psd_record *recs = sz_calloc(ctx, (size_t)count, sizeof *recs);
    if (!recs) return SZ_ERR_NOMEM;
    for (int i = 0; i < count && !st; i++) st = read_record(r, in, &recs[i]);
    for (int i = 0; i < count && !st; i++)
        for (int j = 0; j < recs[i].nch; j++) {
            recs[i].ch[j].data = rd_bytes(in, recs[i].ch[j].len);
            if (!recs[i].ch[j].data) {
                st = truncated(ctx, "the channel image data");
                break;
            }
        }

    /* Build the tree bottom-up, groups opened at their divider records. */
    sz_layer *stack[64];
    int depth = 0;
    sz_layer *cur = r->doc->root;
    for (int i = 0; i < count && !st; i++) {
        psd_record *rec = &recs[i];
        record_blocks bl = {0};
        /* First pass over the blocks only to learn what the record is. */
        st = read_blocks(r, rec, NULL, &bl);
        if (st) {
            free(bl.uname);
            break;
        }
        sz_layer *l = NULL;
        if (bl.section == PSD_SECTION_DIVIDER) {
            if (depth == (int)SZ_COUNTOF(stack)) {
                free(bl.uname);
                st = sz_fail(ctx, SZ_ERR_UNSUPPORTED, "PSD: groups nested deeper than %d", (int)SZ_COUNTOF(stack));
                break;
            }
            l = sz_layer_new(ctx, cur, SZ_LAYER_GROUP, "");
            if (!l) st = ctx->status;
            else {
                stack[depth++] = cur;
                cur = l;
            }
            free(bl.uname);
            continue;
        }
        if (bl.section == PSD_SECTION_OPEN || bl.section == PSD_SECTION_CLOSED) {
            if (depth > 0) {
                l = cur;
                cur = stack[--depth];
            } else {
                l = sz_layer_new(ctx, cur, SZ_LAYER_GROUP, ""); /* a group record without divider */
            }
        } else {
            l = sz_layer_new(ctx, cur, SZ_LAYER_PIXEL, "");
        }
        if (!l) {
            free(bl.uname);
            st = ctx->status;
            break;
        }
        free(bl.uname);
        bl = (record_blocks){0};
        st = read_blocks(r, rec, l, &bl);
        if (!st) st = apply_record(r, rec, &bl, l);
        if (!st && l->kind == SZ_LAYER_PIXEL) {
            sz_image *img;
            st = decode_layer_pixels(r, rec, &img);
            if (!st) l->image = img;
            l->psd_no_alpha = true;
            for (int j = 0; j < rec->nch; j++) l->psd_no_alpha &= rec->ch[j].id != -1;
        }
        if (st) sz_error_prefix(ctx, "layer \"%s\"", l->name);
        free(bl.uname);
        if (!st) st = sz_progress(ctx, "reading PSD", (i + 1.0) / count);
    }
    while (!st && depth > 0) { /* dividers without their group record */
        if (!*cur->name) sz_layer_set_name(ctx, cur, "group");
        cur = stack[--depth];
    }
    free(recs);
    return st;
}

/* ------------------------------------------------------------------ */
/* Merged image                                                        */
/* ------------------------------------------------------------------ */

static sz_status read_merged(psd_reader *r, psd_rd *in)
{
    sz_ctx *ctx = r->ctx;
    int n = r->channels;
    int colours = r->mode == PSD_MODE_RGB || r->mode == PSD_MODE_LAB ? 3 : r->mode == PSD_MODE_CMYK ? 4 : 1;
    if (r->mode == PSD_MODE_MULTICHANNEL) colours = 1;
    if (n < colours) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: %d channels are too few for the colour mode", n);
    sz_status st = sz_check_layer_size(ctx, r->w, r->h);
    if (st) return st;
    bool alpha = n > colours && r->doc->merged_alpha;
    if (!psd_data_can_back(in->p + in->pos, in->len - in->pos, r->w, r->h, r->depth, r->psb, n))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: the merged image claims more pixels than the file holds");
    int used = colours + (alpha ? 1 : 0);
    size_t npx = (size_t)r->w * (size_t)r->h;
    int bytes = r->depth == 32 ? 4 : r->depth == 16 ? 2 : 1;
    /* Decode every channel (they share one compression field), keep the
     * ones used.  Unused channels still decode, into a scratch plane. */
    uint8_t **raw = sz_calloc(ctx, (size_t)n, sizeof *raw);
    psd_plane *planes = sz_calloc(ctx, (size_t)n, sizeof *planes);
    uint8_t *scratch = sz_malloc_array(ctx, npx ? npx : 1, (size_t)bytes);
    if (!raw || !planes || !scratch) {
        free(raw), free(planes), free(scratch);
        return SZ_ERR_NOMEM;
    }
    for (int c = 0; c < n && !st; c++) {
        uint8_t *dst = scratch;
        if (c < used) {
            dst = raw[c] = sz_malloc_array(ctx, npx ? npx : 1, (size_t)bytes);
            if (!dst) st = SZ_ERR_NOMEM;
        }
        planes[c] = (psd_plane){.dst = dst, .dst_stride = (size_t)r->w * (size_t)bytes, .dst_step = (size_t)bytes,
                                .w = r->w, .h = r->h, .depth = r->depth};
    }
    if (!st) st = psd_decode_merged(ctx, in->p + in->pos, in->len - in->pos, r->psb, n, planes);
    planes16 p = {.w = r->w, .h = r->h};
    for (int c = 0; c < used && !st; c++) {
        uint16_t *v = sz_malloc_array(ctx, npx ? npx : 1, 2);
        if (!v) {
            st = SZ_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < npx; i++) {
            if (r->depth == 32) {
                float f;
                memcpy(&f, raw[c] + 4 * i, 4);
                v[i] = c < colours && r->mode != PSD_MODE_RGB ? float_to16(f) : unit_to16(f);
            } else if (r->depth == 16) {
                memcpy(&v[i], raw[c] + 2 * i, 2);
            } else if (r->depth == 1) {
                v[i] = raw[c][i] ? 0 : 65535; /* bitmap: 1 is black */
            } else {
                v[i] = (uint16_t)(raw[c][i] * 257u);
            }
        }
        if (c < colours) p.c[c] = v;
        else p.alpha = v;
    }
    if (!st && r->depth == 32 && r->mode == PSD_MODE_RGB)
        st = float_rgb_to16(r, (float *const[3]){(float *)raw[0], (float *)raw[1], (float *)raw[2]}, npx, p.c);
    sz_image *img = NULL;
    if (!st) {
        img = sz_image_new(ctx, r->w, r->h, r->depth == 16 || r->depth == 32 ? 16 : 8);
        if (!img) st = ctx->status;
    }
    if (!st && r->mode == PSD_MODE_INDEXED) {
        if (r->palette_len < 768) st = sz_fail(ctx, SZ_ERR_FORMAT, "PSD: indexed colour without a palette");
        for (int y = 0; y < r->h && !st; y++)
            for (int x = 0; x < r->w; x++) {
                unsigned i = raw[0][(size_t)y * (size_t)r->w + (size_t)x];
                uint16_t px[4] = {(uint16_t)(r->palette[i] * 257u), (uint16_t)(r->palette[256 + i] * 257u),
                                  (uint16_t)(r->palette[512 + i] * 257u), (int)i == r->transparent_index ? 0 : 65535};
                sz_put16(img, x, y, px);
            }
    } else if (!st) {
        st = planes_to_image(r, &p, img);
    }
    planes_free(&p);
    for (int c = 0; c < n; c++) free(raw[c]);
    free(raw), free(planes), free(scratch);
    if (st) {
        sz_image_free(img);
        return st;
    }
    sz_layer *l = sz_layer_new(ctx, r->doc->root, SZ_LAYER_PIXEL, "Background");
    if (!l) {
        sz_image_free(img);
        return ctx->status;
    }
    l->image = img;
    return SZ_OK;
}

/* ------------------------------------------------------------------ */

static sz_status read_resources(psd_reader *r, psd_rd *res)
{
    sz_ctx *ctx = r->ctx;
    while (res->len - res->pos >= 12) {
        const uint8_t *sig = rd_bytes(res, 4);
        uint16_t id = rd_u16(res);
        uint8_t nlen = rd_u8(res);
        const uint8_t *name = rd_bytes(res, nlen);
        if ((nlen + 1) & 1) rd_u8(res); /* the name is padded to an even size */
        uint32_t size = rd_u32(res);
        const uint8_t *data = rd_bytes(res, size);
        if (size & 1) rd_u8(res);
        if (res->bad) {
            if (data) break; /* only the last pad byte is missing */
            return truncated(ctx, "the image resources section");
        }
        if (memcmp(sig, "8BIM", 4) && memcmp(sig, "MeSa", 4) && memcmp(sig, "AgHg", 4) &&
            memcmp(sig, "PHUT", 4) && memcmp(sig, "DCSR", 4))
            return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: an image resource has a bad signature");
        if (id == 1039 && size) { /* ICC profile */
            r->icc = data;
            r->icc_len = size;
            continue;
        }
        if (id == 1005 && size >= 16) { /* resolution: 16.16 fixed, unit 1 = per inch, 2 = per cm */
            psd_rd d = {.p = data, .len = size};
            uint32_t hres = rd_u32(&d);
            uint16_t unit = rd_u16(&d);
            double v = hres / 65536.0;
            r->doc->ppi = unit == 2 ? v * 2.54 : v;
            continue;
        }
        if (id == 1047 && size >= 2) r->transparent_index = (int)(data[0] << 8 | data[1]);
        char *nm = sz_strndup(ctx, name ? (const char *)name : "", name ? nlen : 0);
        if (!nm) return SZ_ERR_NOMEM;
        sz_status st = sz_blob_list_add(ctx, &r->doc->resources, (const char *)sig, NULL, id, nm, data, size);
        free(nm);
        if (st) return st;
    }
    return SZ_OK;
}

static sz_status read_global_blocks(psd_reader *r, psd_rd *in)
{
    sz_ctx *ctx = r->ctx;
    while (!in->bad && in->len - in->pos >= 12) {
        const uint8_t *sig = rd_bytes(in, 4);
        if (!sig || (memcmp(sig, "8BIM", 4) && memcmp(sig, "8B64", 4))) break;
        const uint8_t *key = rd_bytes(in, 4);
        uint64_t len = rd_len(in, r->psb && psd_big_key((const char *)key));
        psd_rd d = rd_sub(in, len);
        if (in->bad) return truncated(ctx, "a global tagged block");
        size_t pad = (size_t)((4 - (len & 3)) & 3); /* global blocks align to 4 */
        if (pad <= in->len - in->pos) in->pos += pad;
        if (!memcmp(key, "Lr16", 4) || !memcmp(key, "Lr32", 4) || !memcmp(key, "Layr", 4)) {
            if (sz_doc_layer_count(r->doc) == 0) {
                sz_status st = read_layer_info(r, &d);
                if (st) return st;
            }
            continue;
        }
        if (!memcmp(key, "Mt16", 4) || !memcmp(key, "Mt32", 4) || !memcmp(key, "Mtrn", 4)) {
            /* The merged image has transparency.  The writer regenerates the
             * merged image, so the block itself is not kept. */
            r->doc->merged_alpha = true;
            continue;
        }
        if (sz_blob_list_add(ctx, &r->doc->global_blocks, (const char *)sig, (const char *)key, 0, NULL, d.p, d.len))
            return SZ_ERR_NOMEM;
    }
    return SZ_OK;
}

sz_status sz_psd_read(sz_ctx *ctx, const uint8_t *data, size_t len, sz_doc **out)
{
    psd_rd in = {.p = data, .len = len};
    *out = NULL;
    rd_bytes(&in, 4);
    uint16_t version = rd_u16(&in);
    rd_bytes(&in, 6);
    uint16_t channels = rd_u16(&in);
    uint32_t h = rd_u32(&in), w = rd_u32(&in);
    uint16_t depth = rd_u16(&in), mode = rd_u16(&in);
    if (in.bad) return truncated(ctx, "the header");
    if (version != 1 && version != 2) return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: unknown version %u", version);
    bool psb = version == 2;
    uint32_t max = psb ? PSB_MAX_SIDE : PSD_MAX_SIDE;
    if (w == 0 || h == 0 || w > max || h > max)
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: invalid canvas %ux%u", w, h);
    if (channels < 1 || channels > PSD_MAX_CHANNELS)
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: invalid channel count %u", channels);
    if (depth != 1 && depth != 8 && depth != 16 && depth != 32)
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: invalid depth %u", depth);
    if (mode != PSD_MODE_BITMAP && mode != PSD_MODE_GRAY && mode != PSD_MODE_INDEXED && mode != PSD_MODE_RGB &&
        mode != PSD_MODE_CMYK && mode != PSD_MODE_MULTICHANNEL && mode != PSD_MODE_DUOTONE && mode != PSD_MODE_LAB)
        return sz_fail(ctx, SZ_ERR_UNSUPPORTED, "PSD: unsupported colour mode %u", mode);
    if ((mode == PSD_MODE_BITMAP) != (depth == 1))
        return sz_fail(ctx, SZ_ERR_FORMAT, "PSD: depth %u does not fit colour mode %u", depth, mode);
    sz_status st = sz_check_canvas_size(ctx, w, h);
    if (st) return st;

    psd_reader r = {.ctx = ctx, .psb = psb, .w = (int)w, .h = (int)h, .depth = depth, .mode = mode,
                    .channels = channels, .transparent_index = -1};
    r.doc = sz_doc_new(ctx, (int)w, (int)h);
    if (!r.doc) return ctx->status;
    sz_doc *doc = r.doc;
    doc->psb = psb;
    doc->source_format = SZ_FORMAT_PSD;
    doc->source_depth = depth;
    doc->depth = depth == 16 || depth == 32 ? 16 : 8;
    static const sz_source_mode modes[] = {
        [PSD_MODE_BITMAP] = SZ_MODE_BITMAP, [PSD_MODE_GRAY] = SZ_MODE_GRAY, [PSD_MODE_INDEXED] = SZ_MODE_INDEXED,
        [PSD_MODE_RGB] = SZ_MODE_RGB, [PSD_MODE_CMYK] = SZ_MODE_CMYK, [PSD_MODE_MULTICHANNEL] = SZ_MODE_MULTICHANNEL,
        [PSD_MODE_DUOTONE] = SZ_MODE_DUOTONE, [PSD_MODE_LAB] = SZ_MODE_LAB};
    doc->source_mode = modes[mode];

    psd_rd cmd = rd_sub(&in, rd_u32(&in));
    r.palette = cmd.p;
    r.palette_len = cmd.len;
    psd_rd res = rd_sub(&in, rd_u32(&in));
    if (in.bad) st = truncated(ctx, "the colour mode data or image resources section");
    if (!st) st = read_resources(&r, &res);
    psd_rd lm = {0};
    if (!st) {
        lm = rd_sub(&in, rd_len(&in, psb));
        if (in.bad) st = truncated(ctx, "the layer and mask information");
    }
    if (!st && lm.len) {
        uint64_t lilen = rd_len(&lm, psb);
        psd_rd li = rd_sub(&lm, lilen);
        if (lm.bad) st = truncated(ctx, "the layer info");
        if (!st && li.len) st = read_layer_info(&r, &li);
        if (!st && lm.len - lm.pos >= 4) {
            psd_rd gm = rd_sub(&lm, rd_u32(&lm));
            if (lm.bad) st = truncated(ctx, "the global layer mask info");
            if (!st && gm.len) {
                doc->global_mask.data = sz_malloc(ctx, gm.len);
                if (!doc->global_mask.data) st = SZ_ERR_NOMEM;
                else {
                    memcpy(doc->global_mask.data, gm.p, gm.len);
                    doc->global_mask.len = gm.len;
                }
            }
        }
        if (!st) st = read_global_blocks(&r, &lm);
    }
    if (!st && (mode == PSD_MODE_CMYK || mode == PSD_MODE_LAB || mode == PSD_MODE_INDEXED ||
                mode == PSD_MODE_BITMAP || depth == 32)) {
        doc->srgb_intent = 0; /* converted to sRGB */
        if (mode == PSD_MODE_CMYK && !(r.icc && r.icc_len))
            sz_warn(ctx, "PSD: CMYK without an ICC profile, converted with the naive formula");
    } else if (!st && r.icc) {
        sz_colorspace cs;
        if (mode == PSD_MODE_GRAY || mode == PSD_MODE_DUOTONE) {
            uint8_t *rgb;
            size_t rlen;
            if (sz_icc_space(r.icc, r.icc_len, &cs) && cs == SZ_CS_GRAY && !sz_icc_gray_to_rgb(ctx, r.icc, r.icc_len, &rgb, &rlen)) {
                st = sz_doc_set_icc(ctx, doc, rgb, rlen);
                free(rgb);
            } else {
                sz_ctx_clear_error(ctx);
            }
        } else if (sz_icc_space(r.icc, r.icc_len, &cs) && cs == SZ_CS_RGB) {
            st = sz_doc_set_icc(ctx, doc, r.icc, r.icc_len);
        }
    }
    if (!st && (mode == PSD_MODE_DUOTONE || mode == PSD_MODE_MULTICHANNEL))
        sz_warn(ctx, "PSD: %s document read as grayscale", mode == PSD_MODE_DUOTONE ? "duotone" : "multichannel");
    if (!st && depth == 32) sz_warn(ctx, "PSD: 32-bit floating-point channels converted to 16-bit sRGB (values above 1 are clipped)");
    if (!st && sz_doc_layer_count(doc) == 0) st = read_merged(&r, &in);
    sz_xform_free(r.xform);
    sz_xform_free(r.fxform);
    if (st) {
        sz_doc_free(doc);
        return st;
    }
    sz_doc_describe_color(doc);
    *out = doc;
    return SZ_OK;
}
